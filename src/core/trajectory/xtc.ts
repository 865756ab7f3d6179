/** GROMACS XTC (XDR, big-endian, lossy compressed coordinates in nm; see xtc-codec.ts). */
import { InputError } from '../errors';
import type { Box, Frame } from '../structure/types';
import { boxFromVectors, boxToVectors } from '../io/box';
import { FileCursor } from './file';
import { CorruptXtcError, compressCoords, decompressCoords } from './xtc-codec';
import type { TrajectoryReader } from './types';
import { OutputFile } from '../io/output-file';

const XTC_MAGIC = 1995;
const XTC_MAGIC_2023 = 2023; // GROMACS 2023+: 64-bit byte count for very large frames

export class XtcReader implements TrajectoryReader {
  readonly format = 'xtc' as const;
  readonly natoms: number;
  private readonly f: FileCursor;
  private index = 0;
  private readonly box = new Float32Array(9);

  constructor(readonly path: string) {
    this.f = new FileCursor(path);
    const h = this.f.read(8);
    if (!h) {
      this.f.close();
      throw new InputError(this.f.size === 0 ? 'trajectory file is empty' : 'not an XTC file (shorter than a frame header)', path);
    }
    const magic = h.readInt32BE(0);
    if (magic !== XTC_MAGIC && magic !== XTC_MAGIC_2023) {
      this.f.close();
      throw new InputError(`not an XTC file (magic number ${magic}, expected ${XTC_MAGIC})`, path);
    }
    this.natoms = h.readInt32BE(4);
    if (this.natoms <= 0) {
      this.f.close();
      throw new InputError(`XTC file declares ${this.natoms} atoms`, path);
    }
    this.f.pos = 0;
  }

  private truncated(start: number, what: string): never {
    throw new InputError(`truncated XTC file: frame index ${this.index} (0-based) starting at byte offset ${start} ends inside its ${what} (file size ${this.f.size} bytes)`, this.path);
  }

  next(): Frame | null {
    const f = this.f;
    if (f.remaining === 0) return null;
    const start = f.pos;
    const h = f.read(56);
    if (!h) this.truncated(start, 'header');
    const magic = h.readInt32BE(0);
    if (magic !== XTC_MAGIC && magic !== XTC_MAGIC_2023) throw new InputError(`corrupt XTC file: frame index ${this.index} at byte offset ${start} has magic number ${magic}`, this.path);
    const natoms = h.readInt32BE(4);
    if (natoms !== this.natoms) throw new InputError(`XTC frame index ${this.index} at byte offset ${start} has ${natoms} atoms, the first frame has ${this.natoms}`, this.path);
    const step = h.readInt32BE(8);
    const time = h.readFloatBE(12);
    for (let k = 0; k < 9; k++) this.box[k] = h.readFloatBE(16 + 4 * k);
    const lsize = h.readInt32BE(52);
    if (lsize !== natoms) throw new InputError(`corrupt XTC file: frame index ${this.index} at byte offset ${start}: coordinate count ${lsize} differs from ${natoms}`, this.path);
    const coords = new Float32Array(3 * natoms);
    if (natoms <= 9) {
      const d = f.read(12 * natoms);
      if (!d) this.truncated(start, 'coordinates');
      for (let k = 0; k < 3 * natoms; k++) coords[k] = d.readFloatBE(4 * k) * 10;
    } else {
      const big = magic === XTC_MAGIC_2023;
      const p = f.read(big ? 40 : 36);
      if (!p) this.truncated(start, 'compression header');
      const precision = p.readFloatBE(0);
      const minint = [p.readInt32BE(4), p.readInt32BE(8), p.readInt32BE(12)];
      const maxint = [p.readInt32BE(16), p.readInt32BE(20), p.readInt32BE(24)];
      const smallidx = p.readInt32BE(28);
      const nbytes = big ? Number(p.readBigInt64BE(32)) : p.readInt32BE(32);
      if (!(precision > 0) || nbytes < 0) throw new InputError(`corrupt XTC file: frame index ${this.index} at byte offset ${start} (precision ${precision}, ${nbytes} bytes)`, this.path);
      const padded = (nbytes + 3) & ~3;
      const data = f.read(padded);
      if (!data) this.truncated(start, `compressed coordinates (${nbytes} bytes declared)`);
      try {
        decompressCoords(data, nbytes, natoms, precision, minint, maxint, smallidx, coords, 10);
      } catch (e) {
        if (e instanceof CorruptXtcError) throw new InputError(`corrupt XTC file: frame index ${this.index} at byte offset ${start}: ${e.message}`, this.path);
        throw e;
      }
    }
    const box = boxFromVectors(this.box, 10);
    return { index: this.index++, time, step, coords, box };
  }

  close(): void {
    this.f.close();
  }
}

/** Frames in an XTC file, by walking the frame headers (no decompression). */
export function countXtcFrames(path: string): number {
  const r = new XtcReader(path);
  const f = (r as unknown as { f: FileCursor }).f;
  let n = 0;
  try {
    while (f.remaining > 0) {
      const start = f.pos;
      const h = f.read(56);
      if (!h) throw new InputError(`truncated XTC file: frame index ${n} at byte offset ${start} ends inside its header`, path);
      const natoms = h.readInt32BE(4);
      const magic = h.readInt32BE(0);
      if (natoms <= 9) {
        if (!f.skip(12 * natoms)) throw new InputError(`truncated XTC file: frame index ${n} at byte offset ${start}`, path);
      } else {
        const big = magic === XTC_MAGIC_2023;
        const p = f.read(big ? 40 : 36);
        if (!p) throw new InputError(`truncated XTC file: frame index ${n} at byte offset ${start}`, path);
        const nbytes = big ? Number(p.readBigInt64BE(32)) : p.readInt32BE(32);
        if (!f.skip((nbytes + 3) & ~3)) throw new InputError(`truncated XTC file: frame index ${n} at byte offset ${start}`, path);
      }
      n++;
    }
  } finally {
    r.close();
  }
  return n;
}

export class XtcWriter {
  readonly format = 'xtc' as const;
  private readonly out: OutputFile;
  count = 0;
  constructor(
    readonly path: string,
    readonly natoms: number,
    out: OutputFile,
    readonly precision = 1000,
  ) {
    this.out = out;
  }

  write(frame: Frame): void {
    const n = this.natoms;
    if (frame.coords.length !== 3 * n) throw new Error(`XTC writer: frame has ${frame.coords.length / 3} atoms, the file has ${n}`);
    const nm = new Float32Array(3 * n);
    for (let k = 0; k < 3 * n; k++) nm[k] = frame.coords[k] / 10;
    const boxv = frame.box ? boxToVectors(frame.box, 0.1) : [0, 0, 0, 0, 0, 0, 0, 0, 0];
    let body: Uint8Array;
    if (n <= 9) {
      body = Buffer.alloc(12 * n);
      const b = body as Buffer;
      for (let k = 0; k < 3 * n; k++) b.writeFloatBE(nm[k], 4 * k);
    } else {
      const c = compressCoords(nm, n, this.precision);
      const padded = (c.bytes.length + 3) & ~3;
      const b = Buffer.alloc(36 + padded);
      b.writeFloatBE(this.precision, 0);
      for (let d = 0; d < 3; d++) {
        b.writeInt32BE(c.minint[d], 4 + 4 * d);
        b.writeInt32BE(c.maxint[d], 16 + 4 * d);
      }
      b.writeInt32BE(c.smallidx, 28);
      b.writeInt32BE(c.bytes.length, 32);
      b.set(c.bytes, 36);
      body = b;
    }
    const h = Buffer.alloc(56);
    h.writeInt32BE(XTC_MAGIC, 0);
    h.writeInt32BE(n, 4);
    h.writeInt32BE(frame.step | 0, 8);
    h.writeFloatBE(frame.time, 12);
    for (let k = 0; k < 9; k++) h.writeFloatBE(boxv[k], 16 + 4 * k);
    h.writeInt32BE(n, 52);
    this.out.append(h);
    this.out.append(body);
    this.count++;
  }

  close(): void {
    this.out.commit();
  }
  abort(): void {
    this.out.discard();
  }
}

export type { Box };
