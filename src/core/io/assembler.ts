/**
 * Shared back end of the PDB, GRO and mmCIF readers: collects atoms model by model into struct-of-arrays,
 * keeps one alternate location per atom (blank, else the highest occupancy, first on ties), rejects
 * duplicate atoms and non-finite/absurd coordinates, and checks that every model has the same atoms.
 *
 * Duplicates are detected inside a contiguous residue (same chain, number, insertion code and name):
 * files that legitimately reuse a residue number later (chains with blank ids, restarted numbering in GRO)
 * are not flagged, while the common real problem — a residue's lines pasted twice — is.
 */
import { InputError, type InputWarning } from '../errors';
import type { AtomTable, Box, Structure } from '../structure/types';
import { growTyped, type NumericArray } from '../structure/typed';

export const MAX_ABS_COORD = 1e5; // Å; anything larger is garbage (or nm/pm confusion beyond repair)

/** Residues longer than this switch from a linear name scan to a Map (pathological one-residue systems). */
const RUN_SCAN_LIMIT = 32;

export class ModelAssembler {
  private n = 0;
  private cap: number;
  private serial: Int32Array;
  private resSeq: Int32Array;
  private occ: Float32Array;
  private bfac: Float32Array;
  private het: Uint8Array;
  private line: Int32Array;
  private xyz: Float64Array;
  // Preallocated and written by index: push() on seven million-element arrays costs ~5x more (GC).
  private name: string[];
  private altLoc: string[];
  private resName: string[];
  private chainId: string[];
  private iCode: string[];
  private element: string[];
  private segId: string[];

  private runStart = 0;
  private runChain = '';
  private runResSeq = 0;
  private runICode = '';
  private runResName = '';
  private runMap: Map<string, number> | null = null;
  private forceNewRun = true;

  private model0: { atoms: AtomTable; coords: Float64Array } | null = null;
  private readonly extra: Float64Array[] = [];
  private open = false;
  private modelLine = 0;
  /** Non-fatal problems (e.g. exact duplicate lines dropped). */
  readonly warnings: InputWarning[] = [];
  duplicatesDropped = 0;
  /** Number of models finished so far. */
  modelCount = 0;

  constructor(
    readonly source: string,
    capacity = 1024,
  ) {
    this.cap = Math.max(16, capacity);
    this.serial = new Int32Array(this.cap);
    this.resSeq = new Int32Array(this.cap);
    this.occ = new Float32Array(this.cap);
    this.bfac = new Float32Array(this.cap);
    this.het = new Uint8Array(this.cap);
    this.line = new Int32Array(this.cap);
    this.xyz = new Float64Array(this.cap * 3);
    this.name = new Array<string>(this.cap);
    this.altLoc = new Array<string>(this.cap);
    this.resName = new Array<string>(this.cap);
    this.chainId = new Array<string>(this.cap);
    this.iCode = new Array<string>(this.cap);
    this.element = new Array<string>(this.cap);
    this.segId = new Array<string>(this.cap);
  }

  private static growStrings(a: string[], cap: number): string[] {
    const b = new Array<string>(cap);
    for (let i = 0; i < a.length; i++) b[i] = a[i];
    return b;
  }

  get atomsInModel(): number {
    return this.n;
  }
  get isOpen(): boolean {
    return this.open;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const g = <T extends NumericArray>(a: T, k = 1): T => growTyped(a, cap * k);
    this.serial = g(this.serial);
    this.resSeq = g(this.resSeq);
    this.occ = g(this.occ);
    this.bfac = g(this.bfac);
    this.het = g(this.het);
    this.line = g(this.line);
    this.xyz = g(this.xyz, 3);
    const gs = ModelAssembler.growStrings;
    this.name = gs(this.name, cap);
    this.altLoc = gs(this.altLoc, cap);
    this.resName = gs(this.resName, cap);
    this.chainId = gs(this.chainId, cap);
    this.iCode = gs(this.iCode, cap);
    this.element = gs(this.element, cap);
    this.segId = gs(this.segId, cap);
    this.cap = cap;
  }

  /** A TER record or a chain break: the next atom starts a new residue even with the same identifiers. */
  breakResidue(): void {
    this.forceNewRun = true;
  }

  private needFresh = false;

  private freshArrays(): void {
    this.needFresh = false;
    this.cap = Math.max(16, this.model0 ? this.model0.atoms.count : this.cap);
    this.xyz = new Float64Array(3 * this.cap);
    this.serial = new Int32Array(this.cap);
    this.resSeq = new Int32Array(this.cap);
    this.occ = new Float32Array(this.cap);
    this.bfac = new Float32Array(this.cap);
    this.het = new Uint8Array(this.cap);
    this.line = new Int32Array(this.cap);
    this.name = new Array<string>(this.cap);
    this.altLoc = new Array<string>(this.cap);
    this.resName = new Array<string>(this.cap);
    this.chainId = new Array<string>(this.cap);
    this.iCode = new Array<string>(this.cap);
    this.element = new Array<string>(this.cap);
    this.segId = new Array<string>(this.cap);
  }

  beginModel(line: number): void {
    if (this.open && this.n > 0) this.endModel(line);
    if (this.needFresh) this.freshArrays();
    this.open = true;
    this.modelLine = line;
    this.forceNewRun = true;
  }

  addAtom(
    name: string,
    resName: string,
    chainId: string,
    resSeq: number,
    iCode: string,
    altLoc: string,
    x: number,
    y: number,
    z: number,
    occupancy: number,
    bFactor: number,
    hetero: number,
    element: string,
    segId: string,
    serial: number,
    line: number,
  ): void {
    if (!this.open) this.beginModel(line);
    if (!(Math.abs(x) <= MAX_ABS_COORD && Math.abs(y) <= MAX_ABS_COORD && Math.abs(z) <= MAX_ABS_COORD)) {
      const bad = !Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z);
      throw new InputError(
        bad
          ? `atom ${name} of ${resName} ${chainId}${resSeq}${iCode}: coordinate is not a finite number (${x}, ${y}, ${z})`
          : `atom ${name} of ${resName} ${chainId}${resSeq}${iCode}: absurd coordinate (${x}, ${y}, ${z}); |x| > ${MAX_ABS_COORD} Å`,
        this.source,
        line,
      );
    }
    if (
      this.forceNewRun ||
      resSeq !== this.runResSeq ||
      chainId !== this.runChain ||
      iCode !== this.runICode ||
      resName !== this.runResName
    ) {
      this.forceNewRun = false;
      this.runStart = this.n;
      this.runChain = chainId;
      this.runResSeq = resSeq;
      this.runICode = iCode;
      this.runResName = resName;
      this.runMap = null;
    } else {
      // Same residue: look for an atom of the same name (duplicate or alternate location).
      let j = -1;
      if (this.runMap) j = this.runMap.get(name) ?? -1;
      else {
        const names = this.name;
        for (let k = this.runStart; k < this.n; k++) {
          if (names[k] === name) {
            j = k;
            break;
          }
        }
      }
      if (j === this.runStart && altLoc === '' && this.altLoc[j] === '' && !this.sameXyz(j, x, y, z)) {
        // The atom list of the residue starts over (N, CA, …, N, CA, …): two residues that share a number,
        // e.g. GRO files, which have no insertion-code column, or waters all numbered alike. Read them as
        // two residues rather than flagging every atom as a duplicate.
        if (this.warnings.length < 20) {
          this.warnings.push({ message: `residue ${resName} ${chainId ? chainId + ' ' : ''}${resSeq}${iCode} starts again at line ${line} (same number as the residue before it; insertion code lost?): read as a separate residue`, file: this.source, line });
        }
        this.runStart = this.n;
        this.runMap = null;
        j = -1;
      }
      if (j >= 0) {
        const prevAlt = this.altLoc[j];
        if (prevAlt === altLoc) {
          if (this.sameXyz(j, x, y, z)) {
            // An exact copy of a line (seen in real deposited files): nothing ambiguous, drop it and warn.
            this.duplicatesDropped++;
            if (this.warnings.length < 20) {
              this.warnings.push({ message: `duplicate atom ${name} in residue ${resName} ${chainId ? chainId + ' ' : ''}${resSeq}${iCode} with identical coordinates (lines ${this.line[j]} and ${line}): the copy is ignored`, file: this.source, line });
            }
            return;
          }
          throw new InputError(
            `duplicate atom ${name}${altLoc ? ` (altloc ${altLoc})` : ''} in residue ${resName} ${chainId ? chainId + ' ' : ''}${resSeq}${iCode}: lines ${this.line[j]} and ${line}`,
            this.source,
            line,
          );
        }
        // Alternate locations: keep blank over lettered, else the higher occupancy (the first on ties).
        const replace = altLoc === '' || (prevAlt !== '' && occupancy > this.occ[j]);
        if (replace) this.set(j, name, resName, chainId, resSeq, iCode, altLoc, x, y, z, occupancy, bFactor, hetero, element, segId, serial, line);
        return;
      }
    }
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    this.name[i] = name;
    this.altLoc[i] = altLoc;
    this.resName[i] = resName;
    this.chainId[i] = chainId;
    this.iCode[i] = iCode;
    this.element[i] = element;
    this.segId[i] = segId;
    this.serial[i] = serial;
    this.resSeq[i] = resSeq;
    this.occ[i] = occupancy;
    this.bfac[i] = bFactor;
    this.het[i] = hetero;
    this.line[i] = line;
    const xyz = this.xyz;
    xyz[3 * i] = x;
    xyz[3 * i + 1] = y;
    xyz[3 * i + 2] = z;
    if (this.runMap) this.runMap.set(name, i);
    else if (i - this.runStart >= RUN_SCAN_LIMIT) {
      this.runMap = new Map();
      for (let k = this.runStart; k <= i; k++) this.runMap.set(this.name[k], k);
    }
  }

  private sameXyz(j: number, x: number, y: number, z: number): boolean {
    const k = 3 * j;
    return this.xyz[k] === x && this.xyz[k + 1] === y && this.xyz[k + 2] === z;
  }

  private set(
    i: number,
    name: string,
    resName: string,
    chainId: string,
    resSeq: number,
    iCode: string,
    altLoc: string,
    x: number,
    y: number,
    z: number,
    occupancy: number,
    bFactor: number,
    hetero: number,
    element: string,
    segId: string,
    serial: number,
    line: number,
  ): void {
    this.serial[i] = serial;
    this.name[i] = name;
    this.altLoc[i] = altLoc;
    this.resName[i] = resName;
    this.chainId[i] = chainId;
    this.resSeq[i] = resSeq;
    this.iCode[i] = iCode;
    this.element[i] = element;
    this.occ[i] = occupancy;
    this.bfac[i] = bFactor;
    this.het[i] = hetero;
    this.segId[i] = segId;
    this.line[i] = line;
    this.xyz[3 * i] = x;
    this.xyz[3 * i + 1] = y;
    this.xyz[3 * i + 2] = z;
  }

  /** Closes the current model; `line` is where it ended (ENDMDL, END, box line or last line). */
  endModel(line: number): void {
    if (!this.open) return;
    this.open = false;
    const n = this.n;
    const modelNo = this.modelCount + 1;
    if (n === 0) throw new InputError(`model ${modelNo} (starting at line ${this.modelLine}) has no atoms`, this.source, line);
    if (!this.model0) {
      const trim = (a: string[]) => {
        a.length = n;
        return a;
      };
      const atoms: AtomTable = {
        count: n,
        serial: this.serial.slice(0, n),
        name: trim(this.name),
        altLoc: trim(this.altLoc),
        resName: trim(this.resName),
        chainId: trim(this.chainId),
        resSeq: this.resSeq.slice(0, n),
        iCode: trim(this.iCode),
        element: trim(this.element),
        occupancy: this.occ.slice(0, n),
        bFactor: this.bfac.slice(0, n),
        hetero: this.het.slice(0, n),
        segId: trim(this.segId),
        sourceLine: this.line.slice(0, n),
      };
      this.model0 = { atoms, coords: this.xyz.slice(0, 3 * n) };
      // The arrays now belong to model 1; a later model gets fresh ones (allocated only if one comes).
      this.needFresh = true;
    } else {
      const a = this.model0.atoms;
      for (let i = 0; i < Math.min(n, a.count); i++) {
        if (this.name[i] !== a.name[i] || this.resName[i] !== a.resName[i] || this.resSeq[i] !== a.resSeq[i] || this.chainId[i] !== a.chainId[i]) {
          throw new InputError(
            `model ${modelNo} does not have the same atoms as model 1: atom ${i + 1} is ${this.resName[i]} ${this.chainId[i]}${this.resSeq[i]} ${this.name[i]} here but ${a.resName[i]} ${a.chainId[i]}${a.resSeq[i]} ${a.name[i]} (line ${a.sourceLine[i]}) in model 1`,
            this.source,
            this.line[i],
          );
        }
      }
      if (n !== a.count) {
        throw new InputError(`model ${modelNo} (starting at line ${this.modelLine}) has ${n} atoms but model 1 has ${a.count}; every model must have the same atoms`, this.source, line);
      }
      this.extra.push(this.xyz.slice(0, 3 * n));
    }
    this.n = 0;
    this.forceNewRun = true;
    this.modelCount++;
  }

  finish(title: string, box: Box | null, lastLine: number): Structure {
    if (this.open) {
      if (this.n > 0) this.endModel(lastLine);
      else this.open = false;
    }
    if (!this.model0) throw new InputError('no atoms found', this.source, lastLine || 1);
    const { atoms, coords } = this.model0;
    const s: Structure = { source: this.source, title, atoms, coords, models: [coords, ...this.extra], box };
    if (this.duplicatesDropped > this.warnings.length) {
      this.warnings.push({ message: `${this.duplicatesDropped - this.warnings.length} more exact duplicate atom lines ignored`, file: this.source });
    }
    if (this.warnings.length) readWarningMap.set(s, this.warnings);
    return s;
  }
}

/**
 * Undoes the modulo wrapping of residue (or atom) numbers written by tools that cannot use more digits
 * (GROMACS writes resnr % 100000 in GRO and % 10000 in PDB): a drop from near the top of the range to near
 * zero in the same chain means the counter wrapped.
 */
export class Unwrapper {
  private prev = Number.NaN;
  private prevChain = '';
  private offset = 0;
  constructor(private readonly wrap: number) {}
  reset(): void {
    this.prev = Number.NaN;
    this.offset = 0;
  }
  next(raw: number, chain: string): number {
    if (chain !== this.prevChain) {
      this.offset = 0;
      this.prevChain = chain;
    } else if (raw < this.prev && this.prev >= this.wrap * 0.9 && raw < this.wrap * 0.1 && this.prev < this.wrap) {
      this.offset += this.wrap;
    }
    this.prev = raw;
    return raw + this.offset;
  }
}

const readWarningMap = new WeakMap<Structure, InputWarning[]>();

/** Non-fatal problems found while reading `s` (empty when none). The Structure type has no slot for them. */
export function readWarnings(s: Structure): InputWarning[] {
  return readWarningMap.get(s) ?? [];
}
