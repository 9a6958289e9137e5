/**
 * Per-object visibility. A type's rule gives each of its objects a scope key (or none: it then
 * inherits); an object is visible to a principal when every scope on its path (itself and its
 * ancestors) is, so hiding an object hides its subtree. Paths are interned as chains of keys, and
 * each session caches its verdict per key and chain.
 *
 * Each committed transaction is turned, once per distinct audience, into the stream that audience
 * may receive (visibility-stream.ts builds it). Sessions that see every scope of the tree get the
 * transaction unchanged.
 */
import { OP, type ObjectId, type FlatSnapshot, type Op } from '../shared/index.js';
import type { Principal, VisibilityRules } from './hooks.js';
import { walk, type Node } from './node.js';
import type { TreeObserver } from './tree.js';
import type { ServerObject } from './types.js';
import { STRUCTURE, ScopeDependencies, VALUES } from './scope-deps.js';
import { HIDDEN, Viewer, type Chain } from './viewer.js';
import { StreamContext, type Entry } from './visibility-stream.js';
import { translateOp } from './visibility-translate.js';

/** Up to this many scope keys in a tree, viewers are grouped into audiences by their verdicts on all of them. */
const MAX_SIGNED_KEYS = 1_024;

/** What the visibility tracker needs of its tree. */
export interface VisibleTree {
  readonly rootNode: Node;
  /** The id the next created object will take: ids are never reused. */
  readonly nextId: number;
  find(id: ObjectId): Node | undefined;
  get(id: ObjectId): ServerObject | undefined;
  /** The tree as a join's snapshot, of the objects `keep` keeps. */
  flatSnapshot(keep: (node: Node) => boolean): FlatSnapshot;
}

/**
 * The tree's viewers grouped into audiences: viewers with the same verdict on every scope key of
 * the tree (the same signature) receive the same stream of any transaction. A partition never
 * changes; a new one is made when a viewer comes or goes, forgets its verdicts, or the tree gains
 * a key, so a transaction keeps the partition its streams were computed for.
 */
export interface Partition {
  /** Each viewer's audience (an index into `audiences`). */
  readonly audienceOf: ReadonlyMap<Viewer, number>;
  /** Each audience's first viewer, whose verdicts stand for all of them. */
  readonly audiences: readonly Viewer[];
}

/** A committed transaction as its audiences receive it. */
export interface TxnStreams {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly origin: string;
  /** The transaction's ops, unfiltered: the stream of every session that sees all of it. */
  readonly ops: readonly Op[];
  /** The audiences when it was committed. */
  readonly partition: Partition;
  /** Per audience of `partition`: its stream of this transaction (audiences that receive the same share one array). */
  readonly streams: readonly (readonly Op[])[];
}

/** A viewer's stream of a transaction, or undefined for a viewer that came after it. */
export function streamOf(txn: TxnStreams, viewer: Viewer): readonly Op[] | undefined {
  const audience = txn.partition.audienceOf.get(viewer);
  return audience === undefined ? undefined : txn.streams[audience];
}

/** Tracks one tree's scopes and turns its transactions into per-audience streams. */
export class TreeVisibility implements TreeObserver {
  readonly #chains = new Map<string, Chain>();
  readonly #empty: Chain;
  readonly #keys = new Set<string>();
  readonly #viewers = new Set<Viewer>();
  #partition: Partition | undefined;
  // The current transaction: each touched node's parent and key before it.
  #origParent = new Map<Node, Node | null>();
  readonly #origKey = new Map<Node, string | undefined>();
  readonly #touched = new Set<Node>();
  // Each parent's children before the transaction first changed them.
  #origChildren = new Map<Node, Node[]>();
  // The first id the transaction could create (-1 outside one): a touched node from it on did not
  // exist before, and if it is not among the committed creates, a rolled-back nested one made it.
  #firstNewId = -1;
  /** What the rules read of other objects, so that a change there rescopes the readers. */
  readonly #deps = new ScopeDependencies();

  constructor(
    readonly tree: VisibleTree,
    readonly rules: VisibilityRules,
    readonly onError: (error: unknown) => void,
  ) {
    this.#empty = { id: 0, keys: [] };
    this.#chains.set('', this.#empty);
    // Learn the keys of a restored tree.
    walk(tree.rootNode, (n) => void this.keyOf(n));
  }

  /** Every scope key the tree has used: a session that sees all of them sees everything. */
  get keys(): ReadonlySet<string> {
    return this.#keys;
  }

  /** The sessions that receive this tree's transactions filtered. */
  get viewers(): ReadonlySet<Viewer> {
    return this.#viewers;
  }

  /** A session's view of this tree (it receives transactions once `add`ed). */
  viewer(owner: object, principal: () => Principal): Viewer {
    return new Viewer(owner, principal, this.rules, this.onError);
  }

  /** Starts sending transactions to `viewer`. */
  add(viewer: Viewer): void {
    if (this.#viewers.has(viewer)) return;
    this.#viewers.add(viewer);
    this.#partition = undefined;
  }

  /** Stops sending transactions to `viewer`. */
  remove(viewer: Viewer): void {
    if (this.#viewers.delete(viewer)) this.#partition = undefined;
  }

  /** Makes `viewer` ask the rules again (its principal, or what the rules read, changed). */
  reset(viewer: Viewer): void {
    viewer.reset();
    this.#partition = undefined;
  }

  /**
   * The viewers grouped into audiences by their signature (one audience per viewer when the tree
   * has more than MAX_SIGNED_KEYS keys): made once per change of viewers or keys, so that a
   * transaction costs per audience, not per session.
   */
  partition(): Partition {
    if (this.#partition !== undefined) return this.#partition;
    const signed = this.#keys.size <= MAX_SIGNED_KEYS;
    const bySignature = new Map<string, number>();
    const audienceOf = new Map<Viewer, number>();
    const audiences: Viewer[] = [];
    for (const viewer of this.#viewers) {
      const signature = signed ? viewer.signature(this.#keys) : undefined;
      let audience = signature === undefined ? undefined : bySignature.get(signature);
      if (audience === undefined) {
        audience = audiences.push(viewer) - 1;
        if (signature !== undefined) bySignature.set(signature, audience);
      }
      audienceOf.set(viewer, audience);
    }
    return (this.#partition = { audienceOf, audiences });
  }

  /** Whether `viewer` sees every scope the tree has: then it gets the tree unfiltered. */
  full(viewer: Viewer): boolean {
    if (this.#keys.size <= MAX_SIGNED_KEYS) return !viewer.signature(this.#keys).includes('0');
    for (const key of this.#keys) if (!viewer.seesKey(key)) return false;
    return true;
  }

  /** The scope key of a node, from its type's rule. */
  keyOf(node: Node): string | undefined {
    const rule = this.rules.scopes[node.type.name];
    if (rule === undefined) return undefined;
    let key: unknown;
    try {
      const handle = this.tree.get(node.id) ?? (node.handle as ServerObject | undefined);
      key = handle === undefined ? HIDDEN : this.#deps.run(node, rule, handle);
    } catch (error) {
      this.onError(error);
      key = HIDDEN;
    }
    if (key === undefined) return undefined;
    const scope = typeof key === 'string' ? key : HIDDEN;
    if (!this.#keys.has(scope)) {
      // A new key can split an audience: the next transaction groups the viewers anew.
      this.#keys.add(scope);
      this.#partition = undefined;
    }
    return scope;
  }

  #intern(keys: string[]): Chain {
    const name = keys.join('\u0001');
    let chain = this.#chains.get(name);
    if (chain === undefined) {
      chain = { id: this.#chains.size, keys };
      this.#chains.set(name, chain);
    }
    return chain;
  }

  /** A node's chain now (`memo` caches chains within one computation). */
  chainOf(node: Node, memo?: Map<Node, Chain>): Chain {
    const path: Node[] = [];
    let base = this.#empty;
    for (let at: Node | null = node; at !== null; at = at.parent) {
      const known = memo?.get(at);
      if (known !== undefined) {
        base = known;
        break;
      }
      path.push(at);
    }
    let chain = base;
    for (let i = path.length - 1; i >= 0; i--) {
      const n = path[i] as Node;
      const key = this.keyOf(n);
      chain = key === undefined ? chain : this.#intern([...chain.keys, key]);
      memo?.set(n, chain);
    }
    return chain;
  }

  /** A node's chain before the current transaction. */
  #chainBefore(node: Node): Chain {
    const keys: string[] = [];
    for (let at: Node | null = node; at !== null; at = this.#origParent.has(at) ? (this.#origParent.get(at) ?? null) : at.parent) {
      const key = this.#origKey.has(at) ? this.#origKey.get(at) : this.keyOf(at);
      if (key !== undefined) keys.push(key);
    }
    return keys.length === 0 ? this.#empty : this.#intern(keys.reverse());
  }

  /** A filtered snapshot for a join: the objects `viewer` sees, parents first. */
  snapshot(viewer: Viewer): FlatSnapshot {
    const memo = new Map<Node, Chain>();
    return this.tree.flatSnapshot((node) => viewer.sees(this.chainOf(node, memo)));
  }

  // TreeObserver: record what a node was before the transaction first touched it.
  before(op: Op): void {
    this.#deps.begin();
    if (this.#firstNewId < 0) this.#firstNewId = this.tree.nextId;
    if (op[0] === OP.create) {
      const parent = this.tree.find(op[3]);
      this.#keepChildren(parent);
      // A new child changes its parent's children, which a rule may have read.
      if (!this.#deps.empty) this.#rescopeReaders(parent, STRUCTURE);
      return;
    }
    const node = this.tree.find(op[1]);
    if (node === undefined) return;
    if (op[0] === OP.move || op[0] === OP.destroy) {
      this.#keepChildren(node.parent);
      if (op[0] === OP.move) this.#keepChildren(this.tree.find(op[2]));
    }
    if (!this.#deps.empty) this.#rescopeReadersOf(op, node);
    if (op[0] === OP.move) {
      if (!this.#origParent.has(node)) this.#origParent.set(node, node.parent);
      this.#touched.add(node);
    } else if (op[0] === OP.destroy) {
      this.#touched.add(node);
    } else if (this.rules.scopes[node.type.name] !== undefined) this.#rescope(node);
  }

  /** Keeps a parent's children as they were before the transaction first changes them (a stream places moved objects by them). */
  #keepChildren(parent: Node | null | undefined): void {
    // No session joined: no stream will need it.
    if (this.#viewers.size === 0) return;
    if (parent !== null && parent !== undefined && !this.#origChildren.has(parent)) this.#origChildren.set(parent, [...parent.children]);
  }

  /** Rescopes what read the part of the tree `op` (on `node`, not a create) is about to change. */
  #rescopeReadersOf(op: Op, node: Node): void {
    if (op[0] === OP.move) {
      // Its parent, and the children of where it leaves and where it goes.
      this.#rescopeReaders(node, STRUCTURE);
      this.#rescopeReaders(node.parent, STRUCTURE);
      this.#rescopeReaders(this.tree.find(op[2]), STRUCTURE);
    } else if (op[0] === OP.destroy) {
      // The whole subtree goes: whatever read any of it (by id, say) must look again.
      walk(node, (n) => {
        // Its key before the transaction, while what its rule read is as it was: a dead reader is not asked again.
        if (this.#deps.reads(n)) this.#rescope(n);
        this.#rescopeReaders(n, VALUES);
        this.#rescopeReaders(n, STRUCTURE);
      });
      this.#rescopeReaders(node.parent, STRUCTURE);
    } else this.#rescopeReaders(node, VALUES);
  }

  /** Notes a node's key before the transaction changes what its rule reads (its own values, or another's). */
  #rescope(node: Node): void {
    if (!this.#origKey.has(node)) this.#origKey.set(node, this.keyOf(node));
    this.#touched.add(node);
  }

  /** Rescopes the nodes whose rule read `kind` of `node`, which is about to change. */
  #rescopeReaders(node: Node | null | undefined, kind: typeof VALUES | typeof STRUCTURE): void {
    if (node === null || node === undefined) return;
    for (const reader of this.#deps.readersOf(node, kind)) this.#rescope(reader);
  }

  abort(): void {
    this.#reset();
    this.#deps.settle(this.#rerun);
  }

  /** Forgets the transaction's record (commit hands its parents and children on to the streams first). */
  #reset(): void {
    this.#firstNewId = -1;
    this.#origParent = new Map();
    this.#origChildren = new Map();
    this.#origKey.clear();
    this.#touched.clear();
  }

  /** Runs a node's scope rule again (settling what it reads). */
  readonly #rerun = (node: Node): void => void this.keyOf(node);

  /** Turns a committed transaction into the stream of each viewer (one computation per distinct audience). */
  commit(firstSeq: number, ops: readonly Op[], origin: string): TxnStreams {
    // The rules that ran mid-transaction read a state that is now final: record what they read now.
    this.#deps.settle(this.#rerun, this.#touched);
    const created = new Set<ObjectId>();
    for (const op of ops) if (op[0] === OP.create) created.add(op[1]);
    const memo = new Map<Node, Chain>();
    const entries: Entry[] = [];
    for (const id of created) {
      const node = this.tree.find(id);
      if (node !== undefined) entries.push({ node, before: null, after: this.chainOf(node, memo), moved: false });
    }
    for (const node of this.#touched) {
      if (created.has(node.id) || node.id >= this.#firstNewId) continue;
      const before = this.#chainBefore(node);
      const after = node.alive ? this.chainOf(node, memo) : null;
      const moved = this.#origParent.has(node);
      if (before === after && !moved) continue;
      entries.push({ node, before, after, moved });
    }
    const parentsBefore = this.#origParent;
    const childrenBefore = this.#origChildren;
    this.#reset();
    const targets: Chain[] = [];
    const seen = new Set<number>();
    for (const op of ops) {
      if (op[0] === OP.create || op[0] === OP.destroy || op[0] === OP.move) continue;
      const node = this.tree.find(op[1]);
      const chain = node === undefined ? undefined : this.chainOf(node, memo);
      if (chain !== undefined && !seen.has(chain.id)) {
        seen.add(chain.id);
        targets.push(chain);
      }
    }
    // Each audience's stream, computed for its first viewer (the others have the same verdicts).
    // Audiences that see every chain involved get the transaction as it is. Building a stream can
    // meet a scope key never seen before (a rule that reads more than its own object); that may
    // split an audience, so the streams are built again on the new partition until no key is new.
    const context = new StreamContext(this, ops, entries, created, memo, parentsBefore, childrenBefore);
    let partition: Partition;
    let streams: (readonly Op[])[];
    let known: number;
    do {
      known = this.#keys.size;
      partition = this.partition();
      streams = new Array<readonly Op[]>(partition.audiences.length);
      const bySignature = new Map<string, readonly Op[]>();
      for (let i = 0; i < partition.audiences.length; i++) {
        const viewer = partition.audiences[i] as Viewer;
        if (entries.length === 0 && created.size === 0) {
          // Attribute changes only: a viewer gets those of the objects it sees. (An object created
          // and destroyed within the transaction leaves no entry, but its ops are not for everyone.)
          let signature = '';
          for (const chain of targets) signature += viewer.sees(chain) ? '1' : '0';
          let stream = bySignature.get(signature);
          if (stream === undefined) {
            stream = signature.includes('0') ? context.topicOps(viewer, new Set()) : ops;
            bySignature.set(signature, stream);
          }
          streams[i] = stream;
        } else {
          // Structure changed: the stream depends on more of the tree.
          streams[i] = this.full(viewer) ? ops : context.stream(viewer);
        }
      }
    } while (this.#keys.size !== known);
    return { firstSeq, lastSeq: firstSeq + ops.length - 1, origin, ops, partition, streams };
  }

  /** A proposal's op in the terms of a viewer that does not see everything (see {@link translateOp}). */
  translate(viewer: Viewer, op: Op): Op {
    return translateOp(this, viewer, op);
  }
}
