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
 *
 * A socket.io event with binary arguments (treesync's binary batches) is several WebSocket
 * messages: a text header (`451-["b",{"_placeholder":true,"num":0}]`: BINARY_EVENT, 1
 * attachment) and then one binary message per attachment. They are reported as ONE message whose
 * size is the sum of all of them, so that "messages" keeps counting events.
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

function toText(data: WsData): string {
  return (Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data).toString();
}

/** The first bytes of a message, as text (at most 16: enough for a socket.io packet's header). */
function head(data: WsData): string {
  const first = Array.isArray(data) ? data[0] : data instanceof ArrayBuffer ? Buffer.from(data, 0, Math.min(16, data.byteLength)) : data;
  return first === undefined ? '' : first.subarray(0, 16).toString('latin1');
}

/** The attachments a socket.io packet announces: `45<n>-…` (BINARY_EVENT) or `46<n>-…` (BINARY_ACK) after engine.io's `4`; else 0. */
function attachments(data: WsData): number {
  const first = Array.isArray(data) ? data[0]?.[0] : data instanceof ArrayBuffer ? new Uint8Array(data, 0, 1)[0] : data[0];
  if (first !== 0x34) return 0;
  const match = /^4[56](\d+)-/.exec(head(data));
  return match === null ? 0 : Number(match[1]);
}

/**
 * Calls `fn` with the byte size and the text of every WebSocket message the socket receives from
 * now on (a binary event: once, with the header's text and the bytes of the header and its
 * attachments). Call it once the socket is connected, and again after a reconnect (a new
 * transport).
 */
export function onWireMessage(socket: Socket, fn: (bytes: number, text: () => string) => void): void {
  const ws = (socket.io.engine.transport as unknown as { ws?: WsLike }).ws;
  if (ws === undefined) throw new Error('no WebSocket under this socket (transports must be ["websocket"])');
  let pending: { bytes: number; left: number; text: string } | undefined;
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      if (pending === undefined) return fn(size(data), () => '');
      pending.bytes += size(data);
      if (--pending.left > 0) return;
      const { bytes, text } = pending;
      pending = undefined;
      return fn(bytes, () => text);
    }
    const announced = attachments(data);
    if (announced > 0) pending = { bytes: size(data), left: announced, text: toText(data) };
    else fn(size(data), () => toText(data));
  });
}
