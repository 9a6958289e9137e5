/**
 * The server side of a fan-out measurement, shared by bench/server.ts, bench/visibility-server.ts
 * and the bench/peers/*-server.ts scripts: the mutation generator, its tick-gap histogram, the
 * CPU window, and the `start` / `mark` / `stop` commands around them.
 */
import { createHistogram } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { reply } from './child.js';
import type { Command, ServerReport } from './model.js';

/** What a server measured in its window: ServerReport without its `type`. */
export type LoadWindow = Omit<ServerReport, 'type'>;

/**
 * A mutation generator at `rate` mutations per second, calling `mutate(k)` for mutation k, and the
 * window it is measured in.
 */
export class Load {
  #timer: ReturnType<typeof setInterval> | undefined;
  #made = 0;
  #mark = { made: 0, cpu: process.cpuUsage(), at: performance.now() };
  readonly #ticks = createHistogram();

  constructor(
    readonly rate: number,
    readonly mutate: (k: number) => void,
  ) {}

  /** Mutations made so far. */
  get made(): number {
    return this.#made;
  }

  /**
   * Starts the mutations. Drift-free: each 1 ms tick makes however many mutations are due by now,
   * so the rate is exact even when ticks come late (late ticks show up as latency and event-loop
   * delay instead, and in the tick-gap histogram).
   */
  start(): void {
    const t0 = performance.now();
    let lastTick = t0;
    this.#timer = setInterval(() => {
      const at = performance.now();
      this.#ticks.record(Math.max(1, Math.round((at - lastTick) * 1000)));
      lastTick = at;
      const due = Math.floor(((at - t0) * this.rate) / 1000);
      for (; this.#made < due; this.#made++) this.mutate(this.#made);
    }, 1);
  }

  /** Opens the measurement window: mutations, CPU time, wall time and tick gaps count from here. */
  mark(): void {
    this.#mark = { made: this.#made, cpu: process.cpuUsage(), at: performance.now() };
    this.#ticks.reset();
  }

  /** Stops the mutations and closes the window. */
  stop(): LoadWindow {
    clearInterval(this.#timer);
    const cpu = process.cpuUsage(this.#mark.cpu);
    return {
      mutations: this.#made - this.#mark.made,
      seconds: (performance.now() - this.#mark.at) / 1000,
      cpuUs: cpu.user + cpu.system,
      cpuSystemUs: cpu.system,
      tickP99Ms: this.#ticks.percentile(99) / 1000,
      tickMaxMs: this.#ticks.max / 1000,
    };
  }
}

/**
 * The command handler of a fan-out server: `start` starts `load`, `mark` opens its window, `stop`
 * replies a ServerReport of the window with `extra` added.
 */
export function loadCommands(load: Load, extra: object = {}): (cmd: Command['cmd']) => void {
  return (cmd) => {
    if (cmd === 'start') load.start();
    else if (cmd === 'mark') load.mark();
    else if (cmd === 'stop') reply({ type: 'report', ...load.stop(), ...extra } satisfies ServerReport);
  };
}

let gc: (() => void) | undefined | null = null;

/** The heap in use after a full collection (V8's gc, exposed at run time on the first call; no collection if it cannot be). */
export function heapAfterGc(): number {
  if (gc === null) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('typeof gc === "function" ? gc : undefined') as (() => void) | undefined;
  }
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}
