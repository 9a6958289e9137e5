/**
 * The seam between the client core and the network: a SyncClient speaks the protocol
 * through this interface only, so it runs (and is tested) without sockets.
 */

/** A failed connection attempt; `code` is an error code when the server refused the handshake. */
export interface ConnectError {
  readonly code?: string;
  readonly message: string;
}

/** A message channel to one treesync server; {@link socketIoTransport} is the socket.io one. */
export interface ClientTransport {
  /** Opens (or reopens) the connection with this handshake auth; reconnects by itself until close(). */
  open(auth: () => Record<string, unknown>): void;
  /** Sends one event with one payload; dropped when not connected (the client resends what matters). */
  send(event: string, payload: unknown): void;
  /** Closes the connection for good. */
  close(): void;
  /** Whether the connection is up. */
  readonly connected: boolean;
  /** Registers the handler of every inbound event, with its arguments as received. */
  onMessage(fn: (event: string, args: unknown[]) => void): void;
  /** Registers the handler called after each (re)connect. */
  onConnect(fn: () => void): void;
  /** Registers the handler called when the connection drops. */
  onDisconnect(fn: (reason: string) => void): void;
  /** Registers the handler called when a connection attempt fails. */
  onConnectError(fn: (error: ConnectError) => void): void;
}
