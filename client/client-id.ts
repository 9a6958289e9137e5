/**
 * The client's stable GUID: explicit, remembered in sessionStorage, or fresh for the client's lifetime.
 * sessionStorage, not localStorage: the id then survives reloads of one tab, but two tabs get two ids.
 * One id is one client; the server lets one connection per id live (a newer one takes over).
 */
import { newClientId } from '../shared/index.js';
import { sessionStorageOrNone } from './offline-queue.js';

/** The sessionStorage key under which a browser tab keeps its client id. */
export const CLIENT_ID_KEY = 'treesync.clientId';

/** Picks the client id: the explicit one, else the one stored in sessionStorage (stored there if new), else a fresh GUID. */
export function resolveClientId(explicit?: string): string {
  if (explicit !== undefined && explicit.length > 0) return explicit;
  const s = sessionStorageOrNone();
  if (s === undefined) return newClientId();
  try {
    const known = s.getItem(CLIENT_ID_KEY);
    if (known !== null && known.length > 0) return known;
    const id = newClientId();
    s.setItem(CLIENT_ID_KEY, id);
    return id;
  } catch {
    return newClientId();
  }
}
