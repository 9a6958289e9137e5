/**
 * The live, typed view of one object in a mirror: reads from the mirror's current state,
 * mutations proposed through the mirror, per-object events.
 */
import { EventEmitter } from 'eventemitter3';
import { ErrorCode, fail, type AnyTypeDef, type AttrMap, type ObjectId, type TopicOp, type ValueOf } from '../shared/index.js';
import type { ClientType } from './catalog.js';
import { makeTopics } from './topics.js';
import type { Ack, AttrsOf, InitialValues, ObjectState, ObjectView, ObjectViewEvents, Topics, TreeState } from './types.js';

/** What a view needs from its mirror (kept off the mirror's public surface). */
export interface ViewHost {
  state(): TreeState | undefined;
  view(id: ObjectId): ObjectView | undefined;
  type(name: string): ClientType;
  topic(op: TopicOp): Promise<Ack>;
  create(parent: ObjectId, type: AnyTypeDef, values: Readonly<Record<string, unknown>> | undefined, index: number): Promise<ObjectView>;
  destroy(id: ObjectId): Promise<Ack>;
  move(id: ObjectId, parent: ObjectId, index: number): Promise<Ack>;
}

/** The implementation of {@link ObjectView}; made and cached by its mirror. */
export class View<A extends AttrMap = AttrMap> implements ObjectView<A> {
  readonly #host: ViewHost;
  readonly #events = new EventEmitter<ObjectViewEvents>();
  #last: ObjectState | undefined;
  #attrs: Topics<A> | undefined;
  #childIds: readonly ObjectId[] | undefined;
  #children: readonly ObjectView[] = [];

  constructor(
    readonly id: ObjectId,
    host: ViewHost,
  ) {
    this.#host = host;
  }

  get state(): ObjectState<A> {
    const s = this.#host.state()?.objects[this.id] ?? this.#last;
    if (s === undefined) fail(ErrorCode.UNKNOWN_OBJECT, `no object ${String(this.id)}`, this.id);
    return s as ObjectState<A>;
  }

  get type(): string {
    return this.state.type;
  }

  get alive(): boolean {
    return this.#last === undefined && this.#host.state()?.objects[this.id] !== undefined;
  }

  get index(): number {
    const p = this.state.parent;
    const parent = p === null ? undefined : this.#host.state()?.objects[p];
    return parent === undefined ? -1 : parent.children.indexOf(this.id);
  }

  get parent(): ObjectView | null {
    const p = this.state.parent;
    return p === null || !this.alive ? null : (this.#host.view(p) ?? null);
  }

  get children(): readonly ObjectView[] {
    const ids = this.alive ? this.state.children : [];
    // The children array is immutable state: the same array means the same children.
    if (ids !== this.#childIds) {
      this.#childIds = ids;
      this.#children = ids.map((c) => this.#host.view(c)).filter((v): v is ObjectView => v !== undefined);
    }
    return this.#children;
  }

  get attrs(): Topics<A> {
    this.#attrs ??= makeTopics(
      { id: this.id, value: (name) => this.get(name), propose: (op) => this.#host.topic(op) },
      this.#host.type(this.type),
    ) as unknown as Topics<A>;
    return this.#attrs;
  }

  get<K extends keyof A & string>(name: K): ValueOf<A[K]> {
    return (this.state.values as Readonly<Record<string, unknown>>)[name] as ValueOf<A[K]>;
  }

  is<T extends AnyTypeDef>(type: T): this is ObjectView<AttrsOf<T>> {
    return this.type === type.name;
  }

  create<T extends AnyTypeDef>(type: T, values?: InitialValues<AttrsOf<T>>, index = -1): Promise<ObjectView<AttrsOf<T>>> {
    return this.#host.create(this.id, type, values, index) as Promise<ObjectView<AttrsOf<T>>>;
  }

  destroy(): Promise<Ack> {
    return this.#host.destroy(this.id);
  }

  move(parent: ObjectView | ObjectId, index = -1): Promise<Ack> {
    return this.#host.move(this.id, typeof parent === 'number' ? parent : parent.id, index);
  }

  on<E extends keyof ObjectViewEvents>(event: E, fn: (...args: ObjectViewEvents[E]) => void): this {
    this.#events.on(event, fn);
    return this;
  }

  off<E extends keyof ObjectViewEvents>(event: E, fn: (...args: ObjectViewEvents[E]) => void): this {
    this.#events.off(event, fn);
    return this;
  }

  /** Delivers one of this object's events (called by the mirror). */
  emit<E extends keyof ObjectViewEvents>(event: E, ...args: ObjectViewEvents[E]): void {
    (this.#events.emit as (event: E, ...args: ObjectViewEvents[E]) => boolean)(event, ...args);
  }

  /** Marks the view dead, keeping the object's last state (called by the mirror). */
  die(last: ObjectState): void {
    this.#last = last;
  }
}
