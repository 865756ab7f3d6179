/**
 * Output buffer for the text writers: fixed-column records are written byte by byte into a Uint8Array
 * (no per-atom string concatenation, so formatting 1M atoms does not churn the GC). Text is ASCII; other
 * characters are written as UTF-8. Two uses:
 * - no sink: the buffer grows and is decoded once (`toString`) or handed over whole (`bytes`);
 * - with a sink: a full buffer is handed to the sink and reused, so a file of any size is written in
 *   bounded memory (V8 strings stop at ~512 MB, ~6.5M PDB atoms).
 */
import { constants as bufferConstants } from 'node:buffer';

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const utf8 = new TextEncoder();
const MB = (n: number) => `${(n / 1048576).toFixed(0)} MB`;

/** Receives each filled chunk; the view is reused afterwards, so the sink must consume it before returning. */
export type ByteSink = (chunk: Uint8Array) => void;

export class ByteWriter {
  buf: Uint8Array;
  len = 0;
  /** Only ASCII written so far: decoded as latin1 (a plain copy) instead of UTF-8. */
  private ascii = true;
  constructor(
    capacity = 1 << 16,
    private readonly sink?: ByteSink,
  ) {
    this.buf = new Uint8Array(Math.min(capacity, 1 << 30));
  }
  ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    if (this.sink) {
      this.flush();
      if (extra <= this.buf.length) return;
    }
    const max = bufferConstants.MAX_LENGTH;
    if (this.len + extra > max) throw new RangeError(`output larger than ${MB(max)} cannot be held in memory: write it uncompressed to a file`);
    let cap = this.buf.length * 2;
    while (cap < this.len + extra) cap *= 2;
    const b = new Uint8Array(Math.min(cap, max));
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  /** Writes a string (callers ensure room for ASCII; non-ASCII falls back to an encoder). */
  str(s: string): void {
    const n = s.length;
    if (n > 256) {
      // In slices (never splitting a surrogate pair), so a long string does not grow a sink-backed buffer.
      for (let i = 0; i < n; ) {
        let end = Math.min(n, i + 256);
        if (end < n && (s.charCodeAt(end - 1) & 0xfc00) === 0xd800) end--;
        this.str(s.slice(i, end));
        i = end;
      }
      return;
    }
    this.ensure(n * 3);
    const b = this.buf;
    let p = this.len;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 128) b[p++] = c;
      else {
        this.ascii = false;
        // Whole code points: a surrogate pair is one 4-byte character, not two replacement characters.
        const cp = s.codePointAt(i)!;
        if (cp > 0xffff) i++;
        const enc = utf8.encode(String.fromCodePoint(cp));
        for (const x of enc) b[p++] = x;
      }
    }
    this.len = p;
  }
  /** `s` left-justified in exactly `width` columns (cut when longer). */
  padRight(s: string, width: number): void {
    const t = s.length > width ? s.slice(0, width) : s;
    this.str(t);
    this.spaces(width - t.length);
  }
  /** `s` right-justified in exactly `width` columns (cut when longer). */
  padLeft(s: string, width: number): void {
    const t = s.length > width ? s.slice(0, width) : s;
    this.spaces(width - t.length);
    this.str(t);
  }
  spaces(n: number): void {
    if (n <= 0) return;
    this.ensure(n);
    this.buf.fill(32, this.len, this.len + n);
    this.len += n;
  }
  byte(c: number): void {
    this.ensure(1);
    this.buf[this.len++] = c;
  }
  /** Non-negative or negative integer right-justified in `width` (wider when it does not fit). */
  int(v: number, width: number): void {
    this.fixed(v, 0, width);
  }
  /** Fixed-point number right-justified in `width` columns (like %width.decimalsf). */
  fixed(v: number, decimals: number, width: number): void {
    let r = Math.round(Math.abs(v) * POW10[decimals]);
    if (!Number.isFinite(r) || r > 9e15) {
      this.padLeft(v.toFixed(decimals), width);
      return;
    }
    const neg = v < 0 && r !== 0;
    // Digits are produced backwards into a scratch area at the end of the room we reserve.
    this.ensure(width + 24);
    const b = this.buf;
    const tmp = this.len + width + 23;
    let p = tmp;
    if (r < 2147483647) {
      for (let d = 0; d < decimals; d++) {
        const q = (r / 10) | 0;
        b[p--] = 48 + r - q * 10;
        r = q;
      }
      if (decimals > 0) b[p--] = 46;
      do {
        const q = (r / 10) | 0;
        b[p--] = 48 + r - q * 10;
        r = q;
      } while (r > 0);
    } else {
      for (let d = 0; d < decimals; d++) {
        b[p--] = 48 + (r % 10);
        r = Math.floor(r / 10);
      }
      if (decimals > 0) b[p--] = 46;
      do {
        b[p--] = 48 + (r % 10);
        r = Math.floor(r / 10);
      } while (r > 0);
    }
    if (neg) b[p--] = 45;
    const n = tmp - p;
    const pad = width - n;
    let o = this.len;
    for (let k = 0; k < pad; k++) b[o++] = 32;
    b.copyWithin(o, p + 1, tmp + 1);
    this.len = o + n;
  }
  /** Base-36 digits of v (upper or lower case letters) right-justified, zero-padded to `width`. */
  base36(v: number, width: number, lower: boolean): void {
    this.ensure(width);
    const b = this.buf;
    const a = lower ? 87 : 55;
    for (let p = this.len + width - 1; p >= this.len; p--) {
      const d = v % 36;
      b[p] = d < 10 ? 48 + d : a + d;
      v = (v - d) / 36;
    }
    this.len += width;
  }

  /** Hands what is buffered to the sink (no-op without one). */
  flush(): void {
    if (!this.sink || this.len === 0) return;
    this.sink(this.buf.subarray(0, this.len));
    this.len = 0;
  }
  /** The bytes written so far (a view, not a copy). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
  toString(): string {
    if (this.sink) throw new Error('ByteWriter.toString: the text went to the sink');
    // latin1 gives one character per byte; UTF-8 at most one per byte, so this bound is safe for both.
    if (this.ascii && this.len > bufferConstants.MAX_STRING_LENGTH) {
      throw new RangeError(`formatted text of ${MB(this.len)} is longer than a JavaScript string can hold (${MB(bufferConstants.MAX_STRING_LENGTH)}): write it to a file instead`);
    }
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.len).toString(this.ascii ? 'latin1' : 'utf8');
  }
}
