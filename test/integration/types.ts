/** The types of the integration and fault tests, in a module that registers no test hooks (server processes import it). */
import { defineType, t } from '../../shared/index.js';

export const Board = defineType('Board', { title: t.string('board') });
export const Card = defineType('Card', {
  title: t.string(),
  votes: t.number(0),
  done: t.boolean(false),
  meta: t.json(),
  tags: t.dict(t.number()),
  items: t.list(t.string()),
});
/** Every type the test trees use; the order fixes their wire indexes. */
export const types = [Board, Card];
