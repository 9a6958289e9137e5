import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type ServerOptions } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { broadcastToRoom, textFrame } from '../../server/socket-io.js';
import { decodeBatch } from '../../shared/codec.js';
import { OP } from '../../shared/ops.js';

const open: (() => void)[] = [];
afterEach(() => {
  for (const close of open.splice(0)) close();
});

async function setup(transports: ('websocket' | 'polling')[][], binary: readonly boolean[] = [], options: Partial<ServerOptions> = {}): Promise<{ io: Server; clients: ClientSocket[]; got: unknown[][][] }> {
  const http = createServer();
  const io = new Server(http, options);
  io.on('connection', (s) => void s.join('room'));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  open.push(() => void io.close());
  const got: unknown[][][] = transports.map(() => []);
  const clients = transports.map((t, i) => {
    const c = connect(`http://127.0.0.1:${port}`, { transports: t, upgrade: false, auth: binary[i] === true ? { batches: 'binary' } : {} });
    c.onAny((event: string, ...args: unknown[]) => got[i]?.push([event, ...args]));
    open.push(() => c.close());
    return c;
  });
  await expect.poll(() => io.sockets.adapter.rooms.get('room')?.size).toBe(transports.length);
  return { io, clients, got };
}

describe('textFrame()', () => {
  it('frames short, 16-bit and 64-bit lengths as RFC 6455 unmasked text frames', () => {
    expect([...textFrame(new Uint8Array([1, 2]))]).toEqual([0x81, 2, 1, 2]);
    const mid = textFrame(new Uint8Array(300));
    expect([...mid.subarray(0, 4)]).toEqual([0x81, 126, 1, 44]);
    expect(mid.length).toBe(304);
    const big = textFrame(new Uint8Array(70_000));
    expect([...big.subarray(0, 10)]).toEqual([0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
  });
});

describe('broadcastToRoom()', () => {
  it('writes one pre-built frame to idle websocket clients, who decode the event as socket.io would', async () => {
    const { io, got } = await setup([['websocket'], ['websocket'], ['websocket']]);
    const args = [1, 7, [[0, 5, 0, 'é ✓ \u{1F600}']], [[1, 'c']]];
    expect(broadcastToRoom(io, 'room', 'b', args)).toBe(3);
    await expect.poll(() => got.map((g) => g.length)).toEqual([1, 1, 1]);
    for (const g of got) expect(g[0]).toEqual(['b', ...args]);
  });

  it('leaves clients that negotiated permessage-deflate to socket.io, which compresses for them', async () => {
    const { io, got } = await setup([['websocket'], ['websocket']], [], { perMessageDeflate: { threshold: 0 } });
    const compressed = [...io.sockets.sockets.values()].filter((s) => Object.keys((s.conn as unknown as { transport: { socket: { _extensions: object } } }).transport.socket._extensions).length > 0);
    expect(compressed).toHaveLength(2);
    const args = [1, 7, [[0, 5, 0, 'x'.repeat(200)]]];
    expect(broadcastToRoom(io, 'room', 'b', args)).toBe(0);
    await expect.poll(() => got.map((g) => g.length)).toEqual([1, 1]);
    for (const g of got) expect(g[0]).toEqual(['b', ...args]);
  });

  it('sends long-polling clients the packet through socket.io', async () => {
    const { io, got } = await setup([['websocket'], ['polling']]);
    expect(broadcastToRoom(io, 'room', 'b', [1, 2])).toBe(1);
    await expect.poll(() => got.map((g) => g.length)).toEqual([1, 1]);
    expect(got[1]?.[0]).toEqual(['b', 1, 2]);
  });

  it('keeps the order of what a client receives when socket.io has a packet in flight for it', async () => {
    const { io, got } = await setup([['websocket']]);
    const [socket] = [...io.sockets.sockets.values()];
    for (let i = 0; i < 200; i++) {
      socket?.emit('ack', i);
      broadcastToRoom(io, 'room', 'b', [i]);
    }
    await expect.poll(() => got[0]?.length).toBe(400);
    expect(got[0]).toEqual(Array.from({ length: 200 }, (_, i) => [['ack', i], ['b', i]]).flat());
  });
});

describe('binary batches', () => {
  const ops = Array.from({ length: 8 }, (_, i) => [OP.set, 5 + i, 1, 1763882228123.4568 + i]);
  const args = [3, 41, [...ops, [OP.put, 5, 2, 'k', { a: [1, 'é'] }]], [[2, 'c1']]];
  const batchOf = (i: number): unknown[] => Array.from({ length: 10 }, (_, k) => [OP.set, i, 0, i * 10 + k + 0.5]);
  /** A received event with its binary argument decoded. */
  const decoded = (event: unknown[] | undefined): unknown[] => {
    const [name, data] = event ?? [];
    expect(data).toBeInstanceOf(Uint8Array);
    return [name, ...decodeBatch(data as Uint8Array)];
  };

  it('go to clients that asked for them, JSON to the others, over websocket and polling alike', async () => {
    const { io, got } = await setup([['websocket'], ['websocket'], ['polling'], ['polling']], [true, false, true, false]);
    // The two websocket clients take the fast path, the polling ones socket.io's.
    expect(broadcastToRoom(io, 'room', 'b', args)).toBe(2);
    await expect.poll(() => got.map((g) => g.length)).toEqual([1, 1, 1, 1]);
    expect(decoded(got[0]?.[0])).toEqual(['b', ...args]);
    expect(got[1]?.[0]).toEqual(['b', ...args]);
    expect(decoded(got[2]?.[0])).toEqual(['b', ...args]);
    expect(got[3]?.[0]).toEqual(['b', ...args]);
  });

  it('keep their order behind packets socket.io has in flight', async () => {
    const { io, got } = await setup([['websocket']], [true]);
    const [socket] = [...io.sockets.sockets.values()];
    for (let i = 0; i < 100; i++) {
      socket?.emit('ack', i);
      broadcastToRoom(io, 'room', 'b', [1, i * 10 + 1, batchOf(i)]);
    }
    await expect.poll(() => got[0]?.length).toBe(200);
    got[0]?.forEach((event, k) => {
      const i = Math.floor(k / 2);
      expect(k % 2 === 0 ? event : decoded(event)).toEqual(k % 2 === 0 ? ['ack', i] : ['b', 1, i * 10 + 1, batchOf(i)]);
    });
  });

  it('go as JSON when a batch is so small that socket.io\'s attachment header would outweigh it', async () => {
    const { io, got } = await setup([['websocket']], [true]);
    const small = [1, 7, [[OP.set, 5, 0, 1]]];
    expect(broadcastToRoom(io, 'room', 'b', small)).toBe(1);
    await expect.poll(() => got[0]?.length).toBe(1);
    expect(got[0]?.[0]).toEqual(['b', ...small]);
  });

  it('leave every other event JSON', async () => {
    const { io, got } = await setup([['websocket']], [true]);
    expect(broadcastToRoom(io, 'room', 'joined', [{ tree: 't' }])).toBe(1);
    await expect.poll(() => got[0]?.length).toBe(1);
    expect(got[0]?.[0]).toEqual(['joined', { tree: 't' }]);
  });
});
