/**
 * Forward mapping all-atom → CG (docs/mapping-format.md "Weights, CM and `!`"): each bead is the weighted
 * average of its member atoms, with the mapping's relative weights × mass (or CM / `!` semantics, already folded
 * into `CompiledBead.weights`), renormalised over the members actually present. Beads never span residues.
 */
import { InputError } from './errors';
import type { MappingSet, MoleculeMapping } from './mapping/types';
import { StructureBuilder, residuesOf } from './structure/builder';
import type { Structure } from './structure/types';
import { assignChainIndices, resolveMolecule, type CgBead, type CgResidue, type CgSystem } from './cg';
import { growTyped } from './structure/typed';
import { AMINO_ACID_NAMES } from './chemistry/variants';

export interface ResidueRef {
  chainId: string;
  resSeq: number;
  iCode: string;
  resName: string;
  file: string;
  line: number;
}

export interface ForwardReport {
  /** Reconstructable (rule-bearing) atoms of the mapping absent from a residue; OXT is only expected at C-termini. */
  missingAtoms: (ResidueRef & { atom: string })[];
  /** Atoms of known residues that match no mapping atom (dropped, like CGmap's "Missing … in mapping file"). */
  unmappedAtoms: (ResidueRef & { atom: string })[];
  /** Residues whose name the set does not know (skipped). */
  unknownResidues: ResidueRef[];
  /** Known residues left out because a bead had no weighted atom present. */
  droppedResidues: (ResidueRef & { beads: string[] })[];
  /** Atoms repeated in a residue (alternate locations): the first occurrence is used. */
  duplicateAtoms: number;
}

export interface ForwardResult {
  system: CgSystem;
  /** Beads as atoms (name = bead name, residue fields from the all-atom residue), for writing a CG file. */
  cg: Structure;
  /** nbeads × R: all-atom index of each slot's atom, -1 where absent (R = set.maxSlots). */
  slotAtoms: Int32Array;
  /**
   * Sparse mapping matrix (CSR over beads) to map other frames of the same topology with `mapCoords`: the weights as
   * summed and each bead's sum, so another frame's positions come out bit for bit as `mapToCg` computes them
   * (Σ w·x / Σ w, not Σ (w / Σ w)·x).
   */
  matrix: { offsets: Int32Array; atoms: Int32Array; weights: Float64Array; sums: Float64Array };
  report: ForwardReport;
}

export interface MapToCgOptions {
  /**
   * Only this chain: a chain id; else (files without chain ids) a segment id; else `g<k>`, the k-th protein
   * segment of a file without chain ids (GRO), as the data split lists name them. See `chainAtomFilter`.
   */
  chain?: string;
  residueNameMap?: Record<string, string>;
  /** Backbone-bead distance (Å) that starts a new chain segment (default 6). */
  breakDistance?: number;
}

/** `1HB` → `HB1`, `2HD1` → `HD12` (CGmap moves leading digits to the end). */
export function normalizeAtomName(name: string): string {
  // Hot path (every atom): most names start with a letter, so skip the regex for them.
  const c = name.charCodeAt(0);
  if (!(c >= 48 && c <= 57)) return name;
  const m = /^(\d+)(.+)$/.exec(name);
  return m ? m[2] + m[1] : name;
}

interface NameIndex {
  canonical: Map<string, number>;
  alternative: Map<string, number[]>;
}
const nameIndexCache = new WeakMap<MoleculeMapping, NameIndex>();
function nameIndex(m: MoleculeMapping): NameIndex {
  let ix = nameIndexCache.get(m);
  if (ix) return ix;
  ix = { canonical: new Map(), alternative: new Map() };
  m.atoms.forEach((a, i) => {
    if (!ix!.canonical.has(a.names[0])) ix!.canonical.set(a.names[0], i);
    for (const n of a.names.slice(1)) {
      const l = ix!.alternative.get(n) ?? [];
      l.push(i);
      ix!.alternative.set(n, l);
    }
  });
  nameIndexCache.set(m, ix);
  return ix;
}

/** True for atoms that only exist at a chain terminus (not reported missing elsewhere). */
export function isTerminalOnly(name: string): boolean {
  return name === 'OXT';
}

/**
 * Matches the atoms `start..end` of a structure to the molecule's mapping atoms: canonical names first, then
 * alternatives (first free entry), so overlapping alternative lists (`HB2,HB1` + `HB3,HB2`) resolve sensibly.
 * Returns mapping atom → structure atom index (-1 absent) and the structure atoms left unmatched.
 */
export function matchResidueAtoms(
  mol: MoleculeMapping,
  names: string[],
  start: number,
  end: number,
): { atomOf: Int32Array; unmatched: number[]; duplicates: number } {
  const ix = nameIndex(mol);
  const atomOf = new Int32Array(mol.atoms.length).fill(-1);
  const pending: number[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (let i = start; i < end; i++) {
    const n = normalizeAtomName(names[i]);
    if (seen.has(n)) {
      duplicates++;
      continue;
    }
    seen.add(n);
    const k = ix.canonical.get(n);
    if (k !== undefined && atomOf[k] < 0) atomOf[k] = i;
    else pending.push(i);
  }
  const unmatched: number[] = [];
  for (const i of pending) {
    const alts = ix.alternative.get(normalizeAtomName(names[i]));
    const k = alts?.find((a) => atomOf[a] < 0);
    if (k === undefined) unmatched.push(i);
    else atomOf[k] = i;
  }
  return { atomOf, unmatched, duplicates };
}

/**
 * Atoms of chain `chain` (1 = selected): atoms with that chain id; if none, atoms with that segment id; if none
 * and `chain` is `g<k>`, the k-th run of amino acids joined by peptide bonds (C–N ≤ 2 Å).
 */
export function chainAtomFilter(s: Structure, chain: string): Uint8Array {
  const a = s.atoms;
  const sel = new Uint8Array(a.count);
  let any = false;
  for (let i = 0; i < a.count; i++) if (a.chainId[i] === chain) any = !!(sel[i] = 1);
  if (any) return sel;
  // '_' is how lists write a blank chain id.
  if (chain === '_') for (let i = 0; i < a.count; i++) if (a.chainId[i] === '') any = !!(sel[i] = 1);
  if (any) return sel;
  for (let i = 0; i < a.count; i++) if (a.segId[i] === chain) any = !!(sel[i] = 1);
  if (any) return sel;
  const g = /^g(\d+)$/.exec(chain);
  if (!g) return sel;
  const want = Number(g[1]);
  let k = 0;
  let prevC = -1;
  const X = s.coords;
  for (const r of residuesOf(a)) {
    if (!AMINO_ACID_NAMES.has(r.resName)) {
      prevC = -1;
      continue;
    }
    let n = -1;
    let c = -1;
    for (let i = r.start; i < r.end; i++) {
      if (a.name[i] === 'N') n = i;
      else if (a.name[i] === 'C') c = i;
    }
    const bonded =
      prevC >= 0 && n >= 0 && Math.hypot(X[3 * n] - X[3 * prevC], X[3 * n + 1] - X[3 * prevC + 1], X[3 * n + 2] - X[3 * prevC + 2]) <= 2.0;
    if (!bonded) k++;
    if (k === want) for (let i = r.start; i < r.end; i++) sel[i] = 1;
    prevC = c;
  }
  return sel;
}

/**
 * Atom matching with legacy alternative configurations (several files with the same molecule, docs/mapping-format.md "Mapping sets"): the
 * configuration that matches the most atoms is used, its atoms translated positionally per bead onto the primary
 * configuration (the one slots and bead order refer to), with that configuration's weights.
 */
function matchWithConfigurations(
  set: MappingSet,
  mol: MoleculeMapping,
  names: string[],
  start: number,
  end: number,
): { atomOf: Int32Array; unmatched: number[]; duplicates: number; weightsOf: (bead: number) => number[] } {
  const primary = matchResidueAtoms(mol, names, start, end);
  const configs = set.configurations.get(mol.name) ?? [];
  const own = { ...primary, weightsOf: (b: number) => mol.beads[b].weights };
  if (configs.length < 2 || primary.unmatched.length === 0) return own;
  let best = own;
  let bestScore = end - start - primary.unmatched.length;
  for (const cfg of configs) {
    if (cfg === mol) continue;
    const m = matchResidueAtoms(cfg, names, start, end);
    const score = end - start - m.unmatched.length;
    if (score <= bestScore) continue;
    // Positional translation bead by bead; a configuration whose beads do not line up is not usable.
    const atomOf = new Int32Array(mol.atoms.length).fill(-1);
    const beadMap: number[] = [];
    let ok = true;
    mol.beads.forEach((b, k) => {
      const ck = cfg.beadIndex.get(b.name);
      const cb = ck === undefined ? undefined : cfg.beads[ck];
      if (!cb || cb.members.length !== b.members.length) {
        ok = false;
        return;
      }
      beadMap[k] = ck!;
      b.members.forEach((pa, j) => {
        const i = m.atomOf[cb.members[j]];
        if (i >= 0) atomOf[pa] = i;
      });
    });
    if (!ok) continue;
    best = { atomOf, unmatched: m.unmatched, duplicates: m.duplicates, weightsOf: (b: number) => cfg.beads[beadMap[b]].weights };
    bestScore = score;
  }
  return best;
}

type TypedCtor = Float64ArrayConstructor | Int32ArrayConstructor;

/** A push-only typed buffer that doubles when full; `length` may be set lower to roll back. */
class Grow<C extends TypedCtor> {
  a: InstanceType<C>;
  length = 0;
  constructor(
    private readonly ctor: C,
    capacity: number,
  ) {
    this.a = new ctor(capacity) as InstanceType<C>;
  }
  push(v: number): void {
    if (this.length === this.a.length) this.a = growTyped(this.a, this.a.length * 2);
    this.a[this.length++] = v;
  }
  /** A right-sized copy of the content. */
  take(): InstanceType<C> {
    return this.a.slice(0, this.length) as InstanceType<C>;
  }
}

export function mapToCg(aa: Structure, set: MappingSet, opts: MapToCgOptions = {}): ForwardResult {
  const A = aa.atoms;
  const file = aa.source;
  const R = set.maxSlots;
  const report: ForwardReport = { missingAtoms: [], unmappedAtoms: [], unknownResidues: [], droppedResidues: [], duplicateAtoms: 0 };
  const beads: CgBead[] = [];
  const residues: CgResidue[] = [];
  // Typed growable buffers: a 1M-bead system would otherwise build multi-million-entry JS arrays (GC-bound).
  // Initial sizes from typical protein mappings (about 3 atoms per bead); the buffers grow when needed.
  const beadGuess = Math.max(16, Math.ceil(A.count / 3));
  const coordsOut = new Grow(Float64Array, 3 * beadGuess);
  const slotList = new Grow(Int32Array, beadGuess * R);
  const offsets = new Grow(Int32Array, beadGuess + 1);
  offsets.push(0);
  const mAtoms = new Grow(Int32Array, Math.max(16, A.count));
  const mWeights = new Grow(Float64Array, Math.max(16, A.count));
  const sums = new Grow(Float64Array, beadGuess);
  const X = aa.coords;
  const inChain = opts.chain !== undefined ? chainAtomFilter(aa, opts.chain) : null;

  for (const r of residuesOf(A)) {
    if (inChain && !inChain[r.start]) continue;
    const ref: ResidueRef = { chainId: r.chainId, resSeq: r.resSeq, iCode: r.iCode, resName: r.resName, file, line: A.sourceLine[r.start] };
    const mol = resolveMolecule(set, r.resName, opts.residueNameMap);
    if (!mol) {
      report.unknownResidues.push(ref);
      continue;
    }
    const { atomOf, unmatched, duplicates, weightsOf } = matchWithConfigurations(set, mol, A.name, r.start, r.end);
    report.duplicateAtoms += duplicates;
    for (const i of unmatched) report.unmappedAtoms.push({ ...ref, atom: A.name[i], line: A.sourceLine[i] });
    for (let k = 0; k < atomOf.length; k++) {
      const i = atomOf[k];
      if (i >= 0 && !(Number.isFinite(X[3 * i]) && Number.isFinite(X[3 * i + 1]) && Number.isFinite(X[3 * i + 2])))
        throw new InputError(`atom ${A.name[i]} of ${r.resName} ${r.chainId}${r.resSeq} has non-finite coordinates`, file, A.sourceLine[i] || undefined);
    }
    // Bead positions over the atoms present; a bead with no weighted atom present drops the residue.
    // The weight rows go straight into the mapping matrix and are rolled back if the residue is dropped.
    const nb = mol.beads.length;
    const pos = new Float64Array(3 * nb);
    const empty: string[] = [];
    const matrixStart = mAtoms.length;
    const rowEnd = new Int32Array(nb);
    const rowSum = new Float64Array(nb);
    for (let bk = 0; bk < nb; bk++) {
      const b = mol.beads[bk];
      const bw = weightsOf(bk);
      let wsum = 0;
      let x = 0;
      let y = 0;
      let z = 0;
      for (let m = 0; m < b.members.length; m++) {
        const i = atomOf[b.members[m]];
        const w = bw[m];
        if (i < 0 || !(w > 0)) continue;
        wsum += w;
        x += w * X[3 * i];
        y += w * X[3 * i + 1];
        z += w * X[3 * i + 2];
        mAtoms.push(i);
        mWeights.push(w);
      }
      if (!(wsum > 0)) empty.push(b.name);
      pos[3 * bk] = x / wsum;
      pos[3 * bk + 1] = y / wsum;
      pos[3 * bk + 2] = z / wsum;
      rowSum[bk] = wsum;
      rowEnd[bk] = mAtoms.length;
    }
    const seenMissing = new Set<number>();
    for (const b of mol.beads)
      for (const s of b.slots)
        if (atomOf[s.atom] < 0 && !seenMissing.has(s.atom) && !isTerminalOnly(mol.atoms[s.atom].names[0])) {
          seenMissing.add(s.atom);
          report.missingAtoms.push({ ...ref, atom: mol.atoms[s.atom].names[0] });
        }
    if (empty.length) {
      mAtoms.length = matrixStart;
      mWeights.length = matrixStart;
      report.droppedResidues.push({ ...ref, beads: empty });
      continue;
    }
    const ri = residues.length;
    const list: number[] = [];
    for (let k = 0; k < nb; k++) {
      const b = mol.beads[k];
      const bi = beads.length;
      list.push(bi);
      beads.push({ residue: ri, molecule: mol, bead: k, typeId: b.typeId, source: bi });
      coordsOut.push(pos[3 * k]);
      coordsOut.push(pos[3 * k + 1]);
      coordsOut.push(pos[3 * k + 2]);
      for (let j = 0; j < R; j++) slotList.push(j < b.slots.length ? atomOf[b.slots[j].atom] : -1);
      offsets.push(rowEnd[k]);
      sums.push(rowSum[k]);
    }
    residues.push({ chainId: r.chainId, resSeq: r.resSeq, iCode: r.iCode, resName: r.resName, molecule: mol, beads: list, chainIndex: 0 });
  }
  if (!residues.length) {
    const what = opts.chain !== undefined ? ` in chain '${opts.chain}'` : '';
    throw new InputError(`no residue${what} is known to mapping set '${set.id}'`, file);
  }
  const system: CgSystem = { set, beads, residues, coords: coordsOut.take(), box: aa.box };
  assignChainIndices(system, opts.breakDistance);

  const sb = new StructureBuilder(beads.length);
  for (const b of beads) {
    const r = residues[b.residue];
    const i = b.source;
    sb.addAtom({
      name: b.molecule.beads[b.bead].name,
      resName: r.resName,
      chainId: r.chainId,
      resSeq: r.resSeq,
      iCode: r.iCode,
      x: system.coords[3 * i],
      y: system.coords[3 * i + 1],
      z: system.coords[3 * i + 2],
    });
  }
  const cg = sb.build(`${aa.source} (mapped to ${set.id})`, aa.title, aa.box);
  return {
    system,
    cg,
    slotAtoms: slotList.take(),
    matrix: { offsets: offsets.take(), atoms: mAtoms.take(), weights: mWeights.take(), sums: sums.take() },
    report,
  };
}

/** Maps another frame (same atom order as the structure given to `mapToCg`) to bead coordinates. */
export function mapCoords(fw: ForwardResult, coords: ArrayLike<number>, out?: Float64Array): Float64Array {
  return applyMappingMatrix(fw.matrix, coords, out);
}

/** Bead positions Σ w·x / Σ w of each row of a mapping matrix (`ForwardResult.matrix`, or one re-indexed to other atoms). */
export function applyMappingMatrix(matrix: ForwardResult['matrix'], coords: ArrayLike<number>, out?: Float64Array): Float64Array {
  const { offsets, atoms, weights, sums } = matrix;
  const n = offsets.length - 1;
  const o = out ?? new Float64Array(3 * n);
  for (let b = 0; b < n; b++) {
    let x = 0;
    let y = 0;
    let z = 0;
    for (let k = offsets[b]; k < offsets[b + 1]; k++) {
      const i = atoms[k];
      const w = weights[k];
      x += w * coords[3 * i];
      y += w * coords[3 * i + 1];
      z += w * coords[3 * i + 2];
    }
    o[3 * b] = x / sums[b];
    o[3 * b + 1] = y / sums[b];
    o[3 * b + 2] = z / sums[b];
  }
  return o;
}

/** One-line summary of a forward report, for logs and the CLI. */
export function summarizeForwardReport(r: ForwardReport): string {
  const parts: string[] = [];
  if (r.unknownResidues.length) {
    const names = [...new Set(r.unknownResidues.map((u) => u.resName))].slice(0, 8).join(', ');
    parts.push(`${r.unknownResidues.length} unknown residue(s) skipped (${names})`);
  }
  if (r.missingAtoms.length) parts.push(`${r.missingAtoms.length} missing atom(s)`);
  if (r.unmappedAtoms.length) parts.push(`${r.unmappedAtoms.length} unmapped atom(s)`);
  if (r.droppedResidues.length) parts.push(`${r.droppedResidues.length} residue(s) dropped (bead without atoms)`);
  if (r.duplicateAtoms) parts.push(`${r.duplicateAtoms} duplicate atom(s) ignored`);
  return parts.join('; ') || 'complete';
}
