/**
 * The treesync server of `npm run bench:peers` (the contract is bench/peers/model.ts).
 *
 * - `w1 <variant> <M> <rate>`: a SyncServer with tree `peers` of M PeerObjects (the shared model);
 *   on `start`, mutation k sets `value` of object k % M to now(). Variants: `batched` (the default
 *   adaptive flush), `paced` (the CPU-first flush: see FLUSH), `unbatched` (flush mode
 *   'immediate': a batch per commit).
 * - `w2 batched|paced <M>`: the same tree, whose `value` refuses a negative number (a `validate` rule
 *   of the attribute: INVALID, see treesync-model.ts); the clients' proposals are the writes,
 *   counted as they arrive (a `propose` event on the socket).
 * - `w3 batched <M>`: the same tree of M objects, for joins.
 * - `w4 batched <M> <rate>`: W1's server; the clients drop and come back with `since` (the server
 *   keeps its last 10,000 scribes for catch-up, `logWindow`).
 * - `w5 batched|paced <M> <rate> <groups>`: W1's server with visibility rules: each client's principal
 *   carries the group its handshake `auth` names, an object's scope is its group (x % groups), and
 *   a principal sees its group's scope only.
 * The flush mode touches neither joins nor catch-up, and at W2's 200 writes/s the default flush
 * already sends a batch per commit: `paced` answers `unsupported` to w3 and w4, `unbatched` to
 * w2..w5. `every<ms>` (bench:cadence, W1 only) is the adaptive flush bounded by `maxDelayMs: ms`.
 */
import { SyncServer, type FlushOptions, type Hooks } from '../../server/index.js';
import { fatal, onCommand, reply } from '../lib/child.js';
import { Load, heapAfterGc, loadCommands } from '../lib/load.js';
import { writeCommands } from '../lib/writes.js';
import { cadenceMs, initialObject, now, variantsFor, type PEERS, type Unsupported, type W1ServerExtra } from './model.js';
import { GuardedPeerObject, PeerObject, PeerRoot, TREE, scopeOf } from './treesync-model.js';

/**
 * The flush options of each variant: the default; the CPU-first setting (a batch every 50 ms,
 * Colyseus's patch interval: a duty of 2% is low enough that at N=200 the 50 ms bound, not the
 * duty, sets the pace, so both systems write to each client as often); a batch per commit.
 */
const FLUSH = {
  batched: { mode: 'adaptive' },
  paced: { mode: 'adaptive', maxDelayMs: 50, duty: 0.02 },
  unbatched: { mode: 'immediate' },
} as const satisfies Record<(typeof PEERS.treesync)[number], FlushOptions>;

/** The flush options of a variant: FLUSH's, or a cadence variant's `every<ms>` (bench:cadence: a batch every `ms`, the duty at its floor so that the bound sets the pace). */
function flushOf(variant: string): FlushOptions {
  const ms = cadenceMs('treesync', variant);
  return ms === undefined ? FLUSH[variant as keyof typeof FLUSH] : { mode: 'adaptive', maxDelayMs: ms, duty: 0.01 };
}

/** A SyncServer with tree TREE of m objects, listening; with the heap the objects took. */
async function serve(variant: string, m: number, options: { guarded?: boolean; hooks?: Hooks } = {}): Promise<{ server: SyncServer; port: number; setValue: (object: number, value: number) => void; heapPerObjectBytes: number }> {
  const type = options.guarded === true ? GuardedPeerObject : PeerObject;
  const server = new SyncServer({ types: [PeerRoot, type], flush: flushOf(variant), ...(options.hooks === undefined ? {} : { hooks: options.hooks }) });
  const before = heapAfterGc();
  const tree = server.tree(TREE, PeerRoot);
  const objects = tree.transact(() => Array.from({ length: m }, (_, i) => tree.root.create(type, initialObject(i))));
  const heapPerObjectBytes = (heapAfterGc() - before) / m;
  const port = await server.listen(0);
  return { server, port, setValue: (object, value) => objects[object]?.attrs.value.set(value), heapPerObjectBytes };
}

/** W1's generator on a served tree: `start`, `mark`, `stop`; replies ready. */
function generate(served: Awaited<ReturnType<typeof serve>>, m: number, rate: number): void {
  const { port, setValue, heapPerObjectBytes } = served;
  onCommand(loadCommands(new Load(rate, (k) => setValue(k % m, now())), { heapPerObjectBytes } satisfies W1ServerExtra));
  reply({ type: 'ready', port });
}

async function w2(variant: string, m: number): Promise<void> {
  const { server, port } = await serve(variant, m, { guarded: true });
  let handled = 0;
  server.io.on('connection', (socket) => socket.on('propose', () => handled++));
  onCommand(writeCommands(() => handled));
  reply({ type: 'ready', port });
}

async function w3(variant: string, m: number): Promise<void> {
  onCommand(() => undefined);
  const { port, heapPerObjectBytes } = await serve(variant, m);
  reply({ type: 'ready', port, heapPerObjectBytes });
}

async function w5(variant: string, m: number, rate: number, groups: number): Promise<void> {
  const hooks: Hooks = {
    authenticate: ({ clientId, auth }) => ({ id: clientId, group: Number(auth['group']) }),
    visibility: {
      scopes: { [PeerObject.name]: (object) => scopeOf(Number(object.get('x')), groups) },
      canSee: (principal, scope) => scope === scopeOf(Number(principal['group']), groups),
    },
  };
  generate(await serve(variant, m, { hooks }), m, rate);
}

const [workload = '', variant = '', mArg = '0', rateArg = '1000', groupsArg = '10'] = process.argv.slice(2);
const [m, rate, groups] = [Number(mArg), Number(rateArg), Number(groupsArg)];
const variants = variantsFor('treesync', variant);
if (!variants.includes(variant)) fatal(new Error(`unknown variant ${variant}; one of ${variants.join(', ')}, every<ms>`));
else if (workload === 'w1') serve(variant, m).then((served) => generate(served, m, rate), fatal);
else if (!['w2', 'w3', 'w4', 'w5'].includes(workload)) {
  onCommand(() => undefined);
  reply({ type: 'unsupported', why: `workload ${workload} is not implemented` } satisfies Unsupported);
} else if (variant !== 'batched' && !(variant === 'paced' && (workload === 'w2' || workload === 'w5'))) {
  onCommand(() => undefined);
  const why = cadenceMs('treesync', variant) !== undefined ? 'bench:cadence\'s variants are W1 only' : workload === 'w2' ? 'at 200 writes/s the default flush already sends a batch per commit' : workload === 'w5' ? 'a batch per commit to 200 filtered clients saturates the server, as in W1' : `the flush mode does not touch the ${workload === 'w3' ? 'join' : 'catch-up'} path`;
  reply({ type: 'unsupported', why: `${why}: see treesync/batched` } satisfies Unsupported);
} else if (workload === 'w2') w2(variant, m).catch(fatal);
else if (workload === 'w3') w3(variant, m).catch(fatal);
else if (workload === 'w4') serve(variant, m).then((served) => generate(served, m, rate), fatal);
else w5(variant, m, rate, groups).catch(fatal);
