/**
 * The tables of bench/results/peers.md for W2 (client writes), W4 (reconnect) and W5 (filtered
 * views), and the helpers every table of the report shares (bench/peers/report.ts has W1, W3,
 * the targets and the chart).
 */
import { fmt } from '../lib/report.js';
import { PEERS, type ClientsReport, type Peer, type ServerReport, type W2Report, type W4Report, type W5ClientsExtra } from './model.js';

/** How a row came out. */
export type Status = 'ok' | 'unsupported' | 'failed' | 'not run';

/** What every row has: whose it is, and how it came out. */
export interface Row {
  readonly system: Peer;
  readonly variant: string;
  readonly status: Status;
  readonly why?: string;
}

/** One W2 client-write run. */
export interface W2Run extends Row {
  readonly writers: number;
  readonly perSecond: number;
  readonly seconds: number;
  readonly server?: ServerReport;
  readonly clients?: W2Report;
}

/** One W4 reconnect run. */
export interface W4Run extends Row {
  readonly n: number;
  readonly offlineSeconds: number;
  readonly server?: ServerReport;
  readonly clients?: W4Report;
}

/** One W5 filtered-view run. */
export interface W5Run extends Row {
  readonly n: number;
  readonly rate: number;
  readonly groups: number;
  readonly server?: ServerReport;
  readonly clients?: ClientsReport & W5ClientsExtra & { readonly [key: string]: unknown };
}

/** A W1 run as W5 compares with it: where, and the clients' bytes and mutations. */
export interface W1Like extends Row {
  readonly n: number;
  readonly rate: number;
  readonly clients?: Pick<ClientsReport, 'bytes' | 'mutations'>;
}

const ORDER: readonly Peer[] = ['treesync', 'colyseus', 'sharedb', 'socketio'];
export const LABEL: Readonly<Record<Peer, string>> = { treesync: 'treesync', colyseus: 'Colyseus', sharedb: 'ShareDB', socketio: 'socket.io (raw)' };

export function pct(x: number): string {
  return Number.isFinite(x) ? `${fmt(x * 100)}%` : '—';
}

export function n0(x: number): string {
  return x.toLocaleString('en-US');
}

export function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replaceAll('|', '\\|').replaceAll('\n', ' ')).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)];
}

/** A row's place: by system, then by variant, in the order PEERS lists them. */
export function order(system: Peer, variant: string): number {
  return ORDER.indexOf(system) * 10 + (PEERS[system] as readonly string[]).indexOf(variant);
}

function sorted<R extends Row>(rows: readonly R[]): R[] {
  return [...rows].sort((a, b) => order(a.system, a.variant) - order(b.system, b.variant));
}

/** The cells of a row that was not measured: its status, dashes, and why. */
function unmeasured(r: Row, head: readonly string[], width: number): string[] {
  return [...head, r.status, ...Array.from({ length: width - head.length - 2 }, () => '—'), r.why ?? ''];
}

/** A number of ms, or a dash. */
function ms(x: number): string {
  return Number.isFinite(x) ? fmt(x) : '—';
}

export function renderW2(runs: readonly W2Run[]): string[] {
  const head = ['system', 'variant', 'writes', 'accepted / refused / expected refused', 'unanswered', 'rtt p50 ms', 'rtt p99 ms', 'refused rtt p50 ms', 'outcome path', 'writers correct', 'mismatches', 'refused seen', 'server CPU µs/write', 'notes'];
  const rows = sorted(runs).map((r) => {
    const cells = [LABEL[r.system], r.variant];
    const c = r.clients;
    const s = r.server;
    if (r.status !== 'ok' || c === undefined || s === undefined) return unmeasured(r, cells, head.length);
    const refusedOk = c.refused === c.expectedRefused;
    return [
      ...cells,
      n0(c.writes),
      `${n0(c.accepted)} / ${refusedOk ? n0(c.refused) : `**${n0(c.refused)}**`} / ${n0(c.expectedRefused)}`,
      c.unanswered > 0 ? `**${n0(c.unanswered)}**` : '0',
      ms(c.rttP50Ms),
      ms(c.rttP99Ms),
      ms(c.refusedRttP50Ms),
      c.outcome,
      `${c.writersCorrect === c.writers ? '' : '**'}${c.writersCorrect} / ${c.writers}${c.writersCorrect === c.writers ? '' : '**'}`,
      c.mismatches > 0 ? `**${n0(c.mismatches)}**` : '0',
      c.refusedSeen ? '**yes**' : 'no',
      fmt(s.cpuUs / s.mutations),
      `server handled ${n0(s.mutations)} writes in ${fmt(s.seconds)} s (CPU ${pct(s.cpuUs / 1e6 / s.seconds)}); clients CPU ${fmt(c.clientsCpuPct)}%`,
    ];
  });
  return [
    ...table(head, rows),
    '',
    `Each writer sets \`value\` of object (writer × 7,919 + w × 104,729) % M to its send time; every 20th write sets -1, which the server must refuse by its own rule. rtt: from the write to its outcome known to the writer (for treesync the promise of \`set\`, which resolves once the ack came and the mirror shows the write); writers correct: writers whose state equals a fresh client's 500 ms after the last outcome; server CPU over the writes it handled, including idle connections and the fresh join. treesync refuses by a \`validate\` function on the attribute, which stays on the server: a declarative \`min: 0\` travels in the welcome, and the client itself would refuse the write before sending it (no round trip, nothing for the server to do).`,
  ];
}

export function renderW4(runs: readonly W4Run[]): string[] {
  const head = ['system', 'variant', 'clients caught up', 'p50 ms', 'p99 ms', 'max ms', 'bytes/client', 'missed', 'bytes per missed mutation', 'path', 'server CPU'];
  const rows = sorted(runs).map((r) => {
    const cells = [LABEL[r.system], r.variant];
    const c = r.clients;
    const s = r.server;
    if (r.status !== 'ok' || c === undefined) return unmeasured(r, cells, head.length);
    return [
      ...cells,
      `${c.caughtUp === c.clients ? '' : '**'}${c.caughtUp} / ${c.clients}${c.caughtUp === c.clients ? '' : '**'}`,
      ms(c.p50Ms),
      ms(c.p99Ms),
      ms(c.maxMs),
      Number.isFinite(c.bytesPerClient) ? n0(Math.round(c.bytesPerClient)) : '—',
      n0(c.missed),
      c.missed > 0 && Number.isFinite(c.bytesPerClient) ? fmt(c.bytesPerClient / c.missed) : '—',
      c.path,
      s === undefined ? '—' : `${pct(s.cpuUs / 1e6 / s.seconds)} of a core over ${fmt(s.seconds)} s (${fmt(s.cpuUs / s.mutations)} µs/mutation)`,
    ];
  });
  const offline = runs.find((r) => r.status === 'ok')?.offlineSeconds ?? runs[0]?.offlineSeconds ?? 0;
  return [
    ...table(head, rows),
    '',
    `After 1 s of live updates every client drops its connection at once (its transport closed under it), stays away ${offline} s while the server goes on at 1,000 mutations/s, and reconnects, all at once. Times run from a client's reconnect until it is consistent: what brought it back is applied and it has applied a mutation made after it reconnected. Bytes: WebSocket payload in that span (the HTTP upgrade not counted); missed: mutations made while it was away, as the client could tell (else rate × time away). Server CPU over the whole row (live, drop, catch-up).`,
  ];
}

export function renderW5(runs: readonly W5Run[], w1: readonly W1Like[]): string[] {
  const head = ['system', 'variant', 'N', 'groups', 'made/s', 'p50 ms', 'p99 ms', 'server CPU µs/mut', 'bytes/mut/client', 'vs W1 bytes/mut', 'delivered', 'violations', 'held median', 'notes'];
  const rows = sorted(runs).map((r) => {
    const cells = [LABEL[r.system], r.variant, String(r.n), String(r.groups)];
    const c = r.clients;
    const s = r.server;
    if (r.status !== 'ok' || c === undefined || s === undefined) return unmeasured(r, cells, head.length);
    const bytesPerMut = c.bytes / c.mutations;
    const base = w1.find((x) => x.system === r.system && x.variant === r.variant && x.n === r.n && x.rate === r.rate && x.status === 'ok' && x.clients !== undefined);
    const ratio = base?.clients === undefined ? NaN : bytesPerMut / (base.clients.bytes / base.clients.mutations);
    const delivered = c.mutations / ((r.n * s.mutations) / r.groups);
    const notes = [c.gaps > 0 ? `**${c.gaps} gaps**` : '0 gaps', `clients CPU ${pct(c.cpuShare)}`, `server CPU ${pct(s.cpuUs / 1e6 / s.seconds)}`];
    if (c.frames > 0) notes.push(`${fmt(c.mutations / c.frames)} mut/msg`);
    if (typeof c['mirrors'] === 'number' && c['mirrors'] > 0) notes.push(`${c['mirrors']} SyncClient mirrors`);
    return [
      ...cells,
      fmt(s.mutations / s.seconds, 4),
      ms(c.p50Ms),
      ms(c.p99Ms),
      fmt(s.cpuUs / s.mutations),
      fmt(bytesPerMut),
      Number.isFinite(ratio) ? `${fmt(ratio)}×` : '—',
      pct(delivered),
      c.violations > 0 ? `**${n0(c.violations)}**` : '0',
      fmt(c.heldMedian),
      notes.join('; '),
    ];
  });
  return [
    ...table(head, rows),
    '',
    "W1's fan-out (1,000 objects, 1,000 mutations/s) where object j belongs to group j % groups and client i sees only group i % groups (it says which in its system's idiom). Delivered: mutations received over N × made / groups (each client should get its group's share); violations: values or objects of another group a client received (must be 0); vs W1: bytes per mutation per client over W1's at the same N, system and variant (1× = filtering costs nothing per mutation delivered; a client receives a tenth of W1's mutations, so a system that batches per time puts fewer in each message and pays its per-message overhead on fewer).",
  ];
}
