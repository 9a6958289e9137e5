/**
 * treesync's server entry point: host named trees of typed objects over socket.io.
 * @example
 * import { SyncServer } from 'treesync/server';
 * import { Board, Card } from './types.js';
 * const server = new SyncServer({ types: [Board, Card] });
 * const board = server.tree('board', Board);
 * board.root.create(Card, { title: 'hello' });
 * console.log('listening on', await server.listen(3000));
 */
export { SyncServer, type SyncServerEvents, type SyncServerOptions } from './socket-io.js';
export { SyncHost, type HostEvents, type HostOptions } from './host.js';
export type { ClientRecordInfo } from './client-records.js';
export { Tree, type TreeEvents, type TreeOptions } from './tree.js';
export { Session } from './session.js';
export type { FlushOptions } from './fanout.js';
export type { Store, StoredAnswer, StoredClient, StoredTree } from './store/store.js';
export { MemoryStore } from './store/memory-store.js';
export { SqliteStore, SQLITE_SCHEMA_VERSION, type SqliteStoreOptions } from './store/sqlite-store.js';
export type { AuthContext, Hooks, JoinContext, MutateContext, OpContext, OpKind, Principal, SessionInfo, TypeRules } from './hooks.js';
export type { Broadcast, Logger, SessionLink } from './transport.js';
export type {
  AttrsOf,
  InitialValues,
  ServerDictTopic,
  ServerListTopic,
  ServerNumberTopic,
  ServerObject,
  ServerTopicFor,
  ServerTopics,
  ServerValueTopic,
} from './types.js';
