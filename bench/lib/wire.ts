/**
 * Counting WebSocket payload bytes on a socket.io-client socket in Node.
 *
 * How: with `transports: ['websocket']`, `socket.io.engine.transport.ws` is the `ws` package's
 * WebSocket (engine.io-client 6, transports/websocket.node.js). It is an EventEmitter whose
 * 'message' event hands over each received message's payload as a Buffer, exactly as it came off
 * the wire: the engine.io packet (`42["b",...]` for a socket.io event, `2` for a ping), without
 * the WebSocket frame header. The server sends without permessage-deflate (socket.io's default),
 * so payload bytes are what the line carries apart from 2-10 bytes of frame header per message.
 * engine.io-client listens through `onmessage`, so an extra listener changes nothing for it.
 */
import type { Socket } from 'socket.io-client';

type WsData = Buffer | ArrayBuffer | Buffer[];

interface WsLike {
  on(event: 'message', fn: (data: WsData, isBinary: boolean) => void): void;
}

function size(data: WsData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

/**
 * Calls `fn` with the byte size and the text of every WebSocket message the socket receives from
 * now on. Call it once the socket is connected.
 */
export function onWireMessage(socket: Socket, fn: (bytes: number, text: () => string) => void): void {
  const ws = (socket.io.engine.transport as unknown as { ws?: WsLike }).ws;
  if (ws === undefined) throw new Error('no WebSocket under this socket (transports must be ["websocket"])');
  const text = (data: WsData): string => (Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data).toString();
  ws.on('message', (data) => fn(size(data), () => text(data)));
}
