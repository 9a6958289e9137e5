/**
 * The client side of a fan-out measurement, shared by bench/clients.ts,
 * bench/visibility-clients.ts and the bench/peers/*-clients.ts scripts: which clients sample
 * latency, connecting a few at a time, and the window between `mark` and `report` (WebSocket
 * payload bytes and messages, mutations received per client, sequence gaps, latency samples, the
 * process's CPU and event-loop delay).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { reply } from './child.js';
import { quantile, type ClientsReport, type Command } from './model.js';

/** Clients whose latency is sampled. */
export const SAMPLED = 20;

/**
 * k of the indices 0..n-1 (plus `offset`), spread over them: the first, the last and evenly
 * between, since a broadcast writes to sockets in connection order.
 */
export function spread(n: number, k = SAMPLED, offset = 0): Set<number> {
  const m = Math.min(n, k);
  return new Set(Array.from({ length: m }, (_, j) => offset + Math.round((j * (n - 1)) / Math.max(1, m - 1))));
}

/** Calls `connect(i)` for i in 0..n-1, `size` at a time: a burst of 200 handshakes would only measure the accept queue. */
export async function inBatches(n: number, connect: (i: number) => Promise<void>, size = 10): Promise<void> {
  for (let i = 0; i < n; i += size) await Promise.all(Array.from({ length: Math.min(size, n - i) }, (_, j) => connect(i + j)));
}

/** What a load-client process measured in its window: ClientsReport without its `type`, and the window's length. */
export type ClientsWindow = Omit<ClientsReport, 'type'> & { readonly seconds: number };

/** The measurement window of n load clients in one process. */
export class Sampling {
  /** Whether the window is open. */
  measuring = false;
  bytes = 0;
  frames = 0;
  gaps = 0;
  /** Mutations (or ops) received per client. */
  readonly received: Float64Array;
  #latencies: number[] = [];
  #cpu = process.cpuUsage();
  #at = performance.now();
  readonly #lag = monitorEventLoopDelay({ resolution: 5 });

  constructor(n: number) {
    this.received = new Float64Array(n);
  }

  /** Counts a WebSocket message of `size` payload bytes, in the window (bound: pass it as a callback). */
  readonly count = (size: number): void => {
    if (!this.measuring) return;
    this.bytes += size;
    this.frames++;
  };

  /** Adds `count` mutations received by client i. */
  receive(i: number, count = 1): void {
    this.received[i] = (this.received[i] ?? 0) + count;
  }

  /** Records a latency sample (ms). */
  sample(ms: number): void {
    this.#latencies.push(ms);
  }

  /** Opens the window: the counts, the samples, CPU time and the event-loop delay start from here. */
  mark(): void {
    this.measuring = true;
    this.bytes = this.frames = this.gaps = 0;
    this.received.fill(0);
    this.#latencies = [];
    this.#cpu = process.cpuUsage();
    this.#at = performance.now();
    this.#lag.reset();
    this.#lag.enable();
  }

  /** Closes the window and sums it up. */
  end(): ClientsWindow {
    this.measuring = false;
    const seconds = (performance.now() - this.#at) / 1000;
    const used = process.cpuUsage(this.#cpu);
    this.#lag.disable();
    const sorted = Float64Array.from(this.#latencies).sort();
    return {
      bytes: this.bytes,
      frames: this.frames,
      mutations: this.received.reduce((a, b) => a + b, 0),
      minMutations: Math.min(...this.received),
      maxMutations: Math.max(...this.received),
      gaps: this.gaps,
      samples: sorted.length,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      maxMs: quantile(sorted, 1),
      cpuShare: (used.user + used.system) / 1000 / (seconds * 1000),
      eventLoopP99Ms: this.#lag.percentile(99) / 1e6,
      seconds,
    };
  }
}

/**
 * The command handler of a load-client process: `mark` opens the window (then calls `onMark`),
 * `report` closes it and replies a ClientsReport with what `extra` adds.
 */
export function samplingCommands(sampling: Sampling, hooks: { onMark?: () => void; extra?: (window: ClientsWindow) => object } = {}): (cmd: Command['cmd']) => void {
  return (cmd) => {
    if (cmd === 'mark') {
      sampling.mark();
      hooks.onMark?.();
    } else if (cmd === 'report') {
      const window = sampling.end();
      const { seconds: _seconds, ...figures } = window;
      reply({ type: 'report', ...figures, ...hooks.extra?.(window) } satisfies ClientsReport);
    }
  };
}

/** Sorted samples' median and 99th percentile. */
export function percentiles(samples: readonly number[]): { p50: number; p99: number } {
  const sorted = Float64Array.from(samples).sort();
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
}

/** One join round: `parallel` fresh clients at once; ms until the last holds the state, objects, payload bytes per client. */
export type JoinRound = (parallel: number, round: number) => Promise<{ ms: number; objects: number; bytes: number }>;

/**
 * Join rounds: a first, untimed round of one client (round 0) warms the path up, then `rounds`
 * rounds of `parallel` (1..rounds); their times, and the last round's objects and bytes per client.
 */
export async function timedRounds(round: JoinRound, parallel: number, rounds: number): Promise<{ ms: number[]; objects: number; bytes: number }> {
  await round(1, 0);
  const ms: number[] = [];
  let last = { objects: 0, bytes: 0 };
  for (let r = 1; r <= rounds; r++) {
    const result = await round(parallel, r);
    ms.push(result.ms);
    last = result;
  }
  return { ms, objects: last.objects, bytes: Math.round(last.bytes) };
}
