/**
 * A Store in one SQLite file (better-sqlite3), in WAL mode. Writes are buffered in memory and
 * written by commit() in one transaction: a group commit per call, however many trees, scribes
 * and client records it carries.
 */
import Database from 'better-sqlite3';
import { SyncError, type Op, type WireObject } from '../../shared/index.js';
import type { Store, StoredClient, StoredTree } from './store.js';
import { applySnapshotMark, checkAppend, clientRow, markOfNewTree, readClientRow, sinceCoverage, storeError, type ClientRow, type TreeMark } from './store-checks.js';

/**
 * The schema this code writes and reads. A file of version 1 is migrated to it when opened; a file
 * of any other version is refused.
 */
export const SQLITE_SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE trees (
  name TEXT PRIMARY KEY, epoch TEXT NOT NULL, root_type TEXT NOT NULL,
  snap_seq INTEGER NOT NULL, snap_types TEXT NOT NULL, snap_objects TEXT NOT NULL, next_id INTEGER NOT NULL
) STRICT;
CREATE TABLE scribes (
  tree TEXT NOT NULL, seq INTEGER NOT NULL, op TEXT NOT NULL, origin TEXT NOT NULL, PRIMARY KEY (tree, seq)
) WITHOUT ROWID, STRICT;
CREATE TABLE clients (
  id TEXT PRIMARY KEY, last_op_id INTEGER NOT NULL,
  seqs TEXT NOT NULL DEFAULT '[]', answers TEXT NOT NULL DEFAULT '[]', seen_at INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX clients_seen_at ON clients (seen_at);
INSERT INTO meta (key, value) VALUES ('schema', '${SQLITE_SCHEMA_VERSION}');
`;

/** Options of a SqliteStore. */
export interface SqliteStoreOptions {
  /**
   * 'normal' (default): a commit survives the process dying (WAL, not fsynced per commit); a power
   * loss or OS crash may lose the last commits, never corrupt the file. 'full': fsync on every
   * commit, so commits survive power loss too, at a cost per commit.
   */
  readonly synchronous?: 'normal' | 'full';
  /** How long a write waits for another connection's lock before failing, in ms (default 5,000). */
  readonly busyTimeoutMs?: number;
}

type TreeRow = [name: string, epoch: string, rootType: string, snapSeq: number, snapTypes: string, snapObjects: string, nextId: number];
type ScribeRow = [seq: number, op: string, origin: string];
type ClientUpsert = [id: string, ...row: ClientRow];

/** Scribes appended since the last commit, of one tree. */
interface PendingScribes {
  readonly first: number;
  readonly ops: string[];
  readonly origins: string[];
}

/** The last snapshot of a tree since the last commit, and how far it drops scribes. */
interface PendingSnapshot {
  seq: number;
  types: string;
  objects: string;
  dropThrough: number;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A durable Store in a SQLite file.
 * @example
 * const server = new SyncServer({ types: [Board], store: new SqliteStore('data/trees.db') });
 */
export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #marks = new Map<string, TreeMark>();
  #newTrees: TreeRow[] = [];
  #scribes = new Map<string, PendingScribes>();
  #snapshots = new Map<string, PendingSnapshot>();
  #nextIds = new Map<string, number>();
  /** Client records since the last commit, by id: saving one again replaces it (one upsert per commit). */
  #clients = new Map<string, ClientRow>();
  #closed = false;

  readonly #insertTree: Database.Statement<TreeRow>;
  readonly #insertScribe: Database.Statement<[string, number, string, string]>;
  readonly #updateSnapshot: Database.Statement<[number, string, string, string]>;
  readonly #dropScribes: Database.Statement<[string, number]>;
  readonly #updateNextId: Database.Statement<[number, string]>;
  readonly #upsertClient: Database.Statement<ClientUpsert>;
  readonly #selectClient: Database.Statement<[string], ClientRow>;
  readonly #pruneClients: Database.Statement<[number]>;
  readonly #selectTrees: Database.Statement<[], TreeRow>;
  readonly #selectScribes: Database.Statement<[string, number], ScribeRow>;
  readonly #firstSeq: Database.Statement<[string], number>;
  readonly #lastSeq: Database.Statement<[string], number>;
  readonly #write: () => void;

  /** Opens (or creates) the store at `path`; INTERNAL, naming the file, if it is not a sound treesync store. */
  constructor(
    readonly path: string,
    options: SqliteStoreOptions = {},
  ) {
    let db: Database.Database | undefined;
    try {
      db = new Database(path);
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5_000))}`);
      db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      checkIntegrity(db, path);
      // Before WAL mode, so that a new store's schema lands in the file itself, not in a WAL that
      // a careless copy (the .db without its -wal) would leave behind.
      migrate(db, path);
      db.pragma('journal_mode = WAL');
      this.#db = db;
      this.#insertTree = db.prepare('INSERT INTO trees (name, epoch, root_type, snap_seq, snap_types, snap_objects, next_id) VALUES (?, ?, ?, ?, ?, ?, ?)');
      this.#insertScribe = db.prepare('INSERT INTO scribes (tree, seq, op, origin) VALUES (?, ?, ?, ?)');
      this.#updateSnapshot = db.prepare('UPDATE trees SET snap_seq = ?, snap_types = ?, snap_objects = ? WHERE name = ?');
      this.#dropScribes = db.prepare('DELETE FROM scribes WHERE tree = ? AND seq <= ?');
      this.#updateNextId = db.prepare('UPDATE trees SET next_id = ? WHERE name = ?');
      this.#upsertClient = db.prepare(
        'INSERT INTO clients (id, last_op_id, seqs, answers, seen_at) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT (id) DO UPDATE SET last_op_id = excluded.last_op_id, seqs = excluded.seqs, answers = excluded.answers, seen_at = excluded.seen_at',
      );
      this.#selectClient = db.prepare<[string], ClientRow>('SELECT last_op_id, seqs, answers, seen_at FROM clients WHERE id = ?').raw();
      this.#pruneClients = db.prepare('DELETE FROM clients WHERE seen_at < ?');
      this.#selectTrees = db.prepare<[], TreeRow>('SELECT name, epoch, root_type, snap_seq, snap_types, snap_objects, next_id FROM trees ORDER BY rowid').raw();
      this.#selectScribes = db.prepare<[string, number], ScribeRow>('SELECT seq, op, origin FROM scribes WHERE tree = ? AND seq > ? ORDER BY seq').raw();
      this.#firstSeq = db.prepare<[string], number>('SELECT seq FROM scribes WHERE tree = ? ORDER BY seq LIMIT 1').pluck();
      this.#lastSeq = db.prepare<[string], number>('SELECT seq FROM scribes WHERE tree = ? ORDER BY seq DESC LIMIT 1').pluck();
      // IMMEDIATE: take the write lock up front, so that busy_timeout applies instead of a failed upgrade.
      const write = db.transaction(() => this.#writePending());
      this.#write = () => write.immediate();
      for (const [name, , , snapSeq, , , nextId] of this.#selectTrees.all()) {
        const first = this.#firstSeq.get(name);
        const last = this.#lastSeq.get(name);
        this.#marks.set(name, { snapSeq, first: first ?? snapSeq + 1, last: Math.max(snapSeq, last ?? 0), nextId });
      }
    } catch (error) {
      db?.close();
      if (error instanceof SyncError) throw error;
      throw storeError(`cannot open the store ${path}: ${errorText(error)}`, path, error);
    }
  }

  /** Commits, then reads every tree, verifying that its scribes have no gap; INTERNAL naming the file and tree if they do. */
  load(): readonly StoredTree[] {
    this.commit();
    try {
      return this.#selectTrees.all().map((row) => this.#loadTree(row));
    } catch (error) {
      if (error instanceof SyncError) throw error;
      throw storeError(`cannot read the store ${this.path}: ${errorText(error)}`, this.path, error);
    }
  }

  /** Buffers a new tree; INTERNAL if the name is taken. */
  createTree(tree: StoredTree): void {
    this.#assertOpen();
    const mark = markOfNewTree(tree, this.#marks.has(tree.name));
    const snap = tree.snapshot;
    const row: TreeRow = [tree.name, tree.epoch, tree.rootType, snap.seq, JSON.stringify(snap.types), JSON.stringify(snap.objects), tree.nextId];
    const ops = tree.ops.map((op) => JSON.stringify(op));
    this.#marks.set(tree.name, mark);
    this.#newTrees.push(row);
    if (ops.length > 0) this.#scribes.set(tree.name, { first: snap.seq + 1, ops, origins: [...tree.origins] });
  }

  /** Buffers scribes; INTERNAL unless firstSeq follows the last stored seq. Returns their JSON length. */
  append(tree: string, firstSeq: number, ops: readonly Op[], origin: string, nextId: number): number {
    this.#assertOpen();
    const mark = checkAppend(tree, this.#marks.get(tree), firstSeq, nextId);
    // Serialized now: the caller may change its arrays before the commit.
    const json = ops.map((op) => JSON.stringify(op));
    let pending = this.#scribes.get(tree);
    if (pending === undefined) {
      pending = { first: firstSeq, ops: [], origins: [] };
      this.#scribes.set(tree, pending);
    }
    let bytes = 0;
    for (const op of json) {
      bytes += op.length + origin.length;
      pending.ops.push(op);
      pending.origins.push(origin);
    }
    mark.last += ops.length;
    mark.nextId = nextId;
    this.#nextIds.set(tree, nextId);
    return bytes;
  }

  /** Buffers a new snapshot, and the dropping of the scribes up to `snapshot.seq - keep`. */
  snapshot(tree: string, snapshot: StoredTree['snapshot'], nextId: number, keep: number): void {
    this.#assertOpen();
    const dropThrough = applySnapshotMark(tree, this.#marks.get(tree), snapshot.seq, nextId, keep);
    const previous = this.#snapshots.get(tree);
    this.#snapshots.set(tree, {
      seq: snapshot.seq,
      types: JSON.stringify(snapshot.types),
      objects: JSON.stringify(snapshot.objects),
      dropThrough: Math.max(dropThrough, previous?.dropThrough ?? 0),
    });
    this.#nextIds.set(tree, nextId);
  }

  /** The scribes after `since`, committed or still buffered; undefined when some are no longer held. */
  since(tree: string, since: number): { ops: Op[]; origins: string[] } | undefined {
    this.#assertOpen();
    const coverage = sinceCoverage(this.#marks.get(tree), since);
    if (coverage === 'none') return { ops: [], origins: [] };
    if (coverage === 'gone') return undefined;
    const ops: Op[] = [];
    const origins: string[] = [];
    // Stored rows come before buffered ones: appends only ever extend a tree's history.
    for (const [seq, op, origin] of this.#selectScribes.iterate(tree, since)) {
      ops.push(this.#parse<Op>(op, tree, `scribe ${seq}`));
      origins.push(origin);
    }
    const pending = this.#scribes.get(tree);
    if (pending !== undefined) {
      for (let i = Math.max(0, since + 1 - pending.first); i < pending.ops.length; i++) {
        ops.push(JSON.parse(pending.ops[i] as string) as Op);
        origins.push(pending.origins[i] as string);
      }
    }
    return { ops, origins };
  }

  /** A client record, committed or still buffered; a part that does not read is left out and named in `damaged`. */
  client(clientId: string): StoredClient | undefined {
    this.#assertOpen();
    const row = this.#clients.get(clientId) ?? this.#selectClient.get(clientId);
    return row === undefined ? undefined : readClientRow(`the store ${this.path}`, clientId, row);
  }

  /** Buffers a client record (serialized now); INTERNAL if lastOpId or seenAt is not an integer. */
  saveClient(clientId: string, record: StoredClient): void {
    this.#assertOpen();
    this.#clients.set(clientId, clientRow(clientId, record));
  }

  /** Commits, then deletes the client records last seen before `olderThanMs`; returns how many. INTERNAL naming the file on failure. */
  pruneClients(olderThanMs: number): number {
    this.commit();
    try {
      return this.#pruneClients.run(olderThanMs).changes;
    } catch (error) {
      throw storeError(`cannot prune the client records of the store ${this.path}: ${errorText(error)}`, this.path, error);
    }
  }

  /**
   * Writes everything buffered in one transaction. On failure nothing of it is written, the buffer
   * is kept (a later commit retries it) and the error is an INTERNAL SyncError naming the file.
   */
  commit(): void {
    this.#assertOpen();
    if (this.#newTrees.length === 0 && this.#scribes.size === 0 && this.#snapshots.size === 0 && this.#nextIds.size === 0 && this.#clients.size === 0) return;
    try {
      this.#write();
    } catch (error) {
      throw storeError(`cannot commit to the store ${this.path}: ${errorText(error)}`, this.path, error);
    }
    this.#newTrees = [];
    this.#scribes = new Map();
    this.#snapshots = new Map();
    this.#nextIds = new Map();
    this.#clients = new Map();
  }

  /** Commits and closes the file; later calls throw INTERNAL. Closing twice does nothing. */
  close(): void {
    if (this.#closed) return;
    this.commit();
    this.#closed = true;
    this.#db.close();
  }

  #writePending(): void {
    for (const row of this.#newTrees) this.#insertTree.run(...row);
    for (const [tree, pending] of this.#scribes) {
      pending.ops.forEach((op, i) => this.#insertScribe.run(tree, pending.first + i, op, pending.origins[i] as string));
    }
    for (const [tree, snap] of this.#snapshots) {
      this.#updateSnapshot.run(snap.seq, snap.types, snap.objects, tree);
      this.#dropScribes.run(tree, snap.dropThrough);
    }
    for (const [tree, nextId] of this.#nextIds) this.#updateNextId.run(nextId, tree);
    for (const [id, row] of this.#clients) this.#upsertClient.run(id, ...row);
  }

  #loadTree([name, epoch, rootType, snapSeq, snapTypes, snapObjects, nextId]: TreeRow): StoredTree {
    const ops: Op[] = [];
    const origins: string[] = [];
    // Every held scribe, the ones kept behind the snapshot too: since() relies on them being gap-free.
    let expected: number | undefined;
    for (const [seq, op, origin] of this.#selectScribes.iterate(name, -1)) {
      expected ??= Math.min(seq, snapSeq + 1);
      if (seq !== expected) throw this.#gap(name, expected);
      expected++;
      if (seq <= snapSeq) continue;
      ops.push(this.#parse<Op>(op, name, `scribe ${seq}`));
      origins.push(origin);
    }
    if (expected !== undefined && expected <= snapSeq) throw this.#gap(name, expected);
    const types = this.#parse<string[]>(snapTypes, name, 'snapshot types');
    const objects = this.#parse<WireObject[]>(snapObjects, name, 'snapshot');
    return { name, epoch, rootType, snapshot: { seq: snapSeq, types, objects }, ops, origins, nextId };
  }

  #gap(tree: string, seq: number): SyncError {
    return storeError(`the store ${this.path} is damaged: tree ${JSON.stringify(tree)} is missing scribe ${seq}`, tree);
  }

  #parse<T>(json: string, tree: string, what: string): T {
    try {
      return JSON.parse(json) as T;
    } catch (error) {
      throw storeError(`the store ${this.path} is damaged: tree ${JSON.stringify(tree)} has an unreadable ${what}`, tree, error);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw storeError(`the store ${this.path} is closed`, this.path);
  }
}

/** Refuses a damaged file before anything reads it: a truncated or overwritten file fails here, not as an empty load. */
function checkIntegrity(db: Database.Database, path: string): void {
  const rows = db.pragma('quick_check(5)') as { quick_check: string }[];
  const problems = rows.map((r) => r.quick_check).filter((text) => text !== 'ok');
  if (problems.length > 0) throw storeError(`the store ${path} is damaged: ${problems.join('; ')}`, path);
}

/**
 * Version 1 to 2: client records gain the seqs their client applied, the answers it has not
 * released, and when it was last seen (set to the time of the migration, so that no record is
 * pruned before a whole client TTL has passed).
 */
const MIGRATE_1_TO_2 = (now: number): string => `
ALTER TABLE clients ADD COLUMN seqs TEXT NOT NULL DEFAULT '[]';
ALTER TABLE clients ADD COLUMN answers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE clients ADD COLUMN seen_at INTEGER NOT NULL DEFAULT 0;
UPDATE clients SET seen_at = ${Math.trunc(now)};
CREATE INDEX clients_seen_at ON clients (seen_at);
UPDATE meta SET value = '2' WHERE key = 'schema';
`;

/** Creates the schema in an empty file, migrates a version 1 file; refuses a file of another schema version or another program. */
function migrate(db: Database.Database, path: string): void {
  const tables = db.prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all();
  if (tables.length === 0) {
    db.transaction(() => db.exec(SCHEMA)).immediate();
    return;
  }
  if (!tables.includes('meta')) throw storeError(`${path} is not a treesync store (it has tables ${tables.join(', ')} and no meta table)`, path);
  const readVersion = (): string | undefined => db.prepare<[], string>("SELECT value FROM meta WHERE key = 'schema'").pluck().get();
  if (readVersion() === '1') {
    db.transaction(() => {
      // Read again under the write lock: another process may have migrated the file meanwhile.
      if (readVersion() === '1') db.exec(MIGRATE_1_TO_2(Date.now()));
    }).immediate();
  }
  const version = readVersion();
  if (version !== String(SQLITE_SCHEMA_VERSION)) {
    throw storeError(`the store ${path} has schema version ${String(version)}, which this treesync cannot read (it reads versions 1 and ${SQLITE_SCHEMA_VERSION})`, path);
  }
}
