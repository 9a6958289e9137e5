/** The bench's markdown report: fan-out rows with their ratios to both socket.io floors, joins, the single set, and the targets. */
import { cpus, loadavg, platform, release } from 'node:os';
import type { ClientsReport, JoinResult, ServerReport, System } from './model.js';
import { median } from './model.js';
import type { Frame } from './single-set.js';

/** One fan-out run. */
export interface FanoutRun {
  readonly system: System;
  readonly n: number;
  readonly rate: number;
  readonly server: ServerReport;
  readonly clients: ClientsReport;
}

/** Figures of a run, derived once. */
export interface Figures {
  readonly achieved: number;
  readonly bytesPerMutation: number;
  readonly cpuUsPerMutation: number;
  readonly notes: string[];
}

/** ` (N% of it in the kernel)` when the server reported its system time, else nothing. */
export function kernelShare(server: { readonly cpuUs: number; readonly cpuSystemUs?: number }): string {
  return server.cpuSystemUs === undefined || server.cpuUs <= 0 ? '' : ` (${pct(server.cpuSystemUs / server.cpuUs)} of it in the kernel)`;
}

/** The derived figures of a run, and what makes it suspect. */
export function figures(run: FanoutRun): Figures {
  const { server, clients } = run;
  const achieved = server.mutations / server.seconds;
  const notes: string[] = [];
  const cpuShare = server.cpuUs / 1e6 / server.seconds;
  // The generator ticks every 1 ms; a p99 gap of 20 ms means the server's loop was that late.
  if (achieved < 0.95 * run.rate || server.tickP99Ms > 20 || cpuShare > 0.95) {
    notes.push(`**saturated** (${Math.round(achieved)}/s made, server CPU ${pct(cpuShare)}, tick gap p99 ${fmt(server.tickP99Ms)} ms)`);
  } else {
    notes.push(`server CPU ${pct(cpuShare)}${kernelShare(server)}, tick gap p99 ${fmt(server.tickP99Ms)} ms`);
  }
  if (run.system !== 'noop') notes.push(clients.gaps > 0 ? `**${clients.gaps} gaps**` : '0 gaps');
  if (clients.cpuShare > 0.9) notes.push(`**clients saturated** (CPU ${pct(clients.cpuShare)}): latency is theirs`);
  else notes.push(`clients CPU ${pct(clients.cpuShare)}`);
  if (clients.eventLoopP99Ms > 20) notes.push(`clients' loop delay p99 ${fmt(clients.eventLoopP99Ms)} ms is in the latency`);
  // Per mutation received: bytes and mutations are counted over the same messages, so a backlog
  // crossing the window's edges cannot skew the ratio.
  if (run.system !== 'noop') notes.push(`${fmt(clients.mutations / Math.max(1, clients.frames))} mut/msg`);
  return { achieved, bytesPerMutation: clients.bytes / clients.mutations, cpuUsPerMutation: server.cpuUs / server.mutations, notes };
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** A number with `digits` significant digits (at least integers). */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return '—';
  if (Math.abs(x) >= 10 ** digits) return Math.round(x).toLocaleString('en-US');
  return String(Number(x.toPrecision(digits)));
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)];
}

/** What the report needs besides the fan-out runs. */
export interface ReportInput {
  readonly runs: readonly FanoutRun[];
  readonly joins: readonly JoinResult[];
  readonly single: { readonly treesync: Frame; readonly floor: Frame; readonly seq: number; readonly object: number } | string;
  readonly seconds: number;
  readonly warmup: number;
  readonly pinned: boolean;
  /** os.loadavg() when the run began. */
  readonly loadAtStart: readonly number[];
}

/** The whole report as markdown lines. */
export function render(input: ReportInput): string[] {
  const { runs } = input;
  const cpu = cpus();
  const out = [
    '# treesync fan-out benchmark',
    '',
    `${new Date().toISOString()} · ${platform()} ${release()} · ${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length} · Node ${process.version} · load average ${input.loadAtStart.map((l) => l.toFixed(2)).join(' ')} at the start, ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end`,
    `Window ${input.seconds} s after ${input.warmup} s warm-up · server and clients in separate processes${input.pinned ? ', pinned to cores 0 and 1 (taskset)' : ' (not pinned: no taskset)'} · latency from timestamps in the values · bytes are WebSocket payload (engine.io packets)`,
    '',
    '## Fan-out',
    '',
  ];
  const byKey = new Map(runs.map((r) => [`${r.system}/${r.n}`, figures(r)]));
  const ratio = (f: Figures, system: System, n: number, of: 'cpuUsPerMutation' | 'bytesPerMutation'): string => {
    const base = byKey.get(`${system}/${n}`);
    const x = base === undefined ? NaN : f[of] / base[of];
    return Number.isFinite(x) ? `${fmt(x)}×` : '—';
  };
  const rows = runs.map((r) => {
    const f = byKey.get(`${r.system}/${r.n}`) ?? figures(r);
    const head = [r.system, String(r.n), `${fmt(f.achieved, 4)}/s`];
    if (r.system === 'noop') return [...head, '—', '—', '—', fmt(f.cpuUsPerMutation), '—', '—', '—', '—', f.notes.join('; ')];
    return [
      ...head,
      fmt(r.clients.p50Ms),
      fmt(r.clients.p99Ms),
      fmt(f.bytesPerMutation),
      fmt(f.cpuUsPerMutation),
      ratio(f, 'sio-each', r.n, 'cpuUsPerMutation'),
      ratio(f, 'sio-50ms', r.n, 'cpuUsPerMutation'),
      ratio(f, 'sio-each', r.n, 'bytesPerMutation'),
      ratio(f, 'sio-50ms', r.n, 'bytesPerMutation'),
      f.notes.join('; '),
    ];
  });
  out.push(
    ...table(
      ['system', 'N', 'rate achieved', 'p50 ms', 'p99 ms', 'bytes/mut/client', 'server CPU µs/mut', 'CPU ×sio-each', 'CPU ×sio-50ms', 'bytes ×sio-each', 'bytes ×sio-50ms', 'notes'],
      rows,
    ),
  );
  const noop = runs.find((r) => r.system === 'noop');
  if (noop !== undefined) {
    out.push('', `The CPU figures include the mutation generator and idle connections (the noop row, ${fmt(figures(noop).cpuUsPerMutation)} µs/mutation).`);
  }

  out.push('', '## Join of a 10,000-object tree', '');
  const floor = input.joins[0];
  const floorMs = floor === undefined ? NaN : median(floor.ms);
  out.push(
    ...table(
      ['path', 'median ms', 'min ms', 'max ms', 'rounds', 'objects', 'payload bytes', '×floor'],
      input.joins.map((j) =>
        j.ms.length === 0
          ? [j.name, j.note ?? 'not measured', '', '', '0', '', '', '']
          : [j.name, fmt(median(j.ms)), fmt(Math.min(...j.ms)), fmt(Math.max(...j.ms)), String(j.ms.length), String(j.objects), j.bytes === undefined ? '—' : j.bytes.toLocaleString('en-US'), `${fmt(median(j.ms) / floorMs)}×`],
      ),
    ),
  );

  out.push('', '## One set of a number attribute to a small integer, idle line, unbatched', '');
  const s = input.single;
  if (typeof s === 'string') out.push(s);
  else {
    out.push(
      ...table(
        ['system', 'WebSocket payload', 'bytes'],
        [
          ['treesync', `\`${s.treesync.text}\``, String(s.treesync.bytes)],
          ['socket.io, one event (sio-each shape, as socket.io encodes it)', `\`${s.floor.text}\``, String(s.floor.bytes)],
        ],
      ),
      '',
      `Object id ${s.object}, tree seq ${s.seq} before the set: both are in the treesync payload, which grows by a byte per decimal digit of either (at seq 1,000,000: ${s.treesync.bytes + 7 - String(s.seq + 1).length} bytes).`,
    );
  }

  out.push('', '## Targets', '');
  const ts = byKey.get('treesync/200');
  const run200 = runs.find((r) => r.system === 'treesync' && r.n === 200);
  const batched = byKey.get('sio-50ms/200');
  const sdk = input.joins.find((j) => j.name.includes('SyncClient'));
  const check = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? 'PASS' : '**FAIL**');
  const cpuRatio = ts !== undefined && batched !== undefined ? ts.cpuUsPerMutation / batched.cpuUsPerMutation : undefined;
  const noopUs = noop === undefined ? 0 : figures(noop).cpuUsPerMutation;
  const net = ts !== undefined && batched !== undefined ? (ts.cpuUsPerMutation - noopUs) / (batched.cpuUsPerMutation - noopUs) : undefined;
  const joinMs = sdk !== undefined && sdk.ms.length > 0 ? median(sdk.ms) : undefined;
  out.push(
    ...table(
      ['target', 'measured', ''],
      [
        ['treesync server CPU/mutation ≤ 1.5× socket.io 50 ms batched, N=200, 1,000/s', cpuRatio === undefined ? '—' : `${fmt(cpuRatio)}× (net of the generator: ${fmt(net ?? NaN)}×)`, check(cpuRatio === undefined ? undefined : cpuRatio <= 1.5)],
        ['treesync p99 < 25 ms, N=200, 1,000/s', run200 === undefined ? '—' : `${fmt(run200.clients.p99Ms)} ms`, check(run200 === undefined ? undefined : run200.clients.p99Ms < 25)],
        ['one set of a small integer ≤ 30 bytes of payload', typeof s === 'string' ? '—' : `${s.treesync.bytes} bytes`, check(typeof s === 'string' ? undefined : s.treesync.bytes <= 30)],
        ['SyncClient join of 10,000 objects < 100 ms', joinMs === undefined ? '—' : `${fmt(joinMs)} ms (${fmt(joinMs / floorMs)}× the socket.io floor)`, check(joinMs === undefined ? undefined : joinMs < 100)],
      ],
    ),
  );
  return out;
}
