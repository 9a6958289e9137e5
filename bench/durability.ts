/**
 * `npm run bench:durability`: what durability costs treesync, in one run.
 *
 * 1. Acked mutations: for each store (none, MemoryStore, SqliteStore in a temporary file), a
 *    server process (core 0) and a load-client process (core 1) with K clients keeping W
 *    proposals of `votes.add(1)` in flight each; after a warm-up both measure one window. If
 *    SQLite stays under 20,000 acks/s, larger K/W are tried and the best is reported, along with
 *    the memory store at that K/W.
 * 2. Catch-up: a SQLite-backed server holding 10,000 objects; a client joins, disconnects, the
 *    server sets 100 distinct objects, and the client catches up (join with since + epoch) or
 *    rejoins in full; once with the default log window and once with `logWindow: 50`, so that the
 *    missed scribes come from the store.
 * Prints markdown tables and writes them to bench/results/durability.md.
 *
 * Environment: BENCH_SECONDS (window, default 5), BENCH_K (default 20), BENCH_W (default 8),
 * BENCH_ESCALATE (KxW pairs tried when SQLite is under target, default "20x32,50x32"),
 * BENCH_ROUNDS (catch-up rounds, default 5), BENCH_PIN=0 (no taskset), BENCH_PROF=1 (CPU
 * profiles of the load servers' windows in bench/.out/, top functions printed to stderr).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Child, sleep } from './lib/child.js';
import type { CatchupRound, LoadClientsReport, LoadServerReport, StoreKind } from './lib/durability-model.js';
import { ackRate, renderDurability, type CatchupRun, type LoadRun } from './lib/durability-report.js';
import { runMain, writeReport } from './lib/run.js';

const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
const SECONDS = Number(env('BENCH_SECONDS', '5'));
const WARMUP = Math.min(1.5, Math.max(0.5, SECONDS / 4));
const K = Number(env('BENCH_K', '20'));
const W = Number(env('BENCH_W', '8'));
const ESCALATE = env('BENCH_ESCALATE', '20x32,50x32')
  .split(',')
  .filter((s) => s.length > 0)
  .map((s) => s.split('x').map(Number) as [number, number]);
const ROUNDS = Number(env('BENCH_ROUNDS', '5'));
const TARGET_RATE = 20_000;

const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

/** Busy and total CPU time of cores 0 and 1 so far (ms), to see what else ran on them in a window. */
function coreTimes(): { busy: number; total: number }[] {
  return cpus()
    .slice(0, 2)
    .map(({ times: t }) => ({ busy: t.user + t.nice + t.sys + t.irq, total: t.user + t.nice + t.sys + t.irq + t.idle }));
}

async function load(dir: string, store: StoreKind, k: number, w: number): Promise<LoadRun> {
  const server = new Child('durability-server.ts', ['load', store, String(k), join(dir, `load-${store}-${k}x${w}.db`)], 0);
  let clients: Child | undefined;
  try {
    const { port } = await server.next<{ type: 'ready'; port: number }>('ready');
    clients = new Child('durability-clients.ts', [`http://127.0.0.1:${port}`, String(k), String(w)], 1);
    await clients.next('ready');
    clients.send({ cmd: 'start' });
    await sleep(WARMUP * 1000);
    server.send({ cmd: 'mark' });
    clients.send({ cmd: 'mark' });
    const before = coreTimes();
    await sleep(SECONDS * 1000);
    clients.send({ cmd: 'report' });
    server.send({ cmd: 'stop' });
    const coreBusy = coreTimes().map((t, i) => (t.busy - (before[i]?.busy ?? 0)) / Math.max(1, t.total - (before[i]?.total ?? 0)));
    const [serverReport, clientsReport] = await Promise.all([
      server.next<LoadServerReport & { readonly [key: string]: unknown }>('report'),
      clients.next<LoadClientsReport & { readonly [key: string]: unknown }>('report'),
    ]);
    if (serverReport.profile !== undefined) log(`  profile of the ${store} server's window (self time):\n${serverReport.profile.map((l) => `    ${l}`).join('\n')}`);
    return { store, k, w, server: serverReport, clients: clientsReport, coreBusy };
  } finally {
    await Promise.all([server.stop(), clients?.stop()]);
  }
}

async function catchup(dir: string, label: string, logWindow: number): Promise<CatchupRun> {
  const server = new Child('durability-server.ts', ['catchup', join(dir, `catchup-${logWindow}.db`), String(logWindow)], 0);
  let client: Child | undefined;
  try {
    const { port } = await server.next<{ type: 'ready'; port: number }>('ready', 60_000);
    client = new Child('durability-catchup.ts', [`http://127.0.0.1:${port}`], 1);
    await client.next('ready');
    const rounds: CatchupRound[] = [];
    // Round 0 warms both processes up and is not reported.
    for (let i = 0; i <= ROUNDS; i++) {
      client.send({ cmd: 'start' });
      await client.next('left');
      server.send({ cmd: 'start' });
      const { seq } = await server.next<{ type: 'updated'; seq: number }>('updated');
      client.send({ cmd: 'mark' });
      const { round } = await client.next<{ type: 'round'; round: CatchupRound }>('round');
      if (round.catchup.seq !== seq || round.full.seq !== seq) throw new Error(`caught up to seq ${round.catchup.seq} (full rejoin ${round.full.seq}), the server is at ${seq}`);
      if (i > 0) rounds.push(round);
    }
    return { label, logWindow, rounds };
  } finally {
    await Promise.all([server.stop(), client?.stop()]);
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadAtStart = loadavg();
  const dir = mkdtempSync(join(tmpdir(), 'treesync-bench-durability-'));
  const runs: LoadRun[] = [];
  const catchups: CatchupRun[] = [];
  const failures: string[] = [];
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    log(`${what} ...`);
    try {
      return await fn();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`  failed: ${message}`);
      failures.push(`${what}: ${message.split('\n')[0] ?? ''}`);
      return undefined;
    }
  };
  try {
    for (const store of ['none', 'memory', 'sqlite'] as const) {
      const run = await attempt(`acked mutations: ${store} store, K=${K}, W=${W}, ${SECONDS} s`, () => load(dir, store, K, W));
      if (run !== undefined) runs.push(run);
    }
    const sqliteRate = (): number => Math.max(0, ...runs.filter((r) => r.store === 'sqlite').map(ackRate));
    for (const [k, w] of ESCALATE) {
      if (sqliteRate() >= TARGET_RATE) break;
      const run = await attempt(`acked mutations: sqlite store, K=${k}, W=${w} (under ${TARGET_RATE}/s so far)`, () => load(dir, 'sqlite', k, w));
      if (run !== undefined) runs.push(run);
    }
    const best = runs.filter((r) => r.store === 'sqlite').reduce<LoadRun | undefined>((b, r) => (b === undefined || ackRate(r) > ackRate(b) ? r : b), undefined);
    if (best !== undefined && (best.k !== K || best.w !== W)) {
      const run = await attempt(`acked mutations: memory store at the best SQLite K=${best.k}, W=${best.w}`, () => load(dir, 'memory', best.k, best.w));
      if (run !== undefined) runs.push(run);
    }
    for (const [label, window] of [
      ['SQLite store, log window 10,000 (missed scribes from memory)', 10_000],
      ['SQLite store, log window 50 (missed scribes from SQLite)', 50],
    ] as const) {
      const run = await attempt(`catch-up: ${label}, ${ROUNDS} rounds`, () => catchup(dir, label, window));
      if (run !== undefined) catchups.push(run);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const text = `${renderDurability({ runs, catchups, failures, seconds: SECONDS, warmup: WARMUP, pinned: Child.pinned, loadAtStart, startedAt }).join('\n')}\n`;
  writeReport('durability.md', text, log);
}

runMain(main, log);
