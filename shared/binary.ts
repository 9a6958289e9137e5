/**
 * The byte-level half of the binary batch form (shared/codec.ts): a growing writer and a
 * bounds-checked reader of varints, strings and tagged JSON values. docs/protocol.md gives the
 * value tags. A reader refuses anything malformed with BAD_MESSAGE; it never allocates more
 * than what is left of its input.
 */
import { ErrorCode, fail } from './errors.js';
import type { Json, JsonObject } from './json.js';
import { isSafeKey } from './spec.js';
import { MAX_JSON_DEPTH } from './values.js';

// Value tags.
const T_NULL = 0;
const T_FALSE = 1;
const T_TRUE = 2;
const T_INT = 3;
const T_ARRAY = 4;
export const T_OBJECT = 5;
const T_STRING = 6;
/** 0x10 + n: a float whose bits XOR the previous float's in the low n bytes (n = 0..8). */
const T_FLOAT = 0x10;
/** 0x40 + n: a string of n UTF-8 bytes (n < 64). */
const T_SHORT_STRING = 0x40;
const SHORT_STRING_MAX = 63;
/** Integers this small go as varints; larger ones (timestamps) as floats, which XOR well. */
const INT_MAX = 0x7fff_ffff;

/** The largest buffer a writer keeps between uses: a common batch reuses it, a larger one's is let go. */
const KEEP_MAX = 65_536;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Appends bytes to a growing buffer. */
export class Writer {
  buf = new Uint8Array(256);
  at = 0;
  /** The previous float's bytes (little-endian), for the XOR. */
  readonly prev = new Uint8Array(8);
  readonly scratch = new Uint8Array(8);
  readonly scratchView = new DataView(this.scratch.buffer);

  room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }

  /** A non-negative safe integer, 7 bits a byte. */
  uint(n: number): void {
    this.room(8);
    while (n >= 0x80) {
      this.buf[this.at++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.at++] = n;
  }

  /** A safe integer, zigzag-mapped (0, -1, 1, -2, ... → 0, 1, 2, 3, ...). */
  int(n: number): void {
    this.uint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  /** Length-prefixed UTF-8. */
  string(s: string): void {
    this.room(8 + s.length * 3);
    const lenAt = this.at;
    // Guess a one-byte length (short strings); move the bytes if the guess was wrong.
    const { written } = utf8Encoder.encodeInto(s, this.buf.subarray(lenAt + 1));
    if (written < 0x80) {
      this.buf[lenAt] = written;
      this.at = lenAt + 1 + written;
      return;
    }
    const bytes = this.buf.slice(lenAt + 1, lenAt + 1 + written);
    this.at = lenAt;
    this.uint(written);
    this.room(written);
    this.buf.set(bytes, this.at);
    this.at += written;
  }

  float(v: number): void {
    this.scratchView.setFloat64(0, v, true);
    const { scratch, prev } = this;
    let n = 8;
    while (n > 0 && (scratch[n - 1] as number) === (prev[n - 1] as number)) n--;
    this.room(9);
    this.buf[this.at++] = T_FLOAT + n;
    for (let i = 0; i < n; i++) this.buf[this.at++] = (scratch[i] as number) ^ (prev[i] as number);
    prev.set(scratch);
  }

  value(v: unknown, depth = 0): void {
    switch (typeof v) {
      case 'number':
        if (Number.isInteger(v) && v <= INT_MAX && v >= -INT_MAX) {
          this.byte(T_INT);
          this.int(v === 0 ? 0 : v);
        } else this.float(v);
        return;
      case 'string': {
        if (v.length <= SHORT_STRING_MAX) {
          // One tag byte holds the length when the UTF-8 form is short enough.
          this.room(1 + v.length * 3);
          const { written } = utf8Encoder.encodeInto(v, this.buf.subarray(this.at + 1));
          if (written <= SHORT_STRING_MAX) {
            this.buf[this.at] = T_SHORT_STRING + written;
            this.at += 1 + written;
            return;
          }
        }
        this.byte(T_STRING);
        this.string(v);
        return;
      }
      case 'boolean':
        this.byte(v ? T_TRUE : T_FALSE);
        return;
      case 'object': {
        if (v === null) return this.byte(T_NULL);
        if (depth >= MAX_JSON_DEPTH) fail(ErrorCode.BAD_VALUE, `nested deeper than ${MAX_JSON_DEPTH}`);
        if (Array.isArray(v)) {
          this.byte(T_ARRAY);
          this.uint(v.length);
          for (const item of v) this.value(item, depth + 1);
          return;
        }
        const keys = Object.keys(v);
        this.byte(T_OBJECT);
        this.uint(keys.length);
        for (const key of keys) {
          this.string(key);
          this.value((v as Record<string, unknown>)[key], depth + 1);
        }
        return;
      }
      default:
        fail(ErrorCode.BAD_VALUE, `not a JSON value: ${typeof v}`);
    }
  }

  /** A copy of what was written: never a view of the buffer, which the writer's next use overwrites. */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.at);
  }

  /** Lets go of a buffer grown past {@link KEEP_MAX} (by a large batch), so that it is not held while the writer is idle. */
  trim(): void {
    if (this.buf.length > KEEP_MAX) this.buf = new Uint8Array(256);
  }

  /** Empties the writer for reuse (its buffer stays, grown to the largest batch so far, at most {@link KEEP_MAX} kept). */
  reset(): this {
    this.trim();
    this.at = 0;
    this.prev.fill(0);
    return this;
  }
}

/** Reads a binary batch; every read is bounds-checked (BAD_MESSAGE on anything malformed). */
export class Reader {
  at = 0;
  readonly view: DataView;
  readonly prev = new Uint8Array(8);
  readonly scratch = new Uint8Array(8);
  readonly scratchView = new DataView(this.scratch.buffer);

  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get left(): number {
    return this.buf.length - this.at;
  }

  byte(): number {
    if (this.at >= this.buf.length) fail(ErrorCode.BAD_MESSAGE, 'binary batch: truncated');
    return this.buf[this.at++] as number;
  }

  uint(): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      n += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(n)) break;
        return n;
      }
      scale *= 0x80;
    }
    return fail(ErrorCode.BAD_MESSAGE, 'binary batch: a varint out of range');
  }

  int(): number {
    const z = this.uint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /** A count of things that each take at least one more byte: never more than what is left. */
  count(): number {
    const n = this.uint();
    if (n > this.left) fail(ErrorCode.BAD_MESSAGE, 'binary batch: a count past the end');
    return n;
  }

  utf8(n: number): string {
    if (n > this.left) fail(ErrorCode.BAD_MESSAGE, 'binary batch: truncated string');
    const start = this.at;
    this.at += n;
    // ASCII, the common case, without the decoder's call overhead.
    if (n < 32) {
      let s = '';
      for (let i = start; i < start + n; i++) {
        const c = this.buf[i] as number;
        if (c >= 0x80) return this.#decode(start, n);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return this.#decode(start, n);
  }

  #decode(start: number, n: number): string {
    try {
      return utf8Decoder.decode(this.buf.subarray(start, start + n));
    } catch {
      return fail(ErrorCode.BAD_MESSAGE, 'binary batch: a string that is not UTF-8');
    }
  }

  string(): string {
    return this.utf8(this.uint());
  }

  key(): string {
    const key = this.string();
    if (!isSafeKey(key)) fail(ErrorCode.BAD_MESSAGE, `binary batch: forbidden key ${JSON.stringify(key)}`);
    return key;
  }

  float(n: number): number {
    if (n > this.left) fail(ErrorCode.BAD_MESSAGE, 'binary batch: truncated float');
    const { scratch, prev } = this;
    for (let i = 0; i < 8; i++) scratch[i] = i < n ? (this.buf[this.at + i] as number) ^ (prev[i] as number) : (prev[i] as number);
    this.at += n;
    prev.set(scratch);
    const v = this.scratchView.getFloat64(0, true);
    if (!Number.isFinite(v)) fail(ErrorCode.BAD_MESSAGE, 'binary batch: a number that is not finite');
    return v;
  }

  value(depth = 0): Json {
    const tag = this.byte();
    if (tag >= T_SHORT_STRING && tag <= T_SHORT_STRING + SHORT_STRING_MAX) return this.utf8(tag - T_SHORT_STRING);
    if (tag >= T_FLOAT && tag <= T_FLOAT + 8) return this.float(tag - T_FLOAT);
    switch (tag) {
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_INT:
        return this.int();
      case T_STRING:
        return this.string();
      case T_ARRAY: {
        if (depth >= MAX_JSON_DEPTH) fail(ErrorCode.BAD_MESSAGE, 'binary batch: nested too deep');
        const n = this.count();
        const out: Json[] = new Array<Json>(n);
        for (let i = 0; i < n; i++) out[i] = this.value(depth + 1);
        return out;
      }
      case T_OBJECT:
        return this.object(depth);
      default:
        return fail(ErrorCode.BAD_MESSAGE, `binary batch: unknown value tag ${tag}`);
    }
  }

  object(depth: number): JsonObject {
    if (depth >= MAX_JSON_DEPTH) fail(ErrorCode.BAD_MESSAGE, 'binary batch: nested too deep');
    const n = this.count();
    const out: Record<string, Json> = {};
    for (let i = 0; i < n; i++) {
      const key = this.key();
      out[key] = this.value(depth + 1);
    }
    return out;
  }

  number(): number {
    const v = this.value();
    if (typeof v !== 'number') fail(ErrorCode.BAD_MESSAGE, 'binary batch: a number was expected');
    return v;
  }
}
