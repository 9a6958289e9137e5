/** The runnable examples run, and say what they promise (examples/teams: access control end to end). */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('examples/teams', () => {
  it('shows each team only its column, refuses what the rules forbid, and moves a card between views', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/teams/main.ts'], { timeout: 60_000 });
    expect(stdout.trim().split('\n')).toEqual([
      'ann sees  red: [Red plan]',
      'bo sees   blue: [Blue plan]',
      'ann, long title: INVALID',
      'bo, destroy the red column: UNKNOWN_OBJECT',
      'after the move, ann sees  red: [Red plan]',
      'after the move, bo sees   blue: [Blue plan, Ship it]',
      "bo, rename ann's card: FORBIDDEN",
    ]);
  }, 70_000);
});
