/**
 * Error codes, the one error class, and the invariant helpers.
 * Code matches on `code`, never on message text.
 */

/** Every error code treesync produces, on the server, the client and the wire. */
export const ErrorCode = {
  /** A message did not parse: wrong shape, wrong types, forbidden keys. */
  BAD_MESSAGE: 'BAD_MESSAGE',
  /** An event name the protocol does not define. */
  UNKNOWN_MESSAGE: 'UNKNOWN_MESSAGE',
  /** A message, string or value exceeded a size limit. */
  TOO_LARGE: 'TOO_LARGE',
  /** The peer speaks another protocol version. */
  PROTOCOL_VERSION: 'PROTOCOL_VERSION',
  /** The tree does not exist on the server. */
  UNKNOWN_TREE: 'UNKNOWN_TREE',
  /** The session sent a proposal for a tree it has not joined. */
  NOT_JOINED: 'NOT_JOINED',
  /** A type name or index that is not registered. */
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  /** An object id that does not exist in the tree. */
  UNKNOWN_OBJECT: 'UNKNOWN_OBJECT',
  /** An attribute that the object's type does not declare. */
  UNKNOWN_ATTRIBUTE: 'UNKNOWN_ATTRIBUTE',
  /** An operation that the attribute's kind does not accept (add on a string, ...). */
  WRONG_KIND: 'WRONG_KIND',
  /** A value that does not match the attribute's kind (or is not JSON). */
  BAD_VALUE: 'BAD_VALUE',
  /**
   * A value of the right kind that breaks a rule of its attribute (a length, a bound, a pattern, an
   * enumeration, a count, a custom validator); `ref` is the attribute, the message names the rule.
   */
  INVALID: 'INVALID',
  /** An index or count outside the list or the children. */
  BAD_INDEX: 'BAD_INDEX',
  /** A dict key that is forbidden or absent. */
  BAD_KEY: 'BAD_KEY',
  /** A structural operation that would break the tree (destroying the root, moving into itself). */
  BAD_PARENT: 'BAD_PARENT',
  /** Another connection with the same client id took over; this one is closed. */
  SUPERSEDED: 'SUPERSEDED',
  /**
   * A resent proposal whose answer the server no longer holds: it may or may not have been applied.
   * The client rejoins (its mirror then shows which).
   */
  OUTCOME_UNKNOWN: 'OUTCOME_UNKNOWN',
  /** A hook refused the action. */
  FORBIDDEN: 'FORBIDDEN',
  /** The handshake's credentials were refused by the server's authenticate hook; the connection is closed. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** A session sent more than its rate limit allows; the message was not processed. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** A tree already holds its maximum number of objects. */
  TREE_FULL: 'TREE_FULL',
  /** The client did not read fast enough: its outgoing buffer passed the server's bound, and it was disconnected. */
  SLOW_CLIENT: 'SLOW_CLIENT',
  /** The connection dropped before the outcome was known. */
  CONNECTION_LOST: 'CONNECTION_LOST',
  /** The client or mirror was closed. */
  CLOSED: 'CLOSED',
  /** A bug: an invariant did not hold. */
  INTERNAL: 'INTERNAL',
} as const;

/** One of the {@link ErrorCode} values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const CODES = new Set<string>(Object.values(ErrorCode));

/** Whether a string is one of the known error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && CODES.has(value);
}

/** The error shape on the wire: `{ code, message, ref }`. */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  /** What the error refers to: an attribute name, an object id, an event name. */
  readonly ref?: string | number;
}

/**
 * The one error class of treesync.
 * @example
 * try { obj.attrs.value.add(1) } catch (e) { if (e instanceof SyncError && e.code === 'WRONG_KIND') ... }
 */
export class SyncError extends Error {
  override readonly name = 'SyncError';
  readonly code: ErrorCode;
  readonly ref: string | number | undefined;

  constructor(code: ErrorCode, message: string, options?: { ref?: string | number | undefined; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.ref = options?.ref;
  }

  /** The wire form of this error. */
  toWire(): WireError {
    return this.ref === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, ref: this.ref };
  }

  /** Rebuilds a SyncError from its wire form. */
  static fromWire(wire: WireError): SyncError {
    return new SyncError(wire.code, wire.message, { ref: wire.ref });
  }
}

/** Throws an INTERNAL SyncError when an invariant does not hold. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new SyncError(ErrorCode.INTERNAL, `invariant failed: ${message}`);
}

/** Marks the end of an exhaustive switch; the compiler proves it unreachable. */
export function unreachable(value: never): never {
  let shown: string;
  try {
    shown = JSON.stringify(value);
  } catch {
    shown = typeof value;
  }
  throw new SyncError(ErrorCode.INTERNAL, `unreachable: ${shown}`);
}

/** Shorthand to throw a coded error. */
export function fail(code: ErrorCode, message: string, ref?: string | number): never {
  throw new SyncError(code, message, { ref });
}
