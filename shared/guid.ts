/** Client ids: GUIDs made once and reused across reconnects. */

/** A fresh random GUID (RFC 4122 version 4), from the platform's crypto. */
export function newClientId(): string {
  return globalThis.crypto.randomUUID();
}
