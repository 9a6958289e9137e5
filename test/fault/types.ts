/**
 * The fixture types of test/integration/fixtures.ts, for the server process: fixtures.ts registers
 * vitest hooks when imported, which fails outside the runner. crash.test.ts checks that both
 * definitions put the same types on the wire.
 */
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
/** Every type the fault tests' trees use, in the fixtures' order. */
export const types = [Board, Card];
/** The tree the server process makes and the crash test works on. */
export const CRASH_TREE = 'crash';
