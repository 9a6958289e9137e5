/** The durability bench's markdown report: acked-mutation throughput per store, catch-up against full rejoin, and the targets. */
import { cpus, loadavg, platform, release } from 'node:os';
import type { CatchupRound, JoinSample, LoadClientsReport, LoadServerReport, StoreKind } from './durability-model.js';
import { median } from './model.js';
import { fmt } from './report.js';

/** One throughput run: a store, K clients with W proposals in flight each. */
export interface LoadRun {
  readonly store: StoreKind;
  readonly k: number;
  readonly w: number;
  readonly server: LoadServerReport;
  readonly clients: LoadClientsReport;
  /** How busy cores 0 and 1 were in the window (0..1), whoever ran on them. */
  readonly coreBusy: readonly number[];
}

/** The catch-up rounds of one server configuration. */
export interface CatchupRun {
  readonly label: string;
  readonly logWindow: number;
  readonly rounds: readonly CatchupRound[];
}

/** What the report needs. */
export interface DurabilityInput {
  readonly runs: readonly LoadRun[];
  readonly catchups: readonly CatchupRun[];
  readonly failures: readonly string[];
  readonly seconds: number;
  readonly warmup: number;
  readonly pinned: boolean;
  readonly loadAtStart: readonly number[];
  readonly startedAt: Date;
}

/** Acks per second, as the clients counted them in their window. */
export function ackRate(run: LoadRun): number {
  return run.clients.acks / run.clients.seconds;
}

/** Server CPU µs per applied (= acked) proposal. */
export function cpuPerAck(run: LoadRun): number {
  return run.server.cpuUs / Math.max(1, run.server.commits);
}

/** Server CPU over wall time in the window (1 = one core). */
export function serverShare(run: LoadRun): number {
  return run.server.cpuUs / 1e6 / run.server.seconds;
}

/** A run's saturation notes. */
export function notes(run: LoadRun): string[] {
  const out: string[] = [];
  const share = serverShare(run);
  out.push(share >= 0.9 ? `**server CPU saturated** (${pct(share)})` : `server CPU ${pct(share)}`);
  out.push(run.clients.cpuShare >= 0.9 ? `**load clients saturated** (${pct(run.clients.cpuShare)}): acks/s is a floor` : `clients CPU ${pct(run.clients.cpuShare)}`);
  out.push(`server loop delay p99 ${fmt(run.server.loopP99Ms)} ms`);
  // Busy time on the pinned cores beyond what the server and clients used: other processes ran there.
  const other = Math.max(0, (run.coreBusy[0] ?? 0) - share) + Math.max(0, (run.coreBusy[1] ?? 0) - run.clients.cpuShare);
  if (other > 0.1) out.push(`**other processes used ${pct(other)} of a core** on cores 0-1`);
  if (run.clients.rejects > 0) out.push(`**${run.clients.rejects} rejects**`);
  return out;
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)];
}

function times(x: number): string {
  return Number.isFinite(x) ? `${fmt(x)}×` : '—';
}

/** The base runs (the first of each store at the first K/W) and the best SQLite run. */
export function pick(runs: readonly LoadRun[]): { base: Partial<Record<StoreKind, LoadRun>>; best: LoadRun | undefined } {
  const first = runs[0];
  const base: Partial<Record<StoreKind, LoadRun>> = {};
  for (const r of runs) if (first !== undefined && r.k === first.k && r.w === first.w) base[r.store] ??= r;
  const best = runs.filter((r) => r.store === 'sqlite').reduce<LoadRun | undefined>((b, r) => (b === undefined || ackRate(r) > ackRate(b) ? r : b), undefined);
  return { base, best };
}

/** The whole report as markdown lines. */
export function renderDurability(input: DurabilityInput): string[] {
  const cpu = cpus();
  const out = [
    '# treesync durability benchmark',
    '',
    `${input.startedAt.toISOString()} · ${platform()} ${release()} · ${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length} · Node ${process.version} · load average ${input.loadAtStart.map((l) => l.toFixed(2)).join(' ')} at the start, ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end`,
    `Throughput window ${input.seconds} s after ${input.warmup} s warm-up · server and load clients in separate processes${input.pinned ? ', pinned to cores 0 and 1 (taskset)' : ' (not pinned: no taskset)'} · 127.0.0.1 · bytes are WebSocket payload (engine.io packets)`,
    '',
    '## Acked mutations: SQLite store against the memory store and no store',
    '',
    'K clients, each with W proposals of `card.attrs.votes.add(1)` on its own card in flight (an ack sends the next); every client is joined, so each also receives every vote in batches.',
    '',
  ];
  const { base, best } = pick(input.runs);
  const rows = input.runs.map((r) => {
    // Ratios are to the runs of the other stores at the same K and W, in this run.
    const same = (store: StoreKind): LoadRun | undefined => input.runs.find((x) => x.store === store && x.k === r.k && x.w === r.w);
    const m = same('memory');
    const n = same('none');
    return [
      r.store,
      String(r.k),
      String(r.w),
      fmt(ackRate(r), 4),
      fmt(cpuPerAck(r)),
      m === undefined ? '—' : times(cpuPerAck(r) / cpuPerAck(m)),
      n === undefined ? '—' : times(cpuPerAck(r) / cpuPerAck(n)),
      m === undefined ? '—' : times(ackRate(r) / ackRate(m)),
      fmt(r.clients.p50Ms),
      fmt(r.clients.p99Ms),
      r.store === 'none' ? '—' : fmt(r.server.commits / Math.max(1, r.server.groupCommits)),
      notes(r).join('; '),
    ];
  });
  out.push(
    ...table(['store', 'K', 'W', 'acks/s', 'server CPU µs/ack', 'CPU ×memory', 'CPU ×none', 'acks/s ×memory', 'ack p50 ms', 'ack p99 ms', 'acks/group commit', 'notes'], rows),
  );

  out.push('', '## Catch-up against full rejoin, 10,000-object tree, 100 objects updated while away', '');
  out.push('Per round: join (snapshot), disconnect, the server sets one attribute of 100 distinct objects (100 commits), then the client reconnects and joins with `since` + `epoch` (catch-up), then reconnects once more and joins without `since` (full rejoin of the same tree). Medians over the rounds; bytes and time from the join emit until caught up.', '');
  const catchRows: string[][] = [];
  for (const c of input.catchups) {
    const fullBytes = median(c.rounds.map((r) => r.full.bytes));
    const fullMs = median(c.rounds.map((r) => r.full.ms));
    const row = (path: string, samples: readonly JoinSample[]): string[] => {
      const bytes = median(samples.map((s) => s.bytes));
      const ms = samples.map((s) => s.ms);
      const via = [...new Set(samples.map((s) => `${s.via} (${s.items.toLocaleString('en-US')})`))].join(', ');
      return [c.label, path, via, Math.round(bytes).toLocaleString('en-US'), times(bytes / fullBytes), fmt(median(ms)), fmt(Math.min(...ms)), fmt(Math.max(...ms)), times(median(ms) / fullMs), String(samples.length)];
    };
    catchRows.push(row('full rejoin (join without since)', c.rounds.map((r) => r.full)));
    catchRows.push(row('catch-up (join with since + epoch)', c.rounds.map((r) => r.catchup)));
  }
  out.push(...table(['server', 'join', 'answered with (items)', 'bytes', 'bytes ×full', 'median ms', 'min ms', 'max ms', 'time ×full', 'rounds'], catchRows));

  out.push('', '## Targets', '');
  const check = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? 'PASS' : '**FAIL**');
  const cpuRatio = base.sqlite !== undefined && base.memory !== undefined ? cpuPerAck(base.sqlite) / cpuPerAck(base.memory) : undefined;
  const bestRate = best === undefined ? undefined : ackRate(best);
  const targetRows: string[][] = [
    [
      `SQLite server CPU per acked mutation ≤ 2× the memory store's (K=${base.sqlite?.k ?? '?'}, W=${base.sqlite?.w ?? '?'})`,
      cpuRatio === undefined ? '—' : `${fmt(cpuRatio)}× (${fmt(cpuPerAck(base.sqlite as LoadRun))} vs ${fmt(cpuPerAck(base.memory as LoadRun))} µs)`,
      check(cpuRatio === undefined ? undefined : cpuRatio <= 2),
    ],
    [
      '≥ 20,000 acked mutations/s with SQLite',
      best === undefined || bestRate === undefined ? '—' : `${fmt(bestRate, 4)}/s at best (K=${best.k}, W=${best.w}; ${notes(best).slice(0, 2).join(', ')})`,
      check(bestRate === undefined ? undefined : bestRate >= 20_000),
    ],
  ];
  for (const c of input.catchups) {
    const fullBytes = median(c.rounds.map((r) => r.full.bytes));
    const bytes = median(c.rounds.map((r) => r.catchup.bytes));
    const viaScribes = c.rounds.every((r) => r.catchup.via === 'scribes');
    const ratio = bytes / fullBytes;
    targetRows.push([
      `catch-up ≤ 10% of the bytes of a full snapshot (${c.label})`,
      c.rounds.length === 0 ? '—' : `${(ratio * 100).toFixed(2)}% (${Math.round(bytes).toLocaleString('en-US')} of ${Math.round(fullBytes).toLocaleString('en-US')} bytes)${viaScribes ? '' : ', **answered with a snapshot**'}`,
      check(c.rounds.length === 0 ? undefined : ratio <= 0.1 && viaScribes),
    ]);
  }
  out.push(...table(['target', 'measured', ''], targetRows));
  if (input.failures.length > 0) out.push('', '## Failures', '', ...input.failures.map((f) => `- ${f}`));
  return out;
}
