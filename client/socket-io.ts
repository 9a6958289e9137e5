/**
 * The socket.io adapter of {@link ClientTransport}: the only file of the client that imports
 * socket.io-client.
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { ClientTransport, ConnectError } from './transport.js';

/** Options of {@link socketIoTransport}. */
export interface SocketIoTransportOptions {
  /** The server's socket.io path (default `/socket.io`). */
  readonly path?: string;
  /** First reconnection delay in ms (default 250). */
  readonly reconnectionDelay?: number;
  /** Longest reconnection delay in ms (default 2000). */
  readonly reconnectionDelayMax?: number;
  /** Anything else socket.io-client accepts; `auth`, `transports` and `autoConnect` are set by treesync. */
  readonly socket?: Partial<ManagerOptions & SocketOptions>;
}

function connectError(error: Error & { data?: unknown }): ConnectError {
  const data = error.data;
  if (typeof data === 'object' && data !== null) {
    const { code, message } = data as { code?: unknown; message?: unknown };
    const msg = typeof message === 'string' ? message : error.message;
    return typeof code === 'string' ? { code, message: msg } : { message: msg };
  }
  return { message: error.message };
}

/**
 * A {@link ClientTransport} over socket.io: websocket only, automatic reconnection, and the
 * handshake auth read again on every reconnect.
 * @example
 * const client = new SyncClient({ transport: socketIoTransport('http://localhost:3000') });
 */
export function socketIoTransport(url: string, options: SocketIoTransportOptions = {}): ClientTransport {
  let socket: Socket | undefined;
  const messageFns: ((event: string, args: unknown[]) => void)[] = [];
  const connectFns: (() => void)[] = [];
  const disconnectFns: ((reason: string) => void)[] = [];
  const errorFns: ((error: ConnectError) => void)[] = [];

  return {
    open(auth) {
      if (socket !== undefined) {
        if (!socket.connected) socket.connect();
        return;
      }
      const s = io(url, {
        ...options.socket,
        ...(options.path === undefined ? {} : { path: options.path }),
        transports: ['websocket'],
        reconnection: true,
        reconnectionDelay: options.reconnectionDelay ?? 250,
        reconnectionDelayMax: options.reconnectionDelayMax ?? 2000,
        autoConnect: true,
        // A callback, so that every reconnect sends the current auth (tokens may have changed).
        auth: (cb) => cb(auth()),
      });
      s.on('connect', () => connectFns.forEach((fn) => fn()));
      s.on('disconnect', (reason) => disconnectFns.forEach((fn) => fn(reason)));
      s.on('connect_error', (error) => errorFns.forEach((fn) => fn(connectError(error))));
      s.onAny((event: string, ...args: unknown[]) => messageFns.forEach((fn) => fn(event, args)));
      socket = s;
    },
    send(event, payload) {
      // Never let socket.io buffer while offline: the client resends in-flight proposals itself
      // after rejoining, and a buffered copy would reach the server before the join.
      if (socket?.connected === true) socket.emit(event, payload);
    },
    close() {
      socket?.disconnect();
      socket?.offAny();
      socket = undefined;
    },
    get connected() {
      return socket?.connected ?? false;
    },
    onMessage: (fn) => void messageFns.push(fn),
    onConnect: (fn) => void connectFns.push(fn),
    onDisconnect: (fn) => void disconnectFns.push(fn),
    onConnectError: (fn) => void errorFns.push(fn),
  };
}
