/**
 * W2 client writes for ShareDB (bench/peers/model.ts): `sharedb-server.ts w2 <variant> <M>` and
 * `sharedb-clients.ts w2 <variant> <port> <writers> <perSecond> <seconds>`.
 *
 * Server: sharedb-backend.ts's state, and ShareDB's way to refuse a write: `submit` middleware
 * (it runs for every op a client submits, before ShareDB transforms and commits it) calling
 * `next(error)` for an op that sets a negative `value`; the error (`code` ERR_NEGATIVE_VALUE) goes
 * back to the submitting client. Its window (`mark` → `stop`) is its CPU over the ops it handled.
 *
 * Writers: each a client holding the whole state (sharedb-client.ts `hold`) that writes with
 * `submitOp([{ p: [..., 'value'], od, oi }], callback)`. ShareDB applies the op locally at once;
 * the callback is the outcome: no error once the server committed it, ERR_NEGATIVE_VALUE once it
 * refused it and the Doc rolled it back (json0 ops invert, so the Doc undoes just that op and
 * transforms its pending ops past the undo; no refetch). A Doc composes the ops submitted while one
 * is in flight into one op by default, and the server refuses an op whole, so the writers set
 * `doc.preventCompose`: each write stays its own op with its own outcome. RTT = submitOp → callback.
 */
import { fatal, reply, sleep } from '../lib/child.js';
import { inBatches, percentiles } from '../lib/sampling.js';
import { now, w2Object, w2Refused, type ServerReport, type W2Report } from './model.js';
import { setUp, shareDbLogger } from './sharedb-backend.js';
import { hold, open, type Held } from './sharedb-client.js';
import type { Commands, ShareConnection, Variant } from './sharedb-model.js';

/** The code of the server's refusal. */
const NEGATIVE = 'ERR_NEGATIVE_VALUE';

/** What the W2 server adds to its ServerReport. */
interface ShareDbW2ServerExtra {
  /** Commits that lost a race with another op on the same document, so ShareDB fetched, transformed and applied the op again. */
  readonly commitRetries: number;
}

export async function w2Server(variant: Variant, m: number, commands: Commands): Promise<void> {
  // ShareDB logs the stack of every error it sends a client at `info`: a refusal is no incident.
  shareDbLogger.setMethods({ info: () => undefined });
  const { backend, port } = await setUp(variant, m);
  let handled = 0;
  backend.use('submit', (context, next) => {
    const edit = context.op.op;
    // Creates (the server's own, while building) carry no edit.
    if (edit === undefined) return next();
    handled++;
    if (!edit.some((c) => c.p.at(-1) === 'value' && typeof c.oi === 'number' && c.oi < 0)) return next();
    next(Object.assign(new Error('value must not be negative'), { code: NEGATIVE }));
  });
  let retries = 0;
  backend.on('timing', (name) => {
    if (name === 'submit.retry') retries++;
  });
  let mark = { handled, retries, cpu: process.cpuUsage(), at: performance.now() };
  commands.handler = (cmd) => {
    if (cmd === 'mark') mark = { handled, retries, cpu: process.cpuUsage(), at: performance.now() };
    else if (cmd === 'stop') {
      const cpu = process.cpuUsage(mark.cpu);
      const window = { mutations: handled - mark.handled, seconds: (performance.now() - mark.at) / 1000, cpuUs: cpu.user + cpu.system };
      // No generator here: no tick gaps to report.
      reply({ type: 'report', ...window, tickP99Ms: 0, tickMaxMs: 0, commitRetries: retries - mark.retries } satisfies ServerReport & ShareDbW2ServerExtra);
    }
  };
  reply({ type: 'ready', port });
}

/** A writer: its connection and the state it holds. */
interface Writer {
  readonly conn: ShareConnection;
  readonly held: Held;
}

/** What this client process adds to W2Report. */
interface ShareDbW2Extra {
  /** Outcomes that were not the expected one: an accepted -1, a refused valid write, an error other than the refusal. */
  readonly wrongOutcomes: number;
}

/** The outcomes of the writes: round trips (ms) by outcome. */
class Outcomes {
  readonly accepted: number[] = [];
  readonly refused: number[] = [];
  wrong = 0;
  #all: () => void = () => undefined;

  constructor(readonly expected: number) {}

  get answered(): number {
    return this.accepted.length + this.refused.length;
  }

  /** The callback of a write made at `at` (performance.now()), which the server must refuse if `refuse`. */
  callback(at: number, refuse: boolean): (error?: Error | null) => void {
    return (error) => {
      const rtt = performance.now() - at;
      const refused = (error as { code?: unknown } | null | undefined)?.code === NEGATIVE;
      (refused ? this.refused : this.accepted).push(rtt);
      if (refused !== refuse || (error != null && !refused)) this.wrong++;
      if (this.answered === this.expected) this.#all();
    };
  }

  /** Resolves once every write has its outcome, or after `ms`. */
  settled(ms: number): Promise<void> {
    if (this.answered >= this.expected) return Promise.resolve();
    return Promise.race([new Promise<void>((resolve) => (this.#all = resolve)), sleep(ms)]);
  }
}

/** Makes each writer's writes at `perSecond` (writers staggered over a period) until `total` each. */
function writeAll(writers: readonly Writer[], m: number, perSecond: number, total: number, outcomes: Outcomes): Promise<void> {
  const period = 1000 / perSecond;
  const made = writers.map(() => 0);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - t0;
      let left = false;
      for (const [i, writer] of writers.entries()) {
        const due = Math.min(total, Math.floor((elapsed - (i * period) / writers.length) / period) + 1);
        for (let w = made[i] ?? 0; w < due; w++) {
          const refuse = w2Refused(w);
          writer.held.set(w2Object(i, w, m), refuse ? -1 : now(), outcomes.callback(performance.now(), refuse));
        }
        made[i] = Math.max(made[i] ?? 0, due);
        if (due < total) left = true;
      }
      if (!left) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
}

/** Objects in which each writer's state differs from `fresh`'s, and whether -1 is in any of them. */
function compare(writers: readonly Writer[], fresh: Held): { mismatches: number[]; negative: boolean } {
  const all = [fresh, ...writers.map((w) => w.held)];
  const negative = all.some((held) => Array.from({ length: fresh.count }, (_, k) => held.object(k)?.value).includes(-1));
  const mismatches = writers.map(({ held }) => {
    let differ = 0;
    for (let k = 0; k < fresh.count; k++) if (JSON.stringify(held.object(k)) !== JSON.stringify(fresh.object(k))) differ++;
    return differ + Math.abs(held.count - fresh.count);
  });
  return { mismatches, negative };
}

async function join(variant: Variant, port: number, onValue?: (k: number, value: unknown, local: boolean) => void): Promise<Writer> {
  const { conn, connected } = open(port, () => undefined);
  await connected;
  return { conn, held: await hold(variant, conn, onValue) };
}

export async function w2Clients(variant: Variant, port: number, n: number, perSecond: number, seconds: number, commands: Commands): Promise<void> {
  let refusedSeen = false;
  const writers: Writer[] = [];
  await inBatches(n, async (i) => {
    // A -1 arriving from the server (someone else's write) would be a refused value let through.
    writers[i] = await join(variant, port, (_k, value, local) => (refusedSeen ||= value === -1 && !local));
    for (const doc of writers[i].held.docs) doc.preventCompose = true;
  });
  const m = writers[0]?.held.count ?? 0;
  if (m === 0) throw new Error(`no objects in the ${variant} state`);
  const total = perSecond * seconds;

  async function run(): Promise<void> {
    const outcomes = new Outcomes(n * total);
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    await writeAll(writers, m, perSecond, total, outcomes);
    await outcomes.settled(5_000);
    const used = process.cpuUsage(cpu);
    const clientsCpuPct = (100 * (used.user + used.system)) / 1000 / (performance.now() - t0);
    await sleep(500);
    const fresh = await join(variant, port);
    const { mismatches, negative } = compare(writers, fresh.held);
    fresh.conn.close();
    const rtt = percentiles(outcomes.accepted);
    reply({
      type: 'report',
      writers: n,
      writes: n * total,
      accepted: outcomes.accepted.length,
      refused: outcomes.refused.length,
      expectedRefused: n * Array.from({ length: total }, (_, w) => w).filter(w2Refused).length,
      unanswered: n * total - outcomes.answered,
      rttP50Ms: rtt.p50,
      rttP99Ms: rtt.p99,
      refusedRttP50Ms: percentiles(outcomes.refused).p50,
      outcome: 'submitOp callback (refused: an error, after the Doc rolled the op back)',
      writersCorrect: mismatches.filter((x) => x === 0).length,
      mismatches: mismatches.reduce((a, b) => a + b, 0),
      refusedSeen: refusedSeen || negative,
      clientsCpuPct,
      wrongOutcomes: outcomes.wrong,
    } satisfies W2Report & ShareDbW2Extra);
  }

  commands.handler = (cmd) => {
    if (cmd === 'start') run().catch(fatal);
  };
  reply({ type: 'ready' });
}
