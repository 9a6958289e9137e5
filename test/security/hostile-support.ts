/**
 * Support for the hostile-input fuzzer (hostile.test.ts), the checks: problems with values and
 * scribes, a structural check of a server tree, where two values differ, and a seeded generator.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Tree } from '../../server/index.js';
import { copyValue, isWellFormed, MAX_JSON_DEPTH, type AttrSpec } from '../../shared/index.js';
import { show } from './hostile-wire-support.js';

// ---------------------------------------------------------------------------------------------
// The tree check.
// ---------------------------------------------------------------------------------------------

const FORBIDDEN = ['__proto__', 'constructor', 'prototype'];

/** One thing wrong with a value: where, what kind of problem (for grouping), and the offending part. */
export interface ValueProblem {
  readonly where: string;
  readonly kind: string;
  readonly detail: string;
}

/** Problems with a value that must be plain, finite, well-formed JSON (keys and strings included); empty when it is. */
export function valueProblems(v: unknown, where: string): ValueProblem[] {
  const out: ValueProblem[] = [];
  scanValue(v, where, out);
  return out;
}

function scanValue(v: unknown, where: string, out: ValueProblem[], depth = 0): void {
  if (out.length > 50) return;
  const put = (kind: string, detail = ''): void => void out.push({ where, kind, detail });
  switch (typeof v) {
    case 'string':
      if (!isWellFormed(v)) put('a string with a lone surrogate', show(v, 60));
      return;
    case 'number':
      if (!Number.isFinite(v)) put('a non-finite number', String(v));
      else if (Object.is(v, -0)) put('-0 (JSON has no -0: every mirror and every new snapshot gets 0)');
      return;
    case 'boolean':
      return;
    case 'object': {
      if (v === null) return;
      if (depth > MAX_JSON_DEPTH + 1) return put(`nesting deeper than ${MAX_JSON_DEPTH}`);
      const proto = Object.getPrototypeOf(v) as unknown;
      if (Array.isArray(v)) {
        if (proto !== Array.prototype) put('an array with another prototype');
        for (let i = 0; i < v.length; i++) {
          if (!(i in v)) put('a hole in an array', String(i));
          scanValue(v[i], `${where}[${i}]`, out, depth + 1);
        }
        return;
      }
      if (proto !== Object.prototype) put('an object whose prototype is not Object.prototype');
      for (const k of Object.getOwnPropertyNames(v)) {
        if (FORBIDDEN.includes(k)) put('an own forbidden key', JSON.stringify(k));
        if (!isWellFormed(k)) put('a key with a lone surrogate', show(k, 60));
        scanValue((v as Record<string, unknown>)[k], `${where}.${k}`, out, depth + 1);
      }
      if (Object.getOwnPropertySymbols(v).length > 0) put('symbol keys');
      return;
    }
    default:
      put('not JSON', typeof v);
  }
}

/** The values and keys a scribe carries (not its ids and indices), each with where it sits. */
export function scribeValues(op: readonly unknown[]): [string, unknown][] {
  switch (op[0]) {
    case 0:
      return [['[3]', op[3]]];
    case 2:
      return [
        ['[3] (key)', op[3]],
        ['[4]', op[4]],
      ];
    case 3:
      return [['[3] (key)', op[3]]];
    case 4:
    case 7:
      return [['[4]', op[4]]];
    case 8:
      return [['[5]', op[5]]];
    default:
      return [];
  }
}

/** A problem as one line. */
export function describeProblem(p: ValueProblem): string {
  return `${p.where}: ${p.kind}${p.detail === '' ? '' : ` ${p.detail}`}`;
}

/**
 * Everything wrong with a server tree: values that do not re-check against their attribute's kind
 * (copyValue), that are not finite, well-formed, plain JSON, and parents, children and ids that
 * do not agree. Empty when the tree is valid.
 */
export function treeProblems(tree: Tree): string[] {
  const out: string[] = [];
  const snapshot = tree.snapshot();
  const live = tree.wireSnapshot();
  const seen = new Set<number>();
  const childrenOf = new Map<number, number[]>();
  if (snapshot.length !== tree.size) out.push(`the snapshot has ${snapshot.length} objects, the tree counts ${tree.size}`);
  snapshot.forEach(([id, typeIndex, parent, values], i) => {
    const where = `${tree.name}#${id}`;
    if (!Number.isSafeInteger(id) || id < 0) out.push(`${where}: a bad id`);
    if (seen.has(id)) out.push(`${where}: listed twice`);
    seen.add(id);
    if (i === 0) {
      if (id !== 0 || parent !== -1) out.push(`${where}: the first object is not the root 0 with parent -1`);
    } else if (!seen.has(parent)) out.push(`${where}: its parent ${parent} does not come before it`);
    else childrenOf.get(parent)?.push(id);
    childrenOf.set(id, []);
    let type;
    try {
      type = tree.registry.at(typeIndex);
    } catch {
      out.push(`${where}: unknown type index ${typeIndex}`);
      return;
    }
    if (values.length !== type.attrNames.length) out.push(`${where}: ${values.length} values for ${type.attrNames.length} attributes`);
    type.attrNames.forEach((name, a) => {
      const spec = (type.attrs as Record<string, AttrSpec>)[name] as AttrSpec;
      const value = values[a];
      try {
        const again = copyValue(spec, value, name);
        if (!isDeepStrictEqual(again, value)) out.push(`${where}.${name}: changes when checked again`);
      } catch (error) {
        out.push(`${where}.${name}: fails its kind (${spec.kind}): ${(error as Error).message}`);
      }
      // The live value too: a clone would hide a prototype or an own __proto__.
      out.push(...valueProblems(live[i]?.[3][a], `${where}.${name}`).map(describeProblem));
    });
    const handle = tree.get(id);
    if (handle === undefined) out.push(`${where}: listed, but tree.get does not find it`);
    else {
      if (!handle.alive) out.push(`${where}: listed, but not alive`);
      if ((handle.parent?.id ?? -1) !== parent) out.push(`${where}: its parent is ${handle.parent?.id ?? -1}, the snapshot says ${parent}`);
    }
  });
  for (const [id, children] of childrenOf) {
    const actual = tree.get(id)?.children.map((c) => c.id) ?? [];
    if (!isDeepStrictEqual(actual, children)) out.push(`${tree.name}#${id}: children ${show(actual, 80)}, the snapshot order gives ${show(children, 80)}`);
    for (const c of tree.get(id)?.children ?? []) if (c.parent?.id !== id) out.push(`${tree.name}#${c.id}: listed as a child of ${id}, its parent is ${c.parent?.id ?? 'none'}`);
  }
  if (!Number.isSafeInteger(tree.seq) || tree.seq < 0) out.push(`${tree.name}: seq ${tree.seq}`);
  if (tree.nextId <= Math.max(...seen)) out.push(`${tree.name}: nextId ${tree.nextId} is not above every id`);
  return out;
}

/** Where two plain values first differ (numbers compared with Object.is, so -0 is not 0), or undefined when they are equal. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return Object.is(a, b) ? undefined : `${path === '' ? '(root)' : path}: ${show(a, 100)} vs ${show(b, 100)}`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: ${show(a, 100)} vs ${show(b, 100)}`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const at = Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`;
    if (!Object.hasOwn(a, k) || !Object.hasOwn(b, k)) return `${at}: ${Object.hasOwn(a, k) ? 'only in the first' : 'only in the second'}`;
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at);
    if (d !== undefined) return d;
  }
  return undefined;
}

/** A small seeded generator (the honest clients' choices). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
