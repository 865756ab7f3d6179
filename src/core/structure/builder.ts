import type { AtomTable, Residue, Structure, Box } from './types';
import { growTyped, type NumericArray } from './typed';

export interface AtomInit {
  name: string;
  resName: string;
  chainId?: string;
  resSeq: number;
  iCode?: string;
  element?: string;
  altLoc?: string;
  x: number;
  y: number;
  z: number;
  occupancy?: number;
  bFactor?: number;
  hetero?: boolean;
  segId?: string;
  serial?: number;
  sourceLine?: number;
}

/** Growable struct-of-arrays atom storage; `build()` trims it to a `Structure`. */
export class StructureBuilder {
  private n = 0;
  private cap: number;
  private serial: Int32Array;
  private resSeq: Int32Array;
  private occupancy: Float32Array;
  private bFactor: Float32Array;
  private hetero: Uint8Array;
  private sourceLine: Int32Array;
  private coords: Float64Array;
  private readonly name: string[] = [];
  private readonly altLoc: string[] = [];
  private readonly resName: string[] = [];
  private readonly chainId: string[] = [];
  private readonly iCode: string[] = [];
  private readonly element: string[] = [];
  private readonly segId: string[] = [];

  constructor(capacity = 1024) {
    this.cap = Math.max(16, capacity);
    this.serial = new Int32Array(this.cap);
    this.resSeq = new Int32Array(this.cap);
    this.occupancy = new Float32Array(this.cap);
    this.bFactor = new Float32Array(this.cap);
    this.hetero = new Uint8Array(this.cap);
    this.sourceLine = new Int32Array(this.cap);
    this.coords = new Float64Array(this.cap * 3);
  }

  get count(): number {
    return this.n;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const g = <T extends NumericArray>(a: T, k = 1): T => growTyped(a, cap * k);
    this.serial = g(this.serial);
    this.resSeq = g(this.resSeq);
    this.occupancy = g(this.occupancy);
    this.bFactor = g(this.bFactor);
    this.hetero = g(this.hetero);
    this.sourceLine = g(this.sourceLine);
    this.coords = g(this.coords, 3);
    this.cap = cap;
  }

  addAtom(a: AtomInit): number {
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    this.serial[i] = a.serial ?? i + 1;
    this.name.push(a.name);
    this.altLoc.push(a.altLoc ?? '');
    this.resName.push(a.resName);
    this.chainId.push(a.chainId ?? '');
    this.resSeq[i] = a.resSeq;
    this.iCode.push(a.iCode ?? '');
    this.element.push(a.element ?? '');
    this.occupancy[i] = a.occupancy ?? 1;
    this.bFactor[i] = a.bFactor ?? 0;
    this.hetero[i] = a.hetero ? 1 : 0;
    this.segId.push(a.segId ?? '');
    this.sourceLine[i] = a.sourceLine ?? 0;
    this.coords[3 * i] = a.x;
    this.coords[3 * i + 1] = a.y;
    this.coords[3 * i + 2] = a.z;
    return i;
  }

  build(source: string, title = '', box: Box | null = null, extraModels: Float64Array[] = []): Structure {
    const n = this.n;
    const atoms: AtomTable = {
      count: n,
      serial: this.serial.slice(0, n),
      name: this.name,
      altLoc: this.altLoc,
      resName: this.resName,
      chainId: this.chainId,
      resSeq: this.resSeq.slice(0, n),
      iCode: this.iCode,
      element: this.element,
      occupancy: this.occupancy.slice(0, n),
      bFactor: this.bFactor.slice(0, n),
      hetero: this.hetero.slice(0, n),
      segId: this.segId,
      sourceLine: this.sourceLine.slice(0, n),
    };
    const coords = this.coords.slice(0, 3 * n);
    return { source, title, atoms, coords, models: [coords, ...extraModels], box };
  }
}

/** Splits atoms into residues: a new residue starts when chain, number, insertion code or name changes. */
export function residuesOf(atoms: AtomTable): Residue[] {
  const out: Residue[] = [];
  let start = 0;
  for (let i = 1; i <= atoms.count; i++) {
    if (
      i === atoms.count ||
      atoms.resSeq[i] !== atoms.resSeq[start] ||
      atoms.chainId[i] !== atoms.chainId[start] ||
      atoms.iCode[i] !== atoms.iCode[start] ||
      atoms.resName[i] !== atoms.resName[start]
    ) {
      if (atoms.count > 0)
        out.push({
          index: out.length,
          chainId: atoms.chainId[start],
          resSeq: atoms.resSeq[start],
          iCode: atoms.iCode[start],
          resName: atoms.resName[start],
          start,
          end: i,
        });
      start = i;
    }
  }
  return out;
}
