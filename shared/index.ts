/**
 * treesync's shared entry point: the type DSL, operations, protocol and errors that the
 * server and the client both import.
 * @example
 * import { defineType, t } from 'treesync';
 * export const Gauge = defineType('Gauge', { label: t.string(''), value: t.number(0) });
 */
export { ErrorCode, SyncError, assert, unreachable, fail, isErrorCode, type WireError } from './errors.js';
export type { Json, JsonObject } from './json.js';
export {
  attrSpec,
  defineType,
  t,
  isSafeKey,
  kindToWire,
  typeToWire,
  type AttrSpec,
  type AttrRules,
  type AttrMap,
  type AnyTypeDef,
  type AttrsOfKind,
  type KindName,
  type TypeDef,
  type Values,
  type ValueOf,
  type Validator,
  type WireAttr,
  type WireKind,
  type WireType,
} from './schema.js';
export {
  jsonByteLength,
  type BooleanRules,
  type DictRules,
  type JsonRules,
  type ListRules,
  type NumberRules,
  type StringRules,
} from './rules.js';
export { rulesFromWire, rulesToWire, wireRulesOf, type WirePattern, type WireRules } from './rules-wire.js';
export { copyValue, copyElement, copyJson, detach, MAX_JSON_DEPTH } from './values.js';
export {
  OP,
  OP_NAMES,
  applyTopicOp,
  checkTopicOp,
  invertTopicOp,
  isTopicOp,
  type AddOp,
  type CreateOp,
  type DeleteOp,
  type DestroyOp,
  type InsertOp,
  type ListMoveOp,
  type MoveOp,
  type ObjectId,
  type Op,
  type OpCode,
  type PutOp,
  type RemoveOp,
  type ReplaceOp,
  type SetOp,
  type TopicOp,
  type TreeOp,
} from './ops.js';
export * from './protocol.js';
export { BINARY_BATCH_VERSION, decodeBatch, encodeBatch, isBinary, type AnyBatchArgs } from './codec.js';
export type {
  AttrsOf,
  DictTopicOf,
  InitialValues,
  ListTopicOf,
  NumberTopicOf,
  TopicOf,
  TopicsOf,
  ValueTopicOf,
} from './topics.js';
export { parseClientMessage, parseOp, measureValue, isWellFormed } from './parse.js';
export { newClientId } from './guid.js';
