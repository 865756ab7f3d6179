/**
 * CHARMM/NAMD DCD (Fortran unformatted records, either byte order, Å, optional unit cell).
 * Fixed-atom DCDs (NAMNF > 0, only free atoms stored after frame 1) are refused.
 */
import { InputError } from '../errors';
import type { Box, Frame } from '../structure/types';
import { FileCursor } from './file';
import type { TrajectoryReader } from './types';
import type { OutputFile } from '../io/output-file';

/** One AKMA time unit in ps (CHARMM's internal time unit, used for DELTA). */
export const AKMA_PS = 0.04888821;
const DEG = 180 / Math.PI;

export class DcdReader implements TrajectoryReader {
  readonly format = 'dcd' as const;
  readonly natoms: number;
  private readonly f: FileCursor;
  private readonly le: boolean;
  private readonly hasCell: boolean;
  private readonly has4d: boolean;
  private readonly istart: number;
  private readonly nsavc: number;
  private readonly delta: number; // AKMA units
  readonly headerSize: number;
  readonly frameSize: number;
  /** NSET from the header (may be 0 or stale in files written by a crashed run). */
  readonly declaredFrames: number;
  readonly title: string;
  private index = 0;

  constructor(readonly path: string) {
    const f = (this.f = new FileCursor(path));
    try {
      if (f.size === 0) throw new InputError('trajectory file is empty', path);
      const m = f.read(4);
      if (!m) throw new InputError('not a DCD file (too short)', path);
      if (m.readInt32LE(0) === 84) this.le = true;
      else if (m.readInt32BE(0) === 84) this.le = false;
      else if (f.size >= 8 && m.readInt32LE(0) === 0) throw new InputError('DCD files with 64-bit record markers are not supported', path);
      else throw new InputError('not a DCD file (first record is not the 84-byte CORD header)', path);
      const h = f.read(88);
      if (!h) throw new InputError('truncated DCD header', path);
      if (h.toString('latin1', 0, 4) !== 'CORD') throw new InputError(`not a coordinate DCD file (header "${h.toString('latin1', 0, 4)}", expected CORD)`, path);
      const i32 = (k: number) => (this.le ? h.readInt32LE(4 + 4 * k) : h.readInt32BE(4 + 4 * k));
      const icntrl = Array.from({ length: 20 }, (_, k) => i32(k));
      if ((this.le ? h.readInt32LE(84) : h.readInt32BE(84)) !== 84) throw new InputError('corrupt DCD header (record end marker)', path);
      const charmm = icntrl[19] !== 0;
      this.declaredFrames = icntrl[0];
      this.istart = icntrl[1];
      this.nsavc = icntrl[2] || 1;
      const namnf = icntrl[8];
      if (charmm) this.delta = this.le ? h.readFloatLE(4 + 36) : h.readFloatBE(4 + 36);
      else this.delta = this.le ? h.readDoubleLE(4 + 36) : h.readDoubleBE(4 + 36); // X-PLOR: double DELTA
      this.hasCell = charmm && icntrl[10] !== 0;
      this.has4d = charmm && icntrl[11] !== 0;
      // Title record
      const tl = this.int(f.read(4));
      if (tl === null || tl < 4) throw new InputError('truncated or corrupt DCD title record', path);
      const t = f.read(tl + 4);
      if (!t) throw new InputError('truncated DCD title record', path);
      const ntitle = this.le ? t.readInt32LE(0) : t.readInt32BE(0);
      const titles: string[] = [];
      for (let k = 0; k < ntitle && 4 + 80 * (k + 1) <= tl; k++) titles.push(t.toString('latin1', 4 + 80 * k, 4 + 80 * (k + 1)).replace(/\0/g, '').trim());
      this.title = titles.filter(Boolean).join(' ');
      const na = f.read(12);
      if (!na) throw new InputError('truncated DCD header (atom count record)', path);
      const natoms = this.le ? na.readInt32LE(4) : na.readInt32BE(4);
      if (natoms <= 0) throw new InputError(`DCD file declares ${natoms} atoms`, path);
      this.natoms = natoms;
      if (namnf > 0) throw new InputError(`DCD file has ${namnf} fixed atoms (NAMNF); fixed-atom DCDs are not supported — write all atoms in every frame`, path);
      this.headerSize = f.pos;
      this.frameSize = (this.hasCell ? 56 : 0) + 3 * (8 + 4 * natoms) + (this.has4d ? 8 + 4 * natoms : 0);
    } catch (e) {
      f.close();
      throw e;
    }
  }

  private int(b: Buffer | null): number | null {
    if (!b) return null;
    return this.le ? b.readInt32LE(0) : b.readInt32BE(0);
  }

  /** Complete frames in the file (from its size). */
  get frameCount(): number {
    return Math.floor((this.f.size - this.headerSize) / this.frameSize);
  }

  next(): Frame | null {
    const f = this.f;
    if (f.remaining === 0) return null;
    const start = f.pos;
    const d = f.read(this.frameSize);
    if (!d) {
      throw new InputError(`truncated DCD file: frame index ${this.index} (0-based) starting at byte offset ${start} needs ${this.frameSize} bytes, only ${f.remaining} remain`, this.path);
    }
    const le = this.le;
    const i32 = (o: number) => (le ? d.readInt32LE(o) : d.readInt32BE(o));
    let o = 0;
    let box: Box | null = null;
    if (this.hasCell) {
      if (i32(0) !== 48) throw new InputError(`corrupt DCD file: frame index ${this.index} at byte offset ${start}: unit-cell record marker ${i32(0)}`, this.path);
      const c = Array.from({ length: 6 }, (_, k) => (le ? d.readDoubleLE(4 + 8 * k) : d.readDoubleBE(4 + 8 * k)));
      box = cellToBox(c);
      o = 56;
    }
    const n = this.natoms;
    const coords = new Float32Array(3 * n);
    for (let dim = 0; dim < 3; dim++) {
      if (i32(o) !== 4 * n) throw new InputError(`corrupt DCD file: frame index ${this.index} at byte offset ${start + o}: record marker ${i32(o)}, expected ${4 * n}`, this.path);
      o += 4;
      for (let k = 0; k < n; k++) coords[3 * k + dim] = le ? d.readFloatLE(o + 4 * k) : d.readFloatBE(o + 4 * k);
      o += 4 * n + 4;
    }
    const step = this.istart + this.index * this.nsavc;
    const time = step * this.delta * AKMA_PS;
    return { index: this.index++, time, step, coords, box };
  }

  close(): void {
    this.f.close();
  }
}

/** DCD unit cell [A, gamma, B, beta, alpha, C]: angles as cosines (NAMD, CHARMM ≥ c25) or degrees. */
function cellToBox(c: number[]): Box | null {
  const [a, g, b, be, al, cc] = c;
  if (!(a > 0 && b > 0 && cc > 0)) return null;
  const cosines = Math.abs(g) <= 1 && Math.abs(be) <= 1 && Math.abs(al) <= 1;
  const ang = (v: number) => Math.round((cosines ? Math.acos(v) * DEG : v) * 1e4) / 1e4;
  return { a, b, c: cc, alpha: ang(al), beta: ang(be), gamma: ang(g) };
}

export class DcdWriter {
  readonly format = 'dcd' as const;
  count = 0;
  private headerWritten = false;
  private hasCell = false;
  private t0 = 0;
  private step0 = 0;

  constructor(
    readonly path: string,
    readonly natoms: number,
    private readonly out: OutputFile,
  ) {}

  private icntrl(nset: number, nsavc: number, delta: number): Buffer {
    const b = Buffer.alloc(92);
    b.writeInt32LE(84, 0);
    b.write('CORD', 4, 'latin1');
    const ic = new Array<number>(20).fill(0);
    ic[0] = nset;
    ic[1] = this.step0;
    ic[2] = nsavc;
    ic[3] = nset * nsavc;
    ic[10] = this.hasCell ? 1 : 0;
    ic[19] = 24; // CHARMM version: CHARMM-style header (float DELTA, unit cell flag)
    for (let k = 0; k < 20; k++) b.writeInt32LE(ic[k], 8 + 4 * k);
    b.writeFloatLE(delta, 8 + 36);
    b.writeInt32LE(84, 88);
    return b;
  }

  private nsavc = 1;
  private delta = 1 / AKMA_PS; // 1 ps until a second frame tells the interval

  private writeHeader(): void {
    this.out.append(this.icntrl(0, 1, this.delta));
    const title = Buffer.alloc(4 + 4 + 160 + 4);
    title.writeInt32LE(164, 0);
    title.writeInt32LE(2, 4);
    title.write('REMARKS Created by Backmap Studio'.padEnd(80, ' '), 8, 'latin1');
    title.write(`REMARKS ${new Date().toISOString()}`.padEnd(80, ' '), 88, 'latin1');
    title.writeInt32LE(164, 168);
    this.out.append(title);
    const na = Buffer.alloc(12);
    na.writeInt32LE(4, 0);
    na.writeInt32LE(this.natoms, 4);
    na.writeInt32LE(4, 8);
    this.out.append(na);
    this.headerWritten = true;
  }

  write(frame: Frame): void {
    const n = this.natoms;
    if (frame.coords.length !== 3 * n) throw new Error(`DCD writer: frame has ${frame.coords.length / 3} atoms, the file has ${n}`);
    if (!this.headerWritten) {
      this.hasCell = frame.box !== null;
      this.t0 = frame.time;
      this.step0 = frame.step | 0;
      // Time is stored as (ISTART + i*NSAVC)*DELTA: DELTA per step from time/step when both are known.
      if (this.step0 > 0 && frame.time > 0) this.delta = frame.time / this.step0 / AKMA_PS;
      this.writeHeader();
    } else if (this.count === 1) {
      const ds = (frame.step | 0) - this.step0;
      const dt = frame.time - this.t0;
      if (ds > 0 && dt > 0) {
        this.nsavc = ds;
        this.delta = dt / ds / AKMA_PS;
      } else if (dt > 0) {
        this.nsavc = 1;
        this.delta = dt / AKMA_PS;
      }
    }
    const b = Buffer.alloc((this.hasCell ? 56 : 0) + 3 * (8 + 4 * n));
    let o = 0;
    if (this.hasCell) {
      b.writeInt32LE(48, 0);
      const bx = frame.box;
      const cell = bx ? [bx.a, Math.cos(bx.gamma / DEG), bx.b, Math.cos(bx.beta / DEG), Math.cos(bx.alpha / DEG), bx.c] : [0, 0, 0, 0, 0, 0];
      for (let k = 0; k < 6; k++) b.writeDoubleLE(cell[k], 4 + 8 * k);
      b.writeInt32LE(48, 52);
      o = 56;
    }
    const c = frame.coords;
    for (let dim = 0; dim < 3; dim++) {
      b.writeInt32LE(4 * n, o);
      o += 4;
      for (let k = 0; k < n; k++) b.writeFloatLE(c[3 * k + dim], o + 4 * k);
      o += 4 * n;
      b.writeInt32LE(4 * n, o);
      o += 4;
    }
    this.out.append(b);
    this.count++;
  }

  close(): void {
    if (!this.headerWritten) this.writeHeader();
    this.out.patch(this.icntrl(this.count, this.nsavc, this.delta), 0);
    this.out.commit();
  }
  abort(): void {
    this.out.discard();
  }
}
