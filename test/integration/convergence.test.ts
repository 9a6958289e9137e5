/**
 * Seeded randomized convergence (Yjs-style): server mutations, client mutations, transactions,
 * drops and reconnects, with message delivery shuffled across connections (FIFO within each).
 * At the end every mirror deep-equals the server's tree. fast-check prints the seed on failure;
 * rerun one with TREESYNC_SEED=<seed>.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SyncClient, type Mirror, type ObjectView, type StorageLike } from '../../client/index.js';
import type { Tree } from '../../server/index.js';
import { mirrorPlain, serverPlain } from '../helpers/compare.js';
import { MemoryNetwork, type MemoryTransport } from '../helpers/memory-network.js';
import { Card, types } from './fixtures.js';

type Rng = () => number;
function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
const int = (rng: Rng, max: number): number => Math.floor(rng() * max);

/** The same random mutation, through the server's handles or a client's views (which may be stale). */
interface Target {
  ids(): number[];
  card(id: number): CardLike | undefined;
}
interface CardLike {
  readonly id: number;
  attrs: {
    title: { set(v: string): unknown };
    votes: { add(n: number): unknown };
    done: { set(v: boolean): unknown };
    meta: { set(v: null | number | string | object): unknown };
    tags: { put(k: string, v: number): unknown; delete(k: string): unknown };
    items: { insert(i: number, ...v: string[]): unknown; remove(i: number, n?: number): unknown; move(a: number, b: number): unknown; replace(i: number, v: string): unknown; value: readonly string[] };
  };
  create(type: typeof Card, values: { title: string }, index?: number): unknown;
  destroy(): unknown;
  move(parent: number, index?: number): unknown;
}

function mutate(rng: Rng, target: Target): unknown {
  const ids = target.ids();
  const card = target.card(pick(rng, ids));
  if (card === undefined) return undefined;
  const n = card.attrs.items.value.length;
  const word = pick(rng, ['a', 'b', 'c', 'd']);
  switch (int(rng, 13)) {
    case 0:
    case 1:
      return card.create(Card, { title: word }, rng() < 0.5 ? undefined : int(rng, 3));
    case 2:
      return card.id === 0 ? undefined : card.destroy();
    case 3:
      return card.id === 0 ? undefined : card.move(pick(rng, ids), rng() < 0.5 ? undefined : int(rng, 3));
    case 4:
      return card.attrs.votes.add(int(rng, 10) - 3);
    case 5:
      return card.attrs.done.set(rng() < 0.5);
    case 6:
      return card.attrs.meta.set(pick(rng, [null, 1, 'x', { k: [word] }]));
    case 7:
      return card.attrs.tags.put(word, int(rng, 100));
    case 8:
      return card.attrs.tags.delete(word);
    case 9:
      return card.attrs.items.insert(int(rng, n + 1), word);
    case 10:
      return card.attrs.items.remove(int(rng, n + 1), 1 + int(rng, 2));
    case 11:
      return card.attrs.items.move(int(rng, n + 1), int(rng, n + 1));
    default:
      return card.id === 0 ? card.attrs.title.set(word) : card.attrs.items.replace(int(rng, n + 1), word);
  }
}

// The root is a Card too, so every op applies anywhere.
function serverTarget(tree: Tree): Target {
  return {
    ids: () => tree.snapshot().map((o) => o[0]),
    card: (id) => tree.get(id) as unknown as CardLike | undefined,
  };
}
function clientTarget(mirror: Mirror): Target {
  return {
    ids: () => Object.keys(mirror.state.objects).map(Number),
    card: (id) => {
      const view: ObjectView | undefined = mirror.get(id);
      return view === undefined ? undefined : (view as unknown as CardLike);
    },
  };
}

function swallow(result: unknown): void {
  if (result instanceof Promise) result.catch(() => undefined);
}

const action = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('server' as const), seed: fc.integer() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('client' as const), who: fc.nat(2), seed: fc.integer() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('transact' as const), seed: fc.integer(), fail: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clientTransact' as const), who: fc.nat(2), seed: fc.integer() }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('deliver' as const), count: fc.nat(12) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), who: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), who: fc.nat(2) }) },
  // A page reload: the client closes (its queue stays in storage) and a new one with its id takes over.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reload' as const), who: fc.nat(2) }) },
);

/** A page's sessionStorage: outlives the client, as it outlives a reload. */
function memoryStorage(): StorageLike {
  const map = new Map<string, string>();
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) };
}

describe('convergence', () => {
  it('every mirror equals the server after random mutations, drops and reconnects', async () => {
    const seed = process.env['TREESYNC_SEED'] === undefined ? undefined : Number(process.env['TREESYNC_SEED']);
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 150, maxLength: 300 }), fc.integer(), async (actions, deliverySeed) => {
        const net = new MemoryNetwork({ types, flush: { mode: 'immediate' }, logWindow: 30 });
        const tree = net.host.tree('board', Card);
        const transports: MemoryTransport[] = [];
        const storages = [0, 1, 2].map(() => memoryStorage());
        const clients = [0, 1, 2].map((who) => {
          const transport = net.transport();
          transports.push(transport);
          return new SyncClient({ transport, types, clientId: `c${who}`, storage: storages[who] as StorageLike });
        });
        const rng = mulberry32(deliverySeed);
        const joins = clients.map((c) => c.join('board'));
        await net.settle();
        const mirrors = await Promise.all(joins);
        const settled: Promise<unknown>[] = [];

        for (const a of actions) {
          switch (a.kind) {
            case 'server':
              try {
                mutate(mulberry32(a.seed), serverTarget(tree));
              } catch {
                // Invalid random ops are expected; the tree must be unchanged by them.
              }
              break;
            case 'transact':
              try {
                tree.transact(() => {
                  const r = mulberry32(a.seed);
                  for (let i = 0; i < 3; i++) mutate(r, serverTarget(tree));
                  if (a.fail) throw new Error('abort');
                });
              } catch {
                // Aborted transactions leave no trace.
              }
              break;
            case 'client': {
              const result = mutate(mulberry32(a.seed), clientTarget(mirrors[a.who] as Mirror));
              swallow(result);
              if (result instanceof Promise) settled.push(result.catch(() => undefined));
              break;
            }
            case 'clientTransact': {
              const mirror = mirrors[a.who] as Mirror;
              const r = mulberry32(a.seed);
              const result = mirror.transact(() => {
                for (let i = 0; i < 3; i++) swallow(mutate(r, clientTarget(mirror)));
              });
              settled.push(result.catch(() => undefined));
              break;
            }
            case 'deliver':
              for (let i = 0; i < a.count; i++) net.step((n) => int(rng, n));
              await Promise.resolve();
              break;
            case 'drop':
              transports[a.who]?.drop();
              break;
            case 'reconnect':
              transports[a.who]?.reconnect();
              break;
            case 'reload': {
              const who = a.who;
              clients[who]?.close();
              const transport = net.transport();
              transports[who] = transport;
              const reloaded = new SyncClient({ transport, types, clientId: `c${who}`, storage: storages[who] as StorageLike });
              clients[who] = reloaded;
              settled.push(
                reloaded.join('board').then(
                  (m) => {
                    if (clients[who] === reloaded) mirrors[who] = m;
                  },
                  () => undefined,
                ),
              );
              break;
            }
          }
        }
        for (const t of transports) t.reconnect();
        await net.settle((n) => int(rng, n));
        await Promise.all(settled);
        await net.settle((n) => int(rng, n));
        const expected = serverPlain(tree);
        if (process.env['TREESYNC_STATS'] !== undefined) {
          const acked = (await Promise.all(settled.map((p) => p.then((v) => v !== undefined)))).filter(Boolean).length;
          console.log(`seq ${tree.seq}, objects ${tree.size}, client proposals ${settled.length} (${acked} acked)`);
        }
        for (const mirror of mirrors) {
          expect(mirror.seq).toBe(tree.seq);
          expect(mirror.pending).toBe(0);
          expect(mirror.state).toBe(mirror.confirmed);
          expect(mirrorPlain(mirror.state)).toEqual(expected);
        }
        for (const c of clients) c.close();
      }),
      { numRuns: Number(process.env['TREESYNC_RUNS'] ?? 40), ...(seed === undefined ? {} : { seed }) },
    );
  });
});
