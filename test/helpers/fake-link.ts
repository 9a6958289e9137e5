/**
 * A recording transport for the host's SessionLink seam: every payload goes through JSON like a real
 * wire, so a test sees what a client would receive, never a live reference into the server's state.
 */
import type { Broadcast, SessionLink } from '../../server/transport.js';

/** One event a link received. */
export interface Received {
  readonly event: string;
  readonly args: unknown[];
}

/** The value as it would come out of a JSON wire (`undefined` in arrays becomes null, like socket.io's parser). */
export function throughWire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A SessionLink that records what it is sent and which rooms it is in. */
export class FakeLink implements SessionLink {
  readonly received: Received[] = [];
  readonly rooms = new Set<string>();
  closed = false;

  constructor(readonly id: string) {}

  send(event: string, ...args: unknown[]): void {
    this.deliver(event, args);
  }

  /** Records one inbound event, through the wire. */
  deliver(event: string, args: readonly unknown[]): void {
    this.received.push({ event, args: throughWire([...args]) });
  }

  join(room: string): void {
    this.rooms.add(room);
  }

  leave(room: string): void {
    this.rooms.delete(room);
  }

  close(): void {
    this.closed = true;
  }

  /** The argument lists of every received event with this name, in order. */
  all(event: string): unknown[][] {
    return this.received.filter((r) => r.event === event).map((r) => r.args);
  }

  /** The first argument of every received event with this name, in order. */
  firsts(event: string): unknown[] {
    return this.all(event).map((args) => args[0]);
  }

  /** The last received event, if any. */
  get last(): Received | undefined {
    return this.received[this.received.length - 1];
  }

  /** Returns what was received so far and forgets it. */
  take(): Received[] {
    return this.received.splice(0);
  }
}

/** Rooms and broadcasts over FakeLinks: a broadcast is encoded once and delivered to every link in the room. */
export class FakeHub {
  readonly links: FakeLink[] = [];
  /** Every broadcast, as encoded. */
  readonly broadcasts: { room: string; event: string; args: unknown[] }[] = [];

  readonly broadcast: Broadcast = (room, event, args) => {
    const encoded = throughWire([...args]);
    this.broadcasts.push({ room, event, args: encoded });
    for (const link of this.links) if (link.rooms.has(room)) link.deliver(event, encoded);
  };

  /** A new link of this hub. */
  link(id = `link-${String(this.links.length + 1)}`): FakeLink {
    const link = new FakeLink(id);
    this.links.push(link);
    return link;
  }
}
