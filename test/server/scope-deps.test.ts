/**
 * What a scope rule that reads other objects costs, in process (a Tree and its TreeVisibility): how
 * often rules run per op, and that the record of what they read forgets destroyed readers.
 */
import { describe, expect, it } from 'vitest';
import type { VisibilityRules } from '../../server/hooks.js';
import type { Node } from '../../server/node.js';
import { ScopeDependencies } from '../../server/scope-deps.js';
import type { ServerObject } from '../../server/types.js';
import { TreeVisibility } from '../../server/visibility.js';
import { Folder, Item, newTree } from './support.js';

/** A tree whose items are scoped by `rule`, counting the rule's runs. */
function counted(rule: (object: ServerObject) => string | undefined): { tree: ReturnType<typeof newTree>; runs: () => number } {
  let runs = 0;
  const rules: VisibilityRules = { scopes: { Item: (o) => ((runs += 1), rule(o)) }, canSee: () => true };
  const tree = newTree();
  const visibility = new TreeVisibility(tree, rules, () => undefined);
  tree.observer = visibility;
  tree.on('commit', (firstSeq, ops, origin) => void visibility.commit(firstSeq, ops, origin));
  return { tree, runs: () => runs };
}

describe('scope rules that read other objects', () => {
  it("cost a few runs per op when they read their parent's value: a structural change to the parent rescopes none of its items", () => {
    const { tree, runs } = counted((o) => `k:${String(o.parent?.get('name' as never))}`);
    const folder = tree.root.create(Folder, { name: 'f' });
    for (let i = 0; i < 1000; i++) folder.create(Item, {});
    const items = folder.children;
    const cost = (fn: () => void): number => {
      const before = runs();
      fn();
      return runs() - before;
    };
    // Each is the op's own object and its commit: a handful, not the 1,000 siblings.
    expect(cost(() => folder.create(Item, {}))).toBeLessThan(10);
    expect(cost(() => items[0]?.destroy())).toBeLessThan(10);
    expect(cost(() => items[1]?.move(folder, 0))).toBeLessThan(10);
    expect(cost(() => items[2]?.attrs['title']?.set('x'))).toBeLessThan(10);
    // The parent's name is what they read: every item is rescoped.
    expect(cost(() => folder.attrs.name.set('g'))).toBeGreaterThanOrEqual(1000);
  });

  it('forget destroyed readers once their transaction ends', () => {
    const tree = newTree();
    const folder = tree.root.create(Folder, { name: 'f' });
    const items = Array.from({ length: 3 }, () => folder.create(Item, {}));
    const deps = new ScopeDependencies();
    const node = (o: ServerObject): Node => (o as unknown as { node: Node }).node;
    const rule = (o: ServerObject): unknown => o.parent?.get('name' as never);
    for (const item of items) deps.run(node(item), rule, item);
    expect(deps.empty).toBe(false);
    expect(deps.readersOf(node(folder), 1)).toHaveLength(3);
    deps.begin();
    const gone = node(folder);
    folder.destroy();
    // Mid-transaction a dead reader is skipped, not forgotten: a rollback could bring it back.
    expect(deps.readersOf(gone, 1)).toHaveLength(0);
    deps.settle(() => undefined, [gone]);
    expect(deps.empty).toBe(true);
    // A dead node's rule may still run (for its key before the transaction): it records nothing.
    const dead = items[0] as ServerObject;
    deps.run(node(dead), rule, dead);
    expect(deps.empty).toBe(true);
  });
});
