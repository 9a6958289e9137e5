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
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Child } from './lib/child.js';
import { ackRate, renderDurability, type CatchupRun, type LoadRun } from './lib/durability-report.js';
import { catchup, load } from './lib/durability-run.js';
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
  /** Keeps a load run, first printing its server's profile (BENCH_PROF=1). */
  const keep = (run: LoadRun): void => {
    const profile = run.server.profile;
    if (profile !== undefined) log(`  profile of the ${run.store} server's window (self time):\n${profile.map((l) => `    ${l}`).join('\n')}`);
    runs.push(run);
  };
  try {
    for (const store of ['none', 'memory', 'sqlite'] as const) {
      const run = await attempt(`acked mutations: ${store} store, K=${K}, W=${W}, ${SECONDS} s`, () => load(dir, store, K, W, { warmup: WARMUP, seconds: SECONDS }));
      if (run !== undefined) keep(run);
    }
    const sqliteRate = (): number => Math.max(0, ...runs.filter((r) => r.store === 'sqlite').map(ackRate));
    for (const [k, w] of ESCALATE) {
      if (sqliteRate() >= TARGET_RATE) break;
      const run = await attempt(`acked mutations: sqlite store, K=${k}, W=${w} (under ${TARGET_RATE}/s so far)`, () => load(dir, 'sqlite', k, w, { warmup: WARMUP, seconds: SECONDS }));
      if (run !== undefined) keep(run);
    }
    const best = runs.filter((r) => r.store === 'sqlite').reduce<LoadRun | undefined>((b, r) => (b === undefined || ackRate(r) > ackRate(b) ? r : b), undefined);
    if (best !== undefined && (best.k !== K || best.w !== W)) {
      const run = await attempt(`acked mutations: memory store at the best SQLite K=${best.k}, W=${best.w}`, () => load(dir, 'memory', best.k, best.w, { warmup: WARMUP, seconds: SECONDS }));
      if (run !== undefined) keep(run);
    }
    for (const [label, window] of [
      ['SQLite store, log window 10,000 (missed scribes from memory)', 10_000],
      ['SQLite store, log window 50 (missed scribes from SQLite)', 50],
    ] as const) {
      const run = await attempt(`catch-up: ${label}, ${ROUNDS} rounds`, () => catchup(dir, label, window, ROUNDS));
      if (run !== undefined) catchups.push(run);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const text = `${renderDurability({ runs, catchups, failures, seconds: SECONDS, warmup: WARMUP, pinned: Child.pinned, loadAtStart, startedAt }).join('\n')}\n`;
  writeReport('durability.md', text, log);
}

runMain(main, log);
