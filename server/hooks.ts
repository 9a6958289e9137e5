/**
 * Server hooks: the seams for access control. The server trusts its own code and these hooks;
 * it trusts nothing a client sends (handshake fields included) until a hook vouched for it.
 */
import type { Op } from '../shared/index.js';
import type { ServerObject } from './types.js';
import type { Tree } from './tree.js';

/**
 * Who is on the other end of a session, as the `authenticate` hook established it. `id` names
 * the person or service (several client ids, one per tab, may share it); the rest is the
 * application's (roles, team, plan, ...).
 */
export interface Principal {
  readonly id: string;
  readonly roles?: readonly string[];
  readonly [key: string]: unknown;
}

/** Who is on the other end of a session. */
export interface SessionInfo {
  /** The connection's id. */
  readonly id: string;
  /** The client's stable GUID. */
  readonly clientId: string;
  /** The handshake auth the client sent (untrusted input). */
  readonly auth: Readonly<Record<string, unknown>>;
  /** What `authenticate` returned; without that hook, `{ id: clientId }`. */
  readonly principal: Principal;
}

/** What the authenticate hook is asked about: a handshake that passed the protocol checks. */
export interface AuthContext {
  /** The client id the handshake claims (any client may claim any id: identify with credentials). */
  readonly clientId: string;
  /** The handshake `auth` payload (socket.io's `auth`): tokens and the like, untrusted. */
  readonly auth: Readonly<Record<string, unknown>>;
}

/** What the join hook is asked about. */
export interface JoinContext {
  readonly session: SessionInfo;
  readonly principal: Principal;
  /** The tree's name. */
  readonly tree: string;
  /** False when the tree does not exist and joining would create it (`createTree`). */
  readonly exists: boolean;
}

/** What the mutate hook is asked about: one proposal, before any of it applies. */
export interface MutateContext {
  readonly session: SessionInfo;
  readonly principal: Principal;
  readonly tree: Tree;
  readonly ops: readonly Op[];
}

/** The kind of one operation, as the per-op hooks see it. */
export type OpKind = 'create' | 'destroy' | 'move' | 'set' | 'add' | 'put' | 'delete' | 'insert' | 'remove' | 'listMove' | 'replace';

/**
 * What the per-op hook is asked about: one operation of a proposal, just before it applies (so
 * objects created earlier in the same proposal exist). Ids are real: temp ids are resolved.
 */
export interface OpContext {
  readonly session: SessionInfo;
  readonly principal: Principal;
  readonly tree: Tree;
  readonly kind: OpKind;
  /** The object the op changes; for a create, the parent it creates under. */
  readonly object: ServerObject;
  /** The type concerned: the created type for a create, else the object's type. */
  readonly type: string;
  /** The attribute, for topic ops. */
  readonly attr?: string;
  /** For a move, the new parent. */
  readonly to?: ServerObject;
  /** The op as applied (ids resolved). */
  readonly op: Op;
}

/** Who sees what: the rules of `Hooks.visibility`. */
export interface VisibilityRules {
  /**
   * Per type name: the scope key of an object of that type, from its state (e.g. its `owner` or
   * `team` attribute); undefined: it has no scope of its own. It may read other objects of the
   * tree through their handles (its parent's `team`, a sibling's attribute, its own children): the
   * server notes what each run read, and runs it again when the object changes or moves, or when
   * one of those objects' values or children change. What it reads outside the tree (a closure's
   * variable, a database) is not watched, nor is the absence of an object (a lookup by an id that
   * does not exist yet): call {@link SyncHost.refreshVisibility} when that changes. It runs on every such change, so keep it cheap. To scope a subtree, give its top
   * object the key; what it holds inherits it. A rule that throws hides the object from everyone.
   */
  readonly scopes: Readonly<Record<string, (object: ServerObject) => string | undefined>>;
  /** Whether a principal may see the objects of a scope (and their subtrees). Cached per session and scope until {@link SyncHost.refreshVisibility}. */
  readonly canSee: (principal: Principal, scope: string) => boolean;
}

/** Per-type rules for {@link Hooks.types}: each answers whether the principal may do it; absent means yes. */
export interface TypeRules {
  /** Create an object of this type (ctx.object is the parent). */
  readonly create?: (ctx: OpContext) => boolean;
  /** Destroy an object of this type (and its subtree). */
  readonly destroy?: (ctx: OpContext) => boolean;
  /** Move an object of this type (ctx.to is the new parent). */
  readonly move?: (ctx: OpContext) => boolean;
  /** Change any attribute of an object of this type; `attrs` can refine per attribute. */
  readonly update?: (ctx: OpContext) => boolean;
  /** Change one attribute (checked after `update`). */
  readonly attrs?: Readonly<Record<string, (ctx: OpContext) => boolean>>;
}

/**
 * Decisions the application makes. Each defaults to yes. A hook that throws refuses (a SyncError
 * keeps its code, anything else is logged and answered INTERNAL); a false answer is FORBIDDEN.
 */
export interface Hooks {
  /**
   * At connection, before anything else: returns the session's principal, or false (or throws a
   * SyncError) to refuse with UNAUTHENTICATED and close the connection. May be async.
   * @example
   * authenticate: async ({ auth }) => {
   *   const user = await verifyToken(auth['token']);
   *   return user === undefined ? false : { id: user.id, roles: user.roles };
   * }
   */
  readonly authenticate?: (ctx: AuthContext) => Principal | false | Promise<Principal | false>;
  /** Whether this principal may join (subscribe to) this tree, or create it when `exists` is false. May be async. */
  readonly canJoin?: (ctx: JoinContext) => boolean | Promise<boolean>;
  /** Whether this session may apply this proposal as a whole; false rejects it with FORBIDDEN. */
  readonly canMutate?: (ctx: MutateContext) => boolean;
  /** Whether this session may apply this one operation; false rejects the whole proposal with FORBIDDEN. */
  readonly canApply?: (ctx: OpContext) => boolean;
  /** Per type name: rules for create, destroy, move and attribute changes (see {@link TypeRules}). */
  readonly types?: Readonly<Record<string, TypeRules>>;
  /**
   * Who sees which objects: per type a scope rule, and whether a principal sees a scope. Clients
   * receive only what they may see, in snapshots and live batches; see {@link VisibilityRules}.
   * @example
   * visibility: {
   *   scopes: { Note: (note) => `team:${note.get('team')}` },
   *   canSee: (principal, scope) => scope === `team:${String(principal['team'])}`,
   * }
   */
  readonly visibility?: VisibilityRules;
}
