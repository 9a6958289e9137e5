/**
 * `npm run bench:peers`: treesync against Colyseus, ShareDB and raw socket.io on the shared model
 * of bench/peers/model.ts, in one bounded run.
 *
 * For each system with both scripts present (bench/peers/<system>-server.ts and -clients.ts),
 * every variant, a server process (core 0) and a load-client process (core 1) per row:
 * - W1 fan-out, M=1,000 objects, N ∈ {50, 200} clients, 1,000 mutations/s (and 5,000 unless
 *   quick): after a warm-up both measure one window; the rows the targets read (N=200, 1,000/s)
 *   run three times, each with fresh processes, and the median run by server CPU stands;
 * - W3 join of M=10,000 objects (and 100,000 unless quick), 1 and 50 clients at once;
 * - W2 client writes: 20 writers, 10 writes/s each, every 20th refused by the server;
 * - W4 reconnect: 50 clients drop at once under 1,000 mutations/s and come back;
 * - W5 filtered views: W1 at N=200, 1,000/s, each client seeing one group of 10.
 * A script answering `unsupported` skips that row, a failing or silent one fails it (every wait
 * is bounded and the children are killed), and the run goes on. Rows run in the order that
 * matters most: W1 at 1,000/s, W3, W2, W4, W5, then W1 at 5,000/s (N=200 first); a row that would
 * pass the time budget is not run, and a join row whose time, extrapolated from the smaller M,
 * passes its cap (60 s at 10,000 objects, 90 s at 100,000) or would eat the time W2, W4 and W5
 * need is not run either: the report says which and why.
 * Writes bench/results/peers.md and bench/results/peers.svg.
 *
 * Environment: PEERS_SECONDS (W1 and W5 window, default 10 as the issue's workloads say; 2 when quick; after a warm-up of a quarter of it, at most 2.5 s, so that both sides are past their JIT and join garbage), PEERS_QUICK=1 (a short
 * run of everything: 1,000/s only, smaller joins, W2 for 3 s, W4 offline 2 s), PEERS_SYSTEMS
 * (default all: treesync,colyseus,sharedb,socketio), PEERS_WORKLOADS (default w1,w2,w3,w4,w5),
 * PEERS_BUDGET_SECONDS (the whole run, default 1800), PEERS_REPEATS (runs of each W1 row at N=200,
 * 1,000/s, whose median by CPU stands for the row: default 3, 1 when quick), PEERS_MIRRORS (treesync SyncClient mirrors
 * among the W1 clients; default 20 batched and paced, 0 unbatched), BENCH_PIN=0 (no taskset).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Child, measureWindow, type Reply } from './lib/child.js';
import { FANOUT_ONLY, PEERS, W1, W2, W3, W4, W5, median, type ClientsReport, type JoinReport, type Peer, type ServerReport, type W1ServerExtra, type W2Report, type W4Report, type W5ClientsExtra } from './peers/model.js';
import { fmt } from './lib/report.js';
import { RESULTS_DIR, runMain } from './lib/run.js';
import { isTargetRow, renderMarkdown, renderSvg, w1Figures, type Status, type SystemStatus, type W1Run, type W3Run } from './peers/report.js';
import { generatorFloors } from './peers/floor.js';
import type { W2Run, W4Run, W5Run } from './peers/report-workloads.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
const QUICK = env('PEERS_QUICK', '0') === '1';
const SECONDS = Number(env('PEERS_SECONDS', QUICK ? '2' : '10'));
const WARMUP = Math.min(2.5, Math.max(0.5, SECONDS / 4));
const BUDGET_MS = Number(env('PEERS_BUDGET_SECONDS', '1800')) * 1000;
const RATES = QUICK ? [W1.rates[0]] : [...W1.rates];
const JOIN_OBJECTS = QUICK ? [W3.objects[0]] : [...W3.objects];
/** W2 seconds of writing and W4 seconds offline (shorter when quick). */
const W2_SECONDS = QUICK ? 3 : W2.seconds;
const W4_OFFLINE = QUICK ? 2 : W4.offlineSeconds;
/** How many times the W1 rows the targets read (N=200, 1,000/s) run (see w1Repeated). */
const REPEATS = Number(env('PEERS_REPEATS', QUICK ? '1' : '3'));
/** Timed join rounds by M and parallel clients (each script adds an untimed warm-up round); for 50 at once at 10,000 objects, the least (see parallelRounds). */
const joinRounds = (objects: number, parallel: number): number => (parallel > 1 ? (objects > 10_000 ? 1 : 2) : QUICK || objects > 10_000 ? 3 : 5);
/** About how long the timed rounds of 50 joins at 10,000 objects may take together. */
const PARALLEL_ROUNDS_MS = 10_000;

/**
 * Timed rounds of `parallel` joins at 10,000 objects: as many as fit in PARALLEL_ROUNDS_MS, judged
 * from the one-client join (its median × parallel), between `least` and 5. The fast systems, whose
 * figures are close and swing by a third between runs, get the median of up to 5 rounds; a system
 * whose round takes 10 s keeps `least`.
 */
function parallelRounds(single: W3Row | undefined, parallel: number, least: number): number {
  const ms = single?.status === 'ok' ? single.results?.[0]?.ms : undefined;
  if (ms === undefined || ms.length === 0) return least;
  return Math.max(least, Math.min(5, Math.floor(PARALLEL_ROUNDS_MS / (median(ms) * parallel))));
}
/** treesync first, then its peers, then the floor: what the budget cuts is the least needed. */
const SYSTEMS: readonly Peer[] = ['treesync', 'colyseus', 'sharedb', 'socketio'];
const WORKLOADS = ['w1', 'w2', 'w3', 'w4', 'w5'] as const;
const list = (name: string, all: readonly string[]): string[] => {
  const chosen = env(name, all.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const s of chosen) if (!all.includes(s)) throw new Error(`${name}: unknown ${s}; one of ${all.join(', ')}`);
  return chosen;
};
const CHOSEN = list('PEERS_SYSTEMS', SYSTEMS);
const RUN = new Set(list('PEERS_WORKLOADS', WORKLOADS));

const t0 = Date.now();
const log = (msg: string): void => void process.stderr.write(`[${Math.round((Date.now() - t0) / 1000)} s] ${msg}\n`);
const left = (): number => BUDGET_MS - (Date.now() - t0);
/** A wait of at most `ms`, and never past the budget (plus a little, for the report). */
const bounded = (ms: number): number => Math.max(1_000, Math.min(ms, left() + 5_000));
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const firstLine = (s: string): string => s.split('\n')[0] ?? s;
const n0 = (x: number): string => x.toLocaleString('en-US');

/** A child of one system's script: its stdout goes to stderr, with the progress (stdout carries the report). */
const peerChild = (script: string, args: readonly string[], cpu: number): Child => new Child(script, args, cpu, { dir: 'peers/', stdout: 'stderr' });

const killAll = (): void => Child.killAll();
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

type ServerW1 = ServerReport & W1ServerExtra & Reply;
type ClientsW1 = ClientsReport & Reply;

/** How a row of a server and a load-client process came out: measured (with what `body` returned), or why not. */
type Ran<T> = ({ readonly status: 'ok' } & T) | { readonly status: Exclude<Status, 'ok'>; readonly why: string };

/** Rough wall seconds of one row by workload, beyond its measured seconds: start-up, joins, reports. */
const need = { w1: SECONDS + WARMUP + 10, w2: W2_SECONDS + 15, w4: W4_OFFLINE + 20, w5: SECONDS + WARMUP + 10 } as const;

/**
 * One row: the system's server with `serverArgs` until `ready` (its port), then its load clients
 * with `clientArgs(port)` until `ready`; then `body` measures. `unsupported` from either skips the
 * row; a failure or a timeout fails it; both children are stopped in the end.
 */
async function pair<T extends object>(label: string, system: Peer, seconds: number, serverArgs: readonly string[], clientArgs: (port: string) => string[], body: (server: Child, clients: Child) => Promise<T>): Promise<Ran<T>> {
  if (left() < seconds * 1000) return { status: 'not run', why: 'time budget (PEERS_BUDGET_SECONDS)' };
  log(`${label} ...`);
  const server = peerChild(`${system}-server.ts`, serverArgs, 0);
  let clients: Child | undefined;
  try {
    const ready = await server.next(['ready', 'unsupported'], bounded(60_000));
    if (ready.type === 'unsupported') return { status: 'unsupported', why: String(ready['why']) };
    clients = peerChild(`${system}-clients.ts`, clientArgs(String(ready['port'])), 1);
    const joined = await clients.next(['ready', 'unsupported'], bounded(90_000));
    if (joined.type === 'unsupported') return { status: 'unsupported', why: String(joined['why']) };
    return { status: 'ok', ...(await body(server, clients)) };
  } catch (error) {
    log(`  failed: ${message(error)}`);
    return { status: 'failed', why: firstLine(message(error)) };
  } finally {
    await Promise.all([server.stop(), clients?.stop()]);
  }
}

/** A fan-out window (W1, W5): warm-up, then one window measured on both sides. */
async function window<C extends Reply>(server: Child, clients: Child): Promise<{ server: ServerW1; clients: C }> {
  // What is in flight when the server stops (a 50 ms batch, a patch interval) arrives before the clients report.
  return measureWindow<ServerW1, C>(server, clients, { warmup: WARMUP, seconds: SECONDS, serverTimeoutMs: () => bounded(30_000), clientsTimeoutMs: () => bounded(20_000) });
}

async function w1(system: Peer, variant: string, n: number, rate: number, run = ''): Promise<W1Run> {
  const args = (port: string): string[] => ['w1', variant, port, String(n)];
  const ran = await pair(`W1 ${system}/${variant}: N=${n}, ${rate}/s, ${SECONDS} s${run}`, system, need.w1, ['w1', variant, String(W1.objects), String(rate)], args, (s, c) => window<ClientsW1>(s, c));
  return { system, variant, n, rate, ...ran };
}

/**
 * A W1 row the targets read (N=200, 1,000/s), run REPEATS times, each with fresh processes: the run
 * with the median server CPU per mutation stands for the row, and its notes list every run's CPU
 * and p99. A single 10 s window on this 2-core VM swings by 15-20% with the host's load, as much as
 * the margins the targets decide; a row that is not measured (unsupported, failed) is not repeated.
 */
async function w1Repeated(system: Peer, variant: string, n: number, rate: number): Promise<W1Run> {
  const runs: W1Run[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const run = await w1(system, variant, n, rate, REPEATS > 1 ? ` (run ${i + 1} of ${REPEATS})` : '');
    runs.push(run);
    if (run.status !== 'ok') break;
  }
  const measured = runs.flatMap((run) => {
    const f = w1Figures(run);
    return f === undefined ? [] : [{ run, cpuUsPerMutation: f.cpuUsPerMutation, p99Ms: f.p99Ms }];
  });
  if (measured.length === 0) return runs[runs.length - 1] as W1Run;
  const byCpu = [...measured].sort((a, b) => a.cpuUsPerMutation - b.cpuUsPerMutation);
  const middle = byCpu[Math.floor((byCpu.length - 1) / 2)] as (typeof byCpu)[number];
  return { ...middle.run, repeats: measured.map(({ cpuUsPerMutation, p99Ms }) => ({ cpuUsPerMutation, p99Ms })) };
}

async function w2(system: Peer, variant: string): Promise<W2Run> {
  const sizes = { writers: W2.writers, perSecond: W2.perSecond, seconds: W2_SECONDS };
  const args = (port: string): string[] => ['w2', variant, port, String(sizes.writers), String(sizes.perSecond), String(sizes.seconds)];
  const ran = await pair(`W2 ${system}/${variant}: ${sizes.writers} writers × ${sizes.perSecond}/s, ${sizes.seconds} s`, system, need.w2, ['w2', variant, String(W2.objects)], args, async (server, clients) => {
    server.send({ cmd: 'mark' });
    clients.send({ cmd: 'start' });
    const report = await clients.next<W2Report & Reply>('report', bounded((sizes.seconds + 15) * 1000));
    server.send({ cmd: 'stop' });
    return { clients: report, server: await server.next<ServerReport & Reply>('report', bounded(15_000)) };
  });
  return { system, variant, ...sizes, ...ran };
}

async function w4(system: Peer, variant: string): Promise<W4Run> {
  const args = (port: string): string[] => ['w4', variant, port, String(W4.clients), String(W4_OFFLINE)];
  const label = `W4 ${system}/${variant}: ${W4.clients} clients away ${W4_OFFLINE} s under ${W4.rate}/s`;
  const ran = await pair(label, system, need.w4, ['w4', variant, String(W4.objects), String(W4.rate)], args, async (server, clients) => {
    server.send({ cmd: 'start' });
    server.send({ cmd: 'mark' });
    clients.send({ cmd: 'start' });
    const report = await clients.next<W4Report & Reply>('report', bounded(45_000));
    server.send({ cmd: 'stop' });
    return { clients: report, server: await server.next<ServerReport & Reply>('report', bounded(15_000)) };
  });
  return { system, variant, n: W4.clients, offlineSeconds: W4_OFFLINE, ...ran };
}

async function w5(system: Peer, variant: string): Promise<W5Run> {
  const args = (port: string): string[] => ['w5', variant, port, String(W5.clients), String(W5.groups)];
  const label = `W5 ${system}/${variant}: N=${W5.clients} in ${W5.groups} groups, ${W5.rate}/s, ${SECONDS} s`;
  const ran = await pair(label, system, need.w5, ['w5', variant, String(W5.objects), String(W5.rate), String(W5.groups)], args, (s, c) => window<ClientsW1 & W5ClientsExtra>(s, c));
  return { system, variant, n: W5.clients, rate: W5.rate, groups: W5.groups, ...ran };
}

/**
 * The longest one W3 client process may take, by M: a join row that would take longer is not run.
 * At 10,000 objects a process runs a warm-up and 2-5 timed rounds of 50 joins (parallelRounds): 60 s leaves
 * room for a peer whose round takes 10-15 s on a busy machine (Colyseus's did).
 */
const joinCapMs = (objects: number): number => (objects > 10_000 ? 90_000 : 60_000);

/** What the rows after the joins need (W2, W4, W5), in ms: the joins leave it to them. */
let reservedMs = 0;
/** What the joins may spend, in ms. */
const joinsLeft = (): number => left() - reservedMs;
/** One W3 row, with the wall time its client process took (to extrapolate to a larger M). */
type W3Row = W3Run & { readonly wallSeconds?: number };

/**
 * The W3 rows of one system's variant at M objects: one server, a client process per `parallel`.
 * `earlier` are the rows at smaller M: a parallel that failed there is not tried again with more
 * objects, nor one whose time, extrapolated in proportion to M, would pass its cap or the budget.
 */
async function w3(system: Peer, variant: string, objects: number, earlier: readonly W3Row[]): Promise<W3Row[]> {
  const rows = (status: W3Run['status'], why: string): W3Row[] => W3.parallel.map((parallel) => ({ system, variant, objects, parallel, rounds: 0, status, why }));
  const before = earlier.filter((r) => r.system === system && r.variant === variant && r.objects < objects);
  const unsupported = before.find((r) => r.status === 'unsupported');
  if (unsupported !== undefined) return rows('unsupported', unsupported.why ?? '');
  /** Why this parallel is not tried at this M, if it is not. */
  const skip = (parallel: number, rounds: number): string | undefined => {
    const smaller = before.filter((r) => r.parallel === parallel).sort((a, b) => b.objects - a.objects)[0];
    if (smaller === undefined) return joinsLeft() < 10_000 ? 'time budget (PEERS_BUDGET_SECONDS)' : undefined;
    if (smaller.status === 'failed' || smaller.status === 'not run') return `${smaller.status === 'failed' ? 'failed' : 'not run'} with ${n0(smaller.objects)} objects: ${smaller.why ?? ''}`;
    if (smaller.wallSeconds === undefined) return undefined;
    const estimate = (smaller.wallSeconds / (smaller.rounds + 1)) * (objects / smaller.objects) * (rounds + 1) * 1000;
    const limit = Math.min(joinCapMs(objects), joinsLeft() - 5_000);
    if (estimate <= limit) return undefined;
    const extrapolated = `~${Math.round(estimate / 1000)} s, extrapolated from ${n0(smaller.objects)} objects (${fmt(smaller.wallSeconds)} s)`;
    return limit < joinCapMs(objects)
      ? `time budget: ${extrapolated}, ${Math.max(0, Math.round(joinsLeft() / 1000))} s left for joins`
      : `${extrapolated}: over the ${joinCapMs(objects) / 1000} s a join row may take`;
  };
  const plan = W3.parallel.map((parallel) => {
    const rounds = joinRounds(objects, parallel);
    return { parallel, rounds, skip: skip(parallel, rounds) };
  });
  if (plan.every((p) => p.skip !== undefined)) return plan.map((p) => ({ system, variant, objects, parallel: p.parallel, rounds: 0, status: 'not run', why: p.skip ?? '' }));
  log(`W3 ${system}/${variant}: M=${objects} ...`);
  const server = peerChild(`${system}-server.ts`, ['w3', variant, String(objects)], 0);
  try {
    const ready = await server.next(['ready', 'unsupported'], bounded(Math.min(objects > 10_000 ? 120_000 : 60_000, Math.max(10_000, joinsLeft()))));
    if (ready.type === 'unsupported') return rows('unsupported', String(ready['why']));
    const heap = ready['heapPerObjectBytes'];
    const heapPerObjectBytes = typeof heap === 'number' ? { heapPerObjectBytes: heap } : {};
    const out: W3Row[] = [];
    for (const { parallel, rounds: least, skip: planned } of plan) {
      const rounds = parallel > 1 && objects <= 10_000 ? parallelRounds(out.find((r) => r.parallel === 1), parallel, least) : least;
      const base = { system, variant, objects, parallel, rounds, ...heapPerObjectBytes };
      const why = planned ?? skip(parallel, rounds);
      if (why !== undefined) {
        out.push({ ...base, status: 'not run', why });
        continue;
      }
      log(`  ${parallel} at once, ${rounds} rounds ...`);
      const started = Date.now();
      const clients = peerChild(`${system}-clients.ts`, ['w3', variant, String(ready['port']), String(parallel), String(rounds)], 1);
      try {
        const report = await clients.next(['report', 'unsupported'], bounded(Math.min(joinCapMs(objects), joinsLeft())));
        const wallSeconds = (Date.now() - started) / 1000;
        if (report.type === 'unsupported') out.push({ ...base, status: 'unsupported', why: String(report['why']) });
        else out.push({ ...base, status: 'ok', results: (report as JoinReport & Reply).results, wallSeconds });
      } catch (error) {
        log(`  failed: ${message(error)}`);
        out.push({ ...base, status: 'failed', why: firstLine(message(error)) });
      } finally {
        await clients.stop();
      }
    }
    return out;
  } catch (error) {
    log(`  failed: ${message(error)}`);
    return rows('failed', firstLine(message(error)));
  } finally {
    await server.stop();
  }
}

function version(name: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(`${ROOT}node_modules/${name}/package.json`, 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

/** The variants of a system a workload runs: W1 all of them, the others all but the fan-out-only ones. */
function variantsOf(system: Peer, fanout: boolean): readonly string[] {
  return PEERS[system].filter((variant) => fanout || !FANOUT_ONLY.has(`${system}/${variant}`));
}

/** Each chosen system's every variant (that the workload runs: `fanout` for W1), in order: the row `run` makes of it. */
async function each<R>(systems: readonly Peer[], run: (system: Peer, variant: string) => Promise<R>, fanout = false): Promise<R[]> {
  const out: R[] = [];
  for (const system of systems) for (const variant of variantsOf(system, fanout)) out.push(await run(system, variant));
  return out;
}

async function main(): Promise<void> {
  const started = new Date();
  const loadBefore = loadavg();
  const systems: SystemStatus[] = SYSTEMS.map((system) => {
    if (!CHOSEN.includes(system)) return { system, ran: false, why: 'not chosen (PEERS_SYSTEMS)' };
    const missing = ['server', 'clients'].filter((part) => !existsSync(new URL(`peers/${system}-${part}.ts`, import.meta.url)));
    if (missing.length > 0) return { system, ran: false, why: `scripts missing: ${missing.map((p) => `bench/peers/${system}-${p}.ts`).join(', ')}` };
    return { system, ran: true };
  });
  for (const s of systems) if (!s.ran) log(`${s.system}: skipped, ${s.why ?? ''}`);
  const present = systems.filter((s) => s.ran).map((s) => s.system);
  const variants = present.reduce((n, system) => n + variantsOf(system, false).length, 0);

  const w1Runs: W1Run[] = [];
  const w3Runs: W3Row[] = [];
  const fanout = async (rate: number, ns: readonly number[]): Promise<void> => {
    for (const n of ns) w1Runs.push(...(await each(present, (system, variant) => (isTargetRow({ n, rate }) ? w1Repeated : w1)(system, variant, n, rate), true)));
  };
  // The rows the targets read first (W1 at 1,000/s), then the joins, leaving time for W2, W4 and
  // W5, then those, then the heavier rate, N=200 first: what the budget cuts comes last.
  const [first, ...more] = RATES;
  const floors = RUN.has('w1') ? generatorFloors(RATES, log) : [];
  if (RUN.has('w1') && first !== undefined) await fanout(first, W1.clients);
  reservedMs = (['w2', 'w4', 'w5'] as const).reduce((ms, w) => ms + (RUN.has(w) ? need[w] * variants * 1000 : 0), 0);
  if (RUN.has('w3')) for (const objects of JOIN_OBJECTS) w3Runs.push(...(await each(present, (system, variant) => w3(system, variant, objects, w3Runs))).flat());
  reservedMs = 0;
  const w2Runs = RUN.has('w2') ? await each(present, w2) : [];
  const w4Runs = RUN.has('w4') ? await each(present, w4) : [];
  const w5Runs = RUN.has('w5') ? await each(present, w5) : [];
  if (RUN.has('w1')) for (const rate of more) await fanout(rate, [...W1.clients].reverse());

  const cpu = cpus();
  const all = [...w1Runs, ...w3Runs, ...w2Runs, ...w4Runs, ...w5Runs];
  const input = {
    started,
    elapsedSeconds: (Date.now() - t0) / 1000,
    quick: QUICK,
    seconds: SECONDS,
    warmup: WARMUP,
    pinned: Child.pinned,
    cpu: `${cpu[0]?.model.trim() ?? 'unknown CPU'} × ${cpu.length}`,
    loadBefore,
    loadAfter: loadavg(),
    versions: Object.fromEntries(
      ['socket.io', '@colyseus/core', '@colyseus/schema', 'sharedb'].flatMap((name) => {
        const v = version(name);
        return v === undefined ? [] : [[name, v]];
      }),
    ),
    systems: systems.map((s) => {
      if (!s.ran) return s;
      const rows = all.filter((r) => r.system === s.system);
      // A system whose every row answered `unsupported` or failed is reported as skipped.
      if (rows.length > 0 && rows.every((r) => r.status === 'unsupported')) return { system: s.system, ran: false, why: `every workload answered unsupported (${rows[0]?.why ?? ''})` };
      if (rows.length > 0 && rows.every((r) => r.status === 'failed')) return { system: s.system, ran: false, why: `every row failed (${rows[0]?.why ?? ''})` };
      return s;
    }),
    workloads: [...RUN],
    w1: w1Runs,
    w2: w2Runs,
    w3: w3Runs,
    w4: w4Runs,
    w5: w5Runs,
    objects: W1.objects,
    floors,
  };
  const md = renderMarkdown(input);
  const svg = renderSvg(input);
  const dir = RESULTS_DIR;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}peers.md`, svg === undefined ? md.replace(/ · !\[[^\]]*\]\(peers\.svg\)/, ' · no chart: nothing measured at N=200, 1,000/s') : md);
  if (svg !== undefined) writeFileSync(`${dir}peers.svg`, svg);
  process.stdout.write(md);
  log(`written to ${dir}peers.md${svg === undefined ? '' : ' and peers.svg'} (${Math.round((Date.now() - t0) / 1000)} s)`);
}

// The last guard: whatever hangs, the run ends.
setTimeout(() => {
  log('peers: over the time budget by a minute; killing the children');
  killAll();
  process.exit(1);
}, BUDGET_MS + 60_000).unref();

runMain(main, log);
