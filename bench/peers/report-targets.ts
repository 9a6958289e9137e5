/**
 * The "Targets" section of `npm run bench:peers`' report: the issue's targets, each a row with
 * what was measured and PASS or FAIL, treesync's default and `paced` against each peer at its best
 * variant and against the Colyseus variant that writes to each client as often.
 */
import { median, type JoinResult, type Peer } from './model.js';
import { fmt } from '../lib/report.js';
import { LABEL, n0, pct } from './report-workloads.js';
import type { PeersInput, W1Figures, W1Run, W3Run } from './report.js';

/** The headline result of a W3 run (its first path), when it was timed. */
function headline(run: W3Run): JoinResult | undefined {
  const first = run.results?.[0];
  return first !== undefined && first.ms.length > 0 ? first : undefined;
}

/** The run that is best by `key` (lowest, finite). */
function best<R>(runs: readonly R[], key: (r: R) => number): R | undefined {
  let out: R | undefined;
  for (const r of runs) if (Number.isFinite(key(r)) && (out === undefined || key(r) < key(out))) out = r;
  return out;
}

function check(ok: boolean | undefined): string {
  return ok === undefined ? '—' : ok ? 'PASS' : '**FAIL**';
}

/** Whether a W1 row is one the targets and the chart read: N=200 at 1,000 mutations/s. */
export function isTargetRow(run: { readonly n: number; readonly rate: number }): boolean {
  return run.n === 200 && run.rate === 1_000;
}

/** The "Targets" rows of the issue: treesync (default variant) against Colyseus and ShareDB, each at its best variant. */
export function targets(input: PeersInput, w1Figures: (run: W1Run) => W1Figures | undefined): string[][] {
  const at = (system: Peer): { run: W1Run; f: W1Figures }[] =>
    input.w1.flatMap((run) => {
      const f = run.system === system && isTargetRow(run) ? w1Figures(run) : undefined;
      return f === undefined ? [] : [{ run, f }];
    });
  const rows: string[][] = [];
  for (const variant of ['batched', 'paced'] as const) rows.push(...targetsOf(input, at, at('treesync').find((x) => x.run.variant === variant), variant));
  return rows;
}

/**
 * The Colyseus variant that writes to each client about as often as a treesync variant at N=200,
 * 1,000/s: the default sends about 58 batches a second there, `patch16` 60 patches; `paced` and
 * `patch50` 20 each.
 */
const SAME_CADENCE = { batched: 'patch16', paced: 'patch50' } as const;

/** The W1 and W3 target rows for one treesync variant (W3 only for the default). */
function targetsOf(input: PeersInput, at: (system: Peer) => { run: W1Run; f: W1Figures }[], ts: { run: W1Run; f: W1Figures } | undefined, variant: keyof typeof SAME_CADENCE): string[][] {
  const rows: string[][] = [];
  const me = variant === 'batched' ? 'treesync' : `treesync/${variant}`;
  const who = (x: { run: W1Run }): string => `${LABEL[x.run.system]}/${x.run.variant}`;
  for (const [metric, key, unit] of [
    ['server CPU per mutation', (f: W1Figures) => f.cpuUsPerMutation, 'µs'],
    ['p99 latency', (f: W1Figures) => f.p99Ms, 'ms'],
  ] as const) {
    for (const peer of ['colyseus', 'sharedb'] as const) {
      const other = best(at(peer), (x) => key(x.f));
      rows.push([
        `W1 N=200, 1,000/s: ${me} ${metric} below ${LABEL[peer]}'s (its best variant)`,
        ts === undefined || other === undefined
          ? `treesync ${ts === undefined ? 'not measured' : `${fmt(key(ts.f))} ${unit}`}; ${LABEL[peer]} ${other === undefined ? 'not measured' : `${fmt(key(other.f))} ${unit} (${who(other)})`}`
          : `${fmt(key(ts.f))} vs ${fmt(key(other.f))} ${unit} (${who(other)}): ${fmt(key(ts.f) / key(other.f))}×`,
        check(ts === undefined || other === undefined ? undefined : key(ts.f) < key(other.f)),
      ]);
    }
  }
  // The same two figures against the Colyseus variant that writes to each client about as often.
  const twin = at('colyseus').find((x) => x.run.variant === SAME_CADENCE[variant]);
  for (const [metric, key, unit] of [
    ['server CPU per mutation', (f: W1Figures) => f.cpuUsPerMutation, 'µs'],
    ['p99 latency', (f: W1Figures) => f.p99Ms, 'ms'],
  ] as const) {
    rows.push([
      `W1 N=200, 1,000/s, same cadence: ${me} ${metric} below Colyseus/${SAME_CADENCE[variant]}'s`,
      ts === undefined || twin === undefined
        ? `treesync ${ts === undefined ? 'not measured' : `${fmt(key(ts.f))} ${unit}`}; Colyseus/${SAME_CADENCE[variant]} ${twin === undefined ? 'not measured' : `${fmt(key(twin.f))} ${unit}`}`
        : `${fmt(key(ts.f))} vs ${fmt(key(twin.f))} ${unit}: ${fmt(key(ts.f) / key(twin.f))}×`,
      check(ts === undefined || twin === undefined ? undefined : key(ts.f) < key(twin.f)),
    ]);
  }
  const col = best(at('colyseus'), (x) => x.f.bytesPerMutation);
  rows.push([
    `W1 N=200, 1,000/s: ${me} bytes/mutation/client at or below Colyseus's (its best variant), delivering every scribe`,
    ts === undefined || col === undefined
      ? `treesync ${ts === undefined ? 'not measured' : `${fmt(ts.f.bytesPerMutation)} B`}; Colyseus ${col === undefined ? 'not measured' : `${fmt(col.f.bytesPerMutation)} B`}`
      : `${fmt(ts.f.bytesPerMutation)} vs ${fmt(col.f.bytesPerMutation)} B (${who(col)}); treesync delivered ${pct(ts.f.delivered)}, ${ts.run.clients?.gaps ?? '?'} gaps`,
    check(ts === undefined || col === undefined ? undefined : ts.f.bytesPerMutation <= col.f.bytesPerMutation && ts.f.complete),
  ]);
  if (variant !== 'batched') return rows;
  const sizes = [...new Set(input.w3.map((r) => `${r.objects}/${r.parallel}`))];
  for (const size of sizes) {
    const runs = input.w3.filter((r) => `${r.objects}/${r.parallel}` === size);
    const [objects = 0, parallel = 0] = size.split('/').map(Number);
    const mine = runs.find((r) => r.system === 'treesync' && headline(r) !== undefined);
    // When the headline was not timed, say why and what the other paths measured.
    const untimed = mine === undefined ? runs.find((r) => r.system === 'treesync' && r.results !== undefined) : undefined;
    const otherPaths = (untimed?.results ?? []).slice(1).filter((j) => j.ms.length > 0);
    const aside = untimed?.results?.[0]?.note === undefined ? '' : ` (${untimed.results[0].note}${otherPaths.map((j) => `; ${j.name}: ${fmt(median(j.ms))} ms`).join('')})`;
    const others = runs.filter((r) => (r.system === 'colyseus' || r.system === 'sharedb') && headline(r) !== undefined);
    const mineMs = mine === undefined ? undefined : median(headline(mine)?.ms ?? []);
    const fastest = best(others, (r) => median(headline(r)?.ms ?? []));
    const fastestMs = fastest === undefined ? undefined : median(headline(fastest)?.ms ?? []);
    const missing = ['colyseus', 'sharedb'].filter((p) => !others.some((r) => r.system === p)).map((p) => LABEL[p as Peer]);
    rows.push([
      `W3 join of ${n0(objects)} objects, ${parallel} at once: treesync fastest (vs Colyseus and ShareDB)`,
      `treesync ${mineMs === undefined ? `not measured${aside}` : `${fmt(mineMs)} ms`}; fastest peer ${fastest === undefined || fastestMs === undefined ? 'not measured' : `${fmt(fastestMs)} ms (${LABEL[fastest.system]}/${fastest.variant})`}${missing.length > 0 ? `; not measured: ${missing.join(', ')}` : ''}`,
      check(mineMs === undefined || fastestMs === undefined || missing.length > 0 ? undefined : mineMs < fastestMs),
    ]);
  }
  return rows;
}

