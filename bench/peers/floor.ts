/**
 * The generator floor of `npm run bench:peers`: bench/lib/generator-floor.ts (the mutation
 * generator alone, no mutation applied) run on the servers' core at each W1 rate. Every fan-out
 * server's CPU includes it; the report states it above the W1 table.
 */
import { runPinned } from '../lib/child.js';

/** The CPU of the mutation generator alone (no mutation applied) on the servers' core, per mutation. */
export interface GeneratorFloor {
  readonly rate: number;
  readonly cpuUsPerMutation: number;
  readonly systemUsPerMutation: number;
}

/** Measures the floor at each rate (5 s after 1 s of warm-up); a rate whose run failed is left out. */
export function generatorFloors(rates: readonly number[], log: (message: string) => void): GeneratorFloor[] {
  return rates.flatMap((rate) => {
    log(`W1 floor: the mutation generator alone at ${rate}/s ...`);
    const out = runPinned('lib/generator-floor.ts', [String(rate), '1000', '5'], 0);
    const floor = out === undefined ? undefined : (JSON.parse(out.trim().split('\n').pop() ?? '{}') as Partial<GeneratorFloor>);
    return floor?.cpuUsPerMutation === undefined || floor.systemUsPerMutation === undefined ? [] : [{ rate, cpuUsPerMutation: floor.cpuUsPerMutation, systemUsPerMutation: floor.systemUsPerMutation }];
  });
}
