/**
 * Model-free backmapper (the fallback, and the baseline every benchmark prints): per residue, an ideal-geometry
 * template of the residue (amino acids: `buildPeptide`; other molecules: a template structure passed in options)
 * is mapped with the same mapping, its beads (plus the backbone beads of up to two neighbours on each side, which
 * fix the orientation of 1–2-bead residues such as GLY/ALA in Martini or every residue in C-alpha) are
 * Kabsch-fitted onto the input beads, and the fitted template's slot vectors are returned, so the same
 * `reconstruct` builds the atoms. Backbone conformation (α, β, PPII, αL) and, for residues whose side chain has
 * beads, χ1/χ2 rotamers are chosen by the best fit. Lipids and sterols are placed bead by bead from a conformation
 * library instead (molecule-template.ts).
 */
import { InputError } from './errors';
import { buildPeptide } from './chemistry/peptide';
import { RESIDUES } from './chemistry/amino-acids';
import { protonationParent } from './chemistry/variants';
import { kabsch } from './geometry/kabsch';
import type { MappingSet, MoleculeMapping } from './mapping/types';
import type { Structure } from './structure/types';
import { backboneBead, type CgSystem } from './cg';
import { mapToCg } from './forward';
import { targetVectors } from './reconstruct';
import { moleculeTemplateVectors } from './molecule-template';

export interface TemplateOptions {
  /** Template structures for non-amino-acid molecules, keyed by molecule (residue) name; one residue each. */
  templates?: Map<string, Structure> | Record<string, Structure>;
  /** Try side-chain rotamers (χ1/χ2) for residues with side-chain beads (default true). */
  rotamers?: boolean;
  /**
   * Out (3 × beads): where `reconstruct` must recentre each bead's atoms (its `beadCoords`). The input beads, except
   * a sterol's ring beads: the rigid ring is placed whole, and its beads' centres are the fitted conformation's, so
   * the ring comes out exactly as stored. Without it the ring is recentred on the input beads like every bead.
   */
  centres?: Float64Array;
}

/** Backbone classes tried for every amino acid: α-helix, β-strand, polyproline II, left-handed helix (a finer grid of 10 classes measured worse: it fits noise). */
const BACKBONE_CLASSES: [number, number][] = [
  [-63, -43],
  [-120, 130],
  [-75, 145],
  [57, 47],
];
const CHI1 = [-65, 180, 60];
const CHI2: Record<string, number[]> = {
  PHE: [90, 0],
  TYR: [90, 0],
  HIS: [-75, 80, 180],
  TRP: [-90, 90, 0],
  ASN: [-60, 0, 60],
  ASP: [0, 60],
  GLN: [-65, 180, 65],
  GLU: [-65, 180, 65],
  LEU: [65, 175],
  ILE: [-60, 170],
  MET: [-65, 180, 65],
  LYS: [-65, 180, 65],
  ARG: [-65, 180, 65],
  PRO: [],
};

/** Amino-acid base name (builder residue) for a molecule name, including protonation variants. */
function aminoBase(name: string): string | null {
  return protonationParent(name) ?? null;
}

/** A mapped template: its fit points (own beads, then neighbour backbone beads) and its slot vectors. */
interface Template {
  nbeads: number;
  /** own beads xyz (3·nbeads), template frame */
  own: Float64Array;
  /** neighbour backbone bead xyz for offsets −2, −1, +1, +2 (NaN when absent from the template) */
  nbr: Float64Array;
  /** nbeads × R × 3 slot vectors */
  vectors: Float32Array;
}

const NBR_OFFSETS = [-2, -1, 1, 2];
const NBR_WEIGHT = [0.5, 1, 1, 0.5];

function templateFromStructure(s: Structure, set: MappingSet, mol: MoleculeMapping, centerResSeq: number | null): Template | null {
  const fw = mapToCg(s, set);
  const sys = fw.system;
  // The residue of interest (by number; null = the first one); neighbours the set does not know are absent.
  const center = centerResSeq === null ? 0 : sys.residues.findIndex((q) => q.resSeq === centerResSeq);
  const r = sys.residues[center];
  if (!r || r.molecule !== mol) return null;
  const R = set.maxSlots;
  const v = targetVectors(sys, s.coords, fw.slotAtoms);
  const nb = r.beads.length;
  const own = new Float64Array(3 * nb);
  const vectors = new Float32Array(nb * R * 3);
  r.beads.forEach((bi, k) => {
    own.set(sys.coords.subarray(3 * bi, 3 * bi + 3), 3 * k);
    vectors.set(v.subarray(bi * R * 3, (bi + 1) * R * 3), k * R * 3);
  });
  const nbr = new Float64Array(12).fill(NaN);
  NBR_OFFSETS.forEach((d, k) => {
    const q = sys.residues[center + d];
    if (!q || q.resSeq !== r.resSeq + d || q.chainIndex !== r.chainIndex) return;
    const bb = backboneBead(q.molecule);
    if (bb < 0) return;
    const bi = q.beads[bb];
    nbr.set(sys.coords.subarray(3 * bi, 3 * bi + 3), 3 * k);
  });
  return { nbeads: nb, own, nbr, vectors };
}

class TemplateLibrary {
  private cache = new Map<string, Template | null>();
  constructor(
    private readonly set: MappingSet,
    private readonly custom: Map<string, Structure>,
  ) {}

  /** Amino-acid template: `AAXAA` (X inside a chain) or `AAX` (X at a C-terminus, with OXT). */
  amino(mol: MoleculeMapping, base: string, cterm: boolean, bb: number, chi1: number | null, chi2: number | null): Template | null {
    const key = `${mol.name}|${cterm ? 'c' : 'm'}|${bb}|${chi1}|${chi2}`;
    if (this.cache.has(key)) return this.cache.get(key)!;
    const one = RESIDUES[base].name1;
    const seq = cterm ? `AA${one}` : `AA${one}AA`;
    const [phi, psi] = BACKBONE_CLASSES[bb];
    const chi: (number[] | undefined)[] = [];
    if (chi1 !== null) chi[2] = [chi1, chi2 ?? NaN];
    const s = buildPeptide(seq, { phi, psi, chi, source: `template ${mol.name}` });
    // The template residue takes the molecule's name so that it maps with exactly this molecule.
    for (let i = 0; i < s.atoms.count; i++) if (s.atoms.resSeq[i] === 3) s.atoms.resName[i] = mol.name;
    let t: Template | null = null;
    try {
      t = templateFromStructure(s, this.set, mol, 3);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
    }
    this.cache.set(key, t);
    return t;
  }

  other(mol: MoleculeMapping): Template | null {
    const key = `custom|${mol.name}`;
    if (this.cache.has(key)) return this.cache.get(key)!;
    const s = this.custom.get(mol.name);
    const t = s ? templateFromStructure(s, this.set, mol, null) : null;
    this.cache.set(key, t);
    return t;
  }
}

const libraries = new WeakMap<MappingSet, TemplateLibrary>();

/**
 * Template slot vectors for every bead of the system (nbeads × R × 3), to be passed to `reconstruct`.
 * Throws `InputError` for a residue that is neither an amino acid nor has a template in `opts.templates`.
 */
export function templateVectors(system: CgSystem, opts: TemplateOptions = {}): Float32Array {
  const set = system.set;
  const R = set.maxSlots;
  const custom = opts.templates instanceof Map ? opts.templates : new Map(Object.entries(opts.templates ?? {}));
  let lib = libraries.get(set);
  if (!lib || custom.size) {
    lib = new TemplateLibrary(set, custom);
    if (!custom.size) libraries.set(set, lib);
  }
  const out = new Float32Array(system.beads.length * R * 3).fill(NaN);
  const centres = opts.centres;
  if (centres) {
    if (centres.length < system.coords.length) throw new RangeError(`templateVectors: centres hold ${centres.length / 3} beads, the system ${system.beads.length}`);
    centres.set(system.coords);
  }
  const res = system.residues;
  const X = system.coords;
  const P = new Float64Array(3 * 16);
  const Q = new Float64Array(3 * 16);
  const W = new Float64Array(16);
  const rotamers = opts.rotamers ?? true;

  for (let ri = 0; ri < res.length; ri++) {
    const r = res[ri];
    const mol = r.molecule;
    const base = aminoBase(mol.name);
    // Lipids and sterols: per-bead local fits of a conformation library (molecule-template.ts); a template
    // structure passed in options takes precedence.
    if (!base && !custom.has(mol.name) && moleculeTemplateVectors(system, ri, out, centres)) continue;
    const cterm = ri === res.length - 1 || res[ri + 1].chainIndex !== r.chainIndex;
    // Input neighbour backbone beads in the same chain segment.
    const nbrIn: number[] = NBR_OFFSETS.map((d) => {
      const q = res[ri + d];
      if (!q || q.chainIndex !== r.chainIndex) return -1;
      const bb = backboneBead(q.molecule);
      return bb >= 0 ? q.beads[bb] : -1;
    });

    const fit = (t: Template): { R: number[]; rmsd: number } => {
      let n = 0;
      for (let k = 0; k < t.nbeads && n < 16; k++, n++) {
        const bi = r.beads[k];
        for (let c = 0; c < 3; c++) {
          P[3 * n + c] = t.own[3 * k + c];
          Q[3 * n + c] = X[3 * bi + c];
        }
        W[n] = 1;
      }
      for (let k = 0; k < 4 && n < 16; k++) {
        const bi = nbrIn[k];
        if (bi < 0 || Number.isNaN(t.nbr[3 * k])) continue;
        for (let c = 0; c < 3; c++) {
          P[3 * n + c] = t.nbr[3 * k + c];
          Q[3 * n + c] = X[3 * bi + c];
        }
        W[n] = NBR_WEIGHT[k];
        n++;
      }
      if (n < 2) return { R: [1, 0, 0, 0, 1, 0, 0, 0, 1], rmsd: 0 };
      const k = kabsch(P.subarray(0, 3 * n), Q.subarray(0, 3 * n), W.subarray(0, n));
      return { R: k.R, rmsd: k.rmsd };
    };

    let best: { t: Template; R: number[]; rmsd: number } | null = null;
    const consider = (t: Template | null): number => {
      if (!t || t.nbeads !== r.beads.length) return Infinity;
      const f = fit(t);
      if (!best || f.rmsd < best.rmsd) best = { t, R: f.R, rmsd: f.rmsd };
      return f.rmsd;
    };
    if (base) {
      // Stage 1: backbone class with the default rotamer; stage 2: rotamers on that backbone.
      let bestBb = 0;
      let bestRmsd = Infinity;
      for (let b = 0; b < BACKBONE_CLASSES.length; b++) {
        const f = consider(lib.amino(mol, base, cterm, b, null, null));
        if (f < bestRmsd) {
          bestRmsd = f;
          bestBb = b;
        }
      }
      const scBeads = r.beads.length - (backboneBead(mol) >= 0 ? 1 : 0);
      const nchi = RESIDUES[base].chis.length;
      if (rotamers && scBeads >= 1 && nchi >= 1)
        for (const c1 of CHI1) {
          const c2s = nchi >= 2 ? CHI2[base] ?? [null] : [null];
          for (const c2 of c2s.length ? c2s : [null]) consider(lib.amino(mol, base, cterm, bestBb, c1, c2));
        }
    } else consider(lib.other(mol));

    if (!best) {
      throw new InputError(
        `no template for residue ${r.resName} ${r.chainId}${r.resSeq}${r.iCode} (molecule ${mol.name}): ` +
          'the template backmapper knows amino acids, lipids and sterols; pass a template structure for other molecules',
        mol.file,
      );
    }
    const { t, R: M } = best as { t: Template; R: number[]; rmsd: number };
    for (let k = 0; k < r.beads.length; k++) {
      const bi = r.beads[k];
      for (let j = 0; j < R; j++) {
        const o = (k * R + j) * 3;
        const x = t.vectors[o];
        const y = t.vectors[o + 1];
        const z = t.vectors[o + 2];
        const d = (bi * R + j) * 3;
        out[d] = M[0] * x + M[1] * y + M[2] * z;
        out[d + 1] = M[3] * x + M[4] * y + M[5] * z;
        out[d + 2] = M[6] * x + M[7] * y + M[8] * z;
      }
    }
  }
  return out;
}
