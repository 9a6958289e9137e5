/**
 * treesync's client entry point: connect to a server, join trees as mirrors (immutable state,
 * typed views, events) and propose mutations that the server acks or rejects.
 * @example
 * import { SyncClient } from 'treesync/client';
 * import { Gauge } from './types.js';
 *
 * const client = new SyncClient({ url: 'http://localhost:3000', types: [Gauge] });
 * const mirror = await client.join('dashboard');
 * const gauge = await mirror.root.create(Gauge, { label: 'cpu' });
 * gauge.on('change', (e) => console.log(e.attr, e.newValue));
 * await gauge.attrs.value.add(1);
 */
export { SyncClient, type SyncClientEvents, type SyncClientOptions } from './client.js';
export { Mirror } from './mirror.js';
export { socketIoTransport, type SocketIoTransportOptions } from './socket-io.js';
export type { ClientTransport, ConnectError } from './transport.js';
export { CLIENT_ID_KEY, resolveClientId } from './client-id.js';
export { queueKey, type StorageLike } from './offline-queue.js';
export { LOCAL_ID_BASE, isLocalId } from './overlay.js';
export type {
  Ack,
  AppliedOp,
  AttrsOf,
  ChangeEvent,
  DestroyEvent,
  DictTopic,
  InitialValues,
  Json,
  ListTopic,
  Logger,
  MirrorEvents,
  MoveEvent,
  NumberTopic,
  ObjectState,
  ObjectView,
  ObjectViewEvents,
  ProposedOp,
  TopicFor,
  Topics,
  TreeState,
  ValueTopic,
} from './types.js';
export * from './dom/index.js';
