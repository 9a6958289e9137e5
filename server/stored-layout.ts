/**
 * How a stored tree's types map onto this server's registry. Snapshots record each type's wire
 * description (name, attribute names and kinds); on restore, values and ops are mapped by name, so
 * a type that gained attributes restores with their defaults, and one that lost an attribute or
 * changed its kind fails loudly instead of restoring values into the wrong attributes.
 */
import { ErrorCode, OP, attrSpec, fail, kindToWire, type AnyTypeDef, type Op, type WireType } from '../shared/index.js';
import type { TypeRegistry } from './registry.js';

interface Entry {
  readonly type: AnyTypeDef;
  readonly index: number;
  /** Attribute names in the stored order. */
  readonly names: readonly string[];
}

/** The wire description of every registered type, as stored in snapshots. */
export function storedTypes(registry: TypeRegistry): string[] {
  return registry.wire.map((t) => JSON.stringify(t));
}

/** One stored tree's types, mapped onto the registry. */
export class StoredLayout {
  readonly #entries: Entry[];
  readonly #byName = new Map<string, Entry>();
  /** Whether every stored type has this registry's index and attribute layout (stored ops then stay valid as they are). */
  readonly identical: boolean;

  constructor(stored: readonly string[], registry: TypeRegistry, tree: string) {
    const current = storedTypes(registry);
    this.identical = stored.length === current.length && stored.every((s, i) => s === current[i]);
    this.#entries = stored.map((entry) => {
      const wire = parseEntry(entry);
      const name = wire === undefined ? entry : wire[0];
      const type = registry.find(name);
      if (type === undefined) fail(ErrorCode.UNKNOWN_TYPE, `tree ${tree} holds objects of type ${name}, which this server does not register`, tree);
      // A bare name: written before layouts were stored; its layout is taken to be the current one.
      const names = wire === undefined ? type.attrNames : wire[1].map(([attr, kind]) => {
        if (!type.attrIndex.has(attr)) fail(ErrorCode.UNKNOWN_ATTRIBUTE, `tree ${tree}: type ${name} no longer has the stored attribute ${attr}`, attr);
        const spec = attrSpec(type, attr);
        if (JSON.stringify(kindToWire(spec)) !== JSON.stringify(kind)) fail(ErrorCode.WRONG_KIND, `tree ${tree}: ${name}.${attr} was stored as ${JSON.stringify(kind)}, is now ${JSON.stringify(kindToWire(spec))}`, attr);
        return attr;
      });
      const e: Entry = { type, index: registry.indexOf(type), names };
      this.#byName.set(name, e);
      return e;
    });
  }

  #entry(storedIndex: number): Entry {
    const e = this.#entries[storedIndex];
    if (e === undefined) fail(ErrorCode.UNKNOWN_TYPE, `no stored type #${storedIndex}`, storedIndex);
    return e;
  }

  /** The registry index of a stored type index. */
  typeIndex(storedIndex: number): number {
    return this.#entry(storedIndex).index;
  }

  /** A stored object's values, by attribute name. */
  values(storedIndex: number, values: readonly unknown[]): Record<string, unknown> {
    const names = this.#entry(storedIndex).names;
    return Object.fromEntries(names.map((name, i) => [name, values[i]]));
  }

  /** A stored op with this registry's type and attribute indexes; `typeOf` gives an object's current type. */
  op(op: Op, typeOf: (id: number) => AnyTypeDef | undefined): Op {
    if (this.identical) return op;
    if (op[0] === OP.create) return [OP.create, op[1], this.typeIndex(op[2]), op[3], op[4], op[5]];
    if (op[0] === OP.destroy || op[0] === OP.move) return op;
    const type = typeOf(op[1]);
    const names = type === undefined ? undefined : this.#byName.get(type.name)?.names;
    const name = names?.[op[2]];
    const index = name === undefined ? undefined : type?.attrIndex.get(name);
    if (index === undefined) fail(ErrorCode.UNKNOWN_ATTRIBUTE, `a stored op names attribute #${op[2]} of object ${op[1]}, which cannot be mapped`, op[1]);
    return [op[0], op[1], index, ...op.slice(3)] as unknown as Op;
  }
}

function parseEntry(entry: string): WireType | undefined {
  if (!entry.startsWith('[')) return undefined;
  const parsed = JSON.parse(entry) as WireType;
  return parsed;
}
