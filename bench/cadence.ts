/**
 * `npm run bench:cadence`: what a lower fan-out latency costs, on bench:peers's W1 (M = 1,000
 * objects, N = 200 clients, 1,000 mutations/s). Every batched server writes to each client once
 * per interval, so its p99 follows the interval and its CPU follows the writes; this sweeps the
 * interval for treesync (`every<ms>`: the adaptive flush bounded by `maxDelayMs`, its duty at the
 * floor, so that at 200 clients the bound, not the duty, sets the pace: the table's messages per
 * client show it; with a few clients a flush is so cheap that the duty would pace it) and Colyseus
 * (`patch<ms>`: `patchRate`), with treesync's default flush and ShareDB's one document (which
 * sends as ops come) as fixed points, one server and one load-client process per point, as
 * bench:peers runs them (bench/peers/*-server.ts and -clients.ts, pinned to cores 0 and 1).
 *
 * The report answers the question bench:peers's first target asks of one setting, over all of
 * them: is there a treesync interval whose CPU is below Colyseus's default and whose p99 is below
 * ShareDB's? It gives each system's CPU per client write (net of the mutation generator, measured
 * in the same run) and the CPU any setting would need, at that cost, to write as often as a p99
 * under ShareDB's takes. Writes bench/results/cadence.md and prints it.
 *
 * Environment: CADENCE_POINTS (comma-separated system/variant, default all below), CADENCE_SECONDS
 * (window, default 10, after a quarter of it, at most 2.5 s, of warm-up), CADENCE_N (default 200),
 * CADENCE_OUT (the report's path, default bench/results/cadence.md), CADENCE_FLOOR=0 (skip the
 * generator floor; the report then does not work out what a lower p99 would cost).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child, measureWindow, type Reply } from './lib/child.js';
import { fmt } from './lib/report.js';
import { generatorFloors } from './peers/floor.js';
import { W1, cadenceMs, type ClientsReport, type Peer, type ServerReport } from './peers/model.js';
import { cadenceReport, type CadencePoint } from './peers/report-cadence.js';

const DEFAULT_POINTS = [
  'treesync/every8',
  'treesync/every12',
  'treesync/every16',
  'treesync/every33',
  'treesync/every50',
  'treesync/batched',
  'colyseus/patch8',
  'colyseus/patch16',
  'colyseus/patch33',
  'colyseus/patch50',
  'sharedb/doc',
];
const POINTS = (process.env['CADENCE_POINTS'] ?? DEFAULT_POINTS.join(',')).split(',').filter((p) => p !== '');
const SECONDS = Number(process.env['CADENCE_SECONDS'] ?? 10);
const WARMUP = Math.min(2.5, SECONDS / 4);
const N = Number(process.env['CADENCE_N'] ?? 200);
const RATE = W1.rates[0];
const OUT = process.env['CADENCE_OUT'] ?? fileURLToPath(new URL('results/cadence.md', import.meta.url));
const FLOOR = process.env['CADENCE_FLOOR'] !== '0';
const SYSTEMS: readonly Peer[] = ['treesync', 'colyseus', 'sharedb', 'socketio'];

// Settings are checked before anything runs: a typo fails at once, not after minutes of points.
for (const point of POINTS) {
  if (!SYSTEMS.includes(point.split('/')[0] as Peer) || !point.includes('/')) throw new Error(`CADENCE_POINTS: ${point} is not system/variant with a system of ${SYSTEMS.join(', ')}`);
}
if (!(SECONDS > 0)) throw new Error(`CADENCE_SECONDS: ${String(process.env['CADENCE_SECONDS'])} is not a positive number`);
if (!(Number.isInteger(N) && N > 0)) throw new Error(`CADENCE_N: ${String(process.env['CADENCE_N'])} is not a positive whole number`);

const t0 = Date.now();
const log = (msg: string): void => void process.stderr.write(`[${Math.round((Date.now() - t0) / 1000)} s] ${msg}\n`);
process.on('exit', () => Child.killAll());

/** The interval of a point's variant, when it has a fixed one (cadence variants and Colyseus's default). */
function intervalOf(system: Peer, variant: string): number | undefined {
  return system === 'treesync' || system === 'colyseus' ? cadenceMs(system, variant) : undefined;
}

/** One point: the system's W1 server and load clients, a warm-up, one measured window. */
async function measure(point: string): Promise<CadencePoint> {
  const [system, variant = ''] = point.split('/') as [Peer, string?];
  const base = { system, variant, intervalMs: intervalOf(system, variant) };
  log(`${point}: N=${N}, ${RATE}/s, ${SECONDS} s ...`);
  const server = new Child(`${system}-server.ts`, ['w1', variant, String(W1.objects), String(RATE)], 0, { dir: 'peers/', stdout: 'stderr' });
  let clients: Child | undefined;
  try {
    const ready = await server.next(['ready'], 60_000);
    clients = new Child(`${system}-clients.ts`, ['w1', variant, String(ready['port']), String(N)], 1, { dir: 'peers/', stdout: 'stderr' });
    await clients.next(['ready'], 90_000);
    const run = await measureWindow<ServerReport & Reply, ClientsReport & Reply>(server, clients, { warmup: WARMUP, seconds: SECONDS, serverTimeoutMs: () => 30_000, clientsTimeoutMs: () => 20_000 });
    return { ...base, server: run.server, clients: run.clients };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    log(`  failed: ${why}`);
    return { ...base, failed: why.split('\n')[0] ?? why };
  } finally {
    await Promise.all([server.stop(), clients?.stop()]);
  }
}

const floor = FLOOR ? generatorFloors([RATE], log)[0] : undefined;
const points: CadencePoint[] = [];
for (const point of POINTS) points.push(await measure(point));
const markdown = cadenceReport({ started: new Date(t0), n: N, rate: RATE, objects: W1.objects, seconds: SECONDS, floor, points }).join('\n');
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${markdown}\n`);
process.stdout.write(`${markdown}\n`);
log(`wrote ${OUT} in ${fmt((Date.now() - t0) / 1000)} s`);
process.exit(0);
