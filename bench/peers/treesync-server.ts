/**
 * The treesync server of `npm run bench:peers` (the contract is bench/peers/model.ts).
 *
 * - `w1 <variant> <M> <rate>`: a SyncServer with tree `peers` of M PeerObjects (the shared model);
 *   on `start`, mutation k sets `value` of object k % M to now(). Variants: `batched` (the default
 *   adaptive flush), `unbatched` (flush mode 'immediate': a batch per commit).
 * - `w3 batched <M>`: the same tree of M objects, for joins. `w3 unbatched` answers `unsupported`:
 *   the flush mode does not touch the join path.
 */
import { createHistogram } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SyncServer } from '../../server/index.js';
import { defineType, t } from '../../shared/index.js';
import { fatal, onCommand, reply } from '../lib/child.js';
import { PEERS, initialObject, now, type ServerReport, type Unsupported, type W1ServerExtra } from './model.js';

/** The root of the peers tree. */
const PeerRoot = defineType('PeerRoot', {});
/** The shared model as a treesync type. */
const PeerObject = defineType('PeerObject', { name: t.string(), value: t.number(), x: t.number(), tags: t.dict(t.number()), log: t.list(t.string()) });
/** The tree both workloads use; the clients join it by this name. */
const TREE = 'peers';

// A full collection before each heap reading, without asking the orchestrator for --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** A SyncServer with tree TREE of m objects, listening; with the heap the objects took. */
async function serve(variant: string, m: number): Promise<{ port: number; setValue: (object: number, value: number) => void; heapPerObjectBytes: number }> {
  const server = new SyncServer({ types: [PeerRoot, PeerObject], flush: { mode: variant === 'unbatched' ? 'immediate' : 'adaptive' } });
  const before = heapUsed();
  const tree = server.tree(TREE, PeerRoot);
  const objects = tree.transact(() => Array.from({ length: m }, (_, i) => tree.root.create(PeerObject, initialObject(i))));
  const heapPerObjectBytes = (heapUsed() - before) / m;
  const port = await server.listen(0);
  return { port, setValue: (object, value) => objects[object]?.attrs.value.set(value), heapPerObjectBytes };
}

async function w1(variant: string, m: number, rate: number): Promise<void> {
  const { port, setValue, heapPerObjectBytes } = await serve(variant, m);
  let timer: ReturnType<typeof setInterval> | undefined;
  let made = 0;
  let mark = { made: 0, cpu: process.cpuUsage(), at: performance.now() };
  const ticks = createHistogram();
  let lastTick = 0;
  onCommand((cmd) => {
    if (cmd === 'start') {
      const t0 = performance.now();
      lastTick = t0;
      // Drift-free (as bench/server.ts): each 1 ms tick makes however many mutations are due by now.
      timer = setInterval(() => {
        const at = performance.now();
        ticks.record(Math.max(1, Math.round((at - lastTick) * 1000)));
        lastTick = at;
        const due = Math.floor(((at - t0) * rate) / 1000);
        for (; made < due; made++) setValue(made % m, now());
      }, 1);
    } else if (cmd === 'mark') {
      mark = { made, cpu: process.cpuUsage(), at: performance.now() };
      ticks.reset();
    } else if (cmd === 'stop') {
      clearInterval(timer);
      const cpu = process.cpuUsage(mark.cpu);
      reply({
        type: 'report',
        mutations: made - mark.made,
        seconds: (performance.now() - mark.at) / 1000,
        cpuUs: cpu.user + cpu.system,
        tickP99Ms: ticks.percentile(99) / 1000,
        tickMaxMs: ticks.max / 1000,
        heapPerObjectBytes,
      } satisfies ServerReport & W1ServerExtra);
    }
  });
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
