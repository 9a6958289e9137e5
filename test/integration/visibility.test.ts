/**
 * Per-object visibility over real socket.io: filtered snapshots and batches, objects appearing and
 * disappearing as they move or change scope, proposals in terms of what a client sees, and a
 * seeded randomized spy: every byte written to each client's TCP socket is recorded, and no
 * marker of an object the client could never see may appear in it.
 */
import { describe, expect, it } from 'vitest';
import { SyncClient, type Mirror } from '../../client/index.js';
import type { Hooks, Principal, ServerObject, SyncServer, Tree } from '../../server/index.js';
import { ErrorCode, defineType, t, type ObjectId } from '../../shared/index.js';
import { startServer, until } from './fixtures.js';
import { expectedFor as expectedBy, held, spyOn, visibleTo as visibleToBy } from './visibility-support.js';

const Root = defineType('VRoot', { title: t.string() });
const Folder = defineType('VFolder', { name: t.string(), team: t.string() });
const Note = defineType('VNote', { text: t.string(), owner: t.string(), n: t.number() });
const types = [Root, Folder, Note];

const PEOPLE: Record<string, Principal> = {
  red: { id: 'ann', team: 'red' },
  blue: { id: 'bo', team: 'blue' },
  solo: { id: 'cy', team: 'none' },
  red2: { id: 'al', team: 'red' },
  blue2: { id: 'bea', team: 'blue' },
};

function scopeOf(object: ServerObject): string | undefined {
  if (object.type.name === 'VFolder') {
    const team = object.get('team' as never) as string;
    return team === '' ? undefined : `team:${team}`;
  }
  if (object.type.name === 'VNote') {
    const owner = object.get('owner' as never) as string;
    return owner === '' ? undefined : `user:${owner}`;
  }
  return undefined;
}
const canSee = (principal: Principal, scope: string): boolean => scope === `team:${String(principal['team'])}` || scope === `user:${principal.id}`;

const hooks: Hooks = {
  authenticate: ({ auth }) => PEOPLE[String(auth['who'])] ?? false,
  visibility: { scopes: { VFolder: scopeOf, VNote: scopeOf }, canSee },
};

/** The reference: whether a principal may see an object. */
const visibleTo = (principal: Principal, object: ServerObject | null): boolean => visibleToBy(scopeOf, canSee, principal, object);
/** What a principal should hold of the tree. */
const expectedFor = (tree: Tree, principal: Principal): Record<number, unknown> => expectedBy(tree, (o) => visibleTo(principal, o));

async function setup(): Promise<{ server: SyncServer; url: string; tree: Tree; frames: Map<string, string[]> }> {
  const { server, url } = await startServer({ types, hooks, flush: { mode: 'tick' } });
  const frames = spyOn(server);
  const tree = server.tree('v', Root);
  return { server, url, tree, frames };
}

function join(url: string, who: string): { client: SyncClient; mirror: Promise<Mirror> } {
  const client = new SyncClient({ url, types, clientId: `${who}-client`, auth: { who }, storage: null });
  return { client, mirror: client.join('v') };
}

describe('visibility', () => {
  it('sends each client only what it may see: snapshots, live batches, appearing and disappearing objects', async () => {
    const { server, url, tree, frames } = await setup();
    const red = tree.root.create(Folder, { name: 'red', team: 'red' });
    const blue = tree.root.create(Folder, { name: 'blue', team: 'blue' });
    const open = tree.root.create(Folder, { name: 'open' });
    const redNote = red.create(Note, { text: 'SECRET-R1' });
    const blueNote = blue.create(Note, { text: 'SECRET-B1' });
    const mine = open.create(Note, { text: 'SECRET-ANN', owner: 'ann' });
    const a = join(url, 'red');
    const b = join(url, 'blue');
    const ra = await a.mirror;
    const rb = await b.mirror;
    expect(Object.keys(ra.state.objects).map(Number).sort((x, y) => x - y)).toEqual([0, red.id, open.id, redNote.id, mine.id].sort((x, y) => x - y));
    expect(held(rb)).toEqual(expectedFor(tree, PEOPLE['blue'] as Principal));

    // Live: a change in the blue folder reaches blue only.
    blueNote.attrs.text.set('SECRET-B2');
    redNote.attrs.text.set('SECRET-R2');
    await until(() => ra.get(redNote.id)?.get('text' as never) === 'SECRET-R2' && rb.get(blueNote.id)?.get('text' as never) === 'SECRET-B2');
    // A blue note moves into the red folder: it appears for red (with its current values), and disappears for blue.
    const appeared: ObjectId[] = [];
    ra.on('create', (view) => appeared.push(view.id));
    blueNote.move(red, 0);
    await until(() => ra.get(blueNote.id) !== undefined && rb.get(blueNote.id) === undefined);
    expect(appeared).toEqual([blueNote.id]);
    expect(ra.root.children.map((c) => c.id)).toEqual([red.id, open.id]);
    expect(ra.get(red.id)?.children.map((c) => c.id)).toEqual([blueNote.id, redNote.id]);
    // The blue folder turns red: it appears for red with its subtree, and is gone for blue.
    blue.create(Note, { text: 'SECRET-B3' });
    blue.attrs.team.set('red');
    await until(() => ra.get(blue.id) !== undefined && rb.get(blue.id) === undefined);
    for (const [who, mirror] of [['red', ra], ['blue', rb]] as const) {
      await until(() => JSON.stringify(held(mirror)) === JSON.stringify(expectedFor(tree, PEOPLE[who] as Principal)));
    }
    const redBytes = (frames.get('red-client') ?? []).join('');
    expect(redBytes).toContain('SECRET-R2');
    expect(redBytes).not.toContain('SECRET-B1');
    // B2 and B3 reached red with their objects, once those came into red's view.
    expect(redBytes).toContain('SECRET-B2');
    expect(redBytes).toContain('SECRET-B3');
    const blueBytes = (frames.get('blue-client') ?? []).join('');
    for (const marker of ['SECRET-R1', 'SECRET-R2', 'SECRET-ANN']) expect(blueBytes).not.toContain(marker);
    a.client.close();
    b.client.close();
    expect(server.sessionCount).toBeLessThanOrEqual(2);
  });

  it('takes proposals in terms of what the client sees: hidden objects do not exist, indices count visible siblings', async () => {
    const { tree, url } = await setup();
    const red = tree.root.create(Folder, { name: 'red', team: 'red' });
    tree.root.create(Folder, { name: 'blue', team: 'blue' });
    const x = red.create(Note, { text: 'x' });
    const hidden = red.create(Note, { text: 'hidden', owner: 'bo' });
    const y = red.create(Note, { text: 'y' });
    const a = join(url, 'red');
    const mirror = await a.mirror;
    const folder = mirror.get(red.id);
    expect(folder?.children.map((c) => c.id)).toEqual([x.id, y.id]);
    // At visible index 1: between x and y, which on the server is after the hidden note.
    const made = await mirror.view(red.id, Folder).create(Note, { text: 'z' }, 1);
    expect(tree.get(red.id)?.children.map((c) => c.id)).toEqual([x.id, hidden.id, made.id, y.id]);
    expect(mirror.get(red.id)?.children.map((c) => c.id)).toEqual([x.id, made.id, y.id]);
    // A hidden object is unknown, whatever is done with it.
    await expect(mirror.propose([9, hidden.id])).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_OBJECT });
    await expect(mirror.view(y.id, Note).move(hidden.id)).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_OBJECT });
    await until(() => JSON.stringify(held(mirror)) === JSON.stringify(expectedFor(tree, PEOPLE['red'] as Principal)));
    a.client.close();
  });

  it('sends a fresh view when the principal changes (refreshVisibility)', async () => {
    const { server, tree, url } = await setup();
    tree.root.create(Folder, { name: 'red', team: 'red' });
    const blue = tree.root.create(Folder, { name: 'blue', team: 'blue' });
    const a = join(url, 'red');
    const mirror = await a.mirror;
    expect(mirror.get(blue.id)).toBeUndefined();
    const session = [...server.host.sessions][0];
    if (session === undefined) throw new Error('no session');
    session.principal = { id: 'ann', team: 'blue' };
    server.host.refreshVisibility(session);
    await until(() => mirror.get(blue.id) !== undefined);
    expect(held(mirror)).toEqual(expectedFor(tree, session.principal));
    a.client.close();
  });

  it('groups sessions with the same verdicts into one audience, and stays exact when sessions leave or new keys split audiences between commits of one batch, and when a principal changes mid-turn', async () => {
    const { server, tree, url, frames } = await setup();
    const red = tree.root.create(Folder, { name: 'red', team: 'red' });
    const blue = tree.root.create(Folder, { name: 'blue', team: 'blue' });
    const redNote = red.create(Note, { text: 'SECRET-R0' });
    const blueNote = blue.create(Note, { text: 'b0' });
    const who = ['red', 'red2', 'blue', 'blue2'] as const;
    const clients = who.map((w) => join(url, w));
    const mirrors = await Promise.all(clients.map((c) => c.mirror));
    const sessionOf = (clientId: string) => [...server.host.sessions].find((s) => s.clientId === clientId);
    const visibility = server.host.visibilityOf(tree);
    // Two audiences: red with red2, blue with blue2 (the tree's keys are team:red and team:blue).
    expect(visibility?.partition().audiences.length).toBe(2);
    const blue2 = sessionOf('blue2-client');
    const red2 = sessionOf('red2-client');
    if (blue2 === undefined || red2 === undefined) throw new Error('no session');
    // A batch red's audience receives nothing of leaves its sessions where they stood; a red session
    // joining after it stands further on, in the same audience: each gets the next batch from its own seq.
    blueNote.attrs.text.set('b-1');
    await until(() => mirrors[2]?.get(blueNote.id)?.get('text' as never) === 'b-1');
    const warnings: string[] = [];
    const late = new SyncClient({ url, types, clientId: 'late-client', auth: { who: 'red' }, storage: null, logger: { warn: (msg: string) => void warnings.push(msg) } });
    const lateMirror = await late.join('v');
    redNote.attrs.text.set('SECRET-R-1');
    await until(() => lateMirror.get(redNote.id)?.get('text' as never) === 'SECRET-R-1' && mirrors[0]?.get(redNote.id)?.get('text' as never) === 'SECRET-R-1');
    expect(lateMirror.seq).toBe(tree.seq);
    expect(mirrors[0]?.seq).toBe(tree.seq);
    // Applied as sent, not healed by a fresh snapshot.
    expect(warnings).toEqual([]);
    // One turn, so one batch ('tick' flush) whose transactions were committed under different
    // audiences; refreshVisibility below sends what is pending first, so it ends that batch and the
    // rest of the turn is a second one.
    redNote.attrs.text.set('SECRET-R1');
    blueNote.attrs.text.set('b1');
    server.io.sockets.sockets.get(red2.id)?.disconnect(true);
    redNote.attrs.text.set('SECRET-R2');
    const green = tree.root.create(Folder, { name: 'green', team: 'green' });
    green.create(Note, { text: 'SECRET-G1' });
    // A new key (user:bea) on which blue and blue2 differ splits their audience within the batch:
    // blue2 receives the note, blue never does.
    blue.create(Note, { owner: 'bea', text: 'SECRET-BEA' });
    blueNote.attrs.text.set('b2');
    blue2.principal = { id: 'bea', team: 'green' };
    server.host.refreshVisibility(blue2);
    redNote.attrs.text.set('SECRET-R3');
    blueNote.move(red, 0);
    blueNote.attrs.text.set('b3');
    // Four sessions left (red2 is gone, the late client came): red with the late one, blue, and blue2.
    expect(visibility?.partition().audiences.length).toBe(3);
    const expected: Record<string, Principal> = { red: PEOPLE['red'] as Principal, blue: PEOPLE['blue'] as Principal, blue2: blue2.principal };
    for (const [i, w] of who.entries()) {
      const principal = expected[w];
      if (principal === undefined) continue;
      await until(() => JSON.stringify(held(mirrors[i] as Mirror)) === JSON.stringify(expectedFor(tree, principal)));
    }
    const bytes = (id: string): string => (frames.get(id) ?? []).join('');
    for (const marker of ['SECRET-R1', 'SECRET-R2', 'SECRET-R3', 'SECRET-G1', 'SECRET-BEA']) expect(bytes('blue-client')).not.toContain(marker);
    for (const marker of ['SECRET-R2', 'SECRET-R3', 'SECRET-G1', 'SECRET-BEA']) expect(bytes('red2-client')).not.toContain(marker);
    for (const id of ['red-client', 'late-client']) expect(bytes(id)).not.toContain('SECRET-BEA');
    expect(bytes('blue2-client')).toContain('SECRET-G1');
    expect(bytes('blue2-client')).toContain('SECRET-BEA');
    expect(bytes('blue2-client')).not.toContain('SECRET-R');
    expect(bytes('red-client')).toContain('SECRET-R3');
    await until(() => JSON.stringify(held(lateMirror)) === JSON.stringify(expectedFor(tree, PEOPLE['red'] as Principal)));
    for (const c of clients) c.client.close();
    late.close();
  });

  it('fails closed: a scope rule or canSee that throws or returns junk hides the object, and the server stays up', async () => {
    const errors: unknown[] = [];
    const { server, url } = await startServer({
      types,
      logger: { warn: () => undefined, error: (...args: unknown[]) => void errors.push(args) },
      hooks: {
        authenticate: ({ auth }) => PEOPLE[String(auth['who'])] ?? false,
        visibility: {
          scopes: {
            VFolder: (f) => {
              const name = f.get('name' as never) as string;
              if (name === 'throws') throw new Error('rule bug');
              if (name === 'junk') return 42 as unknown as string;
              return name === 'bad-see' ? 'explode' : undefined;
            },
          },
          canSee: (_principal, scope) => {
            if (scope === 'explode') throw new Error('canSee bug');
            return true;
          },
        },
      },
    });
    const tree = server.tree('v', Root);
    const shown = tree.root.create(Folder, { name: 'fine' });
    const hidden = ['throws', 'junk', 'bad-see'].map((name) => tree.root.create(Folder, { name }).create(Note, { text: `SECRET-${name}` }));
    const a = join(url, 'red');
    const mirror = await a.mirror;
    expect(mirror.get(shown.id)).toBeDefined();
    for (const note of hidden) expect(mirror.get(note.id)).toBeUndefined();
    hidden[0]?.attrs['text']?.set('SECRET-later');
    shown.attrs.name.set('still fine');
    await until(() => mirror.get(shown.id)?.get('name' as never) === 'still fine');
    expect(errors.length).toBeGreaterThan(0);
    expect(JSON.stringify(mirror.state)).not.toContain('SECRET');
    a.client.close();
  });

  it('never leaks, and every mirror converges to its view, under random moves, rescopes and proposals', async () => {
    const { tree, url, frames } = await setup();
    let seed = Number(process.env['TREESYNC_SEED'] ?? Date.now() % 100_000);
    console.log(`visibility spy seed ${seed} (TREESYNC_SEED to replay)`);
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
    const teams = ['', 'red', 'blue'];
    const owners = ['', 'ann', 'bo', 'cy'];
    const who = ['red', 'blue', 'solo'];
    const clients = who.map((w) => join(url, w));
    const mirrors = await Promise.all(clients.map((c) => c.mirror));
    // Each marker: which principals could ever see its object from when it was written on.
    const markers = new Map<string, { id: ObjectId; seen: Set<string> }>();
    let counter = 0;
    const mark = (id: ObjectId): string => {
      const m = `M${++counter}Z`;
      markers.set(m, { id, seen: new Set() });
      return m;
    };
    const observe = (): void => {
      for (const entry of markers.values()) {
        const o = tree.get(entry.id);
        if (o === undefined) continue;
        for (const w of who) if (visibleTo(PEOPLE[w] as Principal, o)) entry.seen.add(w);
      }
    };
    const all = (): ServerObject[] => tree.snapshot().map((o) => tree.get(o[0]) as ServerObject);
    const folders = (): ServerObject[] => all().filter((o) => o.type.name !== 'VNote');
    for (let step = 0; step < 300; step++) {
      const r = rnd();
      try {
        if (r < 0.15) {
          const f = pick(folders());
          if (f.type.name === 'VRoot' || rnd() < 0.5) f.create(Folder, { name: mark(-1), team: pick(teams) });
          else {
            const note = f.create(Note, { owner: pick(owners) });
            note.attrs['text'].set(mark(note.id));
          }
        } else if (r < 0.45) {
          const notes = all().filter((o) => o.type.name === 'VNote');
          if (notes.length > 0) {
            const note = pick(notes);
            note.attrs['text']?.set(mark(note.id));
          }
        } else if (r < 0.6) {
          const o = pick(all());
          if (o.parent !== null) o.move(pick(folders()), -1);
        } else if (r < 0.7) {
          const f = pick(folders());
          if (f.type.name === 'VFolder') f.attrs['team']?.set(pick(teams));
        } else if (r < 0.75) {
          const notes = all().filter((o) => o.type.name === 'VNote');
          if (notes.length > 0) pick(notes).attrs['owner']?.set(pick(owners));
        } else if (r < 0.8) {
          const o = pick(all());
          if (o.parent !== null && rnd() < 0.5) o.destroy();
        } else {
          // A client proposes on what it sees.
          const mirror = pick(mirrors);
          const ids = Object.keys(mirror.state.objects).map(Number).filter((id) => id >= 0);
          const view = mirror.get(pick(ids));
          if (view?.type === 'VNote') void view.attrs['n']?.set(step).catch(() => undefined);
          else if (view !== undefined) void view.create(Note, { text: 'from a client' }, Math.floor(rnd() * (view.children.length + 1))).catch(() => undefined);
        }
      } catch {
        // Moves into its own subtree and the like: refused, nothing changed.
      }
      observe();
      if (step % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    for (const [i, mirror] of mirrors.entries()) {
      const principal = PEOPLE[who[i] as string] as Principal;
      await until(() => mirror.pending === 0 && JSON.stringify(held(mirror)) === JSON.stringify(expectedFor(tree, principal)), 10_000);
    }
    observe();
    let checked = 0;
    for (const w of who) {
      const bytes = (frames.get(`${w}-client`) ?? []).join('');
      for (const [m, entry] of markers) {
        if (entry.id === -1 || entry.seen.has(w)) continue;
        checked++;
        expect(bytes.includes(m), `${w} received ${m} of object ${entry.id}, which it could never see`).toBe(false);
      }
    }
    expect(checked).toBeGreaterThan(20);
    for (const c of clients) c.client.close();
  });
});
