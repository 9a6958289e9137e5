/**
 * One session's view of a tree's scopes: its cached verdict per scope key and per chain of keys
 * (an object's path), and how far the stream it was sent reaches.
 */
import type { Principal, VisibilityRules } from './hooks.js';

/** The scope keys on an object's path, root first; interned per tree. */
export interface Chain {
  readonly id: number;
  readonly keys: readonly string[];
}

/** The scope of an object whose rule threw or returned junk: nobody sees it. */
export const HIDDEN = '\u0000hidden';

/** One session's view of a tree's scopes: cached verdicts, and the seq of the last batch it was sent. */
export class Viewer {
  readonly #keys = new Map<string, boolean>();
  readonly #chains = new Map<number, boolean>();
  /** The last seq this session's stream covered. */
  sentSeq = 0;

  constructor(
    /** The session it belongs to. */
    readonly owner: object,
    readonly principal: () => Principal,
    readonly rules: VisibilityRules,
    readonly onError: (error: unknown) => void,
  ) {}

  /** Whether the session may see objects on this chain. */
  sees(chain: Chain): boolean {
    let verdict = this.#chains.get(chain.id);
    if (verdict === undefined) {
      verdict = chain.keys.every((key) => this.seesKey(key));
      this.#chains.set(chain.id, verdict);
    }
    return verdict;
  }

  seesKey(key: string): boolean {
    let verdict = this.#keys.get(key);
    if (verdict === undefined) {
      try {
        verdict = key !== HIDDEN && this.rules.canSee(this.principal(), key);
      } catch (error) {
        // Fail closed: a rule that throws shows nothing.
        this.onError(error);
        verdict = false;
      }
      this.#keys.set(key, verdict);
    }
    return verdict;
  }

  #signature: string | undefined;
  #signedKeys = -1;

  /**
   * The viewer's verdicts on every key of `keys` (the tree's), as a string: viewers with the same
   * signature receive the same stream of any transaction, so it is computed (and encoded) once.
   */
  signature(keys: ReadonlySet<string>): string {
    if (this.#signature === undefined || this.#signedKeys !== keys.size) {
      let sig = '';
      for (const key of keys) sig += this.seesKey(key) ? '1' : '0';
      this.#signature = sig;
      this.#signedKeys = keys.size;
    }
    return this.#signature;
  }

  /** Forgets every verdict (the principal or the rules' inputs changed). */
  reset(): void {
    this.#keys.clear();
    this.#chains.clear();
    this.#signature = undefined;
  }
}
