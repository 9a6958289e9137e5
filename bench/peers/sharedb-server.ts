/**
 * The ShareDB 7 peer server (bench/peers/model.ts): `sharedb-server.ts w1 <variant> <M> <rate>`,
 * `w2 <variant> <M>`, `w3 <variant> <M>`, `w4 <variant> <M> <rate>` or `w5 <variant> <M> <rate> <groups>`.
 *
 * The backend and the state are sharedb-backend.ts's: one json0 document `state/all` (`doc`) or a
 * document per object (`docs`), built, and W1 mutations submitted, through a server-side
 * `backend.connect()` connection, which is what an application server does; mutation k sets
 * `value` of object k % M to now(). W4 is W1's generator unchanged; W5 is W1's generator on
 * sharedb-w5.ts's state (groups as top-level fields, read through projections); W2 is sharedb-w2.ts.
 * A Doc keeps one op in flight and composes (json0 `compose`) the ops submitted meanwhile into one
 * pending op, ShareDB's default: under load, several mutations travel as one multi-component op.
 *
 * The W1 generator, its tick-gap histogram and the CPU window are bench/lib/load.ts's, as in bench/server.ts. The report
 * adds `heapPerObjectBytes` (heap used after building the state minus before it, both after a full
 * GC, over M: the MemoryDB snapshot, the create op in its op log and the server-side Doc's copy),
 * the ops ShareDB committed (fewer than the mutations when composed), the server heap per connected
 * client (its agent and subscriptions), and, since MemoryDB keeps every op forever, the heap growth
 * from `start` to `stop` (both after a full GC, the latter once the last ops are committed and
 * sent or 1 s passed: outside the CPU window) per mutation.
 */
import { fatal, onCommand, reply, sleep } from '../lib/child.js';
import { Load, heapAfterGc } from '../lib/load.js';
import { now, PEERS, type ServerReport, type W1ServerExtra } from './model.js';
import { build, setUp, storedOps, type Build } from './sharedb-backend.js';
import type { Commands, Variant } from './sharedb-model.js';
import { w2Server } from './sharedb-w2.js';
import { groupsBuild } from './sharedb-w5.js';

/** What this server adds to a W1 report (beyond W1ServerExtra). */
interface ShareDbExtra {
  /** ShareDB ops committed in the window: fewer than `mutations` when a Doc composed pending ops. */
  readonly committedOps: number;
  /** Ops in the MemoryDB op log at `stop` (it is never trimmed). */
  readonly storedOps: number;
  /** GC'd heap at `stop` (once the last ops are committed and sent) minus GC'd heap at `start`: the op log's growth over the run. */
  readonly heapGrowthBytes: number;
  readonly heapGrowthPerMutationBytes: number;
  /** Whether the server-side Doc(s) had nothing pending within 1 s of `stop`: if not, the growth includes the backlog. */
  readonly drained: boolean;
  /** Connected clients at `stop`, and the server heap each took (agent, subscriptions; GC'd heap at `start` minus after building). */
  readonly clients: number;
  readonly heapPerClientBytes: number;
}

/** W1's generator and report, on the state `make` builds (W4 and W5 run it too). */
async function w1(variant: Variant, m: number, rate: number, make: Build = build): Promise<void> {
  const { backend, conn, mutate, port, heapBuilt, heapPerObjectBytes } = await setUp(variant, m, make);
  const load = new Load(rate, (k) => mutate(k % m, now()));
  let ops = storedOps(backend);
  let heapStart = heapBuilt;
  let madeStart = 0;
  commands.handler = async (cmd) => {
    if (cmd === 'start') {
      // The clients are subscribed by now: what they hold on the server is out of the op log's growth.
      heapStart = heapAfterGc();
      madeStart = load.made;
      load.start();
    } else if (cmd === 'mark') {
      ops = storedOps(backend);
      load.mark();
    } else if (cmd === 'stop') {
      const report = load.stop();
      const committedOps = storedOps(backend) - ops;
      // The op log alone: once the last ops are committed and their sends have drained, but no more
      // than a second late (an overloaded server's backlog would take longer, and the clients'
      // window ends 300 ms after this reply).
      const drained = await Promise.race([new Promise<boolean>((resolve) => conn.whenNothingPending(() => resolve(true))), sleep(1_000).then(() => false)]);
      await sleep(200);
      const stored = storedOps(backend);
      const heapGrowthBytes = heapAfterGc() - heapStart;
      const grownOver = load.made - madeStart;
      reply({
        type: 'report',
        ...report,
        heapPerObjectBytes,
        committedOps,
        storedOps: stored,
        heapGrowthBytes,
        heapGrowthPerMutationBytes: grownOver > 0 ? Math.round(heapGrowthBytes / grownOver) : 0,
        drained,
        clients: backend.agentsCount - 1,
        heapPerClientBytes: backend.agentsCount > 1 ? Math.round((heapStart - heapBuilt) / (backend.agentsCount - 1)) : 0,
      } satisfies ServerReport & W1ServerExtra & ShareDbExtra);
    }
  };
  reply({ type: 'ready', port });
}

async function w3(variant: Variant, m: number): Promise<void> {
  const { port, heapPerObjectBytes } = await setUp(variant, m);
  reply({ type: 'ready', port, heapPerObjectBytes });
}

// Commands are taken from the start, so that the process exits with its parent even while it builds.
const commands: Commands = { handler: () => undefined };
onCommand((cmd) => commands.handler(cmd));

const [workload = '', variantArg = '', mArg = '', ...rest] = process.argv.slice(2);
const m = Number(mArg);
const rate = Number(rest[0] ?? '1000');
if (!['w1', 'w2', 'w3', 'w4', 'w5'].includes(workload)) reply({ type: 'unsupported', why: `sharedb-server implements w1 to w5, not ${workload}` });
else if (!(PEERS.sharedb as readonly string[]).includes(variantArg)) fatal(new Error(`unknown variant ${variantArg}; one of ${PEERS.sharedb.join(', ')}`));
else if (!(m > 0)) fatal(new Error(`bad object count ${mArg}`));
else {
  const variant = variantArg as Variant;
  if (workload === 'w2') w2Server(variant, m, commands).catch(fatal);
  else if (workload === 'w3') w3(variant, m).catch(fatal);
  else if (workload === 'w5') w1(variant, m, rate, groupsBuild(Number(rest[1] ?? '10'))).catch(fatal);
  else w1(variant, m, rate).catch(fatal);
}
