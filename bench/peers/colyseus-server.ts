/**
 * The Colyseus 0.18 peer's server (contract: bench/peers/model.ts; the room, the server and the
 * generator are colyseus-room.ts's). One room whose state (@colyseus/schema 5, see
 * colyseus-schema.ts) holds M model objects in a MapSchema keyed "0" .. "M-1". Variants: `patch50`,
 * Colyseus's default 50 ms patch interval (a patch carries every field changed since the last
 * one, so a value overwritten within 50 ms is never sent); `patch16`, `patchRate = 1000 / 60` (60
 * patches a second; W1 only); `patchEach`, `patchRate = 0` (no interval) and
 * `room.broadcastPatch()` after every change.
 * - `w1 <variant> <M> <rate>`: on `start`, `rate` mutations/s, mutation k setting `value` of
 *   object k % M to `now()`.
 * - `w2 <variant> <M>`: the clients write with `room.request('set', { k, value })`, Colyseus
 *   0.18's request/response; the room's `onMessage('set')` handler refuses a negative value with
 *   `ctx.reject(reason)` (a REJECTED response), else sets it and answers (an OK response).
 *   `mark`/`stop`: bench/lib/writes.ts's window over the writes handled.
 * - `w3 <variant> <M>`: the same room, idle, for the join clients (transport heartbeat off);
 *   `ready` carries heapPerObjectBytes too.
 * - `w4 <variant> <M> <rate>`: W1's generator; the room's `onDrop` (a client gone without a
 *   consented leave) holds its seat with `allowReconnection(client, RECONNECT_SECONDS)`.
 * - `w5 <variant> <M> <rate> <groups>`: W1's generator over FilteredState (the map tagged
 *   `.view()`); one StateView per group, holding the objects j with j % groups = g (added in
 *   `onCreate`); `onJoin` gives a client the view of the group it names in its join options
 *   (`{ group }`), a StateView shared by the clients of a group, as the docs allow.
 */
import type { Client, MessageContext } from '@colyseus/core';
import { StateView } from '@colyseus/schema';
import { fatal, onCommand, reply } from '../lib/child.js';
import { writeCommands } from '../lib/writes.js';
import { PeerRoom, fanOut, mutator, ready, setUp, type PeerRoomOptions, type Variant } from './colyseus-room.js';
import { FilteredState, type PeerState, type SetMessage } from './colyseus-schema.js';
import { variantsFor, type Command } from './model.js';

/** W2's room: validates and applies the clients' writes, answering each request. */
class WriteRoom extends PeerRoom {
  /** Writes handled (accepted or refused). */
  handled = 0;

  override onCreate(options: PeerRoomOptions): void {
    super.onCreate(options);
    const set = mutator(this, options.variant);
    this.onMessage('set', (_client: Client, message: SetMessage, ctx: MessageContext) => {
      this.handled++;
      const { k, value } = message;
      if (!Number.isInteger(k) || this.objects[k] === undefined) return ctx.reject('no such object');
      if (typeof value !== 'number' || !(value >= 0)) return ctx.reject('value must not be negative');
      set(k, value);
      return true;
    });
  }
}

/** Seconds a dropped client's seat is held for it (the contract's offline window is 5 s). */
const RECONNECT_SECONDS = 60;

/** W4's room: a client that drops (no consented leave) may come back within RECONNECT_SECONDS. */
class ReconnectRoom extends PeerRoom {
  override onDrop(client: Client): void {
    // The returned Deferred settles on the reconnection (or rejects when the seat expires);
    // nothing more to do here either way.
    void this.allowReconnection(client, RECONNECT_SECONDS);
  }
}

/** W5's room: the objects filtered by StateViews, one per group. */
class ViewRoom extends PeerRoom {
  views: StateView[] = [];

  override onCreate(options: PeerRoomOptions): void {
    super.onCreate(options);
    const groups = options.groups ?? 1;
    this.views = Array.from({ length: groups }, () => new StateView());
    this.objects.forEach((object, j) => this.views[j % groups]?.add(object));
  }

  protected override emptyState(): PeerState {
    // The same fields as PeerState; only the map's `.view()` tag differs.
    return new FilteredState();
  }

  override onJoin(client: Client, options: { group?: unknown }): void {
    const group = Number(options.group);
    const view = Number.isInteger(group) && group >= 0 ? this.views[group % this.views.length] : undefined;
    if (view === undefined) throw new Error(`bad group ${String(options.group)}`);
    client.view = view;
  }
}

/** W2's server: the write room, and the window over the writes it handles (bench/lib/writes.ts). */
async function w2(variant: Variant, objects: number): Promise<void> {
  let handle: (cmd: Command['cmd']) => void = () => undefined;
  onCommand((cmd) => handle(cmd));
  const { port, room } = await setUp({ objects, variant }, { room: WriteRoom });
  if (!(room instanceof WriteRoom)) throw new Error('the room is not the write room');
  handle = writeCommands(() => room.handled);
  ready({ port });
}

async function w3(variant: Variant, objects: number): Promise<void> {
  onCommand(() => undefined);
  const { port, heapPerObjectBytes } = await setUp({ objects, variant }, { heartbeat: false });
  ready({ port, heapPerObjectBytes });
}

const WORKLOADS = ['w1', 'w2', 'w3', 'w4', 'w5'];
const [workload = '', variantArg = '', mArg = '', rateArg = '1000', groupsArg = '10'] = process.argv.slice(2);
const variants = variantsFor('colyseus', variantArg);
const variant = variantArg as Variant;
const m = Number(mArg);
const rate = Number(rateArg);
if (!WORKLOADS.includes(workload)) {
  onCommand(() => undefined);
  reply({ type: 'unsupported', why: `colyseus-server.ts: no workload ${workload} (${WORKLOADS.join(', ')})` });
} else if (!variants.includes(variantArg)) fatal(new Error(`unknown variant ${variantArg}; one of ${variants.join(', ')}, patch<ms>`));
else if (!(Number.isInteger(m) && m > 0)) fatal(new Error(`bad object count ${mArg}`));
else if (workload === 'w1') fanOut({ objects: m, variant }, rate).catch(fatal);
else if (workload === 'w2') w2(variant, m).catch(fatal);
else if (workload === 'w3') w3(variant, m).catch(fatal);
else if (workload === 'w4') fanOut({ objects: m, variant }, rate, { room: ReconnectRoom }).catch(fatal);
else fanOut({ objects: m, variant, groups: Number(groupsArg) }, rate, { room: ViewRoom }).catch(fatal);
