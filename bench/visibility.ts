/**
 * `npm run bench:visibility`: what per-object visibility costs the server, against the same
 * fan-out without it, in one run.
 *
 * For each case (lib/visibility-model.ts: a floor, unfiltered, 10 groups, visibility on but
 * everything visible, 10 groups with moves) a server process (core 0) holds a tree of 10 folders ×
 * 100 items and makes 1,000 mutations/s, and a load-client process (core 1) holds N socket.io
 * clients in 10 visibility groups (BENCH_MIRRORS of them SyncClients); after a warm-up both
 * measure one window. The server then sends its final tree, and the clients check what they hold against it.
 * Prints a markdown table (server CPU per mutation and its ratio to the unfiltered case, latency,
 * bytes, batches, leaks, final state) and writes it to bench/results/visibility.md.
 *
 * Environment: BENCH_SECONDS (window, default 8), BENCH_N (default 200), BENCH_RATE (default
 * 1000), BENCH_MIRRORS (how many of the N clients are SyncClients with mirrors, default 10; the
 * others speak the protocol by hand: see visibility-clients.ts), BENCH_CASES (default all:
 * floor,unfiltered,groups,all-visible,moves), BENCH_PIN=0 (no taskset), BENCH_PROF=1 (profile the
 * server and the load clients over each window: top self-time frames in the report, profiles in
 * bench/.out/visibility-*.cpuprofile).
 */
import { loadavg } from 'node:os';
import { Child, measureWindow } from './lib/child.js';
import type { Command } from './lib/model.js';
import { PROFILING } from './lib/profile.js';
import { fmt } from './lib/report.js';
import { CASES, CASE_INFO, type Case, type Layout, type VisClientsReport, type VisServerReport } from './lib/visibility-model.js';
import { renderVisibility, type VisFailure, type VisRun } from './lib/visibility-report.js';
import { runMain, writeReport } from './lib/run.js';

const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
const SECONDS = Number(env('BENCH_SECONDS', '8'));
const WARMUP = Math.min(2, Math.max(0.5, SECONDS / 4));
const N = Number(env('BENCH_N', '200'));
const RATE = Number(env('BENCH_RATE', '1000'));
const MIRRORS = Math.min(N, Number(env('BENCH_MIRRORS', '10')));
const CHOSEN = env('BENCH_CASES', CASES.join(',')).split(',');
for (const c of CHOSEN) if (!(CASES as readonly string[]).includes(c)) throw new Error(`unknown case ${c}; one of ${CASES.join(', ')}`);
const cases = CHOSEN as Case[];

const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

type Report<T> = T & { readonly [key: string]: unknown };

async function measure(benchCase: Case): Promise<VisRun> {
  const server = new Child('visibility-server.ts', [benchCase, String(RATE)], 0);
  let clients: Child | undefined;
  try {
    const { port, layout } = await server.next<{ type: 'ready'; port: number; layout: Layout }>('ready');
    clients = new Child('visibility-clients.ts', [`http://127.0.0.1:${port}`, benchCase, String(N), String(MIRRORS), JSON.stringify(layout)], 1);
    await clients.next('ready', 120_000);
    // What is in flight when the server stops arrives (a batch waits up to 16 ms), then the clients check their mirrors against the final tree.
    const window = await measureWindow<Report<VisServerReport>, Report<VisClientsReport>>(server, clients, {
      warmup: WARMUP,
      seconds: SECONDS,
      report: (serverReport) => ({ cmd: 'report', truth: serverReport.truth }) as Command,
    });
    return { case: benchCase, n: N, rate: RATE, server: window.server, clients: window.clients };
  } finally {
    await Promise.all([server.stop(), clients?.stop()]);
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadAtStart = loadavg();
  const runs: VisRun[] = [];
  const failures: VisFailure[] = [];
  for (const c of cases) {
    log(`visibility: ${CASE_INFO[c].label}, N=${N}, ${RATE}/s, ${SECONDS} s ...`);
    const t0 = performance.now();
    try {
      const run = await measure(c);
      runs.push(run);
      log(`  ${fmt(run.server.cpuUs / run.server.mutations)} µs/mutation, p99 ${fmt(run.clients.p99Ms)} ms, ${run.clients.violations} violations, exact ${run.clients.clientsOk}/${N} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`  failed: ${message}`);
      failures.push({ case: c, error: message });
    }
  }
  const text = `${renderVisibility({ runs, failures, n: N, rate: RATE, seconds: SECONDS, warmup: WARMUP, mirrors: MIRRORS, pinned: Child.pinned, profiling: PROFILING, startedAt, loadAtStart }).join('\n')}\n`;
  writeReport('visibility.md', text, log);
}

runMain(main, log);
