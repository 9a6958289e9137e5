/**
 * The ShareDB peer's fan-out load clients (W1, and W5 through sharedb-w5.ts), as bench/clients.ts:
 * between `mark` and `report` every client counts WebSocket payload bytes (the `ws` 'message'
 * data, JSON text, no permessage-deflate: the `ws` server's default) and the mutations (json0
 * components setting a `value`) it receives, and checks that the objects come in the generator's
 * order (a gap otherwise); SAMPLED clients spread over the connection order record latency =
 * receipt time (the WebSocket message's arrival) minus the `oi` timestamp of each component.
 */
import { reply } from '../lib/child.js';
import { Sampling, inBatches, samplingCommands, spread, type ClientsWindow } from '../lib/sampling.js';
import { now } from './model.js';
import { open } from './sharedb-client.js';
import type { Commands, ShareConnection } from './sharedb-model.js';

/**
 * How client i takes its view through `conn`: it subscribes, calls `onValue` for every component
 * setting an object's `value`, and resolves with the objects it holds, in the generator's order.
 */
export type View = (conn: ShareConnection, i: number, onValue: (k: number, value: unknown) => void) => Promise<readonly number[]>;

/** Connects n clients to `port`, each taking its `view`, then answers `mark` / `report` (with what `extra` adds) and replies ready. */
export async function fanout(port: number, n: number, view: View, commands: Commands, extra: (window: ClientsWindow) => object = () => ({})): Promise<void> {
  const sampled = spread(n);
  const sampling = new Sampling(n);

  /** One client; resolves once it holds its view. */
  async function connect(i: number): Promise<void> {
    let at = 0;
    const { conn, connected } = open(port, (size) => {
      at = now();
      sampling.count(size);
    });
    await connected;
    /** Where each object comes in the generator's order (-1: not held), once the view is held. */
    let position = new Int32Array(0);
    let held: readonly number[] = [];
    let last = -1;
    const ids = await view(conn, i, (k, value) => {
      if (last >= 0 && held.length > 0 && k !== held[((position[last] ?? -1) + 1) % held.length] && sampling.measuring) sampling.gaps++;
      last = k;
      if (!sampling.measuring) return;
      sampling.receive(i);
      if (sampled.has(i) && typeof value === 'number') sampling.sample(at - value);
    });
    if (ids.length === 0) throw new Error(`client ${i}: no objects in its view`);
    position = new Int32Array(Math.max(...ids) + 1).fill(-1);
    ids.forEach((k, p) => (position[k] = p));
    held = ids;
  }

  // A few at a time, as bench/clients.ts.
  await inBatches(n, connect);
  commands.handler = samplingCommands(sampling, { extra });
  reply({ type: 'ready' });
}
