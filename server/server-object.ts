/** Server-side object handles: typed topics over a tree's nodes. */
import { ErrorCode, OP, fail, type AnyTypeDef, type AttrSpec, type Json, type ObjectId, type Op } from '../shared/index.js';
import type { Node } from './node.js';
import type { TypeRegistry } from './registry.js';
import type { AttrsOf, InitialValues, ServerObject, ServerTopics } from './types.js';

/** What a handle needs of its tree. */
export interface HandleHost {
  readonly registry: TypeRegistry;
  apply(op: Op): ObjectId;
  node(id: ObjectId): Node;
}

/** Told of each node whose values (`structure` false) or parent, children or index (true) a handle reads, while {@link readsOf} runs. */
let reading: ((node: Node, structure: boolean) => void) | undefined;

/**
 * Returns `fn(arg)`, calling `onRead` with every node whose values, parent, children or index a
 * handle reads meanwhile (`structure`: one of the last three) (visibility uses it to learn what a scope rule depends on). Nests: the
 * inner call's reads go to the inner `onRead` only.
 */
export function readsOf<A, T>(fn: (arg: A) => T, arg: A, onRead: (node: Node, structure: boolean) => void): T {
  const outer = reading;
  reading = onRead;
  try {
    return fn(arg);
  } finally {
    reading = outer;
  }
}

/** The handle of a node, made once and cached on it. */
export function handleOf(tree: HandleHost, node: Node): ServerObject {
  node.handle ??= new ObjectHandle(tree, node);
  return node.handle as ServerObject;
}

class ObjectHandle implements ServerObject {
  #attrs: ServerTopics<Record<string, AttrSpec>> | undefined;

  constructor(
    readonly tree: HandleHost,
    readonly node: Node,
  ) {}

  get id(): ObjectId {
    return this.node.id;
  }
  get type(): AnyTypeDef {
    return this.node.type;
  }
  get alive(): boolean {
    return this.node.alive;
  }
  get index(): number {
    if (this.node.parent === null) return -1;
    reading?.(this.node.parent, true);
    return this.node.parent.children.indexOf(this.node);
  }
  get parent(): ServerObject | null {
    reading?.(this.node, true);
    return this.node.parent === null ? null : handleOf(this.tree, this.node.parent);
  }
  get children(): readonly ServerObject[] {
    reading?.(this.node, true);
    return this.node.children.map((c) => handleOf(this.tree, c));
  }
  get attrs(): ServerTopics<Record<string, AttrSpec>> {
    this.#attrs ??= makeTopics(this.tree, this.node);
    return this.#attrs;
  }

  get(name: string): never {
    const i = this.node.type.attrIndex.get(name);
    if (i === undefined) fail(ErrorCode.UNKNOWN_ATTRIBUTE, `${this.node.type.name} has no attribute ${name}`, name);
    reading?.(this.node, false);
    return this.node.values[i] as never;
  }

  is<T extends AnyTypeDef>(type: T): this is ServerObject<AttrsOf<T>> {
    return this.node.type.name === type.name;
  }

  create(type: AnyTypeDef, values: InitialValues<Record<string, AttrSpec>> = {}, index = -1): never {
    const id = this.tree.apply([OP.create, -1, this.tree.registry.indexOf(type), this.node.id, index, values as Record<string, Json>]);
    return handleOf(this.tree, this.tree.node(id)) as never;
  }

  destroy(): void {
    this.tree.apply([OP.destroy, this.node.id]);
  }

  move(parent: ServerObject | ObjectId, index = -1): void {
    this.tree.apply([OP.move, this.node.id, typeof parent === 'number' ? parent : parent.id, index]);
  }
}

function makeTopics(tree: HandleHost, node: Node): ServerTopics<Record<string, AttrSpec>> {
  const topics: Record<string, unknown> = {};
  node.type.attrNames.forEach((name, a) => {
    const id = node.id;
    const value = (): unknown => {
      reading?.(node, false);
      return node.values[a];
    };
    topics[name] = {
      get value() {
        return value();
      },
      set: (v: Json) => tree.apply([OP.set, id, a, v]),
      add: (delta: number) => tree.apply([OP.add, id, a, delta]),
      get: (key: string) => (Object.hasOwn(value() as object, key) ? (value() as Record<string, unknown>)[key] : undefined),
      put: (key: string, v: Json) => tree.apply([OP.put, id, a, key, v]),
      delete: (key: string) => tree.apply([OP.delete, id, a, key]),
      insert: (index: number, ...items: Json[]) => tree.apply([OP.insert, id, a, index, items]),
      push: (...items: Json[]) => tree.apply([OP.insert, id, a, -1, items]),
      remove: (index: number, count = 1) => tree.apply([OP.remove, id, a, index, count]),
      move: (from: number, to: number) => tree.apply([OP.listMove, id, a, from, to]),
      replace: (index: number, item: Json) => tree.apply([OP.replace, id, a, index, item]),
    };
  });
  return topics as ServerTopics<Record<string, AttrSpec>>;
}
