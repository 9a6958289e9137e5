/**
 * Access control in one file: `npx tsx examples/teams/main.ts`.
 *
 * A board of team columns. Each person signs in with a token (authenticate), sees only the
 * columns of their team (visibility), may rename only their own cards (per-type rules), and card
 * titles follow validators. Two clients, Ann (red) and Bo (blue), work side by side; when a card
 * moves from the red column to the blue one, it disappears for Ann and appears for Bo.
 */
import { SyncClient, type Mirror } from 'treesync/client';
import { SyncServer, type Principal } from 'treesync/server';
import { defineType, t } from 'treesync';

const Board = defineType('Board', { title: t.string('Team board') });
const Column = defineType('Column', { team: t.string('red', { oneOf: ['red', 'blue'] }) });
const Card = defineType('Card', {
  title: t.string('untitled', { minLength: 1, maxLength: 40 }),
  owner: t.string(),
  points: t.number(1, { min: 0, max: 13, integer: true }),
});
const types = [Board, Column, Card];

/** Stands in for your session store: token to person. */
const TOKENS: Record<string, Principal> = {
  'token-ann': { id: 'ann', team: 'red' },
  'token-bo': { id: 'bo', team: 'blue' },
};

const server = new SyncServer({
  types,
  hooks: {
    authenticate: ({ auth }) => TOKENS[String(auth['token'])] ?? false,
    types: {
      Card: {
        create: ({ object }) => object.is(Column),
        attrs: { title: ({ principal, object }) => object.is(Card) && object.get('owner') === principal.id },
      },
    },
    visibility: {
      scopes: { Column: (column) => (column.is(Column) ? `team:${column.get('team')}` : undefined) },
      canSee: (principal, scope) => scope === `team:${String(principal['team'])}`,
    },
  },
});
const board = server.tree('board', Board);
const red = board.root.create(Column, { team: 'red' });
const blue = board.root.create(Column, { team: 'blue' });
red.create(Card, { title: 'Red plan', owner: 'ann' });
blue.create(Card, { title: 'Blue plan', owner: 'bo' });
const port = await server.listen(0);
const url = `http://127.0.0.1:${port}`;

/** The card titles a mirror holds, by column team. */
function seen(mirror: Mirror): string {
  const columns = mirror.root.children.filter((c) => c.is(Column));
  return columns.map((c) => `${c.get('team')}: [${c.children.map((card) => String(card.get('title'))).join(', ')}]`).join('  ');
}

const ann = new SyncClient({ url, types, clientId: 'ann-tab', auth: { token: 'token-ann' }, storage: null });
const bo = new SyncClient({ url, types, clientId: 'bo-tab', auth: { token: 'token-bo' }, storage: null });
const annBoard = await ann.join('board', Board);
const boBoard = await bo.join('board', Board);
console.log(`ann sees  ${seen(annBoard)}`);
console.log(`bo sees   ${seen(boBoard)}`);

// Ann adds a card to her column; a title over 40 characters is refused locally (INVALID).
const annColumn = annBoard.view(red.id, Column);
const card = await annColumn.create(Card, { title: 'Ship it', owner: 'ann' });
await card.attrs.title.set('x'.repeat(41)).catch((e: unknown) => console.log(`ann, long title: ${String((e as { code?: string }).code)}`));
// Bo cannot see Ann's column at all: for him its id does not exist.
await boBoard.propose([9, red.id]).catch((e: unknown) => console.log(`bo, destroy the red column: ${String((e as { code?: string }).code)}`));

// The server moves Ann's card to the blue column: it leaves Ann's view and enters Bo's.
board.get(card.id)?.move(blue);
await new Promise((resolve) => setTimeout(resolve, 100));
console.log(`after the move, ann sees  ${seen(annBoard)}`);
console.log(`after the move, bo sees   ${seen(boBoard)}`);
// Bo sees the card but may not rename it: it is Ann's (FORBIDDEN).
await boBoard
  .view(card.id, Card)
  .attrs.title.set('Mine now')
  .catch((e: unknown) => console.log(`bo, rename ann's card: ${String((e as { code?: string }).code)}`));

ann.close();
bo.close();
await server.close();
