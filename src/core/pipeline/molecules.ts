/**
 * Whole systems as molecules: a CG or all-atom structure split into the particles the mapping sets handle
 * (protein chains, lipids, sterols, ligands), the solvent handled by solvent.ts (water, ions), Go-Martini virtual
 * sites (not atoms: skipped with a note) and unknown residues (reported with file:line, kept out, counted), and the
 * per-class counts the report shows (in → out).
 */
import type { Structure } from '../structure/types';
import { residuesOf } from '../structure/builder';
import { allAtomIon, cgIon, cgWater, isWaterResidue, type CgWater, type IonEntry } from '../chemistry/solvent';
import { moleculeKind } from '../chemistry/molecules';
import { AMINO_ACID_NAMES } from '../chemistry/variants';
import type { CgSystem } from '../cg';
import type { MoleculeClass, MoleculeCount, UnknownResidue } from './options';

/**
 * Particles martinize2 `-go` adds for the Go-model contacts: virtual sites named CA on the backbone bead's
 * position, one per residue, written after the protein beads under the residue's name and number (or inside the
 * residue). They carry no atoms of their own.
 */
export const GO_SITE_NAMES: ReadonlySet<string> = new Set(['CA']);

/** A copy of `s` with only the atoms `keep` (ascending indices), every column and the source lines kept. */
export function selectAtoms(s: Structure, keep: Int32Array): Structure {
  const a = s.atoms;
  const n = keep.length;
  const pick = <T>(src: T[]) => Array.from(keep, (i) => src[i]);
  const pickTyped = <T extends Int32Array | Float32Array | Uint8Array>(src: T): T => {
    const out = new (src.constructor as new (n: number) => T)(n);
    for (let k = 0; k < n; k++) out[k] = src[keep[k]];
    return out;
  };
  const sub = (xyz: Float64Array) => {
    const out = new Float64Array(3 * n);
    for (let k = 0; k < n; k++) {
      const i = keep[k];
      out[3 * k] = xyz[3 * i];
      out[3 * k + 1] = xyz[3 * i + 1];
      out[3 * k + 2] = xyz[3 * i + 2];
    }
    return out;
  };
  const coords = sub(s.coords);
  return {
    source: s.source,
    title: s.title,
    atoms: {
      count: n,
      serial: pickTyped(a.serial),
      name: pick(a.name),
      altLoc: pick(a.altLoc),
      resName: pick(a.resName),
      chainId: pick(a.chainId),
      resSeq: pickTyped(a.resSeq),
      iCode: pick(a.iCode),
      element: pick(a.element),
      occupancy: pickTyped(a.occupancy),
      bFactor: pickTyped(a.bFactor),
      hetero: pickTyped(a.hetero),
      segId: pick(a.segId),
      sourceLine: pickTyped(a.sourceLine),
    },
    coords,
    models: [coords, ...s.models.slice(1).map(sub)],
    box: s.box,
  };
}

export interface CgSplit {
  /** Input particles for the mapping sets (everything but solvent and Go sites), ascending. */
  solute: Int32Array;
  waters: { index: number; water: CgWater }[];
  ions: { index: number; ion: IonEntry }[];
  /** Go-Martini virtual sites (input indices). */
  goSites: number[];
}

/** Splits a CG structure into solute, Martini water, ions and Go-Martini virtual sites. */
export function splitCg(s: Structure): CgSplit {
  const a = s.atoms;
  const solute: number[] = [];
  const waters: CgSplit['waters'] = [];
  const ions: CgSplit['ions'] = [];
  const goSites: number[] = [];
  const withBackbone = new Set<string>();
  for (const r of residuesOf(a)) {
    const key = `${r.chainId}|${r.resSeq}|${r.iCode}|${r.resName}`;
    let hasBb = false;
    let allGo = true;
    for (let i = r.start; i < r.end; i++) {
      if (a.name[i] === 'BB') hasBb = true;
      if (!GO_SITE_NAMES.has(a.name[i])) allGo = false;
    }
    if (hasBb) withBackbone.add(key);
    // A run of CA particles of a residue already seen with its backbone bead: Go virtual sites (a C-alpha trace
    // has no BB beads, so it is never taken for one).
    if (allGo && AMINO_ACID_NAMES.has(r.resName) && withBackbone.has(key)) {
      for (let i = r.start; i < r.end; i++) goSites.push(i);
      continue;
    }
    for (let i = r.start; i < r.end; i++) {
      const w = cgWater(r.resName, a.name[i]);
      if (w) {
        waters.push({ index: i, water: w });
        continue;
      }
      const ion = cgIon(r.resName, a.name[i]);
      if (ion) {
        ions.push({ index: i, ion });
        continue;
      }
      solute.push(i);
    }
  }
  return { solute: Int32Array.from(solute), waters, ions, goSites };
}

/** Class of a residue the mapping knows (by its molecule name): protein, lipid, sterol, or a ligand. */
export function soluteClass(moleculeName: string): MoleculeClass {
  const k = moleculeKind(moleculeName) ?? moleculeKind(moleculeName.toUpperCase());
  if (k === 'amino-acid') return 'protein';
  if (k === 'lipid' || k === 'sterol') return k;
  return 'ligand';
}

/** Molecules per class of a CG system: protein chains (chain segments), other residues one each. */
export function countSystem(system: CgSystem, residues?: ArrayLike<number>): Map<MoleculeClass, number> {
  const out = new Map<MoleculeClass, number>();
  const chains = new Set<number>();
  const n = residues ? residues.length : system.residues.length;
  for (let k = 0; k < n; k++) {
    const r = system.residues[residues ? residues[k] : k];
    const c = soluteClass(r.molecule.name);
    if (c === 'protein') {
      if (chains.has(r.chainIndex)) continue;
      chains.add(r.chainIndex);
    }
    out.set(c, (out.get(c) ?? 0) + 1);
  }
  return out;
}

/** Unknown residues as molecules (an unknown bead in a known residue is not a molecule of its own). */
export function countUnknown(unknown: UnknownResidue[]): number {
  return unknown.filter((u) => u.bead === undefined).length;
}

/** The report's per-class table: in and out for every class present, in a fixed order. */
export function moleculeTable(input: Map<MoleculeClass, number>, output: Map<MoleculeClass, number>, units: Partial<Record<MoleculeClass, string>> = {}): MoleculeCount[] {
  const ORDER: MoleculeClass[] = ['protein', 'lipid', 'sterol', 'ligand', 'water', 'ion', 'go-site', 'unknown'];
  return ORDER.filter((c) => (input.get(c) ?? 0) > 0 || (output.get(c) ?? 0) > 0).map((c) => ({
    kind: c,
    in: input.get(c) ?? 0,
    out: output.get(c) ?? 0,
    ...(units[c] ? { note: units[c] } : {}),
  }));
}

export interface AllAtomSplit {
  /** Atoms for the mapping sets (everything but water and ions), ascending. */
  solute: Int32Array;
  /** Water residues: atom range and the oxygen's index. */
  waters: { start: number; end: number; oxygen: number }[];
  /** Monatomic ions: the atom. */
  ions: { index: number; ion: IonEntry }[];
}

/** Splits an all-atom structure into solute, water molecules and monatomic ions (by residue name). */
export function splitAllAtom(s: Structure): AllAtomSplit {
  const a = s.atoms;
  const solute: number[] = [];
  const waters: AllAtomSplit['waters'] = [];
  const ions: AllAtomSplit['ions'] = [];
  for (const r of residuesOf(a)) {
    if (isWaterResidue(r.resName)) {
      let o = -1;
      for (let i = r.start; i < r.end; i++) if (o < 0 && (a.element[i] === 'O' || /^O/i.test(a.name[i]))) o = i;
      if (o >= 0) {
        waters.push({ start: r.start, end: r.end, oxygen: o });
        continue;
      }
    }
    const ion = r.end - r.start === 1 ? allAtomIon(r.resName) : undefined;
    if (ion) {
      ions.push({ index: r.start, ion });
      continue;
    }
    for (let i = r.start; i < r.end; i++) solute.push(i);
  }
  return { solute: Int32Array.from(solute), waters, ions };
}
