/**
 * The client's view of the server's types, built from the welcome message: a type's position
 * is its typeIndex, an attribute's position its index in ops. Kinds and declarative rules come
 * from the wire, so a client works without local type definitions; a matching local definition
 * contributes its default and, when its rules are the server's, its custom validators.
 */
import {
  ErrorCode,
  SyncError,
  fail,
  isSafeKey,
  kindToWire,
  rulesFromWire,
  rulesToWire,
  t,
  wireRulesOf,
  type AnyTypeDef,
  type AttrMap,
  type AttrSpec,
  type KindName,
} from '../shared/index.js';

/** A type as the client knows it: name, index, attributes in wire order with their kinds. */
export interface ClientType {
  readonly name: string;
  readonly index: number;
  readonly attrNames: readonly string[];
  readonly attrIndex: ReadonlyMap<string, number>;
  /**
   * One declaration per attribute, what local checks use: the kind and rules from the wire, the
   * default from a matching local definition; the local declaration itself (its `validate`
   * functions included) when its kind and declarative rules are the server's.
   */
  readonly specs: readonly AttrSpec[];
  /**
   * An object's values record from a join's flat snapshot: the values of every attribute in
   * order, from `flat[at]` on (see {@link FlatSnapshot}).
   */
  readonly valuesAt: (flat: readonly unknown[], at: number) => Record<string, unknown>;
}

/** Whether this environment compiles code at run time (not under a Content-Security-Policy without 'unsafe-eval'); found out on first use. */
let compiles = true;

/**
 * The {@link ClientType.valuesAt} of a type: an object literal of its attributes, compiled once
 * per type, so that each record is allocated in one piece with its final shape (a 10,000-object
 * join builds its records in a fifth of the time it takes to add the attributes one by one, and
 * they take less heap). Where code cannot be compiled at run time, a loop does the same. The
 * names are safe keys (never `__proto__`: parseType checks) and go in as JSON string literals.
 * `compile: false` gives the loop (tests compare the two).
 */
export function valuesMaker(names: readonly string[], compile = compiles): ClientType['valuesAt'] {
  const loop: ClientType['valuesAt'] = (flat, at) => {
    const values: Record<string, unknown> = {};
    for (let k = 0; k < names.length; k++) values[names[k] as string] = flat[at + k];
    return values;
  };
  if (!compile) return loop;
  try {
    const body = `return {${names.map((name, k) => `${JSON.stringify(name)}: flat[at + ${String(k)}]`).join(', ')}};`;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the body is built from JSON string literals only (see above)
    return new Function('flat', 'at', body) as ClientType['valuesAt'];
  } catch {
    compiles = false;
    return loop;
  }
}

type Scalar = 'string' | 'number' | 'boolean' | 'json';
const SCALARS = new Set<KindName>(['string', 'number', 'boolean', 'json']);
const MAX_KIND_DEPTH = 16;

/**
 * Turns a wire kind (`'number'`, `['list', ['dict', 'string']]`) and its wire rules, if any, into
 * an attribute declaration with the kind's default. BAD_MESSAGE on junk.
 */
export function specFromWire(kind: unknown, rules?: unknown, depth = 0): AttrSpec {
  if (typeof kind === 'string' && SCALARS.has(kind as KindName)) {
    return (t[kind as Scalar] as (def: undefined, rules: unknown) => AttrSpec)(undefined, rulesFromWire(kind as Scalar, rules));
  }
  if (Array.isArray(kind) && kind.length === 2 && depth < MAX_KIND_DEPTH) {
    const container: unknown = kind[0];
    if (container === 'dict' || container === 'list') {
      const of = specFromWire(kind[1], wireRulesOf(rules), depth + 1);
      const own = rulesFromWire(container, rules) as never;
      return container === 'dict' ? t.dict(of, undefined, own) : t.list(of, undefined, own);
    }
  }
  return fail(ErrorCode.BAD_MESSAGE, `unknown wire kind ${JSON.stringify(kind)}`);
}

function sameKind(a: AttrSpec, b: AttrSpec): boolean {
  return JSON.stringify(kindToWire(a)) === JSON.stringify(kindToWire(b));
}

function sameRules(a: AttrSpec, b: AttrSpec): boolean {
  return JSON.stringify(rulesToWire(a)) === JSON.stringify(rulesToWire(b));
}

/** What local checks use for one attribute: see {@link ClientType.specs}. */
function merge(declared: AttrSpec | undefined, wire: AttrSpec): AttrSpec {
  if (declared === undefined || !sameKind(declared, wire)) return wire;
  if (sameRules(declared, wire)) return declared;
  // The definitions differ (another version): the server's rules, without local validators, which may not be the server's.
  return { ...wire, default: declared.default };
}

function parseType(raw: unknown, index: number, local: ReadonlyMap<string, AnyTypeDef>): ClientType {
  if (!Array.isArray(raw) || raw.length !== 2 || typeof raw[0] !== 'string' || !Array.isArray(raw[1])) {
    fail(ErrorCode.BAD_MESSAGE, `type ${index} is not [name, attributes]`, index);
  }
  const name = raw[0];
  const def = local.get(name);
  const attrNames: string[] = [];
  const specs: AttrSpec[] = [];
  for (const raw2 of raw[1] as unknown[]) {
    const attr = raw2 as unknown[];
    // [name, kind] or [name, kind, rules]: servers without rules send the former.
    if (!Array.isArray(raw2) || (attr.length !== 2 && attr.length !== 3) || typeof attr[0] !== 'string' || !isSafeKey(attr[0])) {
      fail(ErrorCode.BAD_MESSAGE, `bad attribute in type ${name}`, name);
    }
    const attrName = attr[0];
    if (attr.length === 3 && (typeof attr[2] !== 'object' || attr[2] === null || Array.isArray(attr[2]))) fail(ErrorCode.BAD_MESSAGE, `bad rules of ${name}.${attrName}`, attrName);
    const wire = specFromWire(attr[1], attr[2]);
    const declared = (def?.attrs as AttrMap | undefined)?.[attrName];
    attrNames.push(attrName);
    specs.push(merge(declared, wire));
  }
  return { name, index, attrNames, attrIndex: new Map(attrNames.map((n, i) => [n, i] as const)), specs, valuesAt: valuesMaker(attrNames) };
}

/** The types of one server, by typeIndex and by name. */
export class TypeCatalog {
  readonly #types: readonly ClientType[];
  readonly #byName: ReadonlyMap<string, ClientType>;

  /** Parses the welcome's `types`; throws BAD_MESSAGE on junk. */
  constructor(wire: unknown, local: readonly AnyTypeDef[] = []) {
    if (!Array.isArray(wire)) fail(ErrorCode.BAD_MESSAGE, 'welcome.types is not an array');
    const defs = new Map(local.map((d) => [d.name, d] as const));
    this.#types = wire.map((raw: unknown, i) => parseType(raw, i, defs));
    this.#byName = new Map(this.#types.map((ct) => [ct.name, ct] as const));
  }

  /** The type at a typeIndex, or undefined. */
  at(index: number): ClientType | undefined {
    return this.#types[index];
  }

  /** The type with this name, or undefined. */
  byName(name: string): ClientType | undefined {
    return this.#byName.get(name);
  }

  /** The type with this name; UNKNOWN_TYPE when the server does not register it. */
  require(name: string): ClientType {
    const ct = this.#byName.get(name);
    if (ct === undefined) throw new SyncError(ErrorCode.UNKNOWN_TYPE, `the server has no type ${JSON.stringify(name)}`, { ref: name });
    return ct;
  }
}
