/**
 * The saturation table of bench/results/peers.md: for each system's variant and N, the highest
 * W1 rate measured that kept p99 under 100 ms with at least 95% of the asked rate made, bracketed
 * by the measured rates (1,000 and 5,000 mutations/s), not searched between them.
 */
import { fmt } from '../lib/report.js';
import { LABEL, n0, order, table, type W1Like } from './report-workloads.js';

/** What the table needs of a run's figures (report.ts's W1Figures). */
export interface SaturationFigures {
  readonly achieved: number;
  readonly p99Ms: number;
  readonly saturated: readonly string[];
}

/** The saturation cell of one variant at one N, from its runs (rates ascending). */
function cell<R extends W1Like>(runs: readonly R[], figures: (run: R) => SaturationFigures | undefined): string {
  let held: number | undefined;
  for (const run of runs) {
    const f = figures(run);
    if (f === undefined) return held === undefined ? '—' : `≥ ${n0(held)}/s (${n0(run.rate)}/s not measured)`;
    if (f.saturated.length > 0) {
      const why = `at ${n0(run.rate)}/s: ${Math.round(f.achieved)}/s made, p99 ${fmt(f.p99Ms)} ms`;
      return held === undefined ? `< ${n0(run.rate)}/s (${why})` : `${n0(held)}-${n0(run.rate)}/s (${why})`;
    }
    held = run.rate;
  }
  return held === undefined ? '—' : `≥ ${n0(held)}/s`;
}

/** Rows of system, variant and one saturation cell per N. */
export function renderSaturation<R extends W1Like>(runs: readonly R[], figures: (run: R) => SaturationFigures | undefined): string[] {
  const ns = [...new Set(runs.map((r) => r.n))].sort((a, b) => a - b);
  const variants = [...new Map(runs.map((r) => [`${r.system}/${r.variant}`, r])).values()].sort((a, b) => order(a.system, a.variant) - order(b.system, b.variant));
  return table(
    ['system', 'variant', ...ns.map((n) => `N = ${n}`)],
    variants.map((v) => [
      LABEL[v.system],
      v.variant,
      ...ns.map((n) =>
        cell(
          runs.filter((r) => r.system === v.system && r.variant === v.variant && r.n === n).sort((a, b) => a.rate - b.rate),
          figures,
        ),
      ),
    ]),
  );
}
