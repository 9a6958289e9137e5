/**
 * W4 reconnect for ShareDB (bench/peers/model.ts): `sharedb-clients.ts w4 <variant> <port> <N>
 * <offlineSeconds>`; the server is W1's (sharedb-server.ts).
 *
 * ShareDB's own reconnect: a Connection outlives its socket. On `start`, after 1 s of live updates,
 * every client's WebSocket is terminated (`ws.terminate()`: the TCP connection destroyed with no
 * close frame, as a network failure would; ShareDB's socket.onclose sees code 1006 and puts the
 * Connection in 'disconnected', its Docs keeping their data and version). `offlineSeconds` later
 * all clients at once give their Connection a new WebSocket (`connection.bindToSocket(ws)`, what
 * reconnecting-websocket does for ShareDB apps). Once it is 'connected', every Doc resubscribes
 * with its version (one bulk `bs` message for `docs`), and the server sends the ops since that
 * version before the subscribe reply: path "ops since version".
 *
 * A client is consistent again once nothing is pending on its Connection (every resubscribe
 * answered, so the catch-up ops are applied: `connection.whenNothingPending`) and it has received a
 * value stamped at or after its reconnect. Time and WebSocket payload bytes are counted from the
 * new WebSocket to that point. `missed`: the values a client received after reconnecting that were
 * stamped while it was away (median over clients; json0 compose could merge two writes of one
 * object into one component, which would count once).
 */
import type { WebSocket } from 'ws';
import { fatal, reply, sleep } from '../lib/child.js';
import { inBatches } from '../lib/sampling.js';
import { median, now, quantile, type W4Report } from './model.js';
import { Connection, connected, hold, socket } from './sharedb-client.js';
import type { Commands, ShareConnection, Variant } from './sharedb-model.js';

/** How long a client may take to be consistent again. */
const CATCH_UP_MS = 30_000;

/** One client across its reconnect. */
class Client {
  ws: WebSocket;
  readonly conn: ShareConnection;
  /** Payload bytes since the reconnect. */
  bytes = 0;
  /** When it was dropped and when it reconnected (now(), the values' clock), 0 before. */
  droppedAt = 0;
  reconnectAt = 0;
  /** performance.now() at the reconnect, at the catch-up applied and at the first live value; then when consistent (0 until). */
  #t0 = 0;
  #caughtUp = 0;
  #live = 0;
  consistentMs = 0;
  /** From the reconnect to ShareDB's handshake done, and to every resubscribe answered (0 until). */
  handshakeMs = 0;
  catchUpMs = 0;
  bytesToConsistent = 0;
  /** Values stamped while it was away, received after the reconnect. */
  missed = 0;
  #consistent: () => void = () => undefined;

  constructor(readonly port: number) {
    this.ws = socket(port, (size) => (this.bytes += size));
    this.conn = new Connection(this.ws);
    this.conn.on('connected', () => {
      if (this.reconnectAt === 0) return;
      this.handshakeMs = performance.now() - this.#t0;
      this.conn.whenNothingPending(() => {
        this.#caughtUp = performance.now();
        this.catchUpMs = this.#caughtUp - this.#t0;
        this.#check();
      });
    });
  }

  /** Sees a value received by this client. */
  readonly onValue = (_k: number, value: unknown): void => {
    if (this.reconnectAt === 0 || this.consistentMs > 0 || typeof value !== 'number') return;
    if (value < this.reconnectAt) {
      if (value >= this.droppedAt) this.missed++;
    } else if (this.#live === 0) {
      this.#live = performance.now();
      this.#check();
    }
  };

  #check(): void {
    if (this.#caughtUp === 0 || this.#live === 0 || this.consistentMs > 0) return;
    this.consistentMs = Math.max(this.#caughtUp, this.#live) - this.#t0;
    this.bytesToConsistent = this.bytes;
    this.#consistent();
  }

  drop(): void {
    this.droppedAt = now();
    this.ws.terminate();
  }

  /** Reconnects; resolves once consistent, or after CATCH_UP_MS. */
  reconnect(): Promise<void> {
    const consistent = new Promise<void>((resolve) => (this.#consistent = resolve));
    this.bytes = 0;
    this.reconnectAt = now();
    this.#t0 = performance.now();
    this.ws = socket(this.port, (size) => (this.bytes += size));
    this.conn.bindToSocket(this.ws);
    return Promise.race([consistent, sleep(CATCH_UP_MS)]);
  }
}

/** What this client process adds to W4Report: the parts of the time to consistency (medians over the clients, ms; 0 for a client that did not get there). */
interface ShareDbW4Extra {
  /** To ShareDB's handshake done on the new socket. */
  readonly handshakeP50Ms: number;
  /** To every resubscribe answered: the catch-up ops applied. */
  readonly catchUpP50Ms: number;
}

export async function w4Clients(variant: Variant, port: number, n: number, offlineSeconds: number, commands: Commands): Promise<void> {
  const clients: Client[] = [];
  await inBatches(n, async (i) => {
    const client = new Client(port);
    clients[i] = client;
    await connected(client.conn, port);
    const { count } = await hold(variant, client.conn, client.onValue);
    if (count === 0) throw new Error(`client ${i}: no objects in the ${variant} state`);
  });

  async function run(): Promise<void> {
    await sleep(1_000);
    for (const client of clients) client.drop();
    await sleep(offlineSeconds * 1_000);
    await Promise.all(clients.map((client) => client.reconnect()));
    const back = clients.filter((c) => c.consistentMs > 0);
    const sorted = Float64Array.from(back, (c) => c.consistentMs).sort();
    reply({
      type: 'report',
      clients: n,
      caughtUp: back.length,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      maxMs: quantile(sorted, 1),
      bytesPerClient: median(back.map((c) => c.bytesToConsistent)),
      missed: median(clients.map((c) => c.missed)),
      path: 'ops since version (Docs resubscribe with their version on bindToSocket)',
      handshakeP50Ms: median(clients.map((c) => c.handshakeMs)),
      catchUpP50Ms: median(clients.map((c) => c.catchUpMs)),
    } satisfies W4Report & ShareDbW4Extra);
  }

  commands.handler = (cmd) => {
    if (cmd === 'start') run().catch(fatal);
  };
  reply({ type: 'ready' });
}
