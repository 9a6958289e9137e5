/** Fixtures for the parse tests: valid proposals and ops, nesting builders, and where each op holds numbers. */
import { expect } from 'vitest';
import { SyncError } from '../../shared/errors.js';
import { OP } from '../../shared/ops.js';
import { parseClientMessage } from '../../shared/parse.js';
import { DEFAULT_LIMITS, type ClientMessage, type Limits } from '../../shared/protocol.js';

export const L = DEFAULT_LIMITS;

/** A valid proposal body, with fields overridden. */
export const propose = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ tree: 'main', opId: 1, baseSeq: 0, ops: [[OP.set, 1, 0, 'x']], ...over });

/** Parses one op inside an otherwise valid proposal. */
export const parseOne = (op: unknown): ClientMessage | SyncError => parseClientMessage('propose', [propose({ ops: [op] })], L);

/** Parses, and fails the test when the result is an error. */
export function parsed(event: string, args: readonly unknown[], limits: Limits = L): ClientMessage {
  const result = parseClientMessage(event, args, limits);
  if (result instanceof SyncError) return expect.unreachable(`unexpected ${result.code}: ${result.message}`);
  return result;
}

export function nestedArrays(levels: number, leaf: unknown = 1): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

export function nestedObjects(levels: number, leaf: unknown = 1): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

/** A well-formed op of every code, as a proposal carries it. */
export const VALID_OPS: Record<keyof typeof OP, unknown[]> = {
  set: [OP.set, 1, 0, { any: ['json'] }],
  add: [OP.add, 1, 0, 2.5],
  put: [OP.put, 1, 0, 'k', 1],
  delete: [OP.delete, 1, 0, 'k'],
  insert: [OP.insert, 1, 0, -1, [1, 2]],
  remove: [OP.remove, 1, 0, 0, 1],
  listMove: [OP.listMove, 1, 0, 0, 1],
  replace: [OP.replace, 1, 0, 0, 'x'],
  create: [OP.create, -1, 0, 0, -1, { title: 'x' }],
  destroy: [OP.destroy, 3],
  move: [OP.move, 3, 0, -1],
};
export const OP_ROWS = Object.entries(VALID_OPS);

/** The positions of each op that must hold an integer (ids, attribute and type indices). */
export const INTEGER_AT: Record<keyof typeof OP, number[]> = {
  set: [1, 2],
  add: [1, 2],
  put: [1, 2],
  delete: [1, 2],
  insert: [1, 2],
  remove: [1, 2],
  listMove: [1, 2],
  replace: [1, 2],
  create: [1, 2, 3],
  destroy: [1],
  move: [1, 2],
};

/** The positions of each op that must hold a number (indices and counts, range-checked later). */
export const NUMBER_AT: Record<keyof typeof OP, number[]> = {
  set: [],
  add: [3],
  put: [],
  delete: [],
  insert: [3],
  remove: [3, 4],
  listMove: [3, 4],
  replace: [3],
  create: [4],
  destroy: [],
  move: [3],
};
