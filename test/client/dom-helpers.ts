/**
 * A small stand-in for a mirror, for the DOM tests: immutable plain states that the test changes
 * through `create`/`set`/`destroy`/`move`, and the ObjectView/Mirror events of client/types.ts.
 * Inside `batch(fn)` events are held and emitted after the whole batch, then `batch`, as a mirror does.
 */
import { EventEmitter } from 'eventemitter3';
import type { AnyTypeDef, AttrMap, ObjectId, ValueOf } from '../../shared/index.js';
import type {
  Ack,
  AttrsOf,
  MirrorEvents,
  ObjectState,
  ObjectView,
  ObjectViewEvents,
  Topics,
  TreeState,
} from '../../client/types.js';

const unsupported = (): Promise<never> => Promise.reject(new Error('not supported by the fake mirror'));

/** A view over one object of a {@link FakeMirror}. */
export class FakeView<A extends AttrMap = AttrMap> extends EventEmitter<ObjectViewEvents> implements ObjectView<A> {
  readonly attrs = {} as Topics<A>;
  readonly create = unsupported;
  readonly destroy = unsupported as () => Promise<Ack>;
  readonly move = unsupported as () => Promise<Ack>;

  constructor(
    readonly mirror: FakeMirror,
    readonly id: ObjectId,
    readonly type: string,
  ) {
    super();
  }

  get state(): ObjectState<A> {
    const state = this.mirror.state.objects[this.id] ?? this.mirror.last.get(this.id);
    if (state === undefined) throw new Error(`no object ${this.id}`);
    return state as ObjectState<A>;
  }

  get alive(): boolean {
    return this.mirror.state.objects[this.id] !== undefined;
  }

  get index(): number {
    const p = this.state.parent;
    return p === null ? -1 : (this.mirror.state.objects[p]?.children.indexOf(this.id) ?? -1);
  }

  get parent(): ObjectView | null {
    const p = this.state.parent;
    return p === null ? null : (this.mirror.get(p) ?? null);
  }

  get children(): readonly ObjectView[] {
    return this.state.children.map((c) => this.mirror.get(c)).filter((v) => v !== undefined);
  }

  get<K extends keyof A & string>(name: K): ValueOf<A[K]> {
    return this.state.values[name];
  }

  is<T extends AnyTypeDef>(type: T): this is ObjectView<AttrsOf<T>> {
    return this.type === type.name;
  }
}

/** The fake mirror: `state`, `get(id)`, and MirrorEvents. The root (id 0) has type `Root`. */
export class FakeMirror extends EventEmitter<MirrorEvents> {
  state: TreeState = { seq: 0, root: 0, objects: { 0: { id: 0, type: 'Root', parent: null, children: [], values: {} } } };
  /** Last states of destroyed objects, for their views. */
  readonly last = new Map<ObjectId, ObjectState>();
  readonly #views = new Map<ObjectId, FakeView>();
  /** Emit `batch` before the batch's other events (the real Mirror emits it last); mounts must cope with both. */
  batchFirst = false;
  #nextId = 1;
  #pending: (() => void)[] | null = null;

  get root(): ObjectView {
    return this.get(0) as ObjectView;
  }

  get(id: ObjectId): FakeView | undefined {
    const object = this.state.objects[id];
    if (object === undefined) return undefined;
    let view = this.#views.get(id);
    if (view === undefined) {
      view = new FakeView(this, id, object.type);
      this.#views.set(id, view);
    }
    return view;
  }

  /** The typed view of an object. */
  view<T extends AnyTypeDef>(id: ObjectId, _type: T): ObjectView<AttrsOf<T>> {
    return this.get(id) as unknown as ObjectView<AttrsOf<T>>;
  }

  /** Runs `fn`, then emits its events and one `batch` event. */
  batch(fn: () => void): void {
    const outer = this.#pending === null;
    const previous = this.state;
    if (outer) this.#pending = [];
    try {
      fn();
    } finally {
      if (outer) {
        const pending = this.#pending ?? [];
        this.#pending = null;
        this.state = { ...this.state, seq: this.state.seq + 1 };
        if (this.batchFirst) this.emit('batch', this.state, previous);
        for (const emit of pending) emit();
        if (!this.batchFirst) this.emit('batch', this.state, previous);
      }
    }
  }

  create(type: string, parent: ObjectId = 0, values: Record<string, unknown> = {}, index = -1): ObjectId {
    const id = this.#nextId++;
    this.batch(() => {
      const p = this.#object(parent);
      const children = [...p.children];
      children.splice(index < 0 ? children.length : index, 0, id);
      this.#put({ ...p, children }, { id, type, parent, children: [], values: { ...values } });
      const view = this.get(id) as ObjectView;
      this.#queue(() => this.emit('create', view));
    });
    return id;
  }

  set(id: ObjectId, attr: string, value: unknown): void {
    this.batch(() => {
      const o = this.#object(id);
      const oldValue = o.values[attr];
      this.#put({ ...o, values: { ...o.values, [attr]: value } });
      const event = { id, attr, ops: [], oldValue, newValue: value };
      this.#queue(() => {
        this.emit('change', event);
        this.#views.get(id)?.emit('change', event);
      });
    });
  }

  destroy(id: ObjectId): void {
    this.batch(() => {
      const o = this.#object(id);
      const p = this.#object(o.parent ?? -1);
      this.#put({ ...p, children: p.children.filter((c) => c !== id) });
      const drop = (x: ObjectId): void => {
        const s = this.#object(x);
        for (const c of s.children) drop(c);
        const objects = { ...this.state.objects };
        delete objects[x];
        this.state = { ...this.state, objects };
        this.last.set(x, s);
        this.#queue(() => {
          this.emit('destroy', { id: x, state: s });
          this.#views.get(x)?.emit('destroy', { id: x, state: s });
        });
      };
      drop(id);
    });
  }

  move(id: ObjectId, parent: ObjectId, index = -1): void {
    this.batch(() => {
      const o = this.#object(id);
      const oldParent = o.parent ?? -1;
      const from = this.#object(oldParent);
      this.#put({ ...from, children: from.children.filter((c) => c !== id) });
      const to = this.#object(parent);
      const children = [...to.children];
      const at = index < 0 ? children.length : index;
      children.splice(at, 0, id);
      this.#put({ ...to, children }, { ...o, parent });
      const event = { id, oldParent, newParent: parent, index: at };
      this.#queue(() => {
        this.emit('move', event);
        this.#views.get(id)?.emit('move', event);
      });
    });
  }

  #object(id: ObjectId): ObjectState {
    const o = this.state.objects[id];
    if (o === undefined) throw new Error(`no object ${id}`);
    return o;
  }

  #put(...objects: ObjectState[]): void {
    const next = { ...this.state.objects };
    for (const o of objects) next[o.id] = o;
    this.state = { ...this.state, objects: next };
  }

  #queue(emit: () => void): void {
    this.#pending?.push(emit);
  }
}

/** The child-list mutations `fn` makes under `target` (a move counts as one removal and one addition). */
export function mutations(target: Node, fn: () => void): { added: number; removed: number } {
  const observer = new MutationObserver(() => undefined);
  observer.observe(target, { childList: true, subtree: true });
  try {
    fn();
    let added = 0;
    let removed = 0;
    for (const record of observer.takeRecords()) {
      added += record.addedNodes.length;
      removed += record.removedNodes.length;
    }
    return { added, removed };
  } finally {
    observer.disconnect();
  }
}

/** How many listeners a fake view has for an event: 0 once every binding let go of it. */
export function listenerCount(view: ObjectView, event: keyof ObjectViewEvents): number {
  if (!(view instanceof FakeView)) throw new Error('not a fake view');
  return view.listenerCount(event);
}
