/** The seam between the host and a transport (socket.io, in-memory, ...). */

/** What the host needs of one live connection. */
export interface SessionLink {
  /** Unique per connection. */
  readonly id: string;
  /** Sends one event to this connection. */
  send(event: string, ...args: unknown[]): void;
  /** Adds the connection to a broadcast room. */
  join(room: string): void;
  /** Removes the connection from a broadcast room. */
  leave(room: string): void;
  /** Closes the connection. */
  close(): void;
}

/** Sends one event to every connection in a room, encoded once. */
export type Broadcast = (room: string, event: string, args: readonly unknown[]) => void;

/** Sends one event to some connections, encoded once (an audience under visibility rules). */
export type SendTo = (links: readonly SessionLink[], event: string, args: readonly unknown[]) => void;

/** The fallback {@link SendTo}: each link encodes for itself. */
export const sendToEach: SendTo = (links, event, args) => {
  for (const link of links) link.send(event, ...args);
};

/** A logger; library code never calls console. */
export interface Logger {
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

/** The logger that says nothing. */
export const silentLogger: Logger = { warn: () => undefined, error: () => undefined };
