/**
 * Visibility across one transaction's structural changes, for clients whose stream is filtered:
 * an object made and destroyed within it, an object moved into a parent made within it, an object
 * made in a nested transaction that rolled back, and a rule-reader destroyed before what it read
 * changed. Each client must end exactly with its view, receive nothing it may not see, and never
 * need a resync (a batch that does not apply to its mirror is logged as a warning).
 */
import { describe, expect, it } from 'vitest';
import { SyncClient, type Mirror } from '../../client/index.js';
import type { Hooks, Principal, ServerObject, Tree } from '../../server/index.js';
import { defineType, t } from '../../shared/index.js';
import { startServer, until } from './fixtures.js';
import { expectedFor as expectedBy, held, spyOn, visibleTo as visibleToBy } from './visibility-support.js';

const Root = defineType('TRoot', {});
const Zone = defineType('TZone', { zone: t.string() });
const Pin = defineType('TPin', { text: t.string() });
const Flag = defineType('TFlag', { text: t.string() });
const types = [Root, Zone, Pin, Flag];
let flagSource: (() => ServerObject | undefined) | undefined;
const PEOPLE: Record<string, Principal> = { red: { id: 'ann', team: 'red' }, blue: { id: 'bo', team: 'blue' } };
function scopeOf(o: ServerObject): string | undefined {
  if (o.type.name === 'TZone') { const z = o.get('zone' as never) as string; return z === '' ? undefined : `team:${z}`; }
  if (o.type.name === 'TPin') { const p = o.parent; const z = p?.type.name === 'TZone' ? (p.get('zone' as never) as string) : ''; return z === '' ? undefined : `team:${z}`; }
  if (o.type.name === 'TFlag') { const s = flagSource?.(); return s === undefined ? undefined : `team:${s.get('zone' as never) as string}`; }
  return undefined;
}
const canSee = (p: Principal, scope: string): boolean => scope === `team:${String(p['team'])}`;
const hooks: Hooks = { authenticate: ({ auth }) => PEOPLE[String(auth['who'])] ?? false, visibility: { scopes: { TZone: scopeOf, TPin: scopeOf, TFlag: scopeOf }, canSee } };
const expectedFor = (tree: Tree, p: Principal) => expectedBy(tree, (o) => visibleToBy(scopeOf, canSee, p, o));

async function setup() {
  const { server, url } = await startServer({ types, hooks, flush: { mode: 'tick' } });
  const frames = spyOn(server);
  const tree = server.tree('h', Root);
  const warnings: string[] = [];
  const join = (who: string): Promise<Mirror> =>
    new SyncClient({ url, types, clientId: `${who}-client`, auth: { who }, storage: null, logger: { warn: (m) => void warnings.push(`${who}: ${m}`) } }).join('h');
  const mirrors = { red: await join('red'), blue: await join('blue') };
  const converged = async (): Promise<void> => {
    for (const who of ['red', 'blue'] as const) await until(() => JSON.stringify(held(mirrors[who])) === JSON.stringify(expectedFor(tree, PEOPLE[who] as Principal)), 1_000);
  };
  return { tree, frames, mirrors, warnings, converged };
}

describe('visibility within one transaction', () => {
  it('an object created and destroyed in one transaction under a hidden parent is not sent to who cannot see it', async () => {
    const { tree, frames, converged, warnings } = await setup();
    const hidden = tree.root.create(Zone, { zone: 'blue' });
    await converged();
    tree.transact(() => {
      const pin = hidden.create(Pin, { text: 'SECRET-TRANSIENT' });
      pin.attrs.text.set('SECRET-WRITE');
      pin.destroy();
    });
    tree.root.create(Zone, { zone: '' });
    await converged();
    const red = (frames.get('red-client') ?? []).join('');
    expect(red).not.toContain('SECRET-TRANSIENT');
    expect(red).not.toContain('SECRET-WRITE');
    expect(warnings).toEqual([]);
  });

  it('an object the client holds, moved into a parent created (or appearing) in the same transaction, arrives as a move, not a second create', async () => {
    const { tree, converged, warnings } = await setup();
    // A key red does not see: red's stream is filtered.
    tree.root.create(Zone, { zone: 'blue' });
    const a = tree.root.create(Zone, { zone: '' });
    const x = a.create(Pin, { text: 'x' });
    await converged();
    tree.transact(() => x.move(tree.root.create(Zone, { zone: '' })));
    await converged();
    await new Promise((r) => setTimeout(r, 100));
    expect(warnings).toEqual([]);
  });

  it('an object created, touched and rolled back in a nested transaction is not destroyed for clients that never had it', async () => {
    const { tree, converged, warnings } = await setup();
    tree.root.create(Zone, { zone: 'blue' });
    const a = tree.root.create(Zone, { zone: '' });
    await converged();
    tree.transact(() => {
      try {
        tree.transact(() => {
          a.create(Pin, { text: 'gone' }).attrs.text.set('still gone');
          throw new Error('nested');
        });
      } catch {
        // The outer transaction commits.
      }
      a.attrs.zone.set("");
    });
    await converged();
    await new Promise((r) => setTimeout(r, 100));
    expect(warnings).toEqual([]);
  });

  it("a reader destroyed before what it read changes (same transaction) is destroyed for the clients that saw it", async () => {
    const { tree, mirrors, converged } = await setup();
    const source = tree.root.create(Zone, { zone: 'red' });
    flagSource = () => tree.get(source.id);
    try {
      const flag = tree.root.create(Flag, { text: 'F' });
      await converged();
      expect(mirrors.red.get(flag.id)).toBeDefined();
      tree.transact(() => {
        flag.destroy();
        source.attrs.zone.set('blue');
      });
      // Red must lose the flag (it kept a dead one).
      await converged();
    } finally {
      flagSource = undefined;
    }
  });
});
