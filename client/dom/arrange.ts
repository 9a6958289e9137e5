/**
 * Putting a container's managed children in a wanted order with the fewest DOM moves: the children
 * that already stand in a longest increasing run stay where they are, every other one is inserted once.
 */

/**
 * Marks the entries of a longest strictly increasing subsequence of `seq`, ignoring negative
 * entries (which stand for "not there yet"). O(n log n).
 * @example
 * longestIncreasing([2, 0, 1, -1, 3]); // [false, true, true, false, true]
 */
export function longestIncreasing(seq: readonly number[]): boolean[] {
  const keep = new Array<boolean>(seq.length).fill(false);
  // tails[k]: index into seq of the smallest tail of an increasing run of length k + 1.
  const tails: number[] = [];
  const prev = new Array<number>(seq.length).fill(-1);
  for (let i = 0; i < seq.length; i++) {
    const v = seq[i] ?? -1;
    if (v < 0) continue;
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((seq[tails[mid] ?? 0] ?? -1) < v) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1] ?? -1;
    tails[lo] = i;
  }
  for (let i = tails.at(-1) ?? -1; i >= 0; i = prev[i] ?? -1) keep[i] = true;
  return keep;
}

/**
 * Makes `nodes` appear in this order in `container`, moving as few of them as possible. Nodes
 * elsewhere (or nowhere) are inserted; children of `container` not in `nodes` stay in place, and
 * the managed run ends where the last managed child stood (at the end when there was none).
 * @example
 * arrange(ul, [c, a, b]); // from <ul>a b c</ul>: moves only c
 */
export function arrange(container: Node, nodes: readonly Node[]): void {
  const position = new Map<Node, number>();
  let i = 0;
  for (let child = container.firstChild; child !== null; child = child.nextSibling) position.set(child, i++);
  const at = new Array<number>(nodes.length);
  let last: Node | null = null;
  let lastAt = -1;
  for (let j = 0; j < nodes.length; j++) {
    const node = nodes[j];
    const p = node === undefined ? -1 : (position.get(node) ?? -1);
    at[j] = p;
    if (p > lastAt) {
      lastAt = p;
      last = node ?? null;
    }
  }
  const keep = longestIncreasing(at);
  // Not a managed node, so it stays put while the others move.
  let anchor: Node | null = last === null ? null : last.nextSibling;
  for (let j = nodes.length - 1; j >= 0; j--) {
    const node = nodes[j];
    if (node === undefined) continue;
    if (keep[j] !== true) container.insertBefore(node, anchor);
    anchor = node;
  }
}
