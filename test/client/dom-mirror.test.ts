// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { SyncClient, type Mirror } from '../../client/index.js';
import { ViewRegistry } from '../../client/dom/index.js';
import { OP } from '../../shared/index.js';
import { FakeTransport, Folder, Gauge, SNAPSHOT, TYPES } from './fake-transport.js';

async function join(): Promise<{ transport: FakeTransport; mirror: Mirror }> {
  const transport = new FakeTransport();
  const client = new SyncClient({ transport, clientId: 'me', types: TYPES });
  transport.connect();
  const joining = client.join('t');
  transport.deliver('joined', { tree: 't', ref: 7, seq: 10, snapshot: SNAPSHOT });
  return { transport, mirror: await joining };
}

/** `id(children...)` for the views under `el`, by their data-id. */
function shape(el: Element): string {
  return [...el.children]
    .filter((child) => child instanceof HTMLElement && child.dataset['id'] !== undefined)
    .map((child) => {
      const body = child.querySelector(':scope > div');
      const id = (child as HTMLElement).dataset['id'] ?? '';
      return body === null ? id : `${id}(${shape(body)})`;
    })
    .join(' ');
}

describe('DOM binding on a real Mirror', () => {
  it('mounts the snapshot and follows a batch of creates, moves, destroys and topic ops', async () => {
    const { transport, mirror } = await join();
    const disposed: number[] = [];
    const root = document.createElement('main');
    const mount = new ViewRegistry()
      .register(Folder, (folder, ctx) => {
        const el = document.createElement('section');
        el.dataset['id'] = String(folder.id);
        ctx.text('title', el.appendChild(document.createElement('h2')));
        return { el, container: el.appendChild(document.createElement('div')) };
      })
      .register(Gauge, (gauge, ctx) => {
        const el = document.createElement('p');
        el.dataset['id'] = String(gauge.id);
        ctx.text('label', el.appendChild(document.createElement('b')));
        ctx.dataset('tags', el);
        ctx.list('history', el.appendChild(document.createElement('span')), {
          render: (n) => Object.assign(document.createElement('i'), { textContent: String(n) }),
        });
        ctx.own(() => disposed.push(gauge.id));
        return { el };
      })
      .mount(mirror, root);
    expect(shape(root)).toBe('0(1 2 3(4))');
    const cpu = mount.elementOf(1);
    const points = [...(cpu?.querySelectorAll('i') ?? [])];
    expect(points.map((i) => i.textContent)).toEqual(['1', '2', '3']);
    expect(cpu?.getAttribute('data-a')).toBe('x');

    transport.batch(11, [
      [OP.create, 5, 1, 3, 0, { label: 'new', value: 1, tags: {}, history: [] }],
      [OP.move, 2, 3, 1],
      [OP.destroy, 4],
      [OP.set, 1, 0, 'CPU'],
      [OP.put, 1, 2, 'b', 'y'],
      [OP.delete, 1, 2, 'a'],
      [OP.insert, 1, 3, 0, [0]],
      [OP.set, 3, 0, 'renamed'],
    ]);
    expect(mirror.state.objects[3]?.children).toEqual([5, 2]);
    expect(shape(root)).toBe('0(1 3(5 2))');
    expect(disposed).toEqual([4]);
    expect(mount.elementOf(1)).toBe(cpu);
    expect(cpu?.querySelector('b')?.textContent).toBe('CPU');
    expect(cpu?.hasAttribute('data-a')).toBe(false);
    expect(cpu?.getAttribute('data-b')).toBe('y');
    const after = [...(cpu?.querySelectorAll('i') ?? [])];
    expect(after.map((i) => i.textContent)).toEqual(['0', '1', '2', '3']);
    expect(after.slice(1)).toEqual(points);
    expect(mount.elementOf(3)?.querySelector('h2')?.textContent).toBe('renamed');

    mount.unmount();
    expect(root.children).toHaveLength(0);
    expect(disposed.sort()).toEqual([1, 2, 4, 5]);
  });
});
