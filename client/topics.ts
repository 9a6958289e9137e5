/**
 * Topic handles: one per attribute of an object view, by kind. Reads come from the mirror's
 * current state; each method builds an op tuple with the attribute's index and proposes it.
 */
import { OP, type Json, type ObjectId, type TopicOp } from '../shared/index.js';
import type { ClientType } from './catalog.js';
import type { Ack, DictTopic, ListTopic, NumberTopic, ValueTopic } from './types.js';

/** What a topic handle needs from its object view. */
export interface TopicHost {
  readonly id: ObjectId;
  /** The attribute's current value. */
  value(name: string): unknown;
  /** Proposes one topic op (or adds it to the open transaction). */
  propose(op: TopicOp): Promise<Ack>;
}

class ValueTopicHandle<V> implements ValueTopic<V> {
  constructor(
    protected readonly host: TopicHost,
    protected readonly name: string,
    protected readonly index: number,
  ) {}

  get value(): V {
    return this.host.value(this.name) as V;
  }

  set(value: V): Promise<Ack> {
    return this.host.propose([OP.set, this.host.id, this.index, value as Json]);
  }
}

class NumberTopicHandle extends ValueTopicHandle<number> implements NumberTopic {
  add(delta: number): Promise<Ack> {
    return this.host.propose([OP.add, this.host.id, this.index, delta]);
  }
}

class DictTopicHandle<E> extends ValueTopicHandle<Readonly<Record<string, E>>> implements DictTopic<E> {
  get(key: string): E | undefined {
    const dict = this.value;
    return Object.hasOwn(dict, key) ? dict[key] : undefined;
  }

  put(key: string, value: E): Promise<Ack> {
    return this.host.propose([OP.put, this.host.id, this.index, key, value as Json]);
  }

  delete(key: string): Promise<Ack> {
    return this.host.propose([OP.delete, this.host.id, this.index, key]);
  }
}

class ListTopicHandle<E> extends ValueTopicHandle<readonly E[]> implements ListTopic<E> {
  insert(index: number, ...items: E[]): Promise<Ack> {
    return this.host.propose([OP.insert, this.host.id, this.index, index, items as Json[]]);
  }

  push(...items: E[]): Promise<Ack> {
    // -1 appends at the server's length, which is the right end even when the mirror lags.
    return this.insert(-1, ...items);
  }

  remove(index: number, count = 1): Promise<Ack> {
    return this.host.propose([OP.remove, this.host.id, this.index, index, count]);
  }

  move(from: number, to: number): Promise<Ack> {
    return this.host.propose([OP.listMove, this.host.id, this.index, from, to]);
  }

  replace(index: number, item: E): Promise<Ack> {
    return this.host.propose([OP.replace, this.host.id, this.index, index, item as Json]);
  }
}

/** The topic handles of an object of `type`, by attribute name. */
export function makeTopics(host: TopicHost, type: ClientType): Readonly<Record<string, ValueTopic<unknown>>> {
  const topics: Record<string, ValueTopic<unknown>> = {};
  type.attrNames.forEach((name, index) => {
    switch (type.specs[index]?.kind) {
      case 'number':
        topics[name] = new NumberTopicHandle(host, name, index);
        break;
      case 'dict':
        topics[name] = new DictTopicHandle(host, name, index);
        break;
      case 'list':
        topics[name] = new ListTopicHandle(host, name, index);
        break;
      default:
        topics[name] = new ValueTopicHandle(host, name, index);
    }
  });
  return Object.freeze(topics);
}
