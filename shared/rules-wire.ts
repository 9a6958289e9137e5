/**
 * The wire form of attribute rules: the declarative rules of an attribute as a welcome message
 * carries them, and back into normalized rules. `validate` functions stay where they are defined.
 */
import { ErrorCode, SyncError } from './errors.js';
import { RULES_OF_KIND, normalizeRules } from './rules.js';
import type { AttrRules, AttrSpec, KindName } from './spec.js';

/** A pattern on the wire: a RegExp's `source` and `flags`. */
export interface WirePattern {
  readonly source: string;
  readonly flags: string;
}

/**
 * The declarative rules of an attribute on the wire (`validate` functions stay where they are
 * defined): {@link AttrRules} with patterns as `source` and `flags`. `of`: the rules of a dict's or
 * list's element kind. Absent fields: no such rule.
 */
export type WireRules = Omit<AttrRules, 'pattern' | 'keyPattern' | 'validate'> & {
  readonly pattern?: WirePattern;
  readonly keyPattern?: WirePattern;
  readonly of?: WireRules;
};

function patternToWire(p: RegExp): WirePattern {
  return { source: p.source, flags: p.flags };
}

/** The declarative rules of an attribute (and of its element kind, as `of`), or undefined when it has none. */
export function rulesToWire(s: AttrSpec): WireRules | undefined {
  const r = s.rules;
  const out: { -readonly [K in keyof WireRules]?: WireRules[K] } = {};
  if (r !== undefined) {
    for (const name of RULES_OF_KIND[s.kind]) {
      const v = r[name];
      if (v === undefined || name === 'validate') continue;
      out[name] = (name === 'pattern' || name === 'keyPattern' ? patternToWire(v as RegExp) : v) as never;
    }
  }
  if (s.of !== undefined) {
    const of = rulesToWire(s.of);
    if (of !== undefined) out.of = of;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function wireBad(message: string): never {
  throw new SyncError(ErrorCode.BAD_MESSAGE, `bad rules on the wire: ${message}`);
}

/** The `of` of wire rules: the element kind's rules. */
export function wireRulesOf(raw: unknown): unknown {
  return typeof raw === 'object' && raw !== null ? (raw as { of?: unknown }).of : undefined;
}

/**
 * The rules of one kind from their wire form, normalized like a builder's (`of` is read separately,
 * with {@link wireRulesOf}). Rules of other kinds and unknown fields are ignored (a newer server may
 * send more); a malformed known rule is BAD_MESSAGE; a pattern this JavaScript engine cannot compile
 * is left out (the server still enforces it).
 */
export function rulesFromWire(kind: KindName, raw: unknown): AttrRules | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) wireBad('not an object');
  const given = raw as Readonly<Record<string, unknown>>;
  const rules: Record<string, unknown> = {};
  for (const name of RULES_OF_KIND[kind]) {
    if (name === 'validate' || !Object.hasOwn(given, name)) continue;
    const v = given[name];
    if (name === 'pattern' || name === 'keyPattern') {
      const p = v as Partial<WirePattern> | null;
      if (typeof p !== 'object' || p === null || typeof p.source !== 'string' || typeof p.flags !== 'string') wireBad(`${name} is not { source, flags }`);
      try {
        rules[name] = new RegExp(p.source, p.flags);
      } catch {
        continue;
      }
    } else {
      rules[name] = v;
    }
  }
  try {
    return normalizeRules(kind, rules);
  } catch (error) {
    if (error instanceof SyncError) wireBad(error.message);
    throw error;
  }
}
