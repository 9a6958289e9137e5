/** The crash test's tree; its types are the integration tests' (test/integration/types.ts, free of test hooks). */
export { Board, Card, types } from '../integration/types.js';

/** The tree the server process makes and the crash test works on. */
export const CRASH_TREE = 'crash';
