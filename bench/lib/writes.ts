/**
 * The client-write workload (W2 of bench/peers/model.ts), both sides, for every system's scripts:
 * - in a server: `writeCommands(handled)`, the `mark` / `stop` window over the writes it handled;
 * - in a load-client process: `runWrites`, the writers' schedule, each write's outcome and round
 *   trip, and the correctness check against a fresh client, summed up as a W2Report.
 */
import { reply, sleep } from './child.js';
import { now, quantile, type Command, type ServerReport } from './model.js';
import { W2, w2Object, w2Refused, type W2Report } from '../peers/model.js';

/**
 * The command handler of a W2 server: `mark` opens the window, `stop` replies a ServerReport whose
 * `mutations` are the writes handled in the window (`handled()`: accepted or refused). There is no
 * generator, so the tick figures are NaN.
 */
export function writeCommands(handled: () => number): (cmd: Command['cmd']) => void {
  let mark = { handled: 0, cpu: process.cpuUsage(), at: performance.now() };
  return (cmd) => {
    if (cmd === 'mark') mark = { handled: handled(), cpu: process.cpuUsage(), at: performance.now() };
    else if (cmd === 'stop') {
      const cpu = process.cpuUsage(mark.cpu);
      const seconds = (performance.now() - mark.at) / 1000;
      reply({ type: 'report', mutations: handled() - mark.handled, seconds, cpuUs: cpu.user + cpu.system, tickP99Ms: NaN, tickMaxMs: NaN } satisfies ServerReport);
    }
  };
}

/** One writer, as each system makes it. */
export interface Writer {
  /** Sets `value` of object j: resolves 'accepted' or 'refused' once the writer knows; rejects on anything else. */
  write(j: number, value: number): Promise<'accepted' | 'refused'>;
  /** The writer's current `value` of object j (0..M-1). */
  value(j: number): number | undefined;
}

/** How a system's W2 run goes: the schedule, and how its outcomes reach the writer. */
export interface WritePlan {
  readonly m: number;
  readonly perSecond: number;
  readonly seconds: number;
  /** How the outcome reaches the writer, for the report (W2Report.outcome). */
  readonly outcome: string;
  /** A fresh client's `value` of each object, once the writes are over. */
  readonly fresh: () => Promise<(j: number) => number | undefined>;
}

/** Longest wait for outcomes after the last write (the contract's 5 s), and the pause before the fresh client joins. */
const ANSWER_MS = 5_000;
const SETTLE_MS = 500;

/**
 * Runs W2: writer k makes its write w at (w + k / writers) / perSecond seconds from now (spread,
 * so that the writers do not write in bursts), setting object w2Object(k, w, M) to now(), or to -1
 * when w2Refused(w). Then waits for every outcome (at most 5 s), 500 ms more, and compares each
 * writer's values with a fresh client's.
 */
export async function runWrites(writers: readonly Writer[], plan: WritePlan): Promise<W2Report> {
  const perWriter = Math.round(plan.perSecond * plan.seconds);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const rtt: number[] = [];
  const refusedRtt: number[] = [];
  let accepted = 0;
  let refused = 0;
  let writes = 0;
  let settled = 0;
  const failed: { first?: string } = {};
  const made = new Int32Array(writers.length);
  const write = (k: number, writer: Writer, w: number): void => {
    const bad = w2Refused(w);
    const started = performance.now();
    writes++;
    writer.write(w2Object(k, w, plan.m), bad ? -1 : now()).then(
      (outcome) => {
        const ms = performance.now() - started;
        settled++;
        if (outcome === 'accepted') {
          accepted++;
          rtt.push(ms);
        } else {
          refused++;
          refusedRtt.push(ms);
        }
      },
      (error: unknown) => {
        settled++;
        failed.first ??= error instanceof Error ? error.message : JSON.stringify(error);
      },
    );
  };
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - t0;
      writers.forEach((writer, k) => {
        const due = Math.min(perWriter, Math.floor((elapsed * plan.perSecond) / 1000 - k / writers.length) + 1);
        for (let w = made[k] ?? 0; w < due; w++) write(k, writer, w);
        made[k] = Math.max(made[k] ?? 0, due);
      });
      if (made.every((x) => x >= perWriter)) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  const deadline = performance.now() + ANSWER_MS;
  while (settled < writes && performance.now() < deadline) await sleep(20);
  const used = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  if (failed.first !== undefined) process.stderr.write(`W2: ${writes - settled} writes unanswered; a write failed: ${failed.first}\n`);
  await sleep(SETTLE_MS);
  const fresh = await plan.fresh();
  let writersCorrect = 0;
  let mismatches = 0;
  let refusedSeen = false;
  for (const writer of writers) {
    let wrong = 0;
    for (let j = 0; j < plan.m; j++) {
      const v = writer.value(j);
      if (v !== fresh(j)) wrong++;
      if (v === -1) refusedSeen = true;
    }
    if (wrong === 0) writersCorrect++;
    mismatches += wrong;
  }
  for (let j = 0; j < plan.m; j++) if (fresh(j) === -1) refusedSeen = true;
  const sorted = Float64Array.from(rtt).sort();
  const sortedRefused = Float64Array.from(refusedRtt).sort();
  return {
    type: 'report',
    writers: writers.length,
    writes,
    accepted,
    refused,
    expectedRefused: writers.length * Array.from({ length: perWriter }, (_, w) => w).filter(w2Refused).length,
    unanswered: writes - accepted - refused,
    rttP50Ms: quantile(sorted, 0.5),
    rttP99Ms: quantile(sorted, 0.99),
    refusedRttP50Ms: quantile(sortedRefused, 0.5),
    outcome: plan.outcome,
    writersCorrect,
    mismatches,
    refusedSeen,
    clientsCpuPct: ((used.user + used.system) / 1000 / wall) * 100,
  };
}

/** The W2 sizes a load-client process was given: `<writers> <perSecond> <seconds>` (defaults: the contract's). */
export function writeArgs(args: readonly string[]): { writers: number; perSecond: number; seconds: number } {
  const [writers = W2.writers, perSecond = W2.perSecond, seconds = W2.seconds] = args.map(Number);
  return { writers, perSecond, seconds };
}
