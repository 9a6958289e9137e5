/** Test support for the SyncHost tests: a host with one tree and connected sessions, and answer helpers. */
import { expect } from 'vitest';
import type { WireError } from '../../shared/errors.js';
import type { Op } from '../../shared/ops.js';
import { PROTOCOL_VERSION, type AckMessage, type RejectMessage } from '../../shared/protocol.js';
import { SyncHost, type HostOptions } from '../../server/host.js';
import { FakeHub, throughWire, type FakeLink } from '../helpers/fake-link.js';
import { Bag, Item, Root, TYPES } from './support.js';

/**
 * A host with flush mode 'immediate' and a tree `main` (ref 1):
 * root(0) ─ item(1), bag(2); seq 2.
 */
export function setup(options: Partial<HostOptions> = {}) {
  const hub = new FakeHub();
  const host = new SyncHost({ types: TYPES, flush: { mode: 'immediate' }, ...options }, hub.broadcast);
  const tree = host.tree('main', Root);
  const item = tree.root.create(Item, { title: 'x', list: [1, 2, 3], tags: { k: 'v' } });
  const bag = tree.root.create(Bag);
  hub.broadcasts.length = 0;

  /** Opens a session for `clientId`; its welcome is dropped unless `keepWelcome`. */
  const connect = (clientId = 'alice', extra: Record<string, unknown> = {}, keepWelcome = false) => {
    const link = hub.link();
    const session = host.open(link, { v: PROTOCOL_VERSION, clientId, ...extra });
    if (!keepWelcome) link.take();
    /** Sends one event with these arguments, through the wire. */
    const raw = (event: string, args: unknown[]): void => {
      session.receive(event, throughWire(args));
    };
    const send = (event: string, body: unknown): void => {
      raw(event, [body]);
    };
    const join = (name = 'main', since?: number): void => {
      send('join', since === undefined ? { tree: name } : { tree: name, since, epoch: host.tree(name).epoch });
    };
    /** Proposes and returns the answer (the last ack or reject). */
    const propose = (opId: number, ops: readonly Op[], name = 'main'): Answer => {
      send('propose', { tree: name, opId, baseSeq: tree.seq, ops });
      return answerOf(link);
    };
    return { link, session, raw, send, join, propose };
  };
  return { hub, host, tree, item, bag, connect };
}

export type Answer = { event: 'ack'; msg: AckMessage } | { event: 'reject'; msg: RejectMessage };

/** The last ack or reject a link received. */
export function answerOf(link: FakeLink): Answer {
  const last = [...link.received].reverse().find((r) => r.event === 'ack' || r.event === 'reject');
  if (last === undefined) return expect.unreachable(`no answer; received ${JSON.stringify(link.received)}`);
  return last.event === 'ack' ? { event: 'ack', msg: last.args[0] as AckMessage } : { event: 'reject', msg: last.args[0] as RejectMessage };
}

/** The code of the only error the link received. */
export function onlyError(link: FakeLink): WireError {
  expect(link.received.map((r) => r.event)).toEqual(['error']);
  return link.received[0]?.args[0] as WireError;
}
