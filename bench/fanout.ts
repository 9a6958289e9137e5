/**
 * `npm run bench`: treesync's fan-out against raw socket.io as the floor, in one run.
 *
 * For each N and system, a server process (core 0) makes 1,000 mutations/s and a load-client
 * process (core 1) holds N socket.io-client connections; after a warm-up, both measure one window.
 * Then a join process times joins of a 10,000-object tree, and this process measures the payload
 * of one unbatched set. Prints a markdown table of ratios to the socket.io floors and writes it to
 * bench/results/latest.md.
 *
 * Environment: BENCH_SECONDS (window, default 8), BENCH_N (default "50,200"), BENCH_RATE (default
 * 1000), BENCH_SYSTEMS (default all), BENCH_JOIN_ROUNDS (default 5), BENCH_PIN=0 (no taskset).
 */
import { loadavg } from 'node:os';
import { Child, measureWindow, type Reply } from './lib/child.js';
import { joins } from './lib/join-run.js';
import { SYSTEMS, type ClientsReport, type JoinResult, type ServerReport, type System } from './lib/model.js';
import { render, type FanoutRun } from './lib/report.js';
import { singleSet } from './lib/single-set.js';
import { runMain, writeReport } from './lib/run.js';

const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
const SECONDS = Number(env('BENCH_SECONDS', '8'));
const WARMUP = Math.min(2, Math.max(0.5, SECONDS / 4));
const NS = env('BENCH_N', '50,200').split(',').map(Number);
const RATE = Number(env('BENCH_RATE', '1000'));
const JOIN_ROUNDS = Number(env('BENCH_JOIN_ROUNDS', '5'));
const CHOSEN = env('BENCH_SYSTEMS', SYSTEMS.join(',')).split(',');
for (const s of CHOSEN) if (!(SYSTEMS as readonly string[]).includes(s)) throw new Error(`unknown system ${s}; one of ${SYSTEMS.join(', ')}`);
const systems = CHOSEN as System[];

const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

async function fanout(system: System, n: number): Promise<FanoutRun> {
  const server = new Child('server.ts', [system, String(RATE)], 0);
  let clients: Child | undefined;
  try {
    const { port } = await server.next<{ type: 'ready'; port: number }>('ready');
    clients = new Child('clients.ts', [`http://127.0.0.1:${port}`, system, String(n)], 1);
    await clients.next('ready');
    // What is in flight when the server stops arrives before the clients report (the 50 ms floor holds up to a batch).
    const window = await measureWindow<ServerReport & Reply, ClientsReport & Reply>(server, clients, { warmup: WARMUP, seconds: SECONDS });
    return { system, n, rate: RATE, server: window.server, clients: window.clients };
  } finally {
    await Promise.all([server.stop(), clients?.stop()]);
  }
}

async function main(): Promise<void> {
  const loadAtStart = loadavg();
  const runs: FanoutRun[] = [];
  for (const n of NS) {
    for (const system of systems) {
      // The generator's own cost does not depend on N: measure it once.
      if (system === 'noop' && n !== NS[0]) continue;
      log(`fan-out: ${system}, N=${n}, ${RATE}/s, ${SECONDS} s ...`);
      try {
        runs.push(await fanout(system, n));
      } catch (error) {
        log(`  failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  log('join: 10,000 objects ...');
  const joined = await joins(JOIN_ROUNDS).catch((error: unknown): JoinResult[] => {
    log(`  failed: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  });
  log('single set ...');
  const single = await singleSet(7).catch((error: unknown) => `failed: ${error instanceof Error ? error.message : String(error)}`);
  const text = `${render({ runs, joins: joined, single, seconds: SECONDS, warmup: WARMUP, pinned: Child.pinned, loadAtStart }).join('\n')}\n`;
  writeReport('latest.md', text, log);
}

runMain(main, log);
