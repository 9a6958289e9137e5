/**
 * What the durability bench's processes agree on (bench/durability.ts and its children): the
 * object types, the tree names and sizes, and the shapes of their IPC replies.
 */
import { defineType, t } from '../../shared/index.js';

/** The root of both durability trees. */
export const DurableRoot = defineType('DurableRoot', {});
/** A load client's own card: it proposes `votes.add(1)` on it. */
export const Card = defineType('Card', { title: t.string(), votes: t.number(0), done: t.boolean(false) });
/** An object of the catch-up tree: a type with a few attributes. */
export const Doc = defineType('Doc', { name: t.string(), value: t.number(0), x: t.number(0), tag: t.string('none') });
/** Every type, in wire order. */
export const DURABLE_TYPES = [DurableRoot, Card, Doc] as const;

/** Tree names. */
export const VOTES_TREE = 'votes';
export const CATCHUP_TREE = 'docs';
/** Objects in the catch-up tree (plus its root), and how many of them one round updates (one set each). */
export const CATCHUP_OBJECTS = 10_000;
export const CATCHUP_UPDATES = 100;

/** Where a load server persists. */
export const STORES = ['none', 'memory', 'sqlite'] as const;
export type StoreKind = (typeof STORES)[number];

/** What a load server reports for its measurement window. */
export interface LoadServerReport {
  readonly type: 'report';
  /** Proposals the server applied (one commit, one ack each) in the window. */
  readonly commits: number;
  readonly seconds: number;
  /** user + system CPU time of the server process in the window, µs. */
  readonly cpuUs: number;
  /** Event-loop delay p99 in the window, ms. */
  readonly loopP99Ms: number;
  /** Group commits the store made in the window (the ack barrier), when there is a store. */
  readonly groupCommits: number;
  /** Top self-time functions of a CPU profile of the window (BENCH_PROF=1), as text lines. */
  readonly profile?: readonly string[];
}

/** What the load-client process reports for its measurement window. */
export interface LoadClientsReport {
  readonly type: 'report';
  readonly acks: number;
  readonly rejects: number;
  readonly seconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Scribes received in batches by all clients (every client sees every vote). */
  readonly scribes: number;
  /** CPU of the load-client process over wall time (1 = one core). */
  readonly cpuShare: number;
}

/** One measured join: payload bytes from the join emit until caught up, and the time it took. */
export interface JoinSample {
  readonly bytes: number;
  readonly ms: number;
  /** What the server answered with: a snapshot, or scribes after `since`. */
  readonly via: 'snapshot' | 'scribes';
  /** Scribes received (catch-up) or objects (snapshot). */
  readonly items: number;
  readonly seq: number;
}

/** One catch-up round as the catch-up client measures it. */
export interface CatchupRound {
  /** The first join of the round, before the updates (a full snapshot). */
  readonly initial: JoinSample;
  /** Reconnect and join with since + epoch, after the updates. */
  readonly catchup: JoinSample;
  /** Reconnect and join without since, after the updates: the same tree as a full rejoin. */
  readonly full: JoinSample;
}
