/** GROMACS TRR (XDR, big-endian, full-precision float or double; x/v/f each optional per frame). */
import { InputError } from '../errors';
import type { Frame } from '../structure/types';
import { boxFromVectors, boxToVectors } from '../io/box';
import { FileCursor } from './file';
import type { TrajectoryReader } from './types';
import type { OutputFile } from '../io/output-file';

const TRR_MAGIC = 1993;
const VERSION = 'GMX_trn_file';

interface TrrHeader {
  irSize: number;
  eSize: number;
  boxSize: number;
  virSize: number;
  presSize: number;
  topSize: number;
  symSize: number;
  xSize: number;
  vSize: number;
  fSize: number;
  natoms: number;
  step: number;
  double: boolean;
  time: number;
}

export class TrrReader implements TrajectoryReader {
  readonly format = 'trr' as const;
  readonly natoms: number;
  private readonly f: FileCursor;
  private index = 0; // returned (coordinate) frames
  private raw = 0; // frames in the file, with or without coordinates
  private skippedNoX = 0;

  constructor(readonly path: string) {
    this.f = new FileCursor(path);
    if (this.f.size === 0) {
      this.f.close();
      throw new InputError('trajectory file is empty', path);
    }
    const h = this.header(true);
    if (!h) {
      this.f.close();
      throw new InputError('not a TRR file (shorter than a frame header)', path);
    }
    this.natoms = h.natoms;
    this.f.pos = 0;
  }

  private header(first = false): TrrHeader | null {
    const f = this.f;
    const start = f.pos;
    const a = f.read(12);
    if (!a) return null;
    const magic = a.readInt32BE(0);
    if (magic !== TRR_MAGIC) {
      if (first) {
        this.f.close();
        throw new InputError(`not a TRR file (magic number ${magic}, expected ${TRR_MAGIC})`, this.path);
      }
      throw new InputError(`corrupt TRR file: frame index ${this.raw} at byte offset ${start} has magic number ${magic}`, this.path);
    }
    const slen = a.readInt32BE(8);
    if (slen < 0 || slen > 128) throw new InputError(`corrupt TRR file: frame index ${this.raw} at byte offset ${start}: version string length ${slen}`, this.path);
    if (!f.skip((slen + 3) & ~3)) this.truncated(start, 'header');
    const b = f.read(13 * 4);
    if (!b) this.truncated(start, 'header');
    const s = (k: number) => b.readInt32BE(4 * k);
    const h = {
      irSize: s(0), eSize: s(1), boxSize: s(2), virSize: s(3), presSize: s(4), topSize: s(5), symSize: s(6),
      xSize: s(7), vSize: s(8), fSize: s(9), natoms: s(10), step: s(11), double: false, time: 0,
    };
    if (h.natoms <= 0) throw new InputError(`TRR frame index ${this.raw} at byte offset ${start} declares ${h.natoms} atoms`, this.path);
    // Precision from whichever block is present (GROMACS' own rule).
    let real = 4;
    if (h.boxSize) real = h.boxSize / 9;
    else if (h.xSize) real = h.xSize / (3 * h.natoms);
    else if (h.vSize) real = h.vSize / (3 * h.natoms);
    else if (h.fSize) real = h.fSize / (3 * h.natoms);
    if (real !== 4 && real !== 8) throw new InputError(`corrupt TRR file: frame index ${this.raw} at byte offset ${start}: cannot tell float from double (box ${h.boxSize} bytes, x ${h.xSize} bytes)`, this.path);
    h.double = real === 8;
    const t = f.read(2 * real);
    if (!t) this.truncated(start, 'header');
    h.time = h.double ? t.readDoubleBE(0) : t.readFloatBE(0);
    return h;
  }

  private truncated(start: number, what: string): never {
    throw new InputError(`truncated TRR file: frame index ${this.raw} (0-based) starting at byte offset ${start} ends inside its ${what} (file size ${this.f.size} bytes)`, this.path);
  }

  next(): Frame | null {
    const f = this.f;
    for (;;) {
      if (f.remaining === 0) {
        if (this.index === 0 && this.skippedNoX > 0) throw new InputError(`TRR file has ${this.skippedNoX} frames but none with coordinates`, this.path);
        return null;
      }
      const start = f.pos;
      const h = this.header();
      if (!h) this.truncated(start, 'header');
      if (h.natoms !== this.natoms) throw new InputError(`TRR frame index ${this.raw} at byte offset ${start} has ${h.natoms} atoms, the first frame has ${this.natoms}`, this.path);
      const real = h.double ? 8 : 4;
      const rd = (buf: Buffer, k: number) => (h.double ? buf.readDoubleBE(8 * k) : buf.readFloatBE(4 * k));
      if (!f.skip(h.irSize + h.eSize)) this.truncated(start, 'data');
      let box = null;
      if (h.boxSize) {
        const b = f.read(h.boxSize);
        if (!b) this.truncated(start, 'box');
        const m = new Array<number>(9);
        for (let k = 0; k < 9; k++) m[k] = rd(b, k);
        box = boxFromVectors(m, 10);
      }
      if (!f.skip(h.virSize + h.presSize + h.topSize + h.symSize)) this.truncated(start, 'data');
      let coords: Float32Array | Float64Array | null = null;
      if (h.xSize) {
        if (h.xSize !== 3 * real * h.natoms) throw new InputError(`corrupt TRR file: frame index ${this.raw} at byte offset ${start}: coordinate block of ${h.xSize} bytes for ${h.natoms} atoms`, this.path);
        const x = f.read(h.xSize);
        if (!x) this.truncated(start, 'coordinates');
        const n3 = 3 * h.natoms;
        coords = h.double ? new Float64Array(n3) : new Float32Array(n3);
        for (let k = 0; k < n3; k++) coords[k] = rd(x, k) * 10;
      }
      if (!f.skip(h.vSize + h.fSize)) this.truncated(start, 'velocities/forces');
      this.raw++;
      if (!coords) {
        // Velocity- or force-only frames carry nothing to backmap.
        this.skippedNoX++;
        continue;
      }
      return { index: this.index++, time: h.time, step: h.step, coords, box };
    }
  }

  close(): void {
    this.f.close();
  }
}

export class TrrWriter {
  readonly format = 'trr' as const;
  count = 0;
  constructor(
    readonly path: string,
    readonly natoms: number,
    private readonly out: OutputFile,
    readonly double = false,
  ) {}

  write(frame: Frame): void {
    const n = this.natoms;
    if (frame.coords.length !== 3 * n) throw new Error(`TRR writer: frame has ${frame.coords.length / 3} atoms, the file has ${n}`);
    const real = this.double ? 8 : 4;
    const boxSize = frame.box ? 9 * real : 0;
    const xSize = 3 * n * real;
    const hdr = 12 + 12 + 13 * 4 + 2 * real;
    const b = Buffer.alloc(hdr + boxSize + xSize);
    let o = 0;
    const i32 = (v: number) => {
      b.writeInt32BE(v, o);
      o += 4;
    };
    const r = (v: number) => {
      if (this.double) b.writeDoubleBE(v, o);
      else b.writeFloatBE(v, o);
      o += real;
    };
    i32(TRR_MAGIC);
    i32(VERSION.length + 1);
    i32(VERSION.length);
    b.write(VERSION, o, 'latin1');
    o += 12;
    for (const v of [0, 0, boxSize, 0, 0, 0, 0, xSize, 0, 0, n, frame.step | 0, 0]) i32(v);
    r(frame.time);
    r(0); // lambda
    if (frame.box) for (const v of boxToVectors(frame.box, 0.1)) r(v);
    const c = frame.coords;
    for (let k = 0; k < 3 * n; k++) r(c[k] / 10);
    this.out.append(b);
    this.count++;
  }

  close(): void {
    this.out.commit();
  }
  abort(): void {
    this.out.discard();
  }
}
