/**
 * What visibility tests share: a spy on every byte a server writes to each client's TCP socket,
 * and a reference of what a principal should hold, worked out from the server's tree by walking
 * ancestors (independent of server/visibility.ts).
 */
import type { Mirror } from '../../client/index.js';
import type { Principal, ServerObject, SyncServer, Tree } from '../../server/index.js';

/** A scope rule, as the hooks take it. */
export type ScopeRule = (object: ServerObject) => string | undefined;

/** Whether a principal may see an object: `canSee` says yes to the scope of it and of every ancestor. */
export function visibleTo(rule: ScopeRule, canSee: (principal: Principal, scope: string) => boolean, principal: Principal, object: ServerObject | null): boolean {
  for (let at = object; at !== null; at = at.parent) {
    const scope = rule(at);
    if (scope !== undefined && !canSee(principal, scope)) return false;
  }
  return true;
}

/** What a client should hold of the tree: the objects `sees` passes, with their children filtered, by id. */
export function expectedFor(tree: Tree, sees: (object: ServerObject) => boolean): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  const visit = (o: ServerObject): void => {
    if (!sees(o)) return;
    out[o.id] = { type: o.type.name, parent: o.parent?.id ?? null, children: o.children.filter(sees).map((c) => c.id), values: Object.fromEntries(o.type.attrNames.map((a) => [a, o.get(a as never)])) };
    for (const c of o.children) visit(c);
  };
  visit(tree.root);
  return out;
}

/** What a mirror holds, in the shape of {@link expectedFor}. */
export function held(mirror: Mirror): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const o of Object.values(mirror.state.objects)) out[o.id] = { type: o.type, parent: o.parent, children: [...o.children], values: { ...o.values } };
  return out;
}

/** Records every byte the server writes to each client's TCP socket (as latin1 text), by client id, from the next connection on. */
export function spyOn(server: SyncServer): Map<string, string[]> {
  const frames = new Map<string, string[]>();
  server.on('connection', (session) => {
    const socket = server.io.sockets.sockets.get(session.id);
    const tcp = (socket?.conn as unknown as { transport?: { socket?: { _socket?: { write: (...a: unknown[]) => boolean } } } } | undefined)?.transport?.socket?._socket;
    if (tcp === undefined) throw new Error('no TCP socket to spy on');
    const list = frames.get(session.clientId) ?? [];
    frames.set(session.clientId, list);
    const write = tcp.write.bind(tcp);
    tcp.write = (...args: unknown[]) => {
      const data = args[0];
      list.push(typeof data === 'string' ? data : Buffer.from(data as Uint8Array).toString('latin1'));
      return write(...args);
    };
  });
  return frames;
}
