/**
 * The visibility bench's server process: `visibility-server.ts <case> <rate>`.
 *
 * Builds the tree of bench/lib/visibility-model.ts on a SyncServer (adaptive flush, the default)
 * with the case's hooks, listens on 127.0.0.1 and replies `ready` with its port and the tree's
 * layout. On `start` it makes `rate` mutations per second, drift-free (bench/lib/load.ts, as in bench/server.ts): each
 * sets a random item's `value` to the current timestamp, or (case `moves`, MOVE_SHARE of them)
 * moves a random item to another folder. `mark` starts the measurement window (and, with
 * BENCH_PROF=1, a CPU profile of it); `stop` stops the mutations and replies with a
 * VisServerReport, the joined tree's final state included. Case `floor` makes the same mutations
 * on a second tree that no client joins: the generator, the trees and idle connections alone.
 *
 * Every case has the same `authenticate` hook (principal `{ id: clientId, group }` from the
 * handshake auth), so that the only difference between the cases is `visibility`.
 */
import { SyncServer, type Hooks, type ServerObject } from '../server/index.js';
import type { Broadcast, SendTo } from '../server/transport.js';
import { fatal, onCommand, reply } from './lib/child.js';
import { Load } from './lib/load.js';
import { BenchRoot, Item, now } from './lib/model.js';
import { PROFILING, startProfile } from './lib/profile.js';
import { CASES, CASE_INFO, Folder, GROUPS, ITEMS_PER_GROUP, MOVE_SHARE, VIS_TREE, VIS_TYPES, team, type Case, type Layout, type Truth, type VisServerReport } from './lib/visibility-model.js';

const [caseArg = '', rateArg = '1000'] = process.argv.slice(2);
if (!(CASES as readonly string[]).includes(caseArg)) throw new Error(`unknown case ${caseArg}; one of ${CASES.join(', ')}`);
const benchCase = caseArg as Case;
const rate = Number(rateArg);

function hooks(c: Case): Hooks {
  const authenticate: Hooks['authenticate'] = ({ clientId, auth }) => ({ id: clientId, group: String(auth['group']) });
  if (!CASE_INFO[c].visibility) return { authenticate };
  const seeAll = !CASE_INFO[c].filtered;
  return {
    authenticate,
    visibility: {
      scopes: { Folder: (folder: ServerObject) => (folder.is(Folder) ? folder.get('team') : undefined) },
      canSee: seeAll ? () => true : (principal, scope) => principal['group'] === scope,
    },
  };
}

/** A small seeded PRNG (mulberry32): every run makes the same choices. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

async function main(): Promise<void> {
  const server = new SyncServer({ types: VIS_TYPES, hooks: hooks(benchCase) });
  const build = (name: string) => {
    const tree = server.tree(name, BenchRoot);
    return tree.transact(() => {
      const folders = Array.from({ length: GROUPS }, (_, g) => tree.root.create(Folder, { name: `folder ${g}`, team: team(g) }));
      const items = folders.map((folder, g) => Array.from({ length: ITEMS_PER_GROUP }, (_, k) => folder.create(Item, { label: `item ${k} of ${team(g)}` })));
      return { tree, folders, items };
    });
  };
  // The tree the clients join; in the floor case the mutations go to a copy nobody joins.
  const joined = build(VIS_TREE);
  const { folders, items } = benchCase === 'floor' ? build(`${VIS_TREE}-unjoined`) : joined;
  const all = items.flat();

  // Count what the host sends: each call encodes one frame for its audience (none for a room
  // nobody joined). A flush makes its calls synchronously, so a microtask marks where one ends.
  let flushes = 0;
  let sends = 0;
  let links = 0;
  let inFlush = false;
  const count = (audience: number): void => {
    if (audience === 0) return;
    sends++;
    links += audience;
    if (inFlush) return;
    inFlush = true;
    flushes++;
    queueMicrotask(() => (inFlush = false));
  };
  const host = server.host;
  const broadcast: Broadcast = host.broadcast;
  const sendTo: SendTo = host.sendTo;
  Object.defineProperty(host, 'broadcast', {
    value: ((room, event, args) => {
      count(server.io.sockets.adapter.rooms.get(room)?.size ?? 0);
      broadcast(room, event, args);
    }) satisfies Broadcast,
  });
  Object.defineProperty(host, 'sendTo', {
    value: ((to, event, args) => {
      count(to.length);
      sendTo(to, event, args);
    }) satisfies SendTo,
  });

  const port = await server.listen(0);
  const rnd = random(0x5eed);
  const moveShare = benchCase === 'moves' ? MOVE_SHARE : 0;
  let moves = 0;
  const mutate = (): void => {
    const item = all[Math.floor(rnd() * all.length)] as (typeof all)[number];
    if (moveShare > 0 && rnd() < moveShare) {
      const from = folders.indexOf(item.parent as (typeof folders)[number]);
      const to = folders[(from + 1 + Math.floor(rnd() * (GROUPS - 1))) % GROUPS] as (typeof folders)[number];
      item.move(to);
      moves++;
    } else {
      item.attrs.value.set(now());
    }
  };

  const load = new Load(rate, mutate);
  let mark = { moves: 0, flushes: 0, sends: 0, links: 0 };
  let profile: Awaited<ReturnType<typeof startProfile>> | undefined;
  onCommand(async (cmd) => {
    if (cmd === 'start') load.start();
    else if (cmd === 'mark') {
      if (PROFILING) profile = await startProfile(`visibility-${benchCase}`);
      mark = { moves, flushes, sends, links };
      load.mark();
    } else if (cmd === 'stop') {
      const window = load.stop();
      const top = await profile?.stop(20);
      const truth: Truth = {
        seq: joined.tree.seq,
        folders: joined.folders.map((f) => ({ id: f.id, children: f.children.map((c) => c.id) })),
        values: Object.fromEntries(joined.items.flat().map((item) => [item.id, item.get('value')])),
      };
      reply({
        type: 'report',
        ...window,
        moves: moves - mark.moves,
        flushes: flushes - mark.flushes,
        sends: sends - mark.sends,
        links: links - mark.links,
        ...(top === undefined ? {} : { profile: top }),
        truth,
      } satisfies VisServerReport);
    }
  });
  const layout: Layout = { folders: joined.folders.map((f) => f.id), items: joined.items.map((group) => group.map((item) => item.id)) };
  reply({ type: 'ready', port, layout });
}

main().catch(fatal);
