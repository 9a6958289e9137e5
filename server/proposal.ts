/**
 * Applying a client's proposal: the per-op checks (the tree's object limit, the `canApply` and
 * per-type hooks) and the mapping of its temp ids to the ids its creates get.
 */
import { ErrorCode, OP, OP_NAMES, fail, type ObjectId, type Op } from '../shared/index.js';
import type { Hooks, OpContext, OpKind, SessionInfo } from './hooks.js';
import type { Tree } from './tree.js';

/** The per-op check of a proposal by `session`: the tree's object limit, then the per-op and per-type hooks. */
export function opChecker(hooks: Hooks, maxObjects: number, session: SessionInfo, tree: Tree): (op: Op) => void {
  const { canApply, types } = hooks;
  return (op) => {
    if (op[0] === OP.create && tree.size >= maxObjects) fail(ErrorCode.TREE_FULL, `${tree.name} holds its maximum of ${maxObjects} objects`, tree.name);
    if (canApply === undefined && types === undefined) return;
    const ctx = opContext(session, tree, op);
    // An op on an unknown object: let the tree refuse it with its own code.
    if (ctx === undefined) return;
    if (canApply?.(ctx) === false) fail(ErrorCode.FORBIDDEN, `you may not ${ctx.kind} ${ctx.attr === undefined ? `a ${ctx.type}` : `${ctx.type}.${ctx.attr}`}`, ctx.attr ?? ctx.type);
    const rules = types?.[ctx.type];
    if (rules === undefined) return;
    let allowed: boolean;
    switch (ctx.kind) {
      case 'create':
      case 'destroy':
      case 'move':
        allowed = rules[ctx.kind]?.(ctx) !== false;
        break;
      default:
        allowed = rules.update?.(ctx) !== false && (ctx.attr === undefined || rules.attrs?.[ctx.attr]?.(ctx) !== false);
    }
    if (!allowed) fail(ErrorCode.FORBIDDEN, `you may not ${ctx.kind} ${ctx.attr === undefined ? `a ${ctx.type}` : `${ctx.type}.${ctx.attr}`}`, ctx.attr ?? ctx.type);
  };
}

/** What the per-op hooks get for `op` (ids already real); undefined when it names an unknown object. */
function opContext(session: SessionInfo, tree: Tree, op: Op): OpContext | undefined {
  const base = { session, principal: session.principal, tree, op, kind: OP_NAMES[op[0]] as OpKind };
  switch (op[0]) {
    case OP.create: {
      const parent = tree.get(op[3]);
      // A bad type index: the tree refuses it with its own code.
      return parent === undefined ? undefined : { ...base, object: parent, type: tree.registry.at(op[2]).name };
    }
    case OP.destroy: {
      const object = tree.get(op[1]);
      return object === undefined ? undefined : { ...base, object, type: object.type.name };
    }
    case OP.move: {
      const object = tree.get(op[1]);
      const to = tree.get(op[2]);
      return object === undefined || to === undefined ? undefined : { ...base, object, type: object.type.name, to };
    }
    default: {
      const object = tree.get(op[1]);
      if (object === undefined) return undefined;
      const attr = object.type.attrNames[op[2]];
      return attr === undefined ? undefined : { ...base, object, type: object.type.name, attr };
    }
  }
}

/** Applies a proposal's ops, mapping its negative temp ids to the ids its creates got; `check` vets each op first. */
export function applyProposal(tree: Tree, ops: readonly Op[], ids: ObjectId[], check: (op: Op) => void, translate?: (op: Op) => Op): void {
  const temp = new Map<number, ObjectId>();
  const real = (id: number): ObjectId => {
    if (id >= 0) return id;
    const mapped = temp.get(id);
    if (mapped === undefined) fail(ErrorCode.UNKNOWN_OBJECT, `temp id ${id} was not created earlier in this proposal`, id);
    return mapped;
  };
  const apply = (raw: Op): ObjectId | undefined => {
    const op = translate === undefined ? raw : translate(raw);
    check(op);
    return tree.apply(op);
  };
  for (const op of ops) {
    switch (op[0]) {
      case OP.create: {
        const id = apply([OP.create, -1, op[2], real(op[3]), op[4], op[5]]) as ObjectId;
        if (op[1] < 0) temp.set(op[1], id);
        ids.push(id);
        break;
      }
      case OP.destroy:
        apply([OP.destroy, real(op[1])]);
        break;
      case OP.move:
        apply([OP.move, real(op[1]), real(op[2]), op[3]]);
        break;
      default:
        apply(op[1] < 0 ? ([op[0], real(op[1]), ...op.slice(2)] as unknown as Op) : op);
    }
  }
}
