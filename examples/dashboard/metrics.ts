/**
 * Samples real figures of the machine and the process: CPU load, memory used, event-loop delay,
 * connected clients and scribes per second.
 */
import { cpus, freemem, totalmem } from 'node:os';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import type { MetricName } from './types.js';

/** One sample: a figure per metric. */
export type Sample = Record<MetricName, number>;

interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

function cpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

const round = (value: number, digits: number): number => {
  const f = 10 ** digits;
  // A number topic takes finite numbers only; a figure we cannot read is shown as 0.
  return Number.isFinite(value) ? Math.round(value * f) / f : 0;
};

/**
 * Turns counters into per-interval figures: each {@link sample} covers the time since the previous one.
 * @example
 * const sampler = new MetricSampler(() => server.sessionCount);
 * tree.on('commit', (_seq, ops) => sampler.countScribes(ops.length));
 * setInterval(() => console.log(sampler.sample()), 1000);
 */
export class MetricSampler {
  readonly #clients: () => number;
  readonly #loop: IntervalHistogram;
  #cpu = cpuTimes();
  #scribes = 0;
  #since = performance.now();

  constructor(clients: () => number) {
    this.#clients = clients;
    this.#loop = monitorEventLoopDelay({ resolution: 10 });
    this.#loop.enable();
  }

  /** Counts scribes committed since the last sample. */
  countScribes(count: number): void {
    this.#scribes += count;
  }

  /** The figures since the previous sample (or since construction), and restarts the counters. */
  sample(): Sample {
    const now = performance.now();
    const seconds = Math.max((now - this.#since) / 1000, 1e-3);
    const cpu = cpuTimes();
    const busy = cpu.busy - this.#cpu.busy;
    const total = cpu.total - this.#cpu.total;
    const memTotal = totalmem();
    const sample: Sample = {
      cpu: round(total > 0 ? (100 * busy) / total : 0, 1),
      memory: round((100 * (memTotal - freemem())) / memTotal, 1),
      // The histogram records nanoseconds; with no samples yet its percentiles are 0.
      loopDelay: round(this.#loop.percentile(99) / 1e6, 2),
      clients: this.#clients(),
      scribes: round(this.#scribes / seconds, 1),
    };
    this.#cpu = cpu;
    this.#scribes = 0;
    this.#since = now;
    this.#loop.reset();
    return sample;
  }

  /** Stops the event-loop monitor. */
  close(): void {
    this.#loop.disable();
  }
}
