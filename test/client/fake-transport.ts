/**
 * A scripted ClientTransport: the test plays the server by delivering real protocol messages
 * and reads what the client sent. It stands in for the network, not for the code under test.
 */
import {
  DEFAULT_LIMITS,
  PROTOCOL_VERSION,
  defineType,
  t,
  typeToWire,
  type Op,
  type WelcomeMessage,
  flattenSnapshot,
  type FlatSnapshot,
  type WireObject,
} from '../../shared/index.js';
import type { ClientTransport, ConnectError } from '../../client/index.js';

export const Folder = defineType('Folder', { title: t.string() });
export const Gauge = defineType('Gauge', {
  label: t.string(),
  value: t.number(0),
  tags: t.dict(t.string()),
  history: t.list(t.number()),
});
export const TYPES = [Folder, Gauge] as const;

export function welcome(lastOpId = 0, clientId = 'me'): WelcomeMessage {
  return { v: PROTOCOL_VERSION, clientId, types: TYPES.map(typeToWire), limits: DEFAULT_LIMITS, lastOpId };
}

/** root 0 (Folder) > [1 Gauge cpu, 2 Gauge mem, 3 Folder sub > [4 Gauge disk]], as wire objects. */
export const SNAPSHOT_OBJECTS: readonly WireObject[] = [
  [0, 0, -1, ['root']],
  [1, 1, 0, ['cpu', 5, { a: 'x' }, [1, 2, 3]]],
  [2, 1, 0, ['mem', 1, {}, []]],
  [3, 0, 0, ['sub']],
  [4, 1, 3, ['disk', 0, {}, []]],
];

/** {@link SNAPSHOT_OBJECTS} as a `joined` carries it. */
export const SNAPSHOT: FlatSnapshot = flattenSnapshot(SNAPSHOT_OBJECTS);

export class FakeTransport implements ClientTransport {
  connected = false;
  auth: (() => Record<string, unknown>) | undefined;
  sent: [event: string, payload: unknown][] = [];
  #message: (event: string, args: unknown[]) => void = () => undefined;
  #connect: () => void = () => undefined;
  #disconnect: (reason: string) => void = () => undefined;

  open(auth: () => Record<string, unknown>): void {
    this.auth = auth;
  }
  send(event: string, payload: unknown): void {
    if (this.connected) this.sent.push([event, structuredClone(payload)]);
  }
  close(): void {
    this.connected = false;
  }
  onMessage(fn: (event: string, args: unknown[]) => void): void {
    this.#message = fn;
  }
  onConnect(fn: () => void): void {
    this.#connect = fn;
  }
  onDisconnect(fn: (reason: string) => void): void {
    this.#disconnect = fn;
  }
  connectError: ((error: ConnectError) => void) | undefined;
  onConnectError(fn: (error: ConnectError) => void): void {
    this.connectError = fn;
  }

  /** The server accepts the connection and says welcome. */
  connect(w: WelcomeMessage = welcome()): void {
    this.connected = true;
    this.#connect();
    this.deliver('welcome', w);
  }
  drop(reason = 'transport close'): void {
    this.connected = false;
    this.#disconnect(reason);
  }
  deliver(event: string, ...args: unknown[]): void {
    // A copy, as if it came off the wire.
    this.#message(event, structuredClone(args));
  }
  batch(firstSeq: number, ops: readonly Op[], origins?: readonly (readonly [number, string])[], ref = 7): void {
    this.deliver('b', ...(origins === undefined ? [ref, firstSeq, ops] : [ref, firstSeq, ops, origins]));
  }
  /** What the client sent since the last take. */
  take(): [event: string, payload: unknown][] {
    const out = this.sent;
    this.sent = [];
    return out;
  }
}
