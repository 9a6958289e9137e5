/**
 * An in-memory network between a real SyncHost and real SyncClients, for convergence tests:
 * every message is JSON round-tripped and queued per connection and direction (FIFO, like a
 * socket), and the test decides which queue delivers next, so a seed fixes the interleaving.
 */
import { SyncHost, type HostOptions, type Session, type SessionLink } from '../../server/index.js';
import type { ClientTransport, ConnectError } from '../../client/transport.js';

type Message = readonly [event: string, json: string];

/** One simulated connection of one client: two queues and the host's session. */
export class MemoryTransport implements ClientTransport {
  readonly toServer: Message[] = [];
  readonly toClient: Message[] = [];
  #session: Session | undefined;
  #auth: (() => Record<string, unknown>) | undefined;
  #closed = false;
  #onMessage: (event: string, args: unknown[]) => void = () => undefined;
  #onConnect: () => void = () => undefined;
  #onDisconnect: (reason: string) => void = () => undefined;
  #onConnectError: (error: ConnectError) => void = () => undefined;
  static #ids = 0;

  constructor(readonly net: MemoryNetwork) {}

  get connected(): boolean {
    return this.#session !== undefined;
  }

  open(auth: () => Record<string, unknown>): void {
    this.#auth = auth;
    this.#closed = false;
    this.reconnect();
  }

  /** Connects again after a drop (socket.io would do this by itself). */
  reconnect(): void {
    if (this.#session !== undefined || this.#closed || this.#auth === undefined) return;
    const link: SessionLink = {
      id: `m${++MemoryTransport.#ids}`,
      send: (event, ...args) => this.toClient.push([event, JSON.stringify(args)]),
      join: (room) => this.net.room(room).add(this),
      leave: (room) => this.net.room(room).delete(this),
      close: () => this.drop('server closed'),
    };
    try {
      // The welcome is queued by open(); the client sees 'connect' first, as with socket.io.
      this.#session = this.net.host.open(link, JSON.parse(JSON.stringify(this.#auth())));
    } catch (error) {
      this.#onConnectError({ message: String(error) });
      return;
    }
    this.#onConnect();
  }

  /** Drops the connection: both queues are lost, as on a real network. */
  drop(reason = 'transport close'): void {
    if (this.#session === undefined) return;
    this.#session.close();
    this.#session = undefined;
    this.net.leaveAll(this);
    this.toServer.length = 0;
    this.toClient.length = 0;
    this.#onDisconnect(reason);
  }

  send(event: string, payload: unknown): void {
    if (this.#session !== undefined) this.toServer.push([event, JSON.stringify([payload])]);
  }

  close(): void {
    this.drop('io client disconnect');
    this.#closed = true;
  }

  /** Delivers the oldest message of one direction; false when that queue is empty. */
  deliver(direction: 'toServer' | 'toClient'): boolean {
    const message = this[direction].shift();
    if (message === undefined) return false;
    const args = JSON.parse(message[1]) as unknown[];
    if (direction === 'toServer') this.#session?.receive(message[0], args);
    else this.#onMessage(message[0], args);
    return true;
  }

  onMessage(fn: (event: string, args: unknown[]) => void): void {
    this.#onMessage = fn;
  }
  onConnect(fn: () => void): void {
    this.#onConnect = fn;
  }
  onDisconnect(fn: (reason: string) => void): void {
    this.#onDisconnect = fn;
  }
  onConnectError(fn: (error: ConnectError) => void): void {
    this.#onConnectError = fn;
  }
}

/** A host and the transports connected to it. */
export class MemoryNetwork {
  readonly host: SyncHost;
  readonly transports: MemoryTransport[] = [];
  readonly #rooms = new Map<string, Set<MemoryTransport>>();

  constructor(options: HostOptions) {
    this.host = new SyncHost(options, (room, event, args) => {
      const json = JSON.stringify(args);
      for (const t of this.room(room)) t.toClient.push([event, json]);
    });
  }

  /** A new transport for a client. */
  transport(): MemoryTransport {
    const t = new MemoryTransport(this);
    this.transports.push(t);
    return t;
  }

  room(name: string): Set<MemoryTransport> {
    let room = this.#rooms.get(name);
    if (room === undefined) this.#rooms.set(name, (room = new Set()));
    return room;
  }

  leaveAll(t: MemoryTransport): void {
    for (const room of this.#rooms.values()) room.delete(t);
  }

  /** Delivers one message from a queue chosen by `pick` among the non-empty ones; false when all are empty. */
  step(pick: (n: number) => number): boolean {
    const queues: [MemoryTransport, 'toServer' | 'toClient'][] = [];
    for (const t of this.transports) {
      if (t.toServer.length > 0) queues.push([t, 'toServer']);
      if (t.toClient.length > 0) queues.push([t, 'toClient']);
    }
    if (queues.length === 0) return false;
    const [t, direction] = queues[pick(queues.length)] as [MemoryTransport, 'toServer' | 'toClient'];
    return t.deliver(direction);
  }

  /** Delivers until every queue is empty (bounded), letting promise callbacks run in between. */
  async settle(pick: (n: number) => number = () => 0, max = 1_000_000): Promise<void> {
    for (let i = 0; i < max; i++) {
      if (!this.step(pick)) {
        await new Promise((resolve) => setImmediate(resolve));
        if (!this.transports.some((t) => t.toServer.length > 0 || t.toClient.length > 0)) return;
      }
    }
    throw new Error('the network did not settle');
  }
}
