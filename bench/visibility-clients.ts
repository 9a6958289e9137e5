/**
 * The visibility bench's load-client process: `visibility-clients.ts <url> <case> <n> <mirrors> <layout>`.
 *
 * Opens n socket.io-client connections (websocket only, one engine each), client i authenticating
 * as `{ group: 'g<i % 10>' }`, joins each to the tree, and replies `ready` once all are joined.
 * `mirrors` of them, spread over the connection order (1 per group by default), are real
 * SyncClients (client/index.ts) with their mirrors; the others speak the protocol by hand, like
 * bench/clients.ts. The server cannot tell them apart (a SyncClient sends nothing while it only
 * receives); the split exists because one core cannot apply 200 mirrors of the whole 1,000-object
 * tree at 1,000 mutations/s (each batch copies the mirror's object table: see the report), and a
 * load process that falls behind would measure itself rather than the server.
 *
 * Every inbound event of every client is inspected before anything applies it:
 * - between `mark` and `report`: WebSocket payload bytes and messages, `b` batches and their ops
 *   are counted, and a spread of SAMPLED clients records each value set's latency (receipt time
 *   minus the timestamp the server put in the value);
 * - over the whole run: seq gaps and resyncs, and in the filtered cases every object a client
 *   receives, in its snapshot or a batch, is checked to be its group's: a set or destroy of an
 *   object it does not hold, a create or move into another folder, and (case `groups`, where
 *   nothing moves) any object id outside its group in the initial layout count as violations;
 * - each client's stream is replayed (lib/visibility-replay.ts).
 *
 * `report` carries the server's final tree (Truth): the process waits (up to CONVERGE_MS) until
 * every client's replay, and every SyncClient's mirror, holds exactly what its principal may see
 * of it, and replies a VisClientsReport.
 */
import { io, type Socket } from 'socket.io-client';
import { SyncClient, type Mirror } from '../client/index.js';
import { OP, PROTOCOL_VERSION, unflattenSnapshot, type ClientToServerEvents, type ServerToClientEvents } from '../shared/index.js';
import { fatal, onCommand, reply } from './lib/child.js';
import { now } from './lib/model.js';
import { PROFILING, startProfile } from './lib/profile.js';
import { batchOf } from './lib/protocol.js';
import { Sampling, inBatches, spread } from './lib/sampling.js';
import { CASES, CASE_INFO, GROUPS, VALUE_ATTR, VIS_TREE, VIS_TYPES, groupOfClient, team, type Case, type Layout, type Truth, type VisClientsReport } from './lib/visibility-model.js';
import { Replay } from './lib/visibility-replay.js';
import { tappedTransport } from './lib/visibility-transport.js';
import { onWireMessage } from './lib/wire.js';

const CONVERGE_MS = 5_000;
const JOIN_TIMEOUT_MS = 30_000;

const [url = '', caseArg = '', nArg = '0', mirrorsArg = '0', layoutArg = '{}'] = process.argv.slice(2);
if (!(CASES as readonly string[]).includes(caseArg)) throw new Error(`unknown case ${caseArg}`);
const benchCase = caseArg as Case;
const filtered = CASE_INFO[benchCase].filtered;
/** Where nothing moves, the initial layout is the truth throughout. */
const strict = benchCase === 'groups';
const n = Number(nArg);
const layout = JSON.parse(layoutArg) as Layout;
const groupOfId = new Map<number, number>();
layout.folders.forEach((id, g) => groupOfId.set(id, g));
layout.items.forEach((ids, g) => ids.forEach((id) => groupOfId.set(id, g)));

const sampled = spread(n);
const withMirror = spread(n, Number(mirrorsArg));

/** One load client and what it has been sent. */
interface Watched {
  readonly i: number;
  readonly group: number;
  /** Its group's folder. */
  readonly folder: number;
  /** The objects its stream has given it. */
  readonly replay: Replay;
  /** The seq its next batch must start at. */
  next: number;
  joins: number;
  /** A SyncClient's mirror. */
  mirror?: Mirror;
  close(): void;
}

/** The window's counts; its `gaps` stay unused: gaps here count over the whole run. */
const sampling = new Sampling(n);
let batches = 0;
let gaps = 0;
let rejoins = 0;
let disconnects = 0;
let violations = 0;
const violationSamples: string[] = [];
let truth: Truth | undefined;
const watched: Watched[] = [];

function violation(w: Watched, what: string): void {
  violations++;
  if (violationSamples.length < 10) violationSamples.push(`client ${w.i} (${team(w.group)}): ${what}`);
}

/** Whether an object id belongs to another group by the initial layout (case groups only). */
function foreign(w: Watched, id: number): boolean {
  return strict && id !== 0 && groupOfId.get(id) !== w.group;
}

function holds(w: Watched, id: number): boolean {
  return w.replay.has(id);
}

function onJoined(w: Watched, raw: unknown): void {
  const msg = raw as { seq?: unknown; snapshot?: unknown };
  w.joins++;
  if (w.joins > 1) rejoins++;
  if (typeof msg.seq === 'number') w.next = msg.seq + 1;
  if (!Array.isArray(msg.snapshot)) return;
  const snapshot = unflattenSnapshot(msg.snapshot);
  for (const [id, , parent] of snapshot) {
    if (filtered && id !== 0 && id !== w.folder && parent !== w.folder) violation(w, `snapshot holds object ${id} under ${parent}`);
    else if (filtered && groupOfId.has(id) && groupOfId.get(id) !== w.group) violation(w, `snapshot holds object ${id} of ${team(groupOfId.get(id) ?? -1)}`);
  }
  w.replay.reset(snapshot);
}

function onBatch(w: Watched, args: readonly unknown[], at: number): void {
  // JSON or binary (a SyncClient that asks for binary batches): the same arguments once decoded.
  const { firstSeq, ops, lastSeq } = batchOf(args);
  if (typeof firstSeq !== 'number') return;
  if (firstSeq !== w.next) gaps++;
  w.next = lastSeq + 1;
  if (sampling.measuring) {
    batches++;
    sampling.receive(w.i, ops.length);
  }
  const sample = sampling.measuring && sampled.has(w.i);
  for (const op of ops) {
    switch (op[0]) {
      case OP.set: {
        const id = op[1];
        if (filtered && id !== 0 && !holds(w, id)) violation(w, `set on object ${id}, which it does not hold`);
        else if (foreign(w, id)) violation(w, `set on object ${id} of ${team(groupOfId.get(id) ?? -1)}`);
        if (sample && op[2] === VALUE_ATTR && typeof op[3] === 'number') sampling.sample(at - op[3]);
        break;
      }
      case OP.create: {
        const [, id, , parent] = op;
        if (filtered && parent !== w.folder) violation(w, `create of object ${id} under ${parent}`);
        else if (foreign(w, id)) violation(w, `create of object ${id} of ${team(groupOfId.get(id) ?? -1)}`);
        break;
      }
      case OP.destroy:
        if (filtered && !holds(w, op[1])) violation(w, `destroy of object ${op[1]}, which it does not hold`);
        break;
      case OP.move:
        if (filtered && (!holds(w, op[1]) || op[2] !== w.folder)) violation(w, `move of object ${op[1]} to ${op[2]}`);
        break;
      default:
        if (filtered && !holds(w, op[1])) violation(w, `op ${op[0]} on object ${op[1]}, which it does not hold`);
    }
    w.replay.apply(op);
  }
}

function tap(w: Watched, event: string, args: readonly unknown[]): void {
  if (event === 'b') onBatch(w, args, now());
  else if (event === 'joined') onJoined(w, args[0]);
}

function countBytes(socket: Socket): void {
  onWireMessage(socket, sampling.count);
}

/** Rejects after `ms`, unless `cancel` is called. */
function deadline(ms: number, what: string): { promise: Promise<never>; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)));
  return { promise, cancel: () => clearTimeout(timer) };
}

/** A SyncClient; resolves once its mirror holds its first snapshot. */
async function syncClient(i: number): Promise<void> {
  const group = groupOfClient(i);
  // The transport exists before its client, and so before the client's record.
  const box: { w?: Watched } = {};
  const transport = tappedTransport(
    url,
    (event, args) => {
      if (box.w !== undefined) tap(box.w, event, args);
    },
    countBytes,
  );
  const client = new SyncClient({ transport, types: VIS_TYPES, clientId: `vis-${i}`, auth: { group: team(group) }, storage: null });
  const w: Watched = { i, group, folder: layout.folders[group] ?? -1, replay: new Replay(), next: 0, joins: 0, close: () => client.close() };
  box.w = w;
  watched.push(w);
  client.on('disconnect', () => disconnects++);
  const timeout = deadline(JOIN_TIMEOUT_MS, `client ${i} did not join`);
  const failed = new Promise<never>((_, reject) => client.once('error', (e) => reject(new Error(`client ${i}: ${e.code}: ${e.message}`))));
  try {
    w.mirror = await Promise.race([client.join(VIS_TREE), timeout.promise, failed]);
  } finally {
    timeout.cancel();
  }
}

/** A client speaking the protocol by hand; resolves once joined. */
async function wireClient(i: number): Promise<void> {
  const group = groupOfClient(i);
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: { v: PROTOCOL_VERSION, clientId: `vis-${i}`, group: team(group) },
  });
  const w: Watched = { i, group, folder: layout.folders[group] ?? -1, replay: new Replay(), next: 0, joins: 0, close: () => socket.disconnect() };
  watched.push(w);
  socket.on('disconnect', () => disconnects++);
  socket.on('b', (...args) => onBatch(w, args, now()));
  const timeout = deadline(JOIN_TIMEOUT_MS, `client ${i} did not join`);
  try {
    await Promise.race([
      timeout.promise,
      new Promise<void>((resolve, reject) => {
        socket.on('connect_error', reject);
        socket.on('connect', () => countBytes(socket));
        socket.on('welcome', () => socket.emit('join', { tree: VIS_TREE }));
        socket.on('joined', (msg) => {
          onJoined(w, msg);
          resolve();
        });
        socket.on('error', (e) => reject(new Error(`client ${i}: ${e.code}: ${e.message}`)));
      }),
    ]);
  } finally {
    timeout.cancel();
  }
}

/** A client's state as the check reads it, from its mirror or its replay. */
interface Held {
  readonly count: number;
  /** An object's parent (the root's: null or -1), children in order, and Item.value. */
  get(id: number): { readonly parent: number | null; readonly children: readonly number[]; readonly value: unknown } | undefined;
}

function fromMirror(mirror: Mirror): Held {
  const objects = mirror.state.objects;
  return {
    count: Object.keys(objects).length,
    get: (id) => {
      const o = objects[id];
      return o === undefined ? undefined : { parent: o.parent, children: o.children, value: (o.values as Readonly<Record<string, unknown>>)['value'] };
    },
  };
}

function fromReplay(replay: Replay): Held {
  return { count: replay.size, get: (id) => replay.get(id) };
}

/** What is wrong with what a client holds against the server's final tree; undefined when nothing. */
function problem(w: Watched, held: Held, t: Truth): string | undefined {
  const groups = filtered ? [w.group] : Array.from({ length: GROUPS }, (_, g) => g);
  const root = held.get(0);
  if (root === undefined) return 'no root';
  const folderIds = groups.map((g) => t.folders[g]?.id ?? -1);
  if (root.children.join() !== folderIds.join()) return `root holds folders [${root.children.join()}], expected [${folderIds.join()}]`;
  let expected = 1;
  for (const g of groups) {
    const f = t.folders[g];
    const folder = f === undefined ? undefined : held.get(f.id);
    if (f === undefined || folder === undefined) return `no folder of ${team(g)}`;
    if (folder.children.join() !== f.children.join()) return `folder ${f.id} holds ${folder.children.length} items, expected ${f.children.length} (or another order)`;
    expected += 1 + f.children.length;
    for (const id of f.children) {
      const item = held.get(id);
      if (item === undefined || item.parent !== f.id) return `item ${id} missing or misplaced`;
      if (item.value !== t.values[id]) return `item ${id} value ${String(item.value)}, expected ${String(t.values[id])}`;
    }
  }
  return held.count === expected ? undefined : `holds ${held.count} objects, expected ${expected}`;
}

function problems(w: Watched, t: Truth): string[] {
  const out: string[] = [];
  const replayed = problem(w, fromReplay(w.replay), t);
  if (replayed !== undefined) out.push(`client ${w.i} (${team(w.group)}) stream: ${replayed}`);
  const mirrored = w.mirror === undefined ? undefined : problem(w, fromMirror(w.mirror), t);
  if (mirrored !== undefined) out.push(`client ${w.i} (${team(w.group)}) SyncClient mirror: ${mirrored}`);
  return out;
}

async function converge(t: Truth): Promise<{ ok: number; problems: string[]; ms: number }> {
  const t0 = performance.now();
  for (;;) {
    const found = watched.map((w) => problems(w, t));
    const ms = performance.now() - t0;
    const bad = found.filter((p) => p.length > 0);
    if (bad.length === 0 || ms > CONVERGE_MS) return { ok: watched.length - bad.length, problems: bad.flat().slice(0, 5), ms };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function main(): Promise<void> {
  await inBatches(n, (i) => (withMirror.has(i) ? syncClient(i) : wireClient(i)));
  let profile: Awaited<ReturnType<typeof startProfile>> | undefined;
  // The report command carries the server's final tree; onCommand only passes the command's name.
  process.on('message', (m: unknown) => {
    const t = (m as { truth?: Truth } | null)?.truth;
    if (t !== undefined) truth = t;
  });
  onCommand(async (cmd) => {
    if (cmd === 'mark') {
      if (PROFILING) profile = await startProfile(`visibility-clients-${benchCase}`);
      batches = 0;
      sampling.mark();
    } else if (cmd === 'report') {
      const window = sampling.end();
      const top = await profile?.stop(20);
      const mirrors = truth === undefined ? { ok: 0, problems: ['no truth from the server'], ms: 0 } : await converge(truth);
      reply({
        type: 'report',
        n,
        mirrors: watched.filter((w) => w.mirror !== undefined).length,
        seconds: window.seconds,
        bytes: window.bytes,
        frames: window.frames,
        batches,
        ops: window.mutations,
        minOps: window.minMutations,
        maxOps: window.maxMutations,
        gaps,
        rejoins,
        disconnects,
        violations,
        violationSamples,
        samples: window.samples,
        p50Ms: window.p50Ms,
        p99Ms: window.p99Ms,
        maxMs: window.maxMs,
        cpuShare: window.cpuShare,
        eventLoopP99Ms: window.eventLoopP99Ms,
        clientsOk: mirrors.ok,
        problems: mirrors.problems,
        convergeMs: mirrors.ms,
        ...(top === undefined ? {} : { profile: top }),
      } satisfies VisClientsReport);
      for (const w of watched) w.close();
    }
  });
  reply({ type: 'ready' });
}

main().catch(fatal);
