/**
 * The bench's protocol-level clients speak the protocol the server speaks: a handshake with another
 * version is refused before anything is measured. After protocol 2, four bench scripts still sent
 * `v: 1` and no test noticed; this runs one of them (the single-set measurement of `npm run bench`)
 * against a real server.
 */
import { describe, expect, it } from 'vitest';
import { singleSet } from '../../bench/lib/single-set.js';

describe('the bench clients', () => {
  it('measure one unbatched set after a handshake the server accepts', async () => {
    const { treesync, floor, seq, object } = await singleSet(7);
    expect(treesync.text).toBe(`42["b",1,${String(seq + 1)},[[0,${String(object)},0,7]]]`);
    expect(treesync.bytes).toBe(treesync.text.length);
    expect(floor.text).toBe(`42["m",[${String(object)},7]]`);
  }, 15_000);
});
