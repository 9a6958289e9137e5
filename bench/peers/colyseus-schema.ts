/**
 * The shared model (bench/peers/model.ts `ModelObject`) as @colyseus/schema 5 classes, used by
 * both colyseus-server.ts and colyseus-clients.ts (a client decoding into its own classes skips
 * the Reflection-built ones; the wire is the same).
 *
 * `schema()` with `t.*` builders, not `@type` decorators: decorators need experimentalDecorators
 * and useDefineForClassFields: false, which this project's tsconfig does not set.
 *
 * `value` is a float64 (8 bytes): it carries `now()`, a sub-millisecond epoch timestamp, which a
 * float32 would round to ~2 minutes. `x` and `tags` use `number` (auto int/float, varint-sized for
 * the small integers of the model).
 */
import { schema, t, type SchemaType } from '@colyseus/schema';
import { initialObject } from './model.js';

export const PeerObject = schema(
  {
    name: t.string(),
    value: t.float64(),
    x: t.number(),
    tags: t.map('number'),
    log: t.array('string'),
  },
  'PeerObject',
);
export type PeerObject = SchemaType<typeof PeerObject>;

/** The room state: M objects keyed by their index ("0" .. "M-1"). */
export const PeerState = schema(
  {
    objects: t.map(PeerObject),
  },
  'PeerState',
);
export type PeerState = SchemaType<typeof PeerState>;

/** Object i with the model's initial values. */
export function createObject(i: number): PeerObject {
  const plain = initialObject(i);
  const object = new PeerObject();
  object.name = plain.name;
  object.value = plain.value;
  object.x = plain.x;
  for (const [key, n] of Object.entries(plain.tags)) object.tags.set(key, n);
  for (const line of plain.log) object.log.push(line);
  return object;
}

/** W2's write (`room.request('set', ...)`): set `value` of object `k`. */
export interface SetMessage {
  readonly k: number;
  readonly value: number;
}

/** The room name the server defines and the clients join. */
export const ROOM = 'peers';

/**
 * W5's room state: the same objects, in a map tagged `.view()`: each of its items reaches only
 * the clients whose StateView it was added to (`view.add(object)`); the objects' own fields are
 * not tagged, so an object in a view is sent whole. A client decodes it into PeerState as well
 * (`.view()` only changes what the server encodes, not the wire types).
 */
export const FilteredState = schema(
  {
    objects: t.map(PeerObject).view(),
  },
  'FilteredState',
);
