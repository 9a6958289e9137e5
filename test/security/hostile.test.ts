/**
 * Hostile-input fuzzer: thousands of random and mutated messages from real socket.io clients
 * (wrong types, huge strings, deep nesting, __proto__/constructor keys, unknown ids, negative and
 * fractional indices, NaN/Infinity/-0, lone surrogates, binary, bad handshakes, raw garbage
 * packets) against a real SyncServer, while two honest SyncClients mutate the same trees.
 *
 * The server must stay up and keep serving fresh joins; every message gets the one answer the
 * protocol promises, with a known error code and never INTERNAL; the trees stay valid; the honest
 * mirrors converge on the server's trees.
 *
 * The plan (every message, socket and mutation, and the honest clients' choices) comes from a
 * fixed seed, printed; replay one with TREESYNC_SEED=<seed>. Messages go in lock step (each
 * followed by a sentinel event whose UNKNOWN_MESSAGE answer closes its answers), so answers are
 * attributed exactly and a seed replays exactly. TREESYNC_HOSTILE_RACE=1 lets the honest
 * proposals race the hostile messages instead (real concurrency; counts then vary a little).
 * TREESYNC_HOSTILE_STEPS changes the number of steps (default 4,000).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { io as connectRaw, type Socket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { SyncError, isErrorCode, ErrorCode, DEFAULT_LIMITS, PROTOCOL_VERSION, type WelcomeMessage } from '../../shared/index.js';
import type { Mirror, SyncClient } from '../../client/index.js';
import type { Tree } from '../../server/index.js';
import { mirrorPlain, serverPlain } from '../helpers/compare.js';
import { Board, Card, connect, startServer, until } from '../integration/fixtures.js';
import { Big, RESERVED_EVENTS, asSent, encode, expectation, hasBuffer, materialize, show, type AuthPlan, type Expectation, type MsgStep, type SendContext, type Step } from './hostile-wire-support.js';
import { planArbitrary } from './hostile-plan-support.js';
import { mulberry32, describeProblem, firstDifference, scribeValues, treeProblems, valueProblems } from './hostile-support.js';

const SEED = process.env['TREESYNC_SEED'] === undefined ? 0x7e5e5 : Number(process.env['TREESYNC_SEED']);
const STEPS = Number(process.env['TREESYNC_HOSTILE_STEPS'] ?? 4_000);
/**
 * Honest proposals race the hostile messages (their outcomes, and so the counts, then vary a little
 * from run to run); by default each is answered, and the mirrors caught up, before the next step,
 * so that a seed replays exactly.
 */
const RACE = process.env['TREESYNC_HOSTILE_RACE'] === '1';
const SOCKETS = 4;
const HONEST = 2;
const CHECK_EVERY = 250;
/** socket.io's maxHttpBufferSize on a SyncServer: 4x maxMessageBytes. */
const DROP_BYTES = 4 * DEFAULT_LIMITS.maxMessageBytes;
/** The longest any single answer may take (a 3.5 MB message on a slow machine included). */
const ANSWER_MS = 10_000;
const CLIENT_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
/** Codes an honest client's proposal must never get: it did nothing wrong and must stay unaffected. */
const UNEXPECTED_FOR_HONEST: ReadonlySet<string> = new Set([ErrorCode.INTERNAL, ErrorCode.CONNECTION_LOST, ErrorCode.CLOSED, ErrorCode.SUPERSEDED, ErrorCode.RATE_LIMITED]);

// A full collection before each memory reading (vitest does not start workers with --expose-gc).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Received {
  readonly event: string;
  readonly args: readonly unknown[];
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A raw socket.io-client connection that sends what it is told and collects every answer. */
class HostileSocket {
  socket: Socket | undefined;
  opId = 0;
  readonly epochs = new Map<string, string>();
  /** Answers since the last sentinel (batches excluded). */
  inbox: Received[] = [];
  dropped: string | undefined;
  #waiting: { token: string; resolve: (answers: Received[] | 'dropped') => void } | undefined;

  constructor(
    readonly url: string,
    readonly clientId: string,
  ) {}

  open(): Promise<WelcomeMessage> {
    const socket = connectRaw(this.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { v: PROTOCOL_VERSION, clientId: this.clientId },
    });
    this.socket = socket;
    socket.onAny((event: string, ...args: unknown[]) => {
      if (event === 'b') return;
      const body = args[0] as { ref?: unknown; tree?: unknown; epoch?: unknown } | undefined;
      if (event === 'error' && this.#waiting !== undefined && body?.ref === this.#waiting.token) {
        const waiting = this.#waiting;
        this.#waiting = undefined;
        waiting.resolve(this.inbox.splice(0));
        return;
      }
      if (event === 'joined' && typeof body?.tree === 'string' && typeof body.epoch === 'string') this.epochs.set(body.tree, body.epoch);
      if (event !== 'welcome') this.inbox.push({ event, args });
    });
    socket.on('disconnect', (reason) => {
      this.dropped = reason;
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.resolve('dropped');
    });
    return withTimeout(
      new Promise<WelcomeMessage>((resolve, reject) => {
        socket.once('welcome', (w: WelcomeMessage) => {
          this.opId = Math.max(this.opId, w.lastOpId);
          resolve(w);
        });
        socket.once('connect_error', (e) => reject(e));
      }),
      ANSWER_MS,
      `welcome of ${this.clientId}`,
    );
  }

  /** Sends a raw socket.io packet (engine.io message) as is. */
  raw(text: string): void {
    this.socket?.io.engine.write(text);
  }

  /**
   * Sends `send()`'s message, then a sentinel event named `token`; resolves to every answer before
   * the sentinel's UNKNOWN_MESSAGE error, or 'dropped'; rejects when no answer comes in time.
   */
  exchange(token: string, send: () => void): Promise<Received[] | 'dropped'> {
    if (this.dropped !== undefined) return Promise.resolve('dropped');
    const answered = new Promise<Received[] | 'dropped'>((resolve) => (this.#waiting = { token, resolve }));
    send();
    this.raw(`2${JSON.stringify([token])}`);
    return withTimeout(answered, ANSWER_MS, `the answers to ${token} of ${this.clientId}`);
  }

  close(): void {
    this.socket?.close();
  }
}

/** The same random mutation through an honest client's views. */
interface CardView {
  readonly id: number;
  readonly type: string;
  attrs: {
    title: { set(v: string): Promise<unknown> };
    votes: { add(n: number): Promise<unknown>; set(n: number): Promise<unknown> };
    done: { set(v: boolean): Promise<unknown> };
    meta: { set(v: unknown): Promise<unknown> };
    tags: { put(k: string, v: number): Promise<unknown>; delete(k: string): Promise<unknown> };
    items: {
      insert(i: number, ...v: string[]): Promise<unknown>;
      remove(i: number, n?: number): Promise<unknown>;
      move(a: number, b: number): Promise<unknown>;
      replace(i: number, v: string): Promise<unknown>;
      value: readonly string[];
    };
  };
  create(type: typeof Card, values: { title: string }, index?: number): Promise<unknown>;
  destroy(): Promise<unknown>;
  move(parent: number, index?: number): Promise<unknown>;
}

function honestMutation(rng: () => number, mirror: Mirror): Promise<unknown> {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
  const int = (max: number): number => Math.floor(rng() * max);
  const ids = Object.keys(mirror.state.objects).map(Number);
  const view = mirror.get(pick(ids)) as unknown as CardView | undefined;
  if (view === undefined) return Promise.resolve(undefined);
  const word = pick(['a', 'b', 'c', 'honest']);
  if (view.type === Board.name) return rng() < 0.5 ? view.attrs.title.set(word) : view.create(Card, { title: word }, rng() < 0.5 ? undefined : int(3));
  const n = view.attrs.items.value.length;
  const root = mirror.state.root;
  switch (int(13)) {
    case 0:
    case 1:
      return view.create(Card, { title: word }, rng() < 0.5 ? undefined : int(3));
    case 2:
      return view.id === root ? view.attrs.votes.set(int(9)) : view.destroy();
    case 3:
      return view.id === root ? view.attrs.done.set(true) : view.move(pick(ids), rng() < 0.5 ? undefined : int(3));
    case 4:
      return view.attrs.votes.add(int(10) - 3);
    case 5:
      return view.attrs.done.set(rng() < 0.5);
    case 6:
      return view.attrs.meta.set(pick([null, 1, 'x', { k: [word] }]));
    case 7:
      return view.attrs.tags.put(word, int(100));
    case 8:
      return view.attrs.tags.delete(word);
    case 9:
      return view.attrs.items.insert(int(n + 1), word);
    case 10:
      return view.attrs.items.remove(int(n + 1), 1 + int(2));
    case 11:
      return view.attrs.items.move(int(n + 1), int(n + 1));
    default:
      return view.attrs.items.replace(int(n + 1), word);
  }
}

const codeOf = (v: unknown): unknown => (typeof v === 'object' && v !== null ? (v as { code?: unknown }).code : undefined);

describe('hostile input', () => {
  it(
    'survives thousands of random and mutated messages: coded answers, valid trees, converging honest clients',
    async () => {
      const started = performance.now();
      console.log(`[hostile] seed ${SEED} (replay: TREESYNC_SEED=${SEED}), ${STEPS} steps, honest proposals ${RACE ? 'racing' : 'in step'}`);
      const plan: Step[] = fc.sample(planArbitrary(SOCKETS, HONEST), { seed: SEED, numRuns: STEPS });

      const logged: string[] = [];
      const logger = { warn: () => undefined, error: (message: string, ...args: unknown[]) => void logged.push(`${message} ${args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : show(a))).join(' ')}`) };
      // Hooks as an application would set them: a tree nobody may join, a value nobody may write.
      const hooks = {
        canJoin: ({ tree }: { tree: string }) => tree !== 'secret',
        canMutate: ({ ops }: { ops: readonly (readonly unknown[])[] }) => !ops.some((op) => op[0] === 0 && op[3] === 'forbidden'),
      };
      const { server, url } = await startServer({ logger, hooks });
      const limits = server.host.limits;
      const board = server.tree('board', Board);
      const deck = server.tree('deck', Card);
      const trees = new Map<string, Tree>([
        ['board', board],
        ['deck', deck],
      ]);
      for (let i = 0; i < 4; i++) {
        const card = board.root.create(Card, { title: `card ${i}`, votes: i, tags: { a: i }, items: ['p', 'q'], meta: { n: i } });
        card.create(Card, { title: `child ${i}` });
      }
      deck.root.attrs.items.push('x', 'y', 'z');
      deck.root.create(Card, { title: 'in deck' });
      const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
      gc();
      const memoryBefore = process.memoryUsage();

      // Every scribe the server commits must hold valid values: checked as it commits, so a bad
      // value is caught with the message that put it there (hostile messages go one at a time).
      let current = 'setup';
      /** By kind of problem: how many scribes had it, and the first message that caused it. */
      const accepted = new Map<string, { count: number; first: string }>();
      for (const tree of trees.values()) {
        tree.on('commit', (firstSeq, ops, origin) => {
          ops.forEach((op, i) => {
            const problems = scribeValues(op).flatMap(([at, value]) => valueProblems(value, `${tree.name} scribe ${firstSeq + i} ${show(op, 200)}${at}`));
            for (const problem of problems) {
              const known = accepted.get(problem.kind);
              if (known !== undefined) known.count++;
              else accepted.set(problem.kind, { count: 1, first: `${describeProblem(problem)}\n    caused by ${origin.startsWith('honest') ? origin : current}` });
            }
          });
        });
      }

      // Honest clients on both trees.
      const honest: SyncClient[] = [];
      const mirrors: Mirror[][] = [];
      const honestEvents: string[] = [];
      for (let who = 0; who < HONEST; who++) {
        const client = connect(url, `honest-${who}`);
        client.on('disconnect', (reason) => honestEvents.push(`honest-${who} disconnected: ${reason}`));
        client.on('error', (e) => honestEvents.push(`honest-${who} got error ${e.code}: ${e.message}`));
        honest.push(client);
        mirrors.push([await client.join('board', Board), await client.join('deck', Card)]);
      }

      const failures: string[] = [];
      const codes = new Map<string, number>();
      const honestCodes = new Map<string, number>();
      const outcomes = new Map<string, number>();
      const count = (map: Map<string, number>, key: string, by = 1): void => void map.set(key, (map.get(key) ?? 0) + by);
      let messages = 0;
      let peakRss = memoryBefore.rss;

      const hostiles: HostileSocket[] = [];
      const generation = new Array<number>(SOCKETS).fill(0);
      const ctxFor = (sock: HostileSocket): SendContext => ({
        ids: (name, nonRoot) => {
          const tree = trees.get(name) ?? board;
          const ids = tree.wireSnapshot().map((o) => o[0]);
          return nonRoot ? ids.slice(1) : ids;
        },
        opId: (back) => (back === 0 ? ++sock.opId : Math.max(0, sock.opId - back)),
        epoch: (name) => sock.epochs.get(name) ?? trees.get(name)?.epoch ?? 'none',
      });
      let setups = 0;
      const rejoin = async (sock: HostileSocket): Promise<void> => {
        for (const name of trees.keys()) {
          const answers = await sock.exchange(`~setup~${++setups}`, () => sock.socket?.emit('join', { tree: name }));
          if (answers === 'dropped' || answers.length !== 1 || answers[0]?.event !== 'joined') failures.push(`${sock.clientId} could not rejoin ${name}: ${show(answers)}`);
        }
      };
      /** A new connection for hostile socket k: the same client id (its opIds continue), or a new one once its opIds are spent. */
      const renew = async (k: number): Promise<void> => {
        const old = hostiles[k];
        old?.close();
        const spent = old !== undefined && old.opId > Number.MAX_SAFE_INTEGER - 1_000;
        if (old === undefined || spent) generation[k] = (generation[k] ?? 0) + 1;
        const sock = new HostileSocket(url, `hostile-${k}.${generation[k] ?? 0}`);
        if (old !== undefined && !spent) sock.opId = old.opId;
        hostiles[k] = sock;
        await sock.open();
        // Socket 0 is a stranger at first: it joins only when a planned message makes it.
        if (k !== 0 || old !== undefined) await rejoin(sock);
      };
      for (let k = 0; k < SOCKETS; k++) await renew(k);

      const inflight: Promise<void>[][] = honest.map(() => []);
      const honestStep = async (who: number, seed: number): Promise<void> => {
        const rng = mulberry32(seed);
        const mine = mirrors[who] as Mirror[];
        const mirror = mine[Math.floor(rng() * mine.length)] as Mirror;
        const queue = inflight[who] as Promise<void>[];
        while (queue.length >= 6) await withTimeout(queue.shift() as Promise<void>, ANSWER_MS, 'an honest proposal');
        if (!RACE) {
          // In step with everything else: the mirror has seen every change before it proposes.
          await until(() => mine.every((m) => m.seq === (trees.get(m.name) as Tree).seq && m.pending === 0), ANSWER_MS).catch(() =>
            failures.push(`honest-${who}'s mirrors did not catch up with the server`),
          );
        }
        let promise: Promise<unknown>;
        try {
          promise = honestMutation(rng, mirror);
        } catch (error) {
          // Refused locally before sending (an index the mirror already knows to be wrong): fine.
          count(honestCodes, `local ${String(codeOf(error))}`);
          return;
        }
        queue.push(
          promise.then(
            () => count(honestCodes, 'ack'),
            (error: unknown) => {
              const code = codeOf(error);
              count(honestCodes, String(code));
              const fine = error instanceof SyncError && isErrorCode(code) && !UNEXPECTED_FOR_HONEST.has(code);
              if (!fine) failures.push(`an honest proposal of honest-${who} failed with ${String(code)}: ${error instanceof Error ? error.message : show(error)}`);
            },
          ),
        );
        if (!RACE) await withTimeout(queue.shift() as Promise<void>, ANSWER_MS, 'an honest proposal');
      };

      /** Checks the answers to one message against what the protocol promises. */
      const judge = (label: string, expected: Expectation, answers: Received[]): void => {
        for (const a of answers) {
          if (a.event === 'ack') {
            count(outcomes, 'ack');
            continue;
          }
          if (a.event === 'joined') {
            count(outcomes, 'joined');
            continue;
          }
          const body = a.args[0];
          const code = codeOf(body);
          count(codes, String(code));
          if (a.event !== 'error' && a.event !== 'reject') failures.push(`${label}: an unexpected ${a.event} event: ${show(a.args)}`);
          else if (!isErrorCode(code) || typeof (body as { message?: unknown }).message !== 'string') failures.push(`${label}: an answer without a known code: ${a.event} ${show(body)}`);
          else if (code === ErrorCode.INTERNAL) failures.push(`${label}: INTERNAL: ${show(body)}`);
        }
        const shape = answers.map((a) => a.event);
        switch (expected.kind) {
          case 'answer': {
            const ok = answers.length === 1 && (shape[0] === 'ack' || shape[0] === 'reject') && (answers[0]?.args[0] as { opId?: unknown }).opId === expected.opId;
            if (!ok) failures.push(`${label}: expected one ack or reject for opId ${expected.opId}, got ${show(answers)}`);
            break;
          }
          case 'silent':
            if (answers.length !== 0) failures.push(`${label}: expected no answer, got ${show(answers)}`);
            break;
          case 'error': {
            const ok = answers.length === 1 && (shape[0] === 'error' || (expected.joinable && shape[0] === 'joined'));
            if (!ok) failures.push(`${label}: expected one ${expected.joinable ? 'joined or error' : 'error'}, got ${show(answers)}`);
          }
        }
      };

      const drops = new Map<string, number>();
      const msgStep = async (i: number, step: MsgStep): Promise<void> => {
        const k = step.sock;
        let sock = hostiles[k] as HostileSocket;
        if (sock.opId > Number.MAX_SAFE_INTEGER - 1_000) {
          await renew(k);
          sock = hostiles[k] as HostileSocket;
        }
        const ctx = ctxFor(sock);
        const binary = hasBuffer(step.args);
        let wireArgs: unknown[];
        let send: () => void;
        let bytes: number;
        let sent: string;
        const event = step.event instanceof Big ? step.event.value() : step.event;
        const eventName = typeof event === 'string' ? event : String(event);
        // Binary data goes through socket.io's own encoder (socket.io-client refuses reserved names there).
        if (binary && !RESERVED_EVENTS.has(eventName)) {
          const args = materialize(step.args, ctx);
          wireArgs = args.map(asSent);
          bytes = JSON.stringify(wireArgs).length;
          send = () => {
            (sock.socket?.emit as (ev: unknown, ...a: unknown[]) => void)(event, ...args);
          };
          sent = `emit(${show(event, 80)}, ${show(args, 300)})`;
        } else {
          const text = encode(step.event, step.args, ctx);
          bytes = Buffer.byteLength(text);
          const ackId = step.ackId ? String(1 + (i % 1000)) : '';
          send = () => sock.raw(`2${ackId}${text}`);
          sent = `2${ackId}${text.length > 300 ? `${text.slice(0, 300)}…(${text.length} chars)` : text}`;
          // What socket.io hands the server, read as it does (cheap enough except for the messages it drops).
          wireArgs = bytes > DROP_BYTES ? [] : (JSON.parse(text) as unknown[]).slice(1);
          if (step.ackId) wireArgs.push(() => undefined);
        }
        const label = `step ${i} (seed ${SEED}) ${sock.clientId}: ${show(step.event, 80)} ${show(step.args)}${step.mutations.length > 0 ? ` [${step.mutations.join('; ')}]` : ' [valid]'}, sent as ${sent}`;
        messages++;
        current = label;
        let answers: Received[] | 'dropped';
        try {
          answers = await sock.exchange(`~step~${i}`, send);
        } catch (error) {
          failures.push(`${label}: ${String(error)}`);
          await renew(k);
          return;
        }
        const mayDrop = bytes > DROP_BYTES - 1_000 || RESERVED_EVENTS.has(eventName) || (binary && JSON.stringify(step.args).includes('_placeholder'));
        if (answers === 'dropped') {
          count(drops, bytes > DROP_BYTES - 1_000 ? 'socket.io: over maxHttpBufferSize' : 'socket.io: refused packet');
          if (!mayDrop) failures.push(`${label}: the connection dropped (${sock.dropped ?? '?'})`);
          await renew(k);
          return;
        }
        if (bytes > DROP_BYTES + 1_000) failures.push(`${label}: ${bytes} bytes, past maxHttpBufferSize, yet the connection stayed`);
        for (const a of answers) {
          const opId = (a.args[0] as { opId?: unknown } | undefined)?.opId;
          if ((a.event === 'ack' || a.event === 'reject') && typeof opId === 'number' && opId > sock.opId) sock.opId = opId;
        }
        // A binary message loses own __proto__ keys in socket.io's encoder: a leave may then be well-formed.
        const expected = expectation(event, wireArgs, limits);
        judge(label, binary && expected.kind === 'error' && eventName === 'leave' && answers.length === 0 ? { kind: 'silent' } : expected, answers);
      };

      const garbageStep = async (i: number, sock: HostileSocket, frame: string): Promise<void> => {
        messages++;
        const label = `step ${i} (seed ${SEED}) ${sock.clientId}: raw packet ${show(frame)}`;
        current = label;
        let answers: Received[] | 'dropped';
        try {
          answers = await sock.exchange(`~step~${i}`, () => sock.raw(frame));
        } catch (error) {
          failures.push(`${label}: ${String(error)}`);
          await renew(hostiles.indexOf(sock));
          return;
        }
        if (answers === 'dropped') {
          count(drops, 'socket.io: refused packet');
          await renew(hostiles.indexOf(sock));
          return;
        }
        // Whatever got through must still be answered with coded errors (or nothing, for an ack packet).
        judge(label, { kind: answers.length === 0 ? 'silent' : 'error', joinable: true }, answers.slice(0, 1));
        if (answers.length > 1) failures.push(`${label}: ${answers.length} answers: ${show(answers)}`);
      };

      let handshakes = 0;
      const handshakeStep = async (i: number, plan: AuthPlan): Promise<void> => {
        messages++;
        const n = ++handshakes;
        let auth: unknown;
        if ('raw' in plan) auth = plan.raw;
        else {
          const object = materialize([plan.object], ctxFor(hostiles[0] as HostileSocket))[0] as Record<string, unknown>;
          if (object['clientId'] === null) object['clientId'] = `hs-${n}`;
          auth = object;
        }
        const json = JSON.stringify(auth);
        const sent = JSON.parse(json) as unknown;
        const bytes = json.length;
        const record = typeof sent === 'object' && sent !== null && !Array.isArray(sent) ? (sent as Record<string, unknown>) : undefined;
        const clientId = record?.['clientId'];
        const good = record !== undefined && record['v'] === PROTOCOL_VERSION && typeof clientId === 'string' && CLIENT_ID.test(clientId);
        const socket = connectRaw(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: (cb) => cb(auth as object) });
        const outcome: { kind: string; data?: unknown } = await withTimeout(
          new Promise<{ kind: string; data?: unknown }>((resolve) => {
            socket.once('welcome', () => resolve({ kind: 'welcome' }));
            socket.once('connect_error', (e: Error & { data?: unknown }) => resolve({ kind: 'connect_error', data: e.data }));
            socket.once('disconnect', (reason) => resolve({ kind: `disconnect ${reason}` }));
          }),
          ANSWER_MS,
          `handshake ${n}`,
        ).catch((error: unknown) => ({ kind: `timeout ${String(error)}` }));
        socket.close();
        const label = `step ${i} (seed ${SEED}) handshake ${show(auth)}`;
        const code = codeOf(outcome.data);
        if (outcome.kind === 'connect_error' && code !== undefined) {
          count(codes, `handshake ${typeof code === 'string' ? code : show(code)}`);
          if (!isErrorCode(code) || code === ErrorCode.INTERNAL) failures.push(`${label}: refused with ${show(outcome.data)}`);
        }
        if (bytes > DROP_BYTES - 1_000 || record === undefined) {
          // socket.io refuses a non-object or oversized CONNECT packet itself.
          count(drops, `handshake: ${outcome.kind === 'welcome' ? 'welcome' : 'refused by socket.io'}`);
          if (outcome.kind === 'welcome' && record === undefined) failures.push(`${label}: welcomed a non-object handshake`);
          return;
        }
        if (good && outcome.kind !== 'welcome') failures.push(`${label}: a valid handshake got ${show(outcome)}`);
        if (!good && !(outcome.kind === 'connect_error' && (code === ErrorCode.PROTOCOL_VERSION || code === ErrorCode.BAD_MESSAGE))) {
          failures.push(`${label}: an invalid handshake got ${show(outcome)}`);
        }
        count(outcomes, good ? 'handshake welcome' : 'handshake refused');
      };

      const takeoverStep = async (i: number, k: number): Promise<void> => {
        messages++;
        const old = hostiles[k] as HostileSocket;
        const sock = new HostileSocket(url, old.clientId);
        sock.opId = old.opId;
        hostiles[k] = sock;
        await sock.open();
        const label = `step ${i} (seed ${SEED}) takeover of ${old.clientId}`;
        try {
          await until(() => old.dropped !== undefined, ANSWER_MS);
        } catch {
          failures.push(`${label}: the older connection was not closed`);
        }
        const superseded = old.inbox.filter((a) => a.event === 'error' && codeOf(a.args[0]) === ErrorCode.SUPERSEDED);
        count(codes, 'SUPERSEDED', superseded.length);
        if (superseded.length !== 1 || old.inbox.length !== 1) failures.push(`${label}: the older connection got ${show(old.inbox)}`);
        old.close();
        await rejoin(sock);
      };

      const freshJoin = async (n: number): Promise<void> => {
        const sock = new HostileSocket(url, `fresh-${n}`);
        try {
          await sock.open();
          const answers = await sock.exchange(`~setup~${++setups}`, () => sock.socket?.emit('join', { tree: 'board' }));
          const joined = answers === 'dropped' ? undefined : (answers[0]?.args[0] as { snapshot?: unknown[]; seq?: number } | undefined);
          if (joined?.snapshot === undefined || joined.snapshot.length === 0 || (joined.seq ?? Infinity) > board.seq) failures.push(`a fresh client's join at step ${n} got ${show(answers)}`);
        } catch (error) {
          failures.push(`a fresh client could not join at step ${n}: ${String(error)}`);
        } finally {
          sock.close();
        }
      };

      for (const [i, step] of plan.entries()) {
        if (failures.length > 40) break;
        switch (step.kind) {
          case 'msg':
            await msgStep(i, step);
            break;
          case 'garbage':
            await garbageStep(i, hostiles[step.sock] as HostileSocket, step.frame);
            break;
          case 'handshake':
            await handshakeStep(i, step.auth);
            break;
          case 'takeover':
            await takeoverStep(i, step.sock);
            break;
          case 'honest':
            await honestStep(step.who, step.seed);
            break;
        }
        if ((i + 1) % CHECK_EVERY === 0) {
          await freshJoin(i + 1);
          peakRss = Math.max(peakRss, process.memoryUsage().rss);
          for (const client of honest) if (!client.connected) failures.push(`step ${i}: ${client.clientId} is not connected`);
        }
      }
      const hostileDone = performance.now();
      for (const sock of hostiles) sock.close();

      // Root causes first: values the server should not have taken.
      for (const [kind, { count: n, first }] of accepted) failures.push(`the server accepted ${n} scribe(s) holding ${kind}; the first:\n    ${first}`);

      // The honest clients settle and converge.
      await withTimeout(Promise.all(inflight.flat()), 20_000, 'the honest proposals').catch((error: unknown) => failures.push(String(error)));
      for (const [who, mine] of mirrors.entries()) {
        for (const mirror of mine) {
          const tree = trees.get(mirror.name) as Tree;
          try {
            await until(() => mirror.seq === tree.seq && mirror.pending === 0, 20_000);
          } catch {
            failures.push(`honest-${who}'s mirror of ${mirror.name} stopped at seq ${mirror.seq} (server ${tree.seq}, pending ${mirror.pending})`);
            continue;
          }
          const difference = firstDifference(mirrorPlain(mirror.state), serverPlain(tree));
          if (difference !== undefined) failures.push(`honest-${who}'s mirror of ${mirror.name} differs from the server at #${difference.slice(1)} (mirror vs server)`);
        }
      }
      failures.push(...honestEvents);

      // The trees are valid; nothing polluted Object.prototype; the server logged no failure.
      for (const tree of trees.values()) {
        const problems = treeProblems(tree);
        if (problems.length > 0) failures.push(`the final tree ${tree.name} is invalid (${problems.length} problems), e.g.:\n    ${problems.slice(0, 5).join('\n    ')}`);
      }
      if (Object.getOwnPropertyNames(Object.prototype).sort().join() !== protoBefore.join()) failures.push('Object.prototype gained properties');
      failures.push(...logged.map((l) => `the server logged an error: ${l}`));
      try {
        await until(() => server.sessionCount === HONEST, 10_000);
      } catch {
        failures.push(`${server.sessionCount} sessions remain, expected the ${HONEST} honest ones`);
      }

      // A rough bound on memory: after a full collection the server holds no hostile payloads (its
      // trees and scribe logs keep a few accepted near-limit values at most), and the peak stays sane.
      gc();
      const memoryAfter = process.memoryUsage();
      peakRss = Math.max(peakRss, memoryAfter.rss);
      const mb = (n: number): string => `${Math.round(n / 2 ** 20)} MB`;
      if (memoryAfter.heapUsed - memoryBefore.heapUsed > 200 * 2 ** 20) failures.push(`the heap grew from ${mb(memoryBefore.heapUsed)} to ${mb(memoryAfter.heapUsed)}`);
      if (peakRss - memoryBefore.rss > 1_200 * 2 ** 20) failures.push(`the resident set peaked at ${mb(peakRss)} (from ${mb(memoryBefore.rss)})`);
      const histogram = (map: Map<string, number>): string =>
        [...map]
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `  ${k.padEnd(40)} ${v}`)
          .join('\n');
      const kinds = new Map<string, number>();
      for (const step of plan) count(kinds, step.kind);
      console.log(
        [
          `[hostile] seed ${SEED}: ${plan.length} steps (${[...kinds].map(([k, v]) => `${k} ${v}`).join(', ')}), ${messages} hostile messages`,
          `[hostile] hostile phase ${Math.round(hostileDone - started)} ms, total ${Math.round(performance.now() - started)} ms`,
          `[hostile] trees: board seq ${board.seq} objects ${board.size}, deck seq ${deck.seq} objects ${deck.size}`,
          `[hostile] memory: heap ${mb(memoryBefore.heapUsed)} -> ${mb(memoryAfter.heapUsed)}, rss ${mb(memoryBefore.rss)} -> peak ${mb(peakRss)}`,
          `[hostile] error codes (reject, error, handshake):\n${histogram(codes)}`,
          `[hostile] other answers:\n${histogram(outcomes)}`,
          `[hostile] connections dropped by socket.io:\n${histogram(drops)}`,
          `[hostile] honest proposals:\n${histogram(honestCodes)}`,
        ].join('\n'),
      );
      if (failures.length > 0) console.log(`[hostile] ${failures.length} failures (seed ${SEED}):\n${failures.slice(0, 40).map((f) => `- ${f}`).join('\n')}`);

      expect(failures.slice(0, 20)).toEqual([]);
    },
    55_000,
  );
});
