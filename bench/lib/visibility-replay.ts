/**
 * A reference replay of one client's stream for the visibility bench: the objects its `joined`
 * snapshot and `b` batches gave it (parent, children in order, and Item.value), independent of
 * client/. The load clients that speak the protocol by hand are checked through it; the
 * SyncClients are checked through their real mirrors as well.
 *
 * Flat typed arrays by object id (ids are small integers here): 200 replays take every op of the
 * unfiltered cases, 200,000 a second on the load process's one core, which must keep up.
 */
import { OP, type Op } from '../../shared/index.js';
import { ITEM_TYPE, VALUE_ATTR } from './visibility-model.js';

const ABSENT = -2;
const VALUE_NAME = 'value';

export class Replay {
  #parent = new Int32Array(0).fill(ABSENT);
  #value = new Float64Array(0);
  #children: (number[] | undefined)[] = [];
  #size = 0;

  /** How many objects it holds. */
  get size(): number {
    return this.#size;
  }

  has(id: number): boolean {
    return id >= 0 && id < this.#parent.length && (this.#parent[id] ?? ABSENT) !== ABSENT;
  }

  /** An object's parent (-1 for the root), children and Item.value (NaN for other types); undefined when it does not hold it. */
  get(id: number): { readonly parent: number; readonly children: readonly number[]; readonly value: number } | undefined {
    if (!this.has(id)) return undefined;
    return { parent: this.#parent[id] ?? ABSENT, children: this.#children[id] ?? [], value: this.#value[id] ?? NaN };
  }

  #grow(id: number): void {
    if (id < this.#parent.length) return;
    const size = Math.max(id + 1, this.#parent.length * 2, 1024);
    const parent = new Int32Array(size).fill(ABSENT);
    parent.set(this.#parent);
    const value = new Float64Array(size).fill(NaN);
    value.set(this.#value);
    this.#parent = parent;
    this.#value = value;
  }

  #add(id: number, parent: number, value: unknown, index: number): void {
    this.#grow(id);
    if (!this.has(id)) this.#size++;
    this.#parent[id] = parent;
    this.#value[id] = typeof value === 'number' ? value : NaN;
    if (parent >= 0) {
      const siblings = (this.#children[parent] ??= []);
      if (index < 0 || index >= siblings.length) siblings.push(id);
      else siblings.splice(index, 0, id);
    }
  }

  /** Starts over from a `joined` snapshot, read as wire objects (`unflattenSnapshot`): `[id, typeIndex, parent (-1: root), values by index]`, parents first, in tree order. */
  reset(snapshot: readonly (readonly [number, number, number, readonly unknown[]])[]): void {
    this.#parent.fill(ABSENT);
    this.#children = [];
    this.#size = 0;
    for (const [id, typeIndex, parent, values] of snapshot) this.#add(id, parent, typeIndex === ITEM_TYPE ? values[VALUE_ATTR] : undefined, -1);
  }

  /** Applies one op of a batch (the ops the bench's server makes: value sets, creates, destroys, moves). */
  apply(op: Op): void {
    switch (op[0]) {
      case OP.set:
        // Only items have a number there (NaN marks the other types).
        if (op[2] === VALUE_ATTR && this.has(op[1]) && !Number.isNaN(this.#value[op[1]])) this.#value[op[1]] = op[3] as number;
        return;
      case OP.create:
        this.#add(op[1], op[3], op[2] === ITEM_TYPE ? op[5][VALUE_NAME] : undefined, op[4]);
        return;
      case OP.destroy:
        this.#detach(op[1]);
        this.#drop(op[1]);
        return;
      case OP.move: {
        if (!this.has(op[1])) return;
        const value = this.#value[op[1]];
        this.#detach(op[1]);
        this.#size--;
        this.#add(op[1], op[2], value, op[3]);
        return;
      }
      default:
        return;
    }
  }

  #detach(id: number): void {
    const siblings = this.has(id) ? this.#children[this.#parent[id] ?? ABSENT] : undefined;
    const at = siblings?.indexOf(id) ?? -1;
    if (at >= 0) siblings?.splice(at, 1);
  }

  #drop(id: number): void {
    if (!this.has(id)) return;
    this.#parent[id] = ABSENT;
    this.#size--;
    const children = this.#children[id] ?? [];
    this.#children[id] = undefined;
    for (const child of children) this.#drop(child);
  }
}
