/**
 * The treesync server of `npm run bench:peers` (the contract is bench/peers/model.ts).
 *
 * - `w1 <variant> <M> <rate>`: a SyncServer with tree `peers` of M PeerObjects (the shared model);
 *   on `start`, mutation k sets `value` of object k % M to now(). Variants: `batched` (the default
 *   adaptive flush), `unbatched` (flush mode 'immediate': a batch per commit).
 * - `w3 batched <M>`: the same tree of M objects, for joins. `w3 unbatched` answers `unsupported`:
 *   the flush mode does not touch the join path.
 */
import { SyncServer } from '../../server/index.js';
import { defineType, t } from '../../shared/index.js';
import { fatal, onCommand, reply } from '../lib/child.js';
import { Load, heapAfterGc, loadCommands } from '../lib/load.js';
import { PEERS, initialObject, now, type Unsupported, type W1ServerExtra } from './model.js';

/** The root of the peers tree. */
const PeerRoot = defineType('PeerRoot', {});
/** The shared model as a treesync type. */
const PeerObject = defineType('PeerObject', { name: t.string(), value: t.number(), x: t.number(), tags: t.dict(t.number()), log: t.list(t.string()) });
/** The tree both workloads use; the clients join it by this name. */
const TREE = 'peers';

/** A SyncServer with tree TREE of m objects, listening; with the heap the objects took. */
async function serve(variant: string, m: number): Promise<{ port: number; setValue: (object: number, value: number) => void; heapPerObjectBytes: number }> {
  const server = new SyncServer({ types: [PeerRoot, PeerObject], flush: { mode: variant === 'unbatched' ? 'immediate' : 'adaptive' } });
  const before = heapAfterGc();
  const tree = server.tree(TREE, PeerRoot);
  const objects = tree.transact(() => Array.from({ length: m }, (_, i) => tree.root.create(PeerObject, initialObject(i))));
  const heapPerObjectBytes = (heapAfterGc() - before) / m;
  const port = await server.listen(0);
  return { port, setValue: (object, value) => objects[object]?.attrs.value.set(value), heapPerObjectBytes };
}

async function w1(variant: string, m: number, rate: number): Promise<void> {
  const { port, setValue, heapPerObjectBytes } = await serve(variant, m);
  onCommand(loadCommands(new Load(rate, (k) => setValue(k % m, now())), { heapPerObjectBytes } satisfies W1ServerExtra));
  reply({ type: 'ready', port });
}

async function w3(variant: string, m: number): Promise<void> {
  onCommand(() => undefined);
  if (variant !== 'batched') {
    reply({ type: 'unsupported', why: 'the flush mode does not touch the join path: see treesync/batched' } satisfies Unsupported);
    return;
  }
  const { port, heapPerObjectBytes } = await serve(variant, m);
  reply({ type: 'ready', port, heapPerObjectBytes });
}

const [workload = '', variant = '', mArg = '0', rateArg = '1000'] = process.argv.slice(2);
if (!(PEERS.treesync as readonly string[]).includes(variant)) fatal(new Error(`unknown variant ${variant}; one of ${PEERS.treesync.join(', ')}`));
else if (workload === 'w1') w1(variant, Number(mArg), Number(rateArg)).catch(fatal);
else if (workload === 'w3') w3(variant, Number(mArg)).catch(fatal);
else {
  onCommand(() => undefined);
  reply({ type: 'unsupported', why: `workload ${workload} is not implemented` } satisfies Unsupported);
}
