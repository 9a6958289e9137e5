/** Server hooks: the seams for access control. */
import type { Op } from '../shared/index.js';
import type { Tree } from './tree.js';

/** Who is on the other end of a session. */
export interface SessionInfo {
  /** The connection's id. */
  readonly id: string;
  /** The client's stable GUID. */
  readonly clientId: string;
  /** The handshake auth the client sent (untrusted input). */
  readonly auth: Readonly<Record<string, unknown>>;
}

/** What the join hook is asked about. */
export interface JoinContext {
  readonly session: SessionInfo;
  readonly tree: string;
}

/** What the mutate hook is asked about: one proposal, before any of it applies. */
export interface MutateContext {
  readonly session: SessionInfo;
  readonly tree: Tree;
  readonly ops: readonly Op[];
}

/** Decisions the application makes. Each defaults to yes. */
export interface Hooks {
  /** Whether this session may join (subscribe to) this tree. */
  canJoin?(ctx: JoinContext): boolean;
  /** Whether this session may apply this proposal; false rejects it with FORBIDDEN. */
  canMutate?(ctx: MutateContext): boolean;
}
