/**
 * What the visibility bench's processes agree on (bench/visibility.ts, visibility-server.ts,
 * visibility-clients.ts): the tree, the cases, and the shapes of their IPC messages.
 *
 * The tree: a BenchRoot holding GROUPS Folders (team 'g0'..'g9'), each holding ITEMS_PER_GROUP
 * Items (the fan-out bench's Item: a number `value` that carries the server's send timestamp, and
 * a string `label`): 1,000 objects that change, as in the fan-out bench.
 */
import { defineType, t } from '../../shared/index.js';
import { BenchRoot, Item } from './model.js';

/** A folder: its `team` is its visibility scope (in the filtered cases). */
export const Folder = defineType('Folder', { name: t.string(), team: t.string() });
/** Every type of the visibility tree, in wire order. */
export const VIS_TYPES = [BenchRoot, Folder, Item] as const;
/** Item's wire index. */
export const ITEM_TYPE = VIS_TYPES.indexOf(Item);
/** The attribute index of Item.value in a set op. */
export const VALUE_ATTR = Item.attrNames.indexOf('value');

export const VIS_TREE = 'vis';
export const GROUPS = 10;
export const ITEMS_PER_GROUP = 100;

/** The team (and scope) of group g. */
export function team(g: number): string {
  return `g${g}`;
}

/** The group of load client i: round-robin, so that every group has clients early and late in the connection order. */
export function groupOfClient(i: number): number {
  return i % GROUPS;
}

/**
 * The measured cases:
 * - floor: the same mutations on a tree no client joined (the generator, the tree and idle
 *   connections: what every other case pays before it sends anything);
 * - unfiltered: no visibility hook; every client sees everything (the baseline);
 * - groups: scope per Folder = its team; each client's principal sees one team;
 * - all-visible: the same scopes, but canSee is always true (the cost of tracking alone);
 * - moves: as groups, and MOVE_SHARE of the mutations move an item to another folder (objects
 *   disappear for one group and appear, with their values, for another).
 */
export const CASES = ['floor', 'unfiltered', 'groups', 'all-visible', 'moves'] as const;
export type Case = (typeof CASES)[number];

/** The share of mutations that are moves in the `moves` case. */
export const MOVE_SHARE = 0.05;

/** Per case: what it is called in the report, and whether clients see only their own group. */
export const CASE_INFO: Readonly<Record<Case, { readonly label: string; readonly filtered: boolean; readonly visibility: boolean }>> = {
  floor: { label: '(0) floor: mutations on a tree no client joined', filtered: false, visibility: false },
  unfiltered: { label: '(a) unfiltered: no visibility hook', filtered: false, visibility: false },
  groups: { label: '(b) 10 groups: each client sees 1 group', filtered: true, visibility: true },
  'all-visible': { label: '(c) visibility on, canSee always true', filtered: false, visibility: true },
  moves: { label: `(d) 10 groups + ${MOVE_SHARE * 100}% moves between folders`, filtered: true, visibility: true },
};

/** The tree as built: per group, its folder's id and its items' ids (in order). */
export interface Layout {
  readonly folders: readonly number[];
  readonly items: readonly (readonly number[])[];
}

/** The tree at the end of a run, as the server holds it: what every mirror must converge to. */
export interface Truth {
  /** The tree's last seq. */
  readonly seq: number;
  /** Per group: its folder's id and its children's ids, in order. */
  readonly folders: readonly { readonly id: number; readonly children: readonly number[] }[];
  /** Each item's value, by id. */
  readonly values: Readonly<Record<number, number>>;
}

/** What the visibility server reports for its measurement window. */
export interface VisServerReport {
  readonly type: 'report';
  /** Mutations made in the window (value sets and moves). */
  readonly mutations: number;
  readonly moves: number;
  readonly seconds: number;
  /** user + system CPU time of the server process in the window. */
  readonly cpuUs: number;
  readonly tickP99Ms: number;
  readonly tickMaxMs: number;
  /** Batches flushed in the window (one fan-out flush each). */
  readonly flushes: number;
  /** Encoded sends in the window: one per flush unfiltered, one per audience group under visibility. */
  readonly sends: number;
  /** Sessions addressed by those sends, summed. */
  readonly links: number;
  /** Top self-time frames of the window, with BENCH_PROF=1. */
  readonly profile?: readonly string[];
  readonly truth: Truth;
}

/** What the load-client process reports. */
export interface VisClientsReport {
  readonly type: 'report';
  readonly n: number;
  readonly seconds: number;
  /** WebSocket payload bytes received by all clients in the window. */
  readonly bytes: number;
  /** WebSocket messages received by all clients in the window. */
  readonly frames: number;
  /** `b` batches received by all clients in the window. */
  readonly batches: number;
  /** Ops delivered to all clients in the window (sets, and under moves creates and destroys). */
  readonly ops: number;
  /** Fewest and most ops one client received in the window. */
  readonly minOps: number;
  readonly maxOps: number;
  /** Batches that did not start where the client's stream stood, over the whole run. */
  readonly gaps: number;
  /** `joined` messages beyond each client's first (resyncs), and disconnects. */
  readonly rejoins: number;
  readonly disconnects: number;
  /** Objects of another group received (in snapshots or batches), over the whole run. */
  readonly violations: number;
  readonly violationSamples: readonly string[];
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly cpuShare: number;
  readonly eventLoopP99Ms: number;
  /** How many of the n are SyncClients with mirrors (the rest speak the protocol by hand). */
  readonly mirrors: number;
  /** Clients whose replayed stream (and mirror, for SyncClients) holds exactly what their principal may see of the server's final tree. */
  readonly clientsOk: number;
  readonly problems: readonly string[];
  /** How long after the report was asked the last client converged (or the wait gave up). */
  readonly convergeMs: number;
  /** Top self-time frames of the window, with BENCH_PROF=1. */
  readonly profile?: readonly string[];
}
