/**
 * The report of `npm run bench:peers`: bench/results/peers.md (a table per workload, the targets)
 * and bench/results/peers.svg (server CPU per mutation and p99 per system at N=200, 1,000
 * mutations/s), both as plain text built here. The tables of W2, W4 and W5 are in
 * report-workloads.ts.
 */
import { fmt, kernelShare } from '../lib/report.js';
import { PEERS, median, type ClientsReport, type JoinResult, type Peer, type ServerReport, type W1ServerExtra } from './model.js';
import { LABEL, n0, order, pct, renderW2, renderW4, renderW5, table, type Row, type W2Run, type W4Run, type W5Run } from './report-workloads.js';
import { renderSaturation } from './report-saturation.js';
import { isTargetRow, targets } from './report-targets.js';
import type { GeneratorFloor } from './floor.js';

export type { Status } from './report-workloads.js';
export { isTargetRow } from './report-targets.js';

/** One W1 fan-out run. */
export interface W1Run extends Row {
  readonly n: number;
  readonly rate: number;
  readonly server?: ServerReport & Partial<W1ServerExtra>;
  readonly clients?: ClientsReport & { readonly [key: string]: unknown };
  /** When the row ran more than once (the targets' rows): server CPU µs/mutation and p99 ms of every run, this one (the median by CPU) included. */
  readonly repeats?: readonly { readonly cpuUsPerMutation: number; readonly p99Ms: number }[];
}

/** One W3 join run: a server of `objects` objects, `parallel` clients per round. */
export interface W3Run extends Row {
  readonly objects: number;
  readonly parallel: number;
  readonly rounds: number;
  /** The system's join paths; the first is its headline (what its client library gives an application). */
  readonly results?: readonly JoinResult[];
  /** Server heap per object, when the server reported it. */
  readonly heapPerObjectBytes?: number;
}

/** Whether a system took part, and why not. */
export interface SystemStatus {
  readonly system: Peer;
  readonly ran: boolean;
  readonly why?: string;
}

/** Everything the report shows. */
export interface PeersInput {
  readonly started: Date;
  readonly elapsedSeconds: number;
  readonly quick: boolean;
  readonly seconds: number;
  readonly warmup: number;
  readonly pinned: boolean;
  readonly cpu: string;
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
  /** Package versions, read from their package.json. */
  readonly versions: Readonly<Record<string, string>>;
  readonly systems: readonly SystemStatus[];
  /** The workloads chosen (PEERS_WORKLOADS). */
  readonly workloads: readonly string[];
  readonly w1: readonly W1Run[];
  readonly w2: readonly W2Run[];
  readonly w3: readonly W3Run[];
  readonly w4: readonly W4Run[];
  readonly w5: readonly W5Run[];
  readonly objects: number;
  /** The mutation generator alone at each W1 rate (none when W1 did not run). */
  readonly floors: readonly GeneratorFloor[];
}

/** Figures derived from a measured W1 run. */
export interface W1Figures {
  readonly achieved: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuUsPerMutation: number;
  readonly bytesPerMutation: number;
  /** Mutations received by all clients over N × mutations made in the window. */
  readonly delivered: number;
  readonly heapPerObjectBytes: number;
  readonly saturated: readonly string[];
  readonly notes: readonly string[];
  /** Every mutation reached every client: no gap, at least 99% delivered. */
  readonly complete: boolean;
}

const COLOR: Readonly<Record<Peer, string>> = { treesync: '#2b7a3d', colyseus: '#7a4bb0', sharedb: '#c0601a', socketio: '#777777' };

/** The figures of a W1 run, undefined unless it was measured. */
export function w1Figures(run: W1Run): W1Figures | undefined {
  const { server, clients } = run;
  if (run.status !== 'ok' || server === undefined || clients === undefined) return undefined;
  const achieved = server.mutations / server.seconds;
  const delivered = clients.mutations / (run.n * server.mutations);
  const saturated: string[] = [];
  if (achieved < 0.95 * run.rate) saturated.push(`rate ${Math.round(achieved)}/s`);
  if (!(clients.p99Ms <= 100)) saturated.push(`p99 ${fmt(clients.p99Ms)} ms`);
  const notes = [`server CPU ${pct(server.cpuUs / 1e6 / server.seconds)}${kernelShare(server)}`, `tick gap p99 ${fmt(server.tickP99Ms)} ms`];
  notes.push(clients.gaps > 0 ? `**${clients.gaps} gaps**` : '0 gaps');
  notes.push(clients.cpuShare > 0.9 ? `**load process saturated** (CPU ${pct(clients.cpuShare)}): latency is partly its own` : `clients CPU ${pct(clients.cpuShare)}`);
  if (clients.eventLoopP99Ms > 20) notes.push(`clients' loop delay p99 ${fmt(clients.eventLoopP99Ms)} ms`);
  const gcMax = clients['gcMaxMs'];
  if (typeof gcMax === 'number' && gcMax > 50) notes.push(`the load process's longest GC pause ${fmt(gcMax)} ms (GC ${pct(Number(clients['gcShare']))} of its time): it holds N decoded states, and a pause delays every client's messages`);
  if (clients.samples === 0 && server.mutations > 0) notes.push('**no samples**: the load process was so far behind that `mark` and `report` reached it together');
  if (clients.frames > 0) notes.push(`${fmt(clients.mutations / clients.frames)} mut/msg`);
  if (run.repeats !== undefined && run.repeats.length > 1) {
    notes.push(`the median by CPU of ${run.repeats.length} runs (server CPU ${run.repeats.map((r) => fmt(r.cpuUsPerMutation)).join(', ')} µs/mut; p99 ${run.repeats.map((r) => fmt(r.p99Ms)).join(', ')} ms)`);
  }
  const mirrors = clients['mirrors'];
  if (typeof mirrors === 'number' && mirrors > 0) {
    notes.push(`${mirrors} SyncClient mirrors: p50 ${fmt(Number(clients['mirrorP50Ms']))} ms, p99 ${fmt(Number(clients['mirrorP99Ms']))} ms`);
    if (typeof clients['rawP99Ms'] === 'number') notes.push(`protocol-level clients: p50 ${fmt(Number(clients['rawP50Ms']))} ms, p99 ${fmt(clients['rawP99Ms'])} ms`);
  }
  return {
    achieved,
    p50Ms: clients.p50Ms,
    p99Ms: clients.p99Ms,
    cpuUsPerMutation: server.cpuUs / server.mutations,
    bytesPerMutation: clients.bytes / clients.mutations,
    delivered,
    heapPerObjectBytes: server.heapPerObjectBytes ?? NaN,
    saturated,
    notes,
    complete: clients.gaps === 0 && delivered >= 0.99,
  };
}

/** The markdown report. */
export function renderMarkdown(input: PeersInput): string {
  const v = (name: string): string => `${name} ${input.versions[name] ?? 'not installed'}`;
  const out = [
    '# treesync against its peers (`npm run bench:peers`)',
    '',
    `${input.started.toISOString()} · ${input.cpu} · Node ${process.version} · ${['socket.io', '@colyseus/core', '@colyseus/schema', 'sharedb'].map(v).join(' · ')} · load average ${input.loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${input.loadAfter.map((l) => l.toFixed(2)).join(' ')} after · ${Math.round(input.elapsedSeconds)} s in all${input.quick ? ' · **quick run** (PEERS_QUICK=1)' : ''}`,
    ...(Math.max(input.loadBefore[0] ?? 0, input.loadAfter[0] ?? 0) > 1
      ? ['', '**The machine was busy around this run (1-minute load average above 1 on the cores the bench pins to): its figures are noisy.**']
      : []),
    '',
    `W1 window ${input.seconds} s after ${input.warmup} s of warm-up · server and load clients in separate processes${input.pinned ? ', pinned to cores 0 and 1 (taskset)' : ' (not pinned: no taskset)'} · ![server CPU per mutation and p99 at N=200, 1,000/s](peers.svg)`,
    '',
    '## Systems',
    '',
    ...table(
      ['system', 'variants', 'status'],
      input.systems.map((s) => [LABEL[s.system], PEERS[s.system].join(', '), s.ran ? 'measured' : `**skipped**: ${s.why ?? ''}`]),
    ),
  ];
  const rows: readonly Row[] = [...input.w1, ...input.w3, ...input.w2, ...input.w4, ...input.w5];
  const late = rows.filter((r) => r.status === 'not run' && (r.why ?? '').startsWith('time budget')).length;
  if (late > 0) {
    out.push(
      '',
      `**${late} rows were not run for the time budget** (PEERS_BUDGET_SECONDS, default 1,800 s so that the whole run stays under 31 minutes): run fewer systems (PEERS_SYSTEMS) or workloads (PEERS_WORKLOADS), or give it a larger budget (PEERS_BUDGET_SECONDS).`,
    );
  }
  const skipped = rows.filter((r) => r.status === 'unsupported' && input.systems.some((s) => s.system === r.system && s.ran));
  const unsupported = [...new Set(skipped.map((r) => `${LABEL[r.system]}/${r.variant}: ${r.why ?? ''}`))];
  if (unsupported.length > 0) out.push('', 'Answered `unsupported`:', '', ...unsupported.map((u) => `- ${u}`));

  out.push('', `## W1 fan-out: ${n0(input.objects)} objects, the server sets \`value\` of object k % M per mutation`, '');
  if (input.floors.length > 0) {
    out.push(
      `The mutation generator alone, on the servers' core with no mutation applied (a 1 ms timer that makes the mutations due), costs ${input.floors.map((f) => `${fmt(f.cpuUsPerMutation)} µs per mutation at ${n0(f.rate)}/s (${pct(f.systemUsPerMutation / f.cpuUsPerMutation)} of it in the kernel)`).join(', ')}: every server's CPU below includes it (on a busy server its wake-ups overlap other work, so this is an upper bound on its share).`,
      '',
    );
  }
  const w1 = [...input.w1].sort((a, b) => a.rate - b.rate || a.n - b.n || order(a.system, a.variant) - order(b.system, b.variant));
  out.push(
    ...table(
      ['system', 'variant', 'N', 'rate', 'made/s', 'p50 ms', 'p99 ms', 'server CPU µs/mut', 'bytes/mut/client', 'server heap B/object', 'delivered', 'saturated', 'notes'],
      w1.map((r) => {
        const head = [LABEL[r.system], r.variant, String(r.n), n0(r.rate)];
        const f = w1Figures(r);
        if (f === undefined) return [...head, r.status, '—', '—', '—', '—', '—', '—', '—', r.why ?? ''];
        return [
          ...head,
          fmt(f.achieved, 4),
          fmt(f.p50Ms),
          fmt(f.p99Ms),
          fmt(f.cpuUsPerMutation),
          fmt(f.bytesPerMutation),
          fmt(f.heapPerObjectBytes),
          pct(f.delivered),
          f.saturated.length > 0 ? `**yes** (${f.saturated.join(', ')})` : 'no',
          f.notes.join('; '),
        ];
      }),
    ),
  );

  out.push('', '## W1 saturation: the highest measured rate that keeps p99 under 100 ms', '');
  out.push(...renderSaturation(input.w1, w1Figures));
  out.push('', 'With at least 95% of the asked rate made; bracketed by the rates W1 measures (1,000 and 5,000 mutations/s), not searched between them.');

  out.push('', '## W3 join: time from connect until every one of `parallel` fresh clients holds all M objects (the slowest)', '');
  const w3 = [...input.w3].sort((a, b) => a.objects - b.objects || a.parallel - b.parallel || order(a.system, a.variant) - order(b.system, b.variant));
  const w3rows: string[][] = [];
  for (const r of w3) {
    const head = [LABEL[r.system], r.variant, n0(r.objects), String(r.parallel)];
    const heap = r.heapPerObjectBytes === undefined ? '—' : fmt(r.heapPerObjectBytes);
    if (r.status !== 'ok' || r.results === undefined || r.results.length === 0) {
      w3rows.push([...head, '—', r.status, '—', '—', '—', '—', '—', heap, r.why ?? (r.status === 'ok' ? 'no results' : '')]);
      continue;
    }
    r.results.forEach((j, i) => {
      const path = `${j.name}${i === 0 ? ' (headline)' : ''}`;
      if (j.ms.length === 0) w3rows.push([...head, path, 'not measured', '—', '—', '0', n0(j.objects), '—', heap, j.note ?? '']);
      else {
        w3rows.push([
          ...head,
          path,
          fmt(median(j.ms)),
          fmt(Math.min(...j.ms)),
          fmt(Math.max(...j.ms)),
          String(j.ms.length),
          n0(j.objects),
          j.bytes === undefined ? '—' : n0(j.bytes),
          heap,
          j.note ?? '',
        ]);
      }
    });
  }
  out.push(...table(['system', 'variant', 'M', 'parallel', 'path', 'median ms', 'min ms', 'max ms', 'rounds', 'objects', 'payload bytes/client', 'server heap B/object', 'note'], w3rows));

  const section = (name: string, title: string, body: () => string[]): void => {
    out.push('', `## ${title}`, '', ...(input.workloads.includes(name) ? body() : ['Not run: not chosen (PEERS_WORKLOADS).']));
  };
  section('w2', `W2 client writes: writers propose, the server validates and answers`, () => renderW2(input.w2));
  section('w4', 'W4 reconnect: clients drop and catch up', () => renderW4(input.w4));
  section('w5', 'W5 filtered views: each client sees one group of the objects', () => renderW5(input.w5, input.w1));

  out.push('', '## Targets', '', ...table(['target', 'measured', ''], targets(input, w1Figures)));
  out.push(
    '',
    'treesync is its default variant (`batched`); each peer is at its best variant for the figure compared, except in the "same cadence" rows, which take the Colyseus variant that writes to each client about as often as the treesync variant does (the default about 58 times a second at 200 clients, `patch16` 60; `paced` and `patch50` 20). For W3, each system counts with its headline path (its first result: what its client library hands an application); "—" means a side was not measured.',
  );

  out.push(
    '',
    '## How to read this',
    '',
    '- Latency: receipt time minus the send time the server stamped into `value` (one clock: both processes run on this machine). p50/p99 over the sampled clients of the window.',
    '- Server CPU µs/mutation: user + system CPU of the server process in the window over the mutations it made; it includes the mutation generator and idle connections. The notes say how much of it was system (kernel) time: on loopback, mostly the TCP path of each socket write.',
    "- bytes/mutation/client: WebSocket payload bytes received (frame headers excluded) over mutations received, counted over the same messages. treesync's protocol-level clients ask for binary batches (`batches: 'binary'`): each batch is a socket.io text header and a binary attachment, two WebSocket messages counted as one, with the bytes of both.",
    '- Delivered: mutations received by all clients over N × mutations made in the window; it can pass 100% by what was in flight when the window opened.',
    '- Saturated: fewer than 95% of the asked rate made, or p99 above 100 ms. "load process saturated" means the client process, not the server, may be what is slow.',
    '- Server heap B/object: heap used after building the state, less before, over M (after full collections); each system in its own representation.',
    `- treesync's W1 load clients are real \`SyncClient\` mirrors (20 in \`batched\` and \`paced\`, none in \`unbatched\`; PEERS_MIRRORS sets them) and protocol-level clients for the rest, which decode every batch but keep no state: 200 full mirrors (each applying every batch of a ${n0(input.objects)}-object tree and emitting its events) in one load process would measure that process rather than the server. The mirrors' own latency is in the notes; p50/p99 include them. In W3, the headline is \`SyncClient.join\` up to a usable mirror; the raw protocol row (snapshot parsed, no mirror) shows the server and the wire.`,
    "- Raw socket.io is the hand-written floor: a plain array of objects on the server, `[object, field, value]` triples, no ids, versions or ordering guarantees beyond socket.io's.",
  );
  return `${out.join('\n')}\n`;
}

function esc(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** The chart: server CPU µs/mutation and p99 per system/variant at N=200, 1,000/s; undefined when nothing was measured there. */
export function renderSvg(input: PeersInput): string | undefined {
  const bars = input.w1
    .filter(isTargetRow)
    .flatMap((r) => {
      const f = w1Figures(r);
      return f === undefined ? [] : [{ run: r, f }];
    })
    .sort((a, b) => order(a.run.system, a.run.variant) - order(b.run.system, b.run.variant));
  if (bars.length === 0) return undefined;
  const width = 840;
  const labelW = 210;
  const barW = 470;
  const rowH = 22;
  const panels = [
    { title: 'Server CPU per mutation (µs), lower is better', value: (f: W1Figures) => f.cpuUsPerMutation, unit: 'µs' },
    { title: 'p99 latency (ms), lower is better', value: (f: W1Figures) => f.p99Ms, unit: 'ms' },
  ];
  const panelH = 34 + bars.length * rowH + 26;
  const height = 40 + panels.length * panelH + 24;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="24" font-size="15" font-weight="bold">W1 fan-out, N=200 clients, 1,000 mutations/s, ${n0(input.objects)} objects (log scale)</text>`,
  ];
  panels.forEach((panel, p) => {
    const top = 40 + p * panelH;
    const values = bars.map((b) => panel.value(b.f)).filter((x) => Number.isFinite(x) && x > 0);
    // A log scale over whole decades: saturated rows are often 10× the others.
    const lo = values.length === 0 ? 0 : Math.floor(Math.log10(Math.min(...values)));
    const hi = values.length === 0 ? 1 : Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values))));
    const xOf = (x: number): number => ((Math.log10(Math.max(x, 10 ** lo)) - lo) / (hi - lo)) * barW;
    const bottom = top + 30 + bars.length * rowH;
    out.push(`<text x="10" y="${top + 18}" font-weight="bold">${esc(panel.title)}</text>`);
    for (let d = lo; d <= hi; d++) {
      const x = labelW + xOf(10 ** d);
      out.push(
        `<line x1="${x.toFixed(1)}" y1="${top + 28}" x2="${x.toFixed(1)}" y2="${bottom + 2}" stroke="#dddddd"/>`,
        `<text x="${x.toFixed(1)}" y="${bottom + 16}" text-anchor="middle" fill="#555">${esc(fmt(10 ** d))}</text>`,
      );
    }
    bars.forEach((b, i) => {
      const y = top + 30 + i * rowH;
      const x = panel.value(b.f);
      const w = Number.isFinite(x) && x > 0 ? Math.max(1, xOf(x)) : 0;
      const label = `${LABEL[b.run.system]} / ${b.run.variant}`;
      const sat = b.f.saturated.length > 0 ? ' (saturated)' : '';
      out.push(
        `<text x="${labelW - 8}" y="${y + 14}" text-anchor="end">${esc(label)}</text>`,
        `<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${COLOR[b.run.system]}"${b.run.variant === PEERS[b.run.system][0] ? '' : ' fill-opacity="0.6"'}/>`,
        `<text x="${(labelW + w + 6).toFixed(1)}" y="${y + 14}">${esc(`${Number.isFinite(x) ? `${fmt(x)} ${panel.unit}` : 'no samples'}${sat}`)}</text>`,
      );
    });
  });
  out.push(`<text x="10" y="${height - 8}" fill="#555">${esc(`${input.started.toISOString().slice(0, 10)} · ${input.cpu} · Node ${process.version} · see peers.md`)}</text>`, '</svg>');
  return `${out.join('\n')}\n`;
}
