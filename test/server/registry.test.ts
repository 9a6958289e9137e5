import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors.js';
import { defineType, t } from '../../shared/schema.js';
import { TypeRegistry } from '../../server/registry.js';
import { Bag, Folder, Item, Root, Stranger, expectSyncError } from './support.js';

describe('TypeRegistry', () => {
  it('indexes types in registration order', () => {
    const registry = new TypeRegistry([Root, Folder, Item]);
    expect([Root, Folder, Item].map((type) => registry.indexOf(type))).toEqual([0, 1, 2]);
    expect(registry.at(1)).toBe(Folder);
    expect(registry.wire.map((w) => w[0])).toEqual(['Root', 'Folder', 'Item']);
  });

  it('registers the same definition once', () => {
    const registry = new TypeRegistry([Root, Folder, Root]);
    expect(registry.add(Folder)).toBe(1);
    expect(registry.wire).toHaveLength(2);
  });

  it('accepts a second definition with the same name and shape', () => {
    const registry = new TypeRegistry([Folder]);
    expect(registry.add(defineType('Folder', { name: t.string('other default') }))).toBe(0);
  });

  it('refuses a different type under a known name', () => {
    const registry = new TypeRegistry([Folder]);
    expectSyncError(() => registry.add(defineType('Folder', { name: t.number() })), ErrorCode.BAD_VALUE, 'Folder');
    expect(registry.wire).toHaveLength(1);
  });

  it.each([99, -1, 1.5, NaN])('answers at(%s) with UNKNOWN_TYPE', (index) => {
    expectSyncError(() => new TypeRegistry([Root]).at(index), ErrorCode.UNKNOWN_TYPE);
  });

  it('answers indexOf an unregistered type with UNKNOWN_TYPE naming it', () => {
    expectSyncError(() => new TypeRegistry([Root]).indexOf(Stranger), ErrorCode.UNKNOWN_TYPE, 'Stranger');
  });

  it('rebuilds the wire form after a type is added', () => {
    const registry = new TypeRegistry([Root]);
    const before = registry.wire;
    expect(registry.wire).toBe(before);
    registry.add(Bag);
    expect(registry.wire).toEqual([...before, ['Bag', [['docs', ['list', 'json']], ['map', ['dict', 'json']]]]]);
  });
});
