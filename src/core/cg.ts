/**
 * Coarse-grained systems: beads assigned to a mapping set's molecules, in the set's bead order per residue.
 * `assignCg` reads a CG structure (martinize2 output, a CG simulation frame, our own `mapToCg` output) into a
 * `CgSystem`; `mapToCg` (forward.ts) builds one from an all-atom structure.
 */
import { InputError } from './errors';
import type { MappingSet, MoleculeMapping } from './mapping/types';
import { residuesOf } from './structure/builder';
import { variantGroup } from './chemistry/variants';
import { lipidTopology } from './chemistry/lipids';
import type { Box, Structure } from './structure/types';
import { connectedWithin, joinByImages, rectangularBoxLengths, spansHalfBox } from './geometry/pbc';

export interface CgBead {
  residue: number; // index into CgSystem.residues
  molecule: MoleculeMapping;
  bead: number; // index into molecule.beads
  typeId: number;
  source: number; // index of the bead in the CG structure it came from
}

export interface CgResidue {
  chainId: string;
  resSeq: number;
  iCode: string;
  resName: string; // as written in the input (may differ from molecule.name, e.g. HSD read as HIS)
  molecule: MoleculeMapping;
  beads: number[]; // indices into CgSystem.beads, in molecule bead order
  /** Consecutive index of the connected chain segment (new chain id or a backbone gap). */
  chainIndex: number;
}

export interface CgSystem {
  set: MappingSet;
  beads: CgBead[];
  residues: CgResidue[];
  coords: Float64Array; // 3 * nbeads, Å
  /** Periodic box of the input, when it had one (coordinates are already made whole, see `assignCg`). */
  box?: Box | null;
}

export interface UnknownCg {
  resName: string;
  bead?: string;
  chainId?: string;
  resSeq?: number;
  line: number;
  file: string;
}

export interface AssignCgOptions {
  residueNameMap?: Record<string, string>;
  /** Skip (and report) residues the set does not know, e.g. water and ions. */
  partial?: boolean;
  /** Backbone bead distance (Å) above which consecutive residues are in different chain segments. */
  breakDistance?: number;
  /**
   * Make molecules whole across a rectangular periodic box (default true): beads of a residue and consecutive
   * residues of one chain split by the boundary are moved by box vectors next to each other.
   */
  unwrap?: boolean;
}

/**
 * The set's molecule for a residue name: exact name, then `residueNameMap`, then a protonation/force-field variant
 * of the same amino acid (HSD ↔ HIS ↔ HIE …, CYX ↔ CYS, ASH → ASP, …), then another spelling of a lipid or sterol
 * (CHOL, CHL → CHL1). `null` when the set has none.
 */
export function resolveMolecule(
  set: MappingSet,
  resName: string,
  residueNameMap?: Record<string, string>,
): MoleculeMapping | null {
  const mapped = residueNameMap?.[resName];
  if (mapped !== undefined) return set.molecules.get(mapped) ?? null;
  const direct = set.molecules.get(resName);
  if (direct) return direct;
  const group = variantGroup(resName.toUpperCase());
  if (group) for (const n of group) {
    const m = set.molecules.get(n);
    if (m) return m;
  }
  // Lipid and sterol spellings of the chemistry table (Martini CHOL, GROMACS-port CHL for CHARMM36's CHL1, …).
  const lipid = lipidTopology(resName) ?? lipidTopology(resName.toUpperCase());
  if (lipid) for (const n of [lipid.name, ...lipid.aliases]) {
    const m = set.molecules.get(n);
    if (m) return m;
  }
  return null;
}

/** Index of the bead used for chain-break detection (BB, else CA), -1 when the molecule has neither. */
export function backboneBead(m: MoleculeMapping): number {
  const bb = m.beadIndex.get('BB');
  if (bb !== undefined) return bb;
  const ca = m.beadIndex.get('CA');
  return ca ?? -1;
}

/**
 * Chain segments: a residue starts a new segment when its chain id differs from the previous residue's, or when
 * either has no backbone bead (ligands, lipids), or when the backbone beads are more than `breakDistance` apart.
 */
export function assignChainIndices(system: CgSystem, breakDistance = 6): void {
  let idx = -1;
  const c = system.coords;
  let prevBb = -1;
  let prevChain: string | null = null;
  let prev: CgResidue | null = null;
  for (const r of system.residues) {
    const k = backboneBead(r.molecule);
    const bb = k >= 0 ? r.beads[k] ?? -1 : -1;
    // Residue numbers that restart (GRO files of many molecules have no chain ids) also start a segment.
    const restart = prev !== null && (r.resSeq < prev.resSeq || (r.resSeq === prev.resSeq && r.iCode === prev.iCode));
    let brk = prevChain === null || r.chainId !== prevChain || bb < 0 || prevBb < 0 || restart;
    if (!brk) {
      const dx = c[3 * bb] - c[3 * prevBb];
      const dy = c[3 * bb + 1] - c[3 * prevBb + 1];
      const dz = c[3 * bb + 2] - c[3 * prevBb + 2];
      brk = dx * dx + dy * dy + dz * dz > breakDistance * breakDistance;
    }
    if (brk) idx++;
    r.chainIndex = idx;
    prevBb = bb;
    prevChain = r.chainId;
    prev = r;
  }
}

/**
 * Reach (Å) within which a residue's beads, or consecutive backbone beads, count as joined: larger than any bond of a
 * CG mapping, smaller than the gap a periodic box leaves between the pieces of a broken residue (at most half the
 * box's shortest side).
 */
const CG_REACH = 10;

/**
 * Makes residues and chains whole in a rectangular periodic box: a residue's beads are joined by images
 * (`joinByImages`: bead to bead within reach, from the first), and every residue continuing the previous one's
 * chain (same chain id, increasing number) is moved as a whole to the image whose backbone bead is nearest the
 * previous backbone bead. A residue
 * already in one piece (beads joined within CG_REACH), or a backbone bead within CG_REACH of the previous one, is
 * left where it is: a molecule larger than half its box would otherwise be folded onto itself. Placeholder boxes
 * (under 10 Å, a vacuum run's) are not periodic.
 * Returns the number of bead coordinates moved.
 */
export function unwrapSystem(system: CgSystem, box: Box | null | undefined): number {
  const L = rectangularBoxLengths(box);
  if (!L) return 0;
  const reach = Math.min(CG_REACH, Math.min(...L) / 2);
  const c = system.coords;
  let moved = 0;
  const image = (d: number, l: number) => Math.round(d / l) * l;
  let prev: CgResidue | null = null;
  for (const r of system.residues) {
    if (spansHalfBox(c, r.beads, L) && !connectedWithin(c, r.beads, reach)) moved += joinByImages(c, r.beads, L, reach);
    const kb = backboneBead(r.molecule);
    const kp = prev ? backboneBead(prev.molecule) : -1;
    if (prev && kb >= 0 && kp >= 0 && prev.chainId === r.chainId && r.resSeq > prev.resSeq) {
      const a = prev.beads[kp];
      const b = r.beads[kb];
      if (!connectedWithin(c, [a, b], reach))
        for (let k = 0; k < 3; k++) {
          const s = image(c[3 * b + k] - c[3 * a + k], L[k]);
          if (s !== 0) {
            for (const x of r.beads) c[3 * x + k] -= s;
            moved += r.beads.length;
          }
        }
    }
    prev = r;
  }
  return moved;
}

/**
 * Reads a CG structure into a `CgSystem`. Every bead must be a bead of its residue's molecule, and every bead of
 * the molecule must be present once. Unknown residues: skipped and reported with `partial`, else an `InputError`;
 * unknown bead names in known residues likewise. Coordinates are checked for NaN.
 */
export function assignCg(
  cg: Structure,
  set: MappingSet,
  opts: AssignCgOptions = {},
): { system: CgSystem; unknown: UnknownCg[]; unwrapped: number } {
  const a = cg.atoms;
  const file = cg.source;
  const unknown: UnknownCg[] = [];
  const beads: CgBead[] = [];
  const residues: CgResidue[] = [];
  const coordList: number[] = [];
  for (const r of residuesOf(a)) {
    const line0 = a.sourceLine[r.start];
    const mol = resolveMolecule(set, r.resName, opts.residueNameMap);
    if (!mol) {
      unknown.push({ resName: r.resName, chainId: r.chainId, resSeq: r.resSeq, line: line0, file });
      continue;
    }
    const slotOf = new Int32Array(mol.beads.length).fill(-1);
    for (let i = r.start; i < r.end; i++) {
      const name = a.name[i];
      const k = mol.beadIndex.get(name);
      if (k === undefined) {
        if (!opts.partial)
          throw new InputError(
            `bead ${name} is not a bead of ${r.resName} in mapping set '${set.id}' (${mol.file}: ${mol.beads.map((b) => b.name).join(', ')})`,
            file,
            a.sourceLine[i] || undefined,
          );
        unknown.push({ resName: r.resName, bead: name, chainId: r.chainId, resSeq: r.resSeq, line: a.sourceLine[i], file });
        continue;
      }
      if (slotOf[k] >= 0) {
        // Alternate locations repeat a bead: keep the first, as readers do for atoms.
        if (a.altLoc[i] && a.altLoc[i] !== a.altLoc[slotOf[k]]) continue;
        throw new InputError(
          `bead ${name} appears twice in residue ${r.resName} ${r.chainId}${r.resSeq}${r.iCode}`,
          file,
          a.sourceLine[i] || undefined,
        );
      }
      const x = cg.coords[3 * i];
      const y = cg.coords[3 * i + 1];
      const z = cg.coords[3 * i + 2];
      if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z))
        throw new InputError(`bead ${name} of ${r.resName} ${r.chainId}${r.resSeq} has non-finite coordinates`, file, a.sourceLine[i] || undefined);
      slotOf[k] = i;
    }
    // In partial mode a run made only of unknown particles (e.g. GO-model virtual sites listed after the
    // protein under the residue's name) is skipped like an unknown residue.
    if (opts.partial && slotOf.every((x) => x < 0)) continue;
    const missing = mol.beads.filter((_, k) => slotOf[k] < 0).map((b) => b.name);
    if (missing.length)
      throw new InputError(
        `residue ${r.resName} ${r.chainId}${r.resSeq}${r.iCode} lacks bead${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
          `required by mapping ${mol.file}`,
        file,
        line0 || undefined,
      );
    const ri = residues.length;
    const list: number[] = [];
    for (let k = 0; k < mol.beads.length; k++) {
      const i = slotOf[k];
      list.push(beads.length);
      beads.push({ residue: ri, molecule: mol, bead: k, typeId: mol.beads[k].typeId, source: i });
      coordList.push(cg.coords[3 * i], cg.coords[3 * i + 1], cg.coords[3 * i + 2]);
    }
    residues.push({ chainId: r.chainId, resSeq: r.resSeq, iCode: r.iCode, resName: r.resName, molecule: mol, beads: list, chainIndex: 0 });
  }
  if (unknown.length && !opts.partial) {
    const first = unknown.slice(0, 5).map((u) => `${u.bead ? `bead ${u.bead} of ` : ''}${u.resName} (${u.file}:${u.line})`);
    const f = unknown[0];
    throw new InputError(
      `${unknown.length} CG particle${unknown.length > 1 ? 's' : ''} not in mapping set '${set.id}': ${first.join(', ')}` +
        `${unknown.length > 5 ? ', …' : ''} (use partial mode to skip unknown residues, or a residue name map)`,
      f.file,
      f.line || undefined,
    );
  }
  if (!residues.length) throw new InputError(`no residue of the CG structure is known to mapping set '${set.id}'`, file);
  const system: CgSystem = { set, beads, residues, coords: Float64Array.from(coordList), box: cg.box };
  const unwrapped = opts.unwrap === false ? 0 : unwrapSystem(system, cg.box);
  assignChainIndices(system, opts.breakDistance);
  return { system, unknown, unwrapped };
}
