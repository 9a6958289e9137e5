import { describe, expect, it } from 'vitest';
import { newClientId } from '../../shared/guid.js';

describe('newClientId()', () => {
  it('makes an RFC 4122 version 4 GUID', () => {
    expect(newClientId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('makes a different id every time', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newClientId()));
    expect(ids.size).toBe(1000);
  });
});
