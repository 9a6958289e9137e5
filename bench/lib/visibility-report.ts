/** The visibility bench's markdown report: one row per case, ratios to the unfiltered case, correctness, and the target. */
import { cpus, loadavg, platform, release } from 'node:os';
import { fmt } from './report.js';
import { CASE_INFO, GROUPS, ITEMS_PER_GROUP, MOVE_SHARE, type Case, type VisClientsReport, type VisServerReport } from './visibility-model.js';

/** One measured case. */
export interface VisRun {
  readonly case: Case;
  readonly n: number;
  readonly rate: number;
  readonly server: VisServerReport;
  readonly clients: VisClientsReport;
}

/** A case that could not be measured. */
export interface VisFailure {
  readonly case: Case;
  readonly error: string;
}

export interface VisReportInput {
  readonly runs: readonly VisRun[];
  readonly failures: readonly VisFailure[];
  readonly n: number;
  /** How many of the n clients are SyncClients with mirrors. */
  readonly mirrors: number;
  readonly rate: number;
  readonly seconds: number;
  readonly warmup: number;
  readonly pinned: boolean;
  readonly profiling: boolean;
  readonly startedAt: Date;
  readonly loadAtStart: readonly number[];
}

/** Server CPU µs per mutation made in the window. */
export function cpuPerMutation(run: VisRun): number {
  return run.server.cpuUs / run.server.mutations;
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)];
}

function notes(run: VisRun): string {
  const { server, clients } = run;
  const out: string[] = [];
  const achieved = server.mutations / server.seconds;
  const cpuShare = server.cpuUs / 1e6 / server.seconds;
  if (achieved < 0.95 * run.rate || server.tickP99Ms > 20 || cpuShare > 0.95) out.push(`**server saturated** (CPU ${pct(cpuShare)}, tick gap p99 ${fmt(server.tickP99Ms)} ms)`);
  else out.push(`server CPU ${pct(cpuShare)}, tick gap p99 ${fmt(server.tickP99Ms)} ms`);
  if (server.moves > 0) out.push(`${server.moves} moves`);
  out.push(clients.cpuShare > 0.9 ? `**clients saturated** (CPU ${pct(clients.cpuShare)}): latency is theirs` : `clients CPU ${pct(clients.cpuShare)}`);
  if (clients.eventLoopP99Ms > 20) out.push(`clients' loop delay p99 ${fmt(clients.eventLoopP99Ms)} ms`);
  out.push(`ops/client ${clients.minOps}..${clients.maxOps}`);
  if (clients.gaps > 0) out.push(`**${clients.gaps} seq gaps**`);
  if (clients.rejoins > 0) out.push(`**${clients.rejoins} resyncs**`);
  if (clients.disconnects > 0) out.push(`**${clients.disconnects} disconnects**`);
  return out.join('; ');
}

/** The whole report as markdown lines. */
export function renderVisibility(input: VisReportInput): string[] {
  const { runs } = input;
  const cpu = cpus();
  const base = runs.find((r) => r.case === 'unfiltered');
  const baseUs = base === undefined ? NaN : cpuPerMutation(base);
  const floor = runs.find((r) => r.case === 'floor');
  const floorUs = floor === undefined ? NaN : cpuPerMutation(floor);
  /** The ratio to (a) of what a case spends above the floor. */
  const net = (us: number): number => (us - floorUs) / (baseUs - floorUs);
  const out = [
    '# treesync visibility benchmark',
    '',
    `${input.startedAt.toISOString()} · ${platform()} ${release()} · ${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length} · Node ${process.version} · load average ${input.loadAtStart.map((l) => l.toFixed(2)).join(' ')} before, ${loadavg().map((l) => l.toFixed(2)).join(' ')} after`,
    `${GROUPS} Folders (team g0..g${GROUPS - 1}) × ${ITEMS_PER_GROUP} Items = ${GROUPS * ITEMS_PER_GROUP} items · ${input.rate} mutations/s (value sets on random items, timestamps in the values) · N = ${input.n} socket.io clients (${input.mirrors} of them SyncClients with mirrors, spread over the connection order; the others speak the protocol by hand), client i in group g(i mod ${GROUPS}) · adaptive flush · window ${input.seconds} s after ${input.warmup} s warm-up · server and clients in separate processes${input.pinned ? ', pinned to cores 0 and 1 (taskset)' : ' (not pinned: no taskset)'}${input.profiling ? ' · **BENCH_PROF=1: the server was profiled during the window, its CPU figures include the profiler**' : ''}`,
    '',
    '## Cases',
    '',
  ];
  const rows = runs.map((r) => {
    const us = cpuPerMutation(r);
    const c = r.clients;
    const s = r.server;
    const perClient = c.bytes / r.n / s.mutations;
    const ratio = us / baseUs;
    return [
      CASE_INFO[r.case].label,
      `${fmt(s.mutations / s.seconds, 4)}/s`,
      fmt(us),
      Number.isFinite(ratio) ? `${fmt(ratio)}×` : '—',
      r.case === 'floor' || !Number.isFinite(net(us)) ? '—' : `${fmt(net(us))}×`,
      fmt(c.p50Ms),
      fmt(c.p99Ms),
      fmt(perClient),
      fmt(c.bytes / c.ops),
      fmt(c.ops / r.n / s.seconds),
      fmt(c.batches / r.n / s.seconds),
      `${fmt(s.flushes / s.seconds)} / ${fmt(s.sends / s.seconds)}`,
      CASE_INFO[r.case].filtered ? String(c.violations) : '—',
      `${c.clientsOk}/${r.n}`,
      notes(r),
    ];
  });
  out.push(
    ...table(
      [
        'case',
        'rate made',
        'server CPU µs/mut',
        '× (a)',
        '× (a) above the floor',
        'p50 ms',
        'p99 ms',
        'bytes/mut/client',
        'bytes/delivered op',
        'delivered ops/s/client',
        'batches/s/client',
        'server flushes/s / encoded sends/s',
        'violations',
        'clients exact',
        'notes',
      ],
      rows,
    ),
  );
  for (const f of input.failures) out.push('', `${CASE_INFO[f.case].label}: **failed**: ${f.error}`);
  out.push(
    '',
    'Server CPU is user + system time of the server process over the window, divided by the mutations made in it (the generator, the tree and idle connections included, as in the fan-out bench; the floor case is those alone, and "above the floor" compares what each case spends beyond it). ' +
      'Latency: receipt at a spread of 20 clients (2 per group) minus the timestamp the server put in the value. ' +
      'Bytes are WebSocket payload (engine.io packets) received by all clients: per mutation made per client, and per op actually delivered. ' +
      `Flushes are the fan-out's batches; encoded sends are frames encoded for an audience (one per flush unfiltered, one per distinct audience stream under visibility). ` +
      'Violations: objects of another group a client received, in its snapshot or a batch (checked on every op before the client applies it). ' +
      "Clients exact: at the end, what the client's stream gave it (replayed by the bench) and, for a SyncClient, its mirror hold exactly what its principal may see of the server's final tree (ids, parents, order, values).",
  );
  const problems = runs.flatMap((r) => [
    ...r.clients.violationSamples.map((v) => `${r.case}: violation: ${v}`),
    ...r.clients.problems.map((p) => `${r.case}: ${p}`),
  ]);
  if (problems.length > 0) out.push('', '### Problems', '', ...problems.map((p) => `- ${p}`));

  const profiled = runs.filter((r) => r.server.profile !== undefined || r.clients.profile !== undefined);
  if (profiled.length > 0) {
    out.push('', '## Profiles (top self time in the window)', '');
    for (const r of profiled) {
      out.push(`### ${CASE_INFO[r.case].label}`, '');
      if (r.server.profile !== undefined) out.push('Server:', '', '```', ...r.server.profile, '```', '');
      if (r.clients.profile !== undefined) out.push('Load clients:', '', '```', ...r.clients.profile, '```', '');
    }
  }

  out.push('', '## Targets', '');
  const groups = runs.find((r) => r.case === 'groups');
  const check = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? 'PASS' : '**FAIL**');
  const ratio = groups === undefined || base === undefined ? undefined : cpuPerMutation(groups) / baseUs;
  const filteredRuns = runs.filter((r) => CASE_INFO[r.case].filtered);
  const violations = filteredRuns.reduce((a, r) => a + r.clients.violations, 0);
  const exact = runs.every((r) => r.clients.clientsOk === r.n);
  out.push(
    ...table(
      ['target', 'measured', ''],
      [
        [
          `10 groups ≤ 2× unfiltered server CPU per mutation (N=${input.n}, ${input.rate}/s)`,
          ratio === undefined || groups === undefined || base === undefined
            ? '—'
            : `${fmt(ratio)}× (${fmt(cpuPerMutation(groups))} vs ${fmt(baseUs)} µs/mutation${floor === undefined ? '' : `; above the ${fmt(floorUs)} µs floor: ${fmt(net(cpuPerMutation(groups)))}×`})`,
          check(ratio === undefined ? undefined : ratio <= 2),
        ],
        [
          'no client receives an object of another group (filtered cases)',
          filteredRuns.length === 0 ? '—' : `${violations} violations (${filteredRuns.map((r) => r.case).join(', ')})`,
          check(filteredRuns.length === 0 ? undefined : violations === 0),
        ],
        [
          "every client (stream replay, and SyncClient mirror) ends holding exactly its principal's view",
          runs.length === 0 ? '—' : runs.map((r) => `${r.case} ${r.clients.clientsOk}/${r.n}`).join(', '),
          check(runs.length === 0 ? undefined : exact),
        ],
      ],
    ),
  );
  const all = runs.find((r) => r.case === 'all-visible');
  const moves = runs.find((r) => r.case === 'moves');
  const extra: string[] = [];
  const both = (us: number): string => `${fmt(us / baseUs)}×${floor === undefined ? '' : ` (${fmt(net(us))}× above the floor)`}`;
  if (all !== undefined && base !== undefined) extra.push(`tracking alone (c) costs ${both(cpuPerMutation(all))} the unfiltered CPU per mutation`);
  if (moves !== undefined && base !== undefined) extra.push(`with ${MOVE_SHARE * 100}% moves (d), ${both(cpuPerMutation(moves))}`);
  if (extra.length > 0) out.push('', `For reference: ${extra.join('; ')}.`);
  return out;
}
