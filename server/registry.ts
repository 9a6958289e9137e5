/** The server's registry of types: a type's position is its typeIndex on the wire. */
import { ErrorCode, SyncError, fail, typeToWire, type AnyTypeDef, type WireType } from '../shared/index.js';

/** Registered types, indexed by position and by name. */
export class TypeRegistry {
  readonly #types: AnyTypeDef[] = [];
  readonly #byName = new Map<string, number>();
  #wire: WireType[] | undefined;

  constructor(types: readonly AnyTypeDef[]) {
    for (const type of types) this.add(type);
  }

  /** Registers a type (idempotent for the same definition); returns its index. */
  add(type: AnyTypeDef): number {
    const known = this.#byName.get(type.name);
    if (known !== undefined) {
      if (this.#types[known] !== type && JSON.stringify(typeToWire(this.#types[known] as AnyTypeDef)) !== JSON.stringify(typeToWire(type))) {
        throw new SyncError(ErrorCode.BAD_VALUE, `a different type named ${type.name} is already registered`, { ref: type.name });
      }
      return known;
    }
    this.#types.push(type);
    this.#byName.set(type.name, this.#types.length - 1);
    this.#wire = undefined;
    return this.#types.length - 1;
  }

  /** The index of a registered type; UNKNOWN_TYPE otherwise. */
  indexOf(type: AnyTypeDef): number {
    const index = this.#byName.get(type.name);
    if (index === undefined) fail(ErrorCode.UNKNOWN_TYPE, `type ${type.name} is not registered`, type.name);
    return index;
  }

  /** The registered type of this name, if any. */
  find(name: string): AnyTypeDef | undefined {
    const index = this.#byName.get(name);
    return index === undefined ? undefined : this.#types[index];
  }

  /** The type at an index; UNKNOWN_TYPE otherwise. */
  at(index: number): AnyTypeDef {
    const type = Number.isInteger(index) ? this.#types[index] : undefined;
    if (type === undefined) fail(ErrorCode.UNKNOWN_TYPE, `no type at index ${String(index)}`, index);
    return type;
  }

  /** Every type in wire form, in index order (cached). */
  get wire(): readonly WireType[] {
    this.#wire ??= this.#types.map(typeToWire);
    return this.#wire;
  }
}
