/**
 * A ClientTransport for the bench's SyncClients (bench/visibility-clients.ts, and the mirrors of
 * bench/peers/treesync-clients.ts): socket.io-client over websocket, like
 * client/socket-io.ts, but without reconnection (a dropped client is a finding, not something to
 * paper over) and with two taps the bench needs: every inbound event is shown to `tap` before the
 * SyncClient handles it, and the socket is handed to `connected` so that its WebSocket payload
 * bytes can be counted (bench/lib/wire.ts).
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientTransport, ConnectError } from '../../client/index.js';

export function tappedTransport(url: string, tap: (event: string, args: readonly unknown[]) => void, connected: (socket: Socket) => void): ClientTransport {
  let socket: Socket | undefined;
  const messageFns: ((event: string, args: unknown[]) => void)[] = [];
  const connectFns: (() => void)[] = [];
  const disconnectFns: ((reason: string) => void)[] = [];
  const errorFns: ((error: ConnectError) => void)[] = [];
  return {
    open(auth) {
      if (socket !== undefined) return;
      const s = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: auth() });
      s.on('connect', () => {
        connected(s);
        connectFns.forEach((fn) => fn());
      });
      s.on('disconnect', (reason) => disconnectFns.forEach((fn) => fn(reason)));
      s.on('connect_error', (error) => errorFns.forEach((fn) => fn({ message: error.message })));
      s.onAny((event: string, ...args: unknown[]) => {
        tap(event, args);
        messageFns.forEach((fn) => fn(event, args));
      });
      socket = s;
    },
    send(event, payload) {
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
