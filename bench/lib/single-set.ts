/**
 * The payload of one unbatched mutation on an idle line: a SyncServer with the fan-out tree and one
 * joined client; the server sets one number attribute to a small integer and the client captures
 * the WebSocket message that carries it. Run in the orchestrator: sizes do not depend on load.
 */
import { io, type Socket } from 'socket.io-client';
import { SyncServer } from '../../server/index.js';
import { PROTOCOL_VERSION, type ClientToServerEvents, type ServerToClientEvents } from '../../shared/index.js';
import { BenchRoot, FANOUT_TREE, Item, OBJECTS, TYPES } from './model.js';
import { onWireMessage } from './wire.js';

/** One captured message: its text and payload bytes. */
export interface Frame {
  readonly text: string;
  readonly bytes: number;
}

/** The message a joined client receives for `object.value.set(value)`, with the tree's seq at `seq` (the ids and seq are part of the bytes). */
export async function singleSet(value: number): Promise<{ treesync: Frame; floor: Frame; seq: number; object: number }> {
  const server = new SyncServer({ types: TYPES });
  const tree = server.tree(FANOUT_TREE, BenchRoot);
  const items = tree.transact(() => Array.from({ length: OBJECTS }, () => tree.root.create(Item, {})));
  const port = await server.listen(0);
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: { v: PROTOCOL_VERSION, clientId: 'single-set' },
  });
  try {
    await new Promise<void>((resolve) => {
      socket.once('welcome', () => socket.emit('join', { tree: FANOUT_TREE }));
      socket.once('joined', () => resolve());
    });
    const item = items[OBJECTS / 2];
    if (item === undefined) throw new Error('no object');
    const seq = tree.seq;
    const frame = new Promise<Frame>((resolve) => onWireMessage(socket, (bytes, text) => resolve({ bytes, text: text() })));
    item.attrs.value.set(value);
    const treesync = await frame;
    // What raw socket.io sends for the same mutation in the sio-each shape: `io.emit('m', [object, value])`.
    const text = `42${JSON.stringify(['m', [item.id, value]])}`;
    return { treesync, floor: { text, bytes: Buffer.byteLength(text) }, seq, object: item.id };
  } finally {
    socket.disconnect();
    await server.close();
  }
}
