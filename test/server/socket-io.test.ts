import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { broadcastToRoom, textFrame } from '../../server/socket-io.js';

const open: (() => void)[] = [];
afterEach(() => {
  for (const close of open.splice(0)) close();
});

async function setup(transports: ('websocket' | 'polling')[][]): Promise<{ io: Server; clients: ClientSocket[]; got: unknown[][][] }> {
  const http = createServer();
  const io = new Server(http);
  io.on('connection', (s) => void s.join('room'));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  open.push(() => void io.close());
  const got: unknown[][][] = transports.map(() => []);
  const clients = transports.map((t, i) => {
    const c = connect(`http://127.0.0.1:${port}`, { transports: t, upgrade: false });
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
    expect([...mid.slice(0, 4)]).toEqual([0x81, 126, 1, 44]);
    expect(mid.length).toBe(304);
    const big = textFrame(new Uint8Array(70_000));
    expect([...big.slice(0, 10)]).toEqual([0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
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
