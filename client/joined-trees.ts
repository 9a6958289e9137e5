/**
 * The trees a client has joined: each one's mirror by name and by the server's ref for it, its
 * inbox, the epoch of the history it shows, and the joins still waiting for their first snapshot.
 */
import { ErrorCode, SyncError } from '../shared/index.js';
import type { Mirror, MirrorInbox } from './mirror.js';
import { isInt } from './server-messages.js';

/** A join waiting for its first snapshot. */
interface Joining {
  readonly mirror: Mirror;
  readonly promise: Promise<Mirror>;
  readonly resolve: (mirror: Mirror) => void;
  readonly reject: (error: unknown) => void;
}

/** A client's mirrors, and the `joined` answers that (re)start them. */
export class JoinedTrees {
  readonly #mirrors = new Map<string, Mirror>();
  readonly #inboxes = new Map<Mirror, MirrorInbox>();
  readonly #byRef = new Map<number, Mirror>();
  readonly #refs = new Map<Mirror, number>();
  readonly #epochs = new Map<Mirror, string>();
  readonly #joins = new Map<string, Joining>();

  constructor(
    /** A mirror was forgotten (left, closed, or its join failed): settle its proposals with `error`. */
    private readonly onForget: (mirror: Mirror, error: SyncError) => void,
  ) {}

  /** The mirror of a tree. */
  get(tree: string): Mirror | undefined {
    return this.#mirrors.get(tree);
  }

  /** Every mirror, in the order they were joined. */
  values(): Iterable<Mirror> {
    return this.#mirrors.values();
  }

  /** The mirror the server calls `ref` on this connection. */
  byRef(ref: number): Mirror | undefined {
    return this.#byRef.get(ref);
  }

  /** The inbound side of a mirror. */
  inbox(mirror: Mirror): MirrorInbox | undefined {
    return this.#inboxes.get(mirror);
  }

  /** Takes a new mirror's inbound side. */
  bind(mirror: Mirror, inbox: MirrorInbox): void {
    this.#inboxes.set(mirror, inbox);
  }

  /** The epoch of the history a mirror shows, once the server said. */
  epoch(mirror: Mirror): string | undefined {
    return this.#epochs.get(mirror);
  }

  /** The promise of a join of `tree` still waiting for its first snapshot. */
  pending(tree: string): Promise<Mirror> | undefined {
    return this.#joins.get(tree)?.promise;
  }

  /** Starts joining a new mirror's tree: resolves to it once its first snapshot is applied. */
  start(mirror: Mirror): Promise<Mirror> {
    let resolve!: (mirror: Mirror) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<Mirror>((res, rej) => ((resolve = res), (reject = rej)));
    this.#joins.set(mirror.name, { mirror, promise, resolve, reject });
    this.#mirrors.set(mirror.name, mirror);
    return promise;
  }

  /** Forgets a mirror: it stops updating, its pending join rejects with `error`, and so do its proposals. */
  forget(mirror: Mirror, error: SyncError): void {
    this.#mirrors.delete(mirror.name);
    const ref = this.#refs.get(mirror);
    if (ref !== undefined && this.#byRef.get(ref) === mirror) this.#byRef.delete(ref);
    this.#refs.delete(mirror);
    this.#epochs.delete(mirror);
    this.#inboxes.get(mirror)?.close();
    this.#inboxes.delete(mirror);
    const joining = this.#joins.get(mirror.name);
    if (joining?.mirror === mirror) {
      this.#joins.delete(mirror.name);
      joining.reject(error);
    }
    this.onForget(mirror, error);
  }

  /** A failed first join of `tree` forgets its mirror with `error`; false when no join of it is pending. */
  failJoin(tree: string, error: SyncError): boolean {
    const joining = this.#joins.get(tree);
    if (joining === undefined) return false;
    this.forget(joining.mirror, error);
    return true;
  }

  /** A `joined` answer; `newHistory` hears of a mirror whose tree has restarted with a new history. */
  joined(raw: unknown, newHistory: (mirror: Mirror, tree: string) => void): void {
    const j = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const { tree, ref, seq, snapshot, epoch } = j;
    if (typeof tree !== 'string' || !isInt(ref) || !isInt(seq) || seq < 0) throw new SyncError(ErrorCode.BAD_MESSAGE, 'junk joined');
    const mirror = this.#mirrors.get(tree);
    const inbox = mirror === undefined ? undefined : this.#inboxes.get(mirror);
    if (mirror === undefined || inbox === undefined) return;
    const before = this.#epochs.get(mirror);
    if (typeof epoch === 'string') this.#epochs.set(mirror, epoch);
    else this.#epochs.delete(mirror);
    if (before !== undefined && before !== epoch) newHistory(mirror, tree);
    const oldRef = this.#refs.get(mirror);
    if (oldRef !== undefined && this.#byRef.get(oldRef) === mirror) this.#byRef.delete(oldRef);
    this.#refs.set(mirror, ref);
    this.#byRef.set(ref, mirror);
    const joining = this.#joins.get(tree);
    try {
      inbox.joined(seq, snapshot);
    } catch (error) {
      if (joining === undefined) throw error;
      this.forget(mirror, error instanceof SyncError ? error : new SyncError(ErrorCode.BAD_MESSAGE, 'junk snapshot', { cause: error }));
      return;
    }
    if (joining !== undefined && inbox.hasState()) {
      this.#joins.delete(tree);
      joining.resolve(mirror);
    }
  }
}
