/**
 * Scope rules that read other objects than their own: a pin scoped by its board's zone, a crowd
 * member scoped by how many children its board has. A change to what the rule read (the board's
 * zone, a child added or removed, the pin moved) rescopes the reader, as a change to its own
 * values would: it appears and disappears for each client, and no value written while it is out
 * of a client's view reaches that client. Over real socket.io, with every byte written to each
 * client's TCP socket recorded.
 */
import { describe, expect, it } from 'vitest';
import { SyncClient, type Mirror } from '../../client/index.js';
import type { Hooks, Principal, ServerObject, Tree } from '../../server/index.js';
import { defineType, t } from '../../shared/index.js';
import { startServer, until } from './fixtures.js';
import { expectedFor as expectedBy, held, spyOn, visibleTo as visibleToBy } from './visibility-support.js';

const Root = defineType('RRoot', {});
const Zone = defineType('RZone', { zone: t.string(), name: t.string() });
const Pin = defineType('RPin', { text: t.string() });
const Member = defineType('RMember', { text: t.string() });
const Flag = defineType('RFlag', { text: t.string() });
const types = [Root, Zone, Pin, Member, Flag];

/** What a flag's rule looks up by id: the zone whose `zone` it takes (set by the test that uses it). */
let flagSource: (() => ServerObject | undefined) | undefined;

const PEOPLE: Record<string, Principal> = { red: { id: 'ann', team: 'red' }, blue: { id: 'bo', team: 'blue' } };

/** The rules: a pin takes its parent zone's `zone`; a member is red's while its zone has at most 2 children, blue's beyond. */
function scopeOf(object: ServerObject): string | undefined {
  if (object.type.name === 'RPin') {
    const parent = object.parent;
    const zone = parent?.type.name === 'RZone' ? (parent.get('zone' as never) as string) : '';
    return zone === '' ? undefined : `team:${zone}`;
  }
  if (object.type.name === 'RMember') return (object.parent?.children.length ?? 0) <= 2 ? 'team:red' : 'team:blue';
  if (object.type.name === 'RFlag') {
    const source = flagSource?.();
    return source === undefined ? undefined : `team:${source.get('zone' as never) as string}`;
  }
  return undefined;
}
const canSee = (principal: Principal, scope: string): boolean => scope === `team:${String(principal['team'])}`;
const hooks: Hooks = { authenticate: ({ auth }) => PEOPLE[String(auth['who'])] ?? false, visibility: { scopes: { RPin: scopeOf, RMember: scopeOf, RFlag: scopeOf }, canSee } };

const visibleTo = (principal: Principal, object: ServerObject | null): boolean => visibleToBy(scopeOf, canSee, principal, object);
const expectedFor = (tree: Tree, principal: Principal): Record<number, unknown> => expectedBy(tree, (o) => visibleTo(principal, o));

async function setup(): Promise<{ tree: Tree; frames: Map<string, string[]>; mirrors: Record<'red' | 'blue', Mirror> }> {
  const { server, url } = await startServer({ types, hooks, flush: { mode: 'tick' } });
  const frames = spyOn(server);
  const tree = server.tree('r', Root);
  const join = async (who: string): Promise<Mirror> => {
    const client = new SyncClient({ url, types, clientId: `${who}-client`, auth: { who }, storage: null });
    return client.join('r');
  };
  return { tree, frames, mirrors: { red: await join('red'), blue: await join('blue') } };
}

/** Waits until both mirrors hold exactly their view of the tree. */
async function converged(tree: Tree, mirrors: Record<'red' | 'blue', Mirror>): Promise<void> {
  for (const who of ['red', 'blue'] as const) {
    const principal = PEOPLE[who] as Principal;
    await until(() => JSON.stringify(held(mirrors[who])) === JSON.stringify(expectedFor(tree, principal)));
  }
}

describe('visibility: scope rules that read other objects', () => {
  it("rescope an object when its parent's value it read changes, or when it moves to another parent", async () => {
    const { tree, frames, mirrors } = await setup();
    const board = tree.root.create(Zone, { zone: 'red', name: 'one' });
    const other = tree.root.create(Zone, { zone: 'blue', name: 'two' });
    const pin = board.create(Pin, { text: 'P1-RED' });
    await converged(tree, mirrors);
    expect(mirrors.red.get(pin.id)).toBeDefined();
    expect(mirrors.blue.get(pin.id)).toBeUndefined();

    // The board turns blue: the pin leaves red's view and enters blue's, with its value of that moment.
    board.attrs.zone.set('blue');
    pin.attrs.text.set('P2-BLUE');
    await converged(tree, mirrors);
    expect(mirrors.red.get(pin.id)).toBeUndefined();
    expect(mirrors.blue.get(pin.id)?.get('text' as never)).toBe('P2-BLUE');

    // Back to red, in one transaction with a write that only red may see.
    tree.transact(() => {
      board.attrs.zone.set('red');
      pin.attrs.text.set('P3-RED');
    });
    await converged(tree, mirrors);
    expect(mirrors.red.get(pin.id)?.get('text' as never)).toBe('P3-RED');

    // A move to the blue board rescopes it too (it arrives with its value of that moment); so does a
    // change to the new parent afterwards.
    pin.attrs.text.set('P3-MOVED');
    pin.move(other);
    pin.attrs.text.set('P4-BLUE');
    await converged(tree, mirrors);
    expect(mirrors.blue.get(pin.id)?.get('text' as never)).toBe('P4-BLUE');
    pin.attrs.text.set('P5-ALL');
    other.attrs.zone.set('');
    await converged(tree, mirrors);
    expect(mirrors.red.get(pin.id)?.get('text' as never)).toBe('P5-ALL');
    expect(mirrors.blue.get(pin.id)).toBeDefined();

    // Each client got the pin's values of the moments it could see it, and none written while it could not.
    const red = (frames.get('red-client') ?? []).join('');
    const blue = (frames.get('blue-client') ?? []).join('');
    expect(red).toContain('P1-RED');
    expect(red).not.toContain('P2-BLUE');
    expect(blue).toContain('P2-BLUE');
    expect(blue).not.toContain('P3-RED');
    expect(red).not.toContain('P4-BLUE');
  });

  it('rescope an object when the children of its parent, which it read, change', async () => {
    const { tree, frames, mirrors } = await setup();
    const board = tree.root.create(Zone, { zone: '', name: 'crowd' });
    const a = board.create(Member, { text: 'A1' });
    const b = board.create(Member, { text: 'B1' });
    await converged(tree, mirrors);
    expect([mirrors.red.get(a.id), mirrors.red.get(b.id)].every((m) => m !== undefined)).toBe(true);

    // A third child makes every member blue's.
    const c = board.create(Member, { text: 'C1' });
    a.attrs.text.set('A2-BLUE');
    await converged(tree, mirrors);
    expect(mirrors.red.get(a.id)).toBeUndefined();
    expect(mirrors.blue.get(a.id)?.get('text' as never)).toBe('A2-BLUE');

    // Destroying one brings them back to red, with the value of that moment.
    a.attrs.text.set('A3');
    c.destroy();
    await converged(tree, mirrors);
    expect(mirrors.red.get(a.id)?.get('text' as never)).toBe('A3');
    expect((frames.get('red-client') ?? []).join('')).not.toContain('A2-BLUE');
  });

  it('rescope an object whose rule read another by id when a destroy of its ancestor takes it', async () => {
    const { tree, frames, mirrors } = await setup();
    const outer = tree.root.create(Zone, { zone: 'red' });
    const inner = outer.create(Zone, { zone: 'blue' });
    flagSource = () => tree.get(inner.id);
    try {
      const flag = tree.root.create(Flag, { text: 'F1-BLUE' });
      await converged(tree, mirrors);
      expect(mirrors.red.get(flag.id)).toBeUndefined();
      expect(mirrors.blue.get(flag.id)).toBeDefined();
      // The rule read `inner`; destroying `outer` takes `inner` with it: the flag loses its scope.
      flag.attrs.text.set('F2-ALL');
      outer.destroy();
      await converged(tree, mirrors);
      expect(mirrors.red.get(flag.id)?.get('text' as never)).toBe('F2-ALL');
      expect((frames.get('red-client') ?? []).join('')).not.toContain('F1-BLUE');
    } finally {
      flagSource = undefined;
    }
  });

  it('never leaks, and every mirror converges, under random zone changes, moves, creates and writes', async () => {
    const { tree, frames, mirrors } = await setup();
    let seed = Number(process.env['TREESYNC_SEED'] ?? Date.now() % 100_000);
    console.log(`visibility reads seed ${seed} (TREESYNC_SEED to replay)`);
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
    const zones = ['', 'red', 'blue'];
    const boards: ServerObject[] = [tree.root.create(Zone, { zone: 'red' }), tree.root.create(Zone, { zone: 'blue' })];
    const pins: ServerObject[] = [];
    // Each marker, and who could ever see its pin from when it was written on.
    const markers = new Map<string, { pin: ServerObject; seen: Set<string> }>();
    let counter = 0;
    const observe = (): void => {
      for (const entry of markers.values()) {
        if (!entry.pin.alive) continue;
        for (const who of ['red', 'blue']) if (visibleTo(PEOPLE[who] as Principal, entry.pin)) entry.seen.add(who);
      }
    };
    for (let step = 0; step < 300; step++) {
      const r = rnd();
      if (r < 0.1) boards.push(pick([tree.root, ...boards.filter((x) => x.alive)]).create(Zone, { zone: pick(zones) }));
      else if (r < 0.25) pins.push(pick(boards.filter((x) => x.alive)).create(Pin, {}));
      else if (r < 0.45) pick(boards.filter((x) => x.alive)).attrs['zone']?.set(pick(zones));
      else if (r < 0.6) {
        const live = pins.filter((p) => p.alive);
        if (live.length > 0) pick(live).move(pick([tree.root, ...boards.filter((x) => x.alive)]));
      } else if (r < 0.65) {
        const live = pins.filter((p) => p.alive);
        if (live.length > 0) pick(live).destroy();
      } else {
        const live = pins.filter((p) => p.alive);
        if (live.length > 0) {
          const pin = pick(live);
          const marker = `Q${++counter}Z`;
          markers.set(marker, { pin, seen: new Set() });
          pin.attrs['text']?.set(marker);
        }
      }
      observe();
      if (step % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await converged(tree, mirrors);
    let checked = 0;
    for (const who of ['red', 'blue']) {
      const bytes = (frames.get(`${who}-client`) ?? []).join('');
      for (const [marker, entry] of markers) {
        if (entry.seen.has(who)) continue;
        checked++;
        expect(bytes.includes(marker), `${who} received ${marker}, whose pin it could never see`).toBe(false);
      }
    }
    expect(checked).toBeGreaterThan(10);
  });
});
