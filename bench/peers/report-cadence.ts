/**
 * The report of `npm run bench:cadence` (bench/cadence.ts): each point's cadence, latency and
 * server CPU, each system's CPU per client write, and whether any treesync interval is below both
 * Colyseus's default CPU and ShareDB's one-document p99; if none is, what that would take.
 */
import { fmt } from '../lib/report.js';
import type { GeneratorFloor } from './floor.js';
import type { ClientsReport, Peer, ServerReport } from './model.js';
import { LABEL, pct, table } from './report-workloads.js';

/** One measured (or failed) point of the sweep. */
export interface CadencePoint {
  readonly system: Peer;
  readonly variant: string;
  /** The interval the variant sets, ms; undefined for a variant that sets none (treesync's default, ShareDB). */
  readonly intervalMs: number | undefined;
  readonly server?: ServerReport;
  readonly clients?: ClientsReport;
  readonly failed?: string;
}

/** What the report needs. */
export interface CadenceInput {
  readonly started: Date;
  readonly n: number;
  readonly rate: number;
  readonly objects: number;
  readonly seconds: number;
  readonly floor: GeneratorFloor | undefined;
  readonly points: readonly CadencePoint[];
}

/** A measured point's figures. */
export interface CadenceFigures {
  readonly point: CadencePoint;
  readonly label: string;
  /** Messages each client received per second. */
  readonly writesPerClient: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuUsPerMutation: number;
  /** Server CPU per message to one client, net of the mutation generator, µs. */
  readonly netUsPerWrite: number;
  /** Of that, the kernel's part (system time, which this kernel samples by tick), µs; undefined when the server did not report it. */
  readonly kernelUsPerWrite: number | undefined;
  readonly clientsCpu: number;
  /** Rate made under 95% of the asked, or p99 over 100 ms: saturated, as bench:peers says. */
  readonly saturated: boolean;
  /** At least 95% of the asked rate made: its CPU per mutation and per write are comparable. */
  readonly madeRate: boolean;
}

/** The figures of a measured point; undefined for a failed one. */
export function cadenceFigures(point: CadencePoint, input: Pick<CadenceInput, 'n' | 'rate' | 'floor'>): CadenceFigures | undefined {
  const { server, clients } = point;
  if (server === undefined || clients === undefined || server.mutations <= 0 || clients.frames <= 0) return undefined;
  const floorUs = (input.floor?.cpuUsPerMutation ?? 0) * server.mutations;
  const floorSystemUs = (input.floor?.systemUsPerMutation ?? 0) * server.mutations;
  return {
    point,
    label: `${LABEL[point.system]} ${point.variant}`,
    writesPerClient: clients.frames / server.seconds / input.n,
    p50Ms: clients.p50Ms,
    p99Ms: clients.p99Ms,
    cpuUsPerMutation: server.cpuUs / server.mutations,
    netUsPerWrite: Math.max(0, server.cpuUs - floorUs) / clients.frames,
    kernelUsPerWrite: server.cpuSystemUs === undefined ? undefined : Math.max(0, server.cpuSystemUs - floorSystemUs) / clients.frames,
    clientsCpu: clients.cpuShare,
    saturated: server.mutations / server.seconds < 0.95 * input.rate || !(clients.p99Ms <= 100),
    madeRate: server.mutations / server.seconds >= 0.95 * input.rate,
  };
}

/** The markdown report, as lines. */
export function cadenceReport(input: CadenceInput): string[] {
  const out = [
    `# bench:cadence: what lower latency costs (W1: ${input.objects.toLocaleString('en-US')} objects, N = ${String(input.n)}, ${input.rate.toLocaleString('en-US')} mutations/s, ${String(input.seconds)} s a point)`,
    '',
    `${input.started.toISOString()} · Node ${process.version} · \`npm run bench:cadence\` (bench/cadence.ts)`,
    '',
  ];
  if (input.floor !== undefined) {
    out.push(`The mutation generator alone costs ${fmt(input.floor.cpuUsPerMutation)} µs per mutation on the servers' core; every CPU figure includes it, and "net per write" is the rest divided by the messages the clients received.`, '');
  }
  const all = input.points.map((p) => ({ p, f: cadenceFigures(p, input) }));
  out.push(
    ...table(
      ['system', 'variant', 'interval ms', 'messages/s per client', 'p50 ms', 'p99 ms', 'server CPU µs/mut', 'net µs per write', 'of it kernel', 'clients CPU'],
      all.map(({ p, f }) =>
        f === undefined
          ? [LABEL[p.system], p.variant, p.intervalMs === undefined ? '—' : fmt(p.intervalMs), `failed: ${p.failed ?? 'no messages'}`, '', '', '', '', '', '']
          : [
              LABEL[p.system],
              p.variant,
              p.intervalMs === undefined ? '—' : fmt(p.intervalMs),
              fmt(f.writesPerClient),
              fmt(f.p50Ms),
              `${fmt(f.p99Ms)}${f.saturated ? ' (saturated)' : ''}`,
              fmt(f.cpuUsPerMutation),
              fmt(f.netUsPerWrite),
              f.kernelUsPerWrite === undefined ? '—' : fmt(f.kernelUsPerWrite),
              pct(f.clientsCpu),
            ],
      ),
    ),
    '',
  );
  const figures = all.flatMap(({ f }) => (f === undefined ? [] : [f]));
  out.push(...verdict(figures, input));
  return out;
}

/**
 * The least of `of` over a system's points that made the rate (a p99 over 100 ms does not change
 * what a write costs): the cheapest a message was anywhere in the sweep, the figure most generous
 * to a claim that more messages would fit in the budget. Undefined when no point has it.
 */
function least(figures: readonly CadenceFigures[], system: Peer, of: (f: CadenceFigures) => number | undefined): number | undefined {
  const xs = figures.flatMap((f) => {
    const x = f.point.system === system && f.madeRate ? of(f) : undefined;
    return x === undefined || !(x > 0) ? [] : [x];
  });
  return xs.length === 0 ? undefined : Math.min(...xs);
}

/** Whether a treesync setting beats both corners, and if not, the arithmetic of why. */
function verdict(figures: readonly CadenceFigures[], input: CadenceInput): string[] {
  const find = (system: Peer, variant: string): CadenceFigures | undefined => figures.find((f) => f.point.system === system && f.point.variant === variant);
  const colyseus = find('colyseus', 'patch50');
  const sharedb = find('sharedb', 'doc');
  const treesync = figures.filter((f) => f.point.system === 'treesync');
  if (colyseus === undefined || sharedb === undefined || treesync.length === 0) return ['Not judged: the run lacks treesync, Colyseus patch50 or ShareDB doc.'];
  const lines = ['## Both at once?', ''];
  const both = treesync.filter((f) => f.cpuUsPerMutation < colyseus.cpuUsPerMutation && f.p99Ms < sharedb.p99Ms);
  const cheapest = (fs: readonly CadenceFigures[]): CadenceFigures | undefined => [...fs].sort((a, b) => a.cpuUsPerMutation - b.cpuUsPerMutation)[0];
  const quickest = (fs: readonly CadenceFigures[]): CadenceFigures | undefined => [...fs].sort((a, b) => a.p99Ms - b.p99Ms)[0];
  if (both.length > 0) {
    const f = cheapest(both) as CadenceFigures;
    return [...lines, `Yes: ${f.label} costs ${fmt(f.cpuUsPerMutation)} µs per mutation (Colyseus patch50: ${fmt(colyseus.cpuUsPerMutation)}) with p99 ${fmt(f.p99Ms)} ms (ShareDB doc: ${fmt(sharedb.p99Ms)}).`];
  }
  lines.push(`No treesync setting here is below Colyseus patch50's CPU (${fmt(colyseus.cpuUsPerMutation)} µs per mutation) and ShareDB doc's p99 (${fmt(sharedb.p99Ms)} ms) at once.`);
  const fast = cheapest(treesync.filter((f) => f.p99Ms < sharedb.p99Ms));
  lines.push(
    fast === undefined
      ? `- No treesync setting measured here has a p99 under ShareDB's; the quickest, ${quickest(treesync)?.label ?? ''}, has ${fmt(quickest(treesync)?.p99Ms ?? Number.NaN)} ms.`
      : `- Under ShareDB's p99, the cheapest treesync setting is ${fast.label}: ${fmt(fast.cpuUsPerMutation)} µs per mutation, ${fmt(fast.cpuUsPerMutation / colyseus.cpuUsPerMutation)}× Colyseus patch50's and ${fmt(fast.cpuUsPerMutation / sharedb.cpuUsPerMutation)}× ShareDB doc's.`,
  );
  const lean = quickest(treesync.filter((f) => f.cpuUsPerMutation < colyseus.cpuUsPerMutation));
  if (lean !== undefined) lines.push(`- Under Colyseus patch50's CPU, the quickest treesync setting is ${lean.label}: p99 ${fmt(lean.p99Ms)} ms, against Colyseus patch50's ${fmt(colyseus.p99Ms)} and ShareDB doc's ${fmt(sharedb.p99Ms)}.`);
  lines.push(...budget(figures, treesync, colyseus, sharedb, input));
  for (const peer of [colyseus, sharedb]) {
    const better = treesync.filter((f) => f.cpuUsPerMutation < peer.cpuUsPerMutation && f.p99Ms < peer.p99Ms).map((f) => `${f.point.variant} (${fmt(f.cpuUsPerMutation)} µs, ${fmt(f.p99Ms)} ms)`);
    lines.push(`- Below ${peer.label} (${fmt(peer.cpuUsPerMutation)} µs, ${fmt(peer.p99Ms)} ms) on both figures: ${better.length === 0 ? 'no treesync setting' : better.join(', ')}.`);
  }
  const same = treesync.flatMap((f) => {
    const c = figures.find((g) => g.point.system === 'colyseus' && g.point.intervalMs !== undefined && f.point.intervalMs !== undefined && Math.abs(g.point.intervalMs - f.point.intervalMs) < 1);
    return c === undefined ? [] : [`${fmt(f.point.intervalMs ?? 0)} ms: ${fmt(f.cpuUsPerMutation)} against ${fmt(c.cpuUsPerMutation)} µs, p99 ${fmt(f.p99Ms)} against ${fmt(c.p99Ms)} ms`];
  });
  if (same.length > 0) lines.push(`- At the same interval, treesync against Colyseus: ${same.join('; ')}.`);
  return lines;
}

/**
 * The arithmetic of "both at once", each input taken the way most generous to treesync: the least
 * CPU per message of any point, and the least margin of any point's p99 over the interval its
 * clients actually saw (1,000 / messages a second per client).
 */
function budget(figures: readonly CadenceFigures[], treesync: readonly CadenceFigures[], colyseus: CadenceFigures, sharedb: CadenceFigures, input: CadenceInput): string[] {
  const lines: string[] = [];
  const ours = least(figures, 'treesync', (f) => f.netUsPerWrite);
  const theirs = least(figures, 'colyseus', (f) => f.netUsPerWrite);
  if (ours !== undefined && theirs !== undefined) {
    lines.push(`- A message to one client cost the server at least ${fmt(ours)} µs in treesync and ${fmt(theirs)} µs in Colyseus (the least over each one's points, net of the generator).`);
  }
  const floor = input.floor?.cpuUsPerMutation;
  const lag = Math.max(0, Math.min(...treesync.filter((f) => f.madeRate).map((f) => f.p99Ms - 1000 / f.writesPerClient)));
  const interval = sharedb.p99Ms - lag;
  if (ours === undefined || floor === undefined || !Number.isFinite(lag) || interval <= 0) {
    if (floor === undefined) lines.push('- The generator floor was not measured, so what a lower p99 would cost is not worked out.');
    return lines;
  }
  const writes = (input.n * 1000) / interval;
  const need = floor + (ours * writes) / input.rate;
  const most = Math.max(0, ((colyseus.cpuUsPerMutation - floor) * input.rate) / writes);
  lines.push(
    `- A p99 under ${fmt(sharedb.p99Ms)} ms takes a message to each client at least every ${fmt(interval)} ms (no treesync point's p99 was less than ${fmt(lag)} ms over the interval its clients saw): ${fmt(writes)} messages a second to ${String(input.n)} clients, which at ${fmt(ours)} µs each and the generator's ${fmt(floor)} is ${fmt(need)} µs per mutation, ${fmt(need / colyseus.cpuUsPerMutation)}× Colyseus patch50's ${fmt(colyseus.cpuUsPerMutation)}. To meet both, a message would have to cost at most ${fmt(most)} µs, everything else free.`,
  );
  const kernel = least(figures, 'treesync', (f) => f.kernelUsPerWrite);
  if (kernel !== undefined) {
    lines.push(`- The kernel's part of a message alone (its system time, sampled by tick) was at least ${fmt(kernel)} µs in treesync: ${kernel > most ? 'over that budget before any JavaScript runs' : 'within that budget'}.`);
  }
  return lines;
}
