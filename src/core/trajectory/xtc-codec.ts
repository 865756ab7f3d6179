/**
 * Port of the xdrfile `xdr3dfcoord` coordinate compression (GROMACS XTC): coordinates are rounded to
 * integers at `precision` (1000 = 0.001 nm), the first atom of each run is sent with the full bit width
 * of the frame's bounding box, following close atoms as small differences whose bit width (the "magic
 * ints" table index) adapts as the frame is written; an atom followed by a close one is swapped with it
 * (water O-H-H compresses better). Kept bit-for-bit compatible with xdrfile/GROMACS in both directions.
 */

export const MAGICINTS = [
  0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 10, 12, 16, 20, 25, 32, 40, 50, 64, 80, 101, 128, 161, 203, 256, 322, 406, 512, 645, 812, 1024,
  1290, 1625, 2048, 2580, 3250, 4096, 5060, 6501, 8192, 10321, 13003, 16384, 20642, 26007, 32768, 41285, 52015, 65536, 82570,
  104031, 131072, 165140, 208063, 262144, 330280, 416127, 524287, 660561, 832255, 1048576, 1321122, 1664510, 2097152, 2642245,
  3329021, 4194304, 5284491, 6658042, 8388607, 10568983, 13316085, 16777216,
];
export const FIRSTIDX = 9;
export const LASTIDX = MAGICINTS.length;
const MAXABS = 2147483647 - 2;

/** Number of bits needed for an integer in [0, size). */
export function sizeofint(size: number): number {
  let num = 1;
  let bits = 0;
  while (size >= num && bits < 32) {
    bits++;
    num *= 2;
  }
  return bits;
}

/** Number of bits needed for the mixed-radix product of three sizes. */
export function sizeofints(sizes: ArrayLike<number>): number {
  const bytes = [1];
  let nbytes = 1;
  for (let i = 0; i < 3; i++) {
    let tmp = 0;
    let bc: number;
    for (bc = 0; bc < nbytes; bc++) {
      tmp = bytes[bc] * sizes[i] + tmp;
      bytes[bc] = tmp % 256;
      tmp = Math.floor(tmp / 256);
    }
    while (tmp !== 0) {
      bytes[bc++] = tmp % 256;
      tmp = Math.floor(tmp / 256);
    }
    nbytes = bc;
  }
  let num = 1;
  let bits = 0;
  nbytes--;
  while (bytes[nbytes] >= num) {
    bits++;
    num *= 2;
  }
  return bits + nbytes * 8;
}

export class CorruptXtcError extends Error {}

class BitReader {
  cnt = 0;
  lastbits = 0;
  lastbyte = 0;
  private readonly bytes = new Array<number>(32).fill(0);
  constructor(
    readonly buf: Uint8Array,
    readonly len: number,
  ) {}

  bits(nbits: number): number {
    const buf = this.buf;
    let num = 0;
    let cnt = this.cnt;
    let lastbits = this.lastbits;
    let lastbyte = this.lastbyte;
    const n0 = nbits;
    while (nbits >= 8) {
      lastbyte = (lastbyte << 8) | buf[cnt++];
      num |= (lastbyte >>> lastbits) << (nbits - 8);
      nbits -= 8;
    }
    if (nbits > 0) {
      if (lastbits < nbits) {
        lastbits += 8;
        lastbyte = (lastbyte << 8) | buf[cnt++];
      }
      lastbits -= nbits;
      num |= (lastbyte >>> lastbits) & ((1 << nbits) - 1);
    }
    this.cnt = cnt;
    this.lastbits = lastbits;
    this.lastbyte = lastbyte;
    if (cnt > this.len) throw new CorruptXtcError('compressed data ends early');
    return n0 >= 32 ? num >>> 0 : (num & ((1 << n0) - 1)) >>> 0;
  }

  ints(nbits: number, sizes: ArrayLike<number>, out: Int32Array | number[]): void {
    const bytes = this.bytes;
    bytes[0] = bytes[1] = bytes[2] = bytes[3] = 0;
    let nbytes = 0;
    while (nbits > 8) {
      bytes[nbytes++] = this.bits(8);
      nbits -= 8;
    }
    if (nbits > 0) bytes[nbytes++] = this.bits(nbits);
    for (let i = 2; i > 0; i--) {
      let num = 0;
      const s = sizes[i];
      for (let j = nbytes - 1; j >= 0; j--) {
        num = num * 256 + bytes[j];
        const p = Math.floor(num / s);
        bytes[j] = p;
        num -= p * s;
      }
      out[i] = num;
    }
    out[0] = bytes[0] + bytes[1] * 256 + bytes[2] * 65536 + bytes[3] * 16777216;
  }
}

/**
 * Decodes one frame's compressed coordinates into `out` (3*natoms, multiplied by `scale / precision`,
 * e.g. scale 10 for nm -> Å).
 */
export function decompressCoords(
  data: Uint8Array,
  byteCount: number,
  natoms: number,
  precision: number,
  minint: ArrayLike<number>,
  maxint: ArrayLike<number>,
  smallidxIn: number,
  out: Float32Array | Float64Array,
  scale = 1,
): void {
  const sizeint = [maxint[0] - minint[0] + 1, maxint[1] - minint[1] + 1, maxint[2] - minint[2] + 1];
  const bitsizeint = [0, 0, 0];
  let bitsize: number;
  if (sizeint[0] <= 0 || sizeint[1] <= 0 || sizeint[2] <= 0) throw new CorruptXtcError('bad coordinate range (maxint < minint)');
  if ((sizeint[0] | sizeint[1] | sizeint[2]) > 0xffffff || sizeint.some((s) => s > 0xffffff)) {
    bitsizeint[0] = sizeofint(sizeint[0]);
    bitsizeint[1] = sizeofint(sizeint[1]);
    bitsizeint[2] = sizeofint(sizeint[2]);
    bitsize = 0;
  } else bitsize = sizeofints(sizeint);
  let smallidx = smallidxIn;
  if (smallidx < FIRSTIDX || smallidx >= LASTIDX) throw new CorruptXtcError(`bad small-integer index ${smallidx}`);
  let smaller = MAGICINTS[Math.max(FIRSTIDX, smallidx - 1)] >> 1;
  let smallnum = MAGICINTS[smallidx] >> 1;
  const sizesmall = [MAGICINTS[smallidx], MAGICINTS[smallidx], MAGICINTS[smallidx]];
  const r = new BitReader(data, byteCount);
  const tc = new Int32Array(3);
  const inv = scale / precision;
  const m0 = minint[0], m1 = minint[1], m2 = minint[2];
  let i = 0;
  let o = 0;
  let run = 0;
  const n3 = 3 * natoms;
  while (i < natoms) {
    let t0: number, t1: number, t2: number;
    if (bitsize === 0) {
      t0 = r.bits(bitsizeint[0]);
      t1 = r.bits(bitsizeint[1]);
      t2 = r.bits(bitsizeint[2]);
    } else {
      r.ints(bitsize, sizeint, tc);
      t0 = tc[0];
      t1 = tc[1];
      t2 = tc[2];
    }
    i++;
    t0 += m0;
    t1 += m1;
    t2 += m2;
    let p0 = t0, p1 = t1, p2 = t2;
    const flag = r.bits(1);
    let isSmaller = 0;
    if (flag === 1) {
      run = r.bits(5);
      isSmaller = run % 3;
      run -= isSmaller;
      isSmaller--;
    }
    if (run > 0) {
      if (o + run + 3 > n3) throw new CorruptXtcError('run of small differences goes past the last atom');
      for (let k = 0; k < run; k += 3) {
        r.ints(smallidx, sizesmall, tc);
        i++;
        t0 = tc[0] + p0 - smallnum;
        t1 = tc[1] + p1 - smallnum;
        t2 = tc[2] + p2 - smallnum;
        if (k === 0) {
          // The writer swapped the first two atoms of a run (water): swap back.
          let tmp = t0;
          t0 = p0;
          p0 = tmp;
          tmp = t1;
          t1 = p1;
          p1 = tmp;
          tmp = t2;
          t2 = p2;
          p2 = tmp;
          out[o++] = p0 * inv;
          out[o++] = p1 * inv;
          out[o++] = p2 * inv;
        } else {
          p0 = t0;
          p1 = t1;
          p2 = t2;
        }
        out[o++] = t0 * inv;
        out[o++] = t1 * inv;
        out[o++] = t2 * inv;
      }
    } else {
      if (o + 3 > n3) throw new CorruptXtcError('more atoms than declared');
      out[o++] = t0 * inv;
      out[o++] = t1 * inv;
      out[o++] = t2 * inv;
    }
    smallidx += isSmaller;
    if (smallidx < FIRSTIDX || smallidx >= LASTIDX) throw new CorruptXtcError(`small-integer index ${smallidx} out of range`);
    if (isSmaller < 0) {
      smallnum = smaller;
      smaller = smallidx > FIRSTIDX ? MAGICINTS[smallidx - 1] >> 1 : 0;
    } else if (isSmaller > 0) {
      smaller = smallnum;
      smallnum = MAGICINTS[smallidx] >> 1;
    }
    sizesmall[0] = sizesmall[1] = sizesmall[2] = MAGICINTS[smallidx];
  }
  if (o !== n3) throw new CorruptXtcError(`decoded ${o / 3} atoms, expected ${natoms}`);
}

class BitWriter {
  buf: Uint8Array;
  cnt = 0;
  lastbits = 0;
  lastbyte = 0;
  private readonly bytes = new Array<number>(32).fill(0);
  constructor(cap: number) {
    this.buf = new Uint8Array(Math.max(64, cap));
  }
  bits(nbits: number, num: number): void {
    if (this.cnt + 8 >= this.buf.length) {
      const b = new Uint8Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    const buf = this.buf;
    let cnt = this.cnt;
    let lastbits = this.lastbits;
    let lastbyte = this.lastbyte;
    while (nbits >= 8) {
      lastbyte = (lastbyte << 8) | ((num >>> (nbits - 8)) & 0xff);
      buf[cnt++] = lastbyte >>> lastbits;
      nbits -= 8;
    }
    if (nbits > 0) {
      lastbyte = (lastbyte << nbits) | num;
      lastbits += nbits;
      if (lastbits >= 8) {
        lastbits -= 8;
        buf[cnt++] = lastbyte >>> lastbits;
      }
    }
    this.cnt = cnt;
    this.lastbits = lastbits;
    this.lastbyte = lastbyte;
  }
  ints(nbits: number, sizes: ArrayLike<number>, n0: number, n1: number, n2: number): void {
    const bytes = this.bytes;
    let nbytes = 0;
    let tmp = n0;
    do {
      bytes[nbytes++] = tmp % 256;
      tmp = Math.floor(tmp / 256);
    } while (tmp !== 0);
    for (let i = 1; i < 3; i++) {
      const v = i === 1 ? n1 : n2;
      if (v >= sizes[i] || v < 0) throw new Error(`xtc compression: value ${v} outside size ${sizes[i]}`);
      tmp = v;
      let bc: number;
      for (bc = 0; bc < nbytes; bc++) {
        tmp = bytes[bc] * sizes[i] + tmp;
        bytes[bc] = tmp % 256;
        tmp = Math.floor(tmp / 256);
      }
      while (tmp !== 0) {
        bytes[bc++] = tmp % 256;
        tmp = Math.floor(tmp / 256);
      }
      nbytes = bc;
    }
    if (nbits >= nbytes * 8) {
      for (let i = 0; i < nbytes; i++) this.bits(8, bytes[i]);
      this.bits(nbits - nbytes * 8, 0);
    } else {
      for (let i = 0; i < nbytes - 1; i++) this.bits(8, bytes[i]);
      this.bits(nbits - (nbytes - 1) * 8, bytes[nbytes - 1]);
    }
  }
  finish(): Uint8Array {
    if (this.lastbits > 0) {
      this.buf[this.cnt] = (this.lastbyte << (8 - this.lastbits)) & 0xff;
      this.cnt++;
    }
    return this.buf.subarray(0, this.cnt);
  }
}

export interface CompressedCoords {
  minint: [number, number, number];
  maxint: [number, number, number];
  smallidx: number;
  bytes: Uint8Array;
}

/** Compresses 3*natoms coordinates (in the file's unit, nm for XTC) at `precision` (natoms > 9). */
export function compressCoords(coords: ArrayLike<number>, natoms: number, precision: number): CompressedCoords {
  const n3 = natoms * 3;
  const ip = new Int32Array(n3);
  const minint: [number, number, number] = [2147483647, 2147483647, 2147483647];
  const maxint: [number, number, number] = [-2147483648, -2147483648, -2147483648];
  let mindiff = 2147483647;
  let o1 = 0, o2 = 0, o3 = 0;
  for (let i = 0; i < natoms; i++) {
    for (let j = 0; j < 3; j++) {
      const f = coords[3 * i + j];
      const lf = f >= 0 ? f * precision + 0.5 : f * precision - 0.5;
      if (!(Math.abs(lf) < MAXABS)) throw new RangeError(`xtc compression: coordinate ${f} cannot be stored at precision ${precision}`);
      const li = Math.trunc(lf);
      if (li < minint[j]) minint[j] = li;
      if (li > maxint[j]) maxint[j] = li;
      ip[3 * i + j] = li;
    }
    const a = ip[3 * i], b = ip[3 * i + 1], c = ip[3 * i + 2];
    const diff = Math.abs(o1 - a) + Math.abs(o2 - b) + Math.abs(o3 - c);
    if (diff < mindiff && i >= 1) mindiff = diff;
    o1 = a;
    o2 = b;
    o3 = c;
  }
  if (maxint[0] - minint[0] >= MAXABS || maxint[1] - minint[1] >= MAXABS || maxint[2] - minint[2] >= MAXABS) {
    throw new RangeError('xtc compression: coordinate range too large for the precision');
  }
  const sizeint = [maxint[0] - minint[0] + 1, maxint[1] - minint[1] + 1, maxint[2] - minint[2] + 1];
  const bitsizeint = [0, 0, 0];
  let bitsize: number;
  if (sizeint[0] > 0xffffff || sizeint[1] > 0xffffff || sizeint[2] > 0xffffff) {
    bitsizeint[0] = sizeofint(sizeint[0]);
    bitsizeint[1] = sizeofint(sizeint[1]);
    bitsizeint[2] = sizeofint(sizeint[2]);
    bitsize = 0;
  } else bitsize = sizeofints(sizeint);
  let smallidx = FIRSTIDX;
  while (smallidx < LASTIDX && MAGICINTS[smallidx] < mindiff) smallidx++;
  const smallidx0 = smallidx;
  const maxidx = Math.min(LASTIDX, smallidx + 8);
  const minidx = maxidx - 8;
  let smaller = MAGICINTS[Math.max(FIRSTIDX, smallidx - 1)] >> 1;
  let smallnum = MAGICINTS[smallidx] >> 1;
  const sizesmall = [MAGICINTS[smallidx], MAGICINTS[smallidx], MAGICINTS[smallidx]];
  const larger = MAGICINTS[maxidx] >> 1;
  const w = new BitWriter(Math.ceil(n3 * 4 * 1.2) + 64);
  const tmpcoord = new Array<number>(24).fill(0);
  let prevrun = -1;
  let p0 = 0, p1 = 0, p2 = 0;
  let i = 0;
  while (i < natoms) {
    let isSmall = 0;
    let t = 3 * i;
    let isSmaller: number;
    // (smallidx + 1 < LASTIDX: xdrfile would read past its table there; only reachable with absurd spacing)
    if (smallidx < maxidx && smallidx + 1 < LASTIDX && i >= 1 && Math.abs(ip[t] - p0) < larger && Math.abs(ip[t + 1] - p1) < larger && Math.abs(ip[t + 2] - p2) < larger) isSmaller = 1;
    else if (smallidx > minidx) isSmaller = -1;
    else isSmaller = 0;
    if (i + 1 < natoms) {
      if (Math.abs(ip[t] - ip[t + 3]) < smallnum && Math.abs(ip[t + 1] - ip[t + 4]) < smallnum && Math.abs(ip[t + 2] - ip[t + 5]) < smallnum) {
        // Swap this atom with the next one (better compression for water molecules).
        for (let d = 0; d < 3; d++) {
          const tmp = ip[t + d];
          ip[t + d] = ip[t + 3 + d];
          ip[t + 3 + d] = tmp;
        }
        isSmall = 1;
      }
    }
    const c0 = ip[t] - minint[0], c1 = ip[t + 1] - minint[1], c2 = ip[t + 2] - minint[2];
    if (bitsize === 0) {
      w.bits(bitsizeint[0], c0);
      w.bits(bitsizeint[1], c1);
      w.bits(bitsizeint[2], c2);
    } else w.ints(bitsize, sizeint, c0, c1, c2);
    p0 = ip[t];
    p1 = ip[t + 1];
    p2 = ip[t + 2];
    t += 3;
    i++;
    let run = 0;
    if (isSmall === 0 && isSmaller === -1) isSmaller = 0;
    while (isSmall && run < 8 * 3) {
      const d0 = ip[t] - p0, d1 = ip[t + 1] - p1, d2 = ip[t + 2] - p2;
      if (isSmaller === -1 && d0 * d0 + d1 * d1 + d2 * d2 >= smaller * smaller) isSmaller = 0;
      tmpcoord[run++] = d0 + smallnum;
      tmpcoord[run++] = d1 + smallnum;
      tmpcoord[run++] = d2 + smallnum;
      p0 = ip[t];
      p1 = ip[t + 1];
      p2 = ip[t + 2];
      i++;
      t += 3;
      isSmall = 0;
      if (i < natoms && Math.abs(ip[t] - p0) < smallnum && Math.abs(ip[t + 1] - p1) < smallnum && Math.abs(ip[t + 2] - p2) < smallnum) isSmall = 1;
    }
    if (run !== prevrun || isSmaller !== 0) {
      prevrun = run;
      w.bits(1, 1);
      w.bits(5, run + isSmaller + 1);
    } else w.bits(1, 0);
    for (let k = 0; k < run; k += 3) w.ints(smallidx, sizesmall, tmpcoord[k], tmpcoord[k + 1], tmpcoord[k + 2]);
    if (isSmaller !== 0) {
      smallidx += isSmaller;
      if (isSmaller < 0) {
        smallnum = smaller;
        smaller = MAGICINTS[smallidx - 1] >> 1;
      } else {
        smaller = smallnum;
        smallnum = MAGICINTS[smallidx] >> 1;
      }
      sizesmall[0] = sizesmall[1] = sizesmall[2] = MAGICINTS[smallidx];
    }
  }
  return { minint, maxint, smallidx: smallidx0, bytes: w.finish() };
}
