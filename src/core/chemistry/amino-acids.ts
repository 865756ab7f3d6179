/**
 * Heavy-atom topology and ideal internal coordinates of the 20 standard amino acids, shared by the
 * peptide builder, the metrics, the refinement and the mapping generator. Bond lengths and angles are Engh & Huber (1991/2001) values;
 * branch offsets (e.g. VAL CG2 = χ1 + 122.3°) and the CB placement sign (C-N-CA-CB ≈ -122°, L-amino
 * acids) were checked against real chains. Ring-closure bonds (PHE/TYR/HIS/TRP/PRO) are not built
 * from these tables; their ideal values are those of the ideally built residue (see `idealGeometry`).
 */

/**
 * Class of a molecule in the chemistry table: amino acids (this file), lipids and sterols (`lipids.ts`); solvent
 * and ions get their own kinds when the engine learns them. `moleculeKind` (molecules.ts) classifies a residue name.
 */
export type MoleculeKind = 'amino-acid' | 'lipid' | 'sterol' | 'water' | 'ion';

/** Torsion of an internal coordinate: a fixed value, or χ_k (1-based) plus an offset, in degrees. */
export type TorsionSpec = number | { chi: number; offset?: number };

/** Atom `name` bonded to `c`, with angle b-c-name and torsion a-b-c-name. */
export interface AtomIC {
  name: string;
  element: string;
  a: string;
  b: string;
  c: string;
  bond: number;
  angle: number;
  torsion: TorsionSpec;
}

export interface ResidueTopology {
  kind: 'amino-acid';
  name3: string;
  name1: string;
  /** Heavy atoms in PDB order (backbone N CA C O, then side chain); OXT is not listed. */
  atoms: string[];
  elements: string[];
  /** Side-chain atoms after CB, in build order. */
  sidechain: AtomIC[];
  /** Four atom names per χ angle (χ1 first). */
  chis: [string, string, string, string][];
  /**
   * Default χ angles: a common rotamer of the Lovell et al. (2000) penultimate library, picked as the
   * most frequent in α-helices (the builder's default backbone), e.g. t80 for PHE/TYR, m for THR.
   */
  defaultChi: number[];
  /** Intra-residue covalent bonds between heavy atoms (the peptide bond is added by users). */
  bonds: [string, string][];
  /** Name pairs that are chemically equivalent by symmetry (swap them together). */
  symmetric: [string, string][];
  /** The symmetric swap changes χ_k by 180° (ASP χ2, GLU χ3, PHE/TYR χ2). */
  symmetricChi?: number;
  /** Equivalence for LEU/VAL methyls, valid only under the `includeMethyls` option. */
  methylSwap?: [string, string][];
}

/** Backbone ideal values (Engh & Huber); GLY and PRO have their own. */
export interface BackboneIdeal {
  nCa: number; caC: number; cO: number; cN: number; // cN: C(i-1)-N(i), bond INTO this residue
  nCaC: number; caCN: number; cNCa: number; caCO: number; // caCN: angle of this residue's C to next N; cNCa: angle into this residue
  caCb: number; nCaCb: number; cCaCb: number;
}
export const BACKBONE: BackboneIdeal = {
  nCa: 1.458, caC: 1.525, cO: 1.231, cN: 1.329,
  nCaC: 111.2, caCN: 116.2, cNCa: 121.7, caCO: 120.8,
  caCb: 1.530, nCaCb: 110.5, cCaCb: 110.1,
};
const GLY_BB: BackboneIdeal = { ...BACKBONE, nCa: 1.451, caC: 1.516, nCaC: 112.5, caCN: 116.4, cNCa: 120.6, caCO: 120.8 };
const PRO_BB: BackboneIdeal = { ...BACKBONE, nCa: 1.466, cN: 1.341, nCaC: 111.8, cNCa: 122.6, nCaCb: 103.0, cCaCb: 111.7 };
export const ALA_CB = 1.521;
export const backboneIdeal = (name3: string): BackboneIdeal =>
  name3 === 'GLY' ? GLY_BB : name3 === 'PRO' ? PRO_BB : name3 === 'ALA' ? { ...BACKBONE, caCb: ALA_CB } : BACKBONE;
/** Terminal carboxylate O-C-OXT geometry: OXT opposite O, in the peptide plane. */
export const OXT_BOND = 1.231;
export const OXT_ANGLE = 117.0;
/** ω of a trans peptide. */
export const OMEGA = 180;
/** Ideal proline ring closure CD-N. */
export const PRO_CD_N = 1.473;

const ic = (name: string, a: string, b: string, c: string, bond: number, angle: number, torsion: TorsionSpec): AtomIC => ({
  name, element: name[0], a, b, c, bond, angle, torsion,
});
const chi = (k: number, offset = 0): TorsionSpec => ({ chi: k, offset });

interface Def {
  name1: string;
  sc: AtomIC[];
  chis: string[][];
  defaultChi: number[];
  ring?: [string, string][];
  symmetric?: [string, string][];
  symmetricChi?: number;
  methylSwap?: [string, string][];
}

const DEFS: Record<string, Def> = {
  GLY: { name1: 'G', sc: [], chis: [], defaultChi: [] },
  ALA: { name1: 'A', sc: [], chis: [], defaultChi: [] },
  SER: { name1: 'S', sc: [ic('OG', 'N', 'CA', 'CB', 1.417, 111.1, chi(1))], chis: [['N', 'CA', 'CB', 'OG']], defaultChi: [-65] },
  CYS: { name1: 'C', sc: [ic('SG', 'N', 'CA', 'CB', 1.808, 114.4, chi(1))], chis: [['N', 'CA', 'CB', 'SG']], defaultChi: [-65] },
  THR: {
    name1: 'T',
    sc: [ic('OG1', 'N', 'CA', 'CB', 1.433, 109.6, chi(1)), ic('CG2', 'N', 'CA', 'CB', 1.521, 110.5, chi(1, -120.7))],
    chis: [['N', 'CA', 'CB', 'OG1']],
    defaultChi: [-60],
  },
  VAL: {
    name1: 'V',
    sc: [ic('CG1', 'N', 'CA', 'CB', 1.521, 110.5, chi(1)), ic('CG2', 'N', 'CA', 'CB', 1.521, 110.5, chi(1, 122.3))],
    chis: [['N', 'CA', 'CB', 'CG1']],
    defaultChi: [175],
    methylSwap: [['CG1', 'CG2']],
  },
  ILE: {
    name1: 'I',
    sc: [
      ic('CG1', 'N', 'CA', 'CB', 1.530, 110.4, chi(1)),
      ic('CG2', 'N', 'CA', 'CB', 1.521, 110.5, chi(1, -121.8)),
      ic('CD1', 'CA', 'CB', 'CG1', 1.513, 113.8, chi(2)),
    ],
    chis: [['N', 'CA', 'CB', 'CG1'], ['CA', 'CB', 'CG1', 'CD1']],
    defaultChi: [-65, 170],
  },
  LEU: {
    name1: 'L',
    sc: [
      ic('CG', 'N', 'CA', 'CB', 1.530, 116.3, chi(1)),
      ic('CD1', 'CA', 'CB', 'CG', 1.521, 110.7, chi(2)),
      ic('CD2', 'CA', 'CB', 'CG', 1.521, 110.7, chi(2, 122.2)),
    ],
    chis: [['N', 'CA', 'CB', 'CG'], ['CA', 'CB', 'CG', 'CD1']],
    defaultChi: [-65, 175],
    methylSwap: [['CD1', 'CD2']],
  },
  MET: {
    name1: 'M',
    sc: [
      ic('CG', 'N', 'CA', 'CB', 1.520, 114.1, chi(1)),
      ic('SD', 'CA', 'CB', 'CG', 1.803, 112.7, chi(2)),
      ic('CE', 'CB', 'CG', 'SD', 1.791, 100.9, chi(3)),
    ],
    chis: [['N', 'CA', 'CB', 'CG'], ['CA', 'CB', 'CG', 'SD'], ['CB', 'CG', 'SD', 'CE']],
    defaultChi: [-67, 180, -70],
  },
  PRO: {
    name1: 'P',
    // χ2 is solved so that CD closes the ring onto N (1.473 Å); only χ1 (the pucker) is free.
    sc: [ic('CG', 'N', 'CA', 'CB', 1.495, 104.5, chi(1)), ic('CD', 'CA', 'CB', 'CG', 1.503, 106.1, chi(2))],
    chis: [['N', 'CA', 'CB', 'CG'], ['CA', 'CB', 'CG', 'CD']],
    defaultChi: [30, -35],
    ring: [['CD', 'N']],
  },
  PHE: {
    name1: 'F',
    sc: [
      ic('CG', 'N', 'CA', 'CB', 1.502, 113.8, chi(1)),
      ic('CD1', 'CA', 'CB', 'CG', 1.384, 120.7, chi(2)),
      ic('CD2', 'CA', 'CB', 'CG', 1.384, 120.7, chi(2, 180)),
      ic('CE1', 'CB', 'CG', 'CD1', 1.382, 120.7, 180),
      ic('CE2', 'CB', 'CG', 'CD2', 1.382, 120.7, 180),
      ic('CZ', 'CG', 'CD1', 'CE1', 1.382, 120.0, 0),
    ],
    chis: [['N', 'CA', 'CB', 'CG'], ['CA', 'CB', 'CG', 'CD1']],
    defaultChi: [180, 80],
    ring: [['CE2', 'CZ']],
    symmetric: [['CD1', 'CD2'], ['CE1', 'CE2']],
    symmetricChi: 2,
  },
  TYR: {
    name1: 'Y',
    sc: [
      ic('CG', 'N', 'CA', 'CB', 1.512, 113.9, chi(1)),
      ic('CD1', 'CA', 'CB', 'CG', 1.389, 120.8, chi(2)),
      ic('CD2', 'CA', 'CB', 'CG', 1.389, 120.8, chi(2, 180)),
      ic('CE1', 'CB', 'CG', 'CD1', 1.382, 121.2, 180),
      ic('CE2', 'CB', 'CG', 'CD2', 1.382, 121.2, 180),
      ic('CZ', 'CG', 'CD1', 'CE1', 1.378, 119.6, 0),
      ic('OH', 'CD1', 'CE1', 'CZ', 1.376, 119.8, 180),
    ],
    chis: [['N', 'CA', 'CB', 'CG'], ['CA', 'CB', 'CG', 'CD1']],
    defaultChi: [180, 80],
    ring: [['CE2', 'CZ']],
    symmetric: [['CD1', 'CD2'], ['CE1', 'CE2']],
    symmetricChi: 2,
  },
  TRP: {
    name1: 'W',
    sc: [
      ic('CG', 'N', 'CA', 'CB', 1.498, 113.6, chi(1)),
      ic('CD1', 'CA', 'CB', 'CG', 1.365, 127.0, chi(2)),
      ic('CD2', 'CA', 'CB', 'CG', 1.433, 126.6, chi(2, 180)),
      ic('NE1', 'CB', 'CG', 'CD1', 1.374, 110.2, 180),
      ic('CE2', 'CB', 'CG', 'CD2', 1.409, 107.2, 180),
      ic('CE3', 'CB', 'CG', 'CD2', 1.398, 133.9, 0),
      ic('CZ2', 'CG', 'CD2', 'CE2', 1.394, 122.4, 180),
      ic('CZ3', 'CG', 'CD2', 'CE3', 1.382, 118.6, 180),
      ic('CH2', 'CD2', 'CE2', 'CZ2', 1.368, 117.5, 0),
    ],
    chis: [['N', 'CA', 'CB', 'CG'], ['CA', 'CB', 'CG', 'CD1']],
    defaultChi: [180, 90],
    ring: [['NE1', 'CE2'], ['CZ3', 'CH2']],
  },
  HIS: {
    name1: 'H',
    sc: [
      ic('CG', 'N', 'CA', 'CB', 1.497, 113.8, chi(1)),
      ic('ND1', 'CA', 'CB', 'CG', 1.378, 122.7, chi(2)),
      ic('CD2', 'CA', 'CB', 'CG', 1.354, 131.0, chi(2, 180)),
      ic('CE1', 'CB', 'CG', 'ND1', 1.321, 109.0, 180),
      ic('NE2', 'CB', 'CG', 'CD2', 1.374, 107.2, 180),
    ],
    chis: [['N', 'CA', 'CB', 'CG'], ['CA', 'CB', 'CG', 'ND1']],
    defaultChi: [180, 60],
    ring: [['CE1', 'NE2']],
  },
  ASP: {
    name1: 'D',
    sc: [
      ic('CG', 'N', 'CA', 'CB', 1.516, 112.6, chi(1)),
      ic('OD1', 'CA', 'CB', 'CG', 1.249, 118.4, chi(2)),
      ic('OD2', 'CA', 'CB', 'CG', 1.249, 118.4, chi(2, 180)),
    ],
    chis: [['N', 'CA', 'CB', 'CG'], ['CA', 'CB', 'CG', 'OD1']],
    defaultChi: [-70, -15],
    symmetric: [['OD1', 'OD2']],
    symmetricChi: 2,
  },
  ASN: {
    name1: 'N',
    sc: [
      ic('CG', 'N', 'CA', 'CB', 1.516, 112.6, chi(1)),
      ic('OD1', 'CA', 'CB', 'CG', 1.231, 120.8, chi(2)),
      ic('ND2', 'CA', 'CB', 'CG', 1.328, 116.4, chi(2, 180)),
    ],
    chis: [['N', 'CA', 'CB', 'CG'], ['CA', 'CB', 'CG', 'OD1']],
    defaultChi: [-65, -20],
  },
  GLU: {
    name1: 'E',
    sc: [
      ic('CG', 'N', 'CA', 'CB', 1.520, 114.1, chi(1)),
      ic('CD', 'CA', 'CB', 'CG', 1.516, 112.6, chi(2)),
      ic('OE1', 'CB', 'CG', 'CD', 1.249, 118.4, chi(3)),
      ic('OE2', 'CB', 'CG', 'CD', 1.249, 118.4, chi(3, 180)),
    ],
    chis: [['N', 'CA', 'CB', 'CG'], ['CA', 'CB', 'CG', 'CD'], ['CB', 'CG', 'CD', 'OE1']],
    defaultChi: [-67, 180, -10],
    symmetric: [['OE1', 'OE2']],
    symmetricChi: 3,
  },
  GLN: {
    name1: 'Q',
    sc: [
      ic('CG', 'N', 'CA', 'CB', 1.520, 114.1, chi(1)),
      ic('CD', 'CA', 'CB', 'CG', 1.516, 112.6, chi(2)),
      ic('OE1', 'CB', 'CG', 'CD', 1.231, 120.8, chi(3)),
      ic('NE2', 'CB', 'CG', 'CD', 1.328, 116.4, chi(3, 180)),
    ],
    chis: [['N', 'CA', 'CB', 'CG'], ['CA', 'CB', 'CG', 'CD'], ['CB', 'CG', 'CD', 'OE1']],
    defaultChi: [-67, 180, -25],
  },
  LYS: {
    name1: 'K',
    sc: [
      ic('CG', 'N', 'CA', 'CB', 1.520, 114.1, chi(1)),
      ic('CD', 'CA', 'CB', 'CG', 1.520, 111.3, chi(2)),
      ic('CE', 'CB', 'CG', 'CD', 1.520, 111.3, chi(3)),
      ic('NZ', 'CG', 'CD', 'CE', 1.489, 111.9, chi(4)),
    ],
    chis: [['N', 'CA', 'CB', 'CG'], ['CA', 'CB', 'CG', 'CD'], ['CB', 'CG', 'CD', 'CE'], ['CG', 'CD', 'CE', 'NZ']],
    defaultChi: [-67, 180, 180, 180],
  },
  ARG: {
    name1: 'R',
    sc: [
      ic('CG', 'N', 'CA', 'CB', 1.520, 114.1, chi(1)),
      ic('CD', 'CA', 'CB', 'CG', 1.520, 111.3, chi(2)),
      ic('NE', 'CB', 'CG', 'CD', 1.460, 112.0, chi(3)),
      ic('CZ', 'CG', 'CD', 'NE', 1.329, 124.2, chi(4)),
      ic('NH1', 'CD', 'NE', 'CZ', 1.326, 120.0, 0),
      ic('NH2', 'CD', 'NE', 'CZ', 1.326, 120.0, 180),
    ],
    chis: [['N', 'CA', 'CB', 'CG'], ['CA', 'CB', 'CG', 'CD'], ['CB', 'CG', 'CD', 'NE'], ['CG', 'CD', 'NE', 'CZ']],
    defaultChi: [-67, 180, 180, 180],
    symmetric: [['NH1', 'NH2']],
  },
};

function makeTopology(name3: string, d: Def): ResidueTopology {
  const atoms = ['N', 'CA', 'C', 'O'];
  const elements = ['N', 'C', 'C', 'O'];
  const bonds: [string, string][] = [['N', 'CA'], ['CA', 'C'], ['C', 'O']];
  if (name3 !== 'GLY') {
    atoms.push('CB');
    elements.push('C');
    bonds.push(['CA', 'CB']);
  }
  for (const a of d.sc) {
    atoms.push(a.name);
    elements.push(a.element);
    bonds.push([a.c, a.name]);
  }
  for (const r of d.ring ?? []) bonds.push(r);
  return {
    kind: 'amino-acid',
    name3,
    name1: d.name1,
    atoms,
    elements,
    sidechain: d.sc,
    chis: d.chis as [string, string, string, string][],
    defaultChi: d.defaultChi,
    bonds,
    symmetric: d.symmetric ?? [],
    symmetricChi: d.symmetricChi,
    methylSwap: d.methylSwap,
  };
}

/** Topologies of the 20 standard amino acids, by three-letter name. */
export const RESIDUES: Readonly<Record<string, ResidueTopology>> = Object.fromEntries(
  Object.entries(DEFS).map(([k, d]) => [k, makeTopology(k, d)]),
);
export const ONE_TO_THREE: Readonly<Record<string, string>> = Object.fromEntries(Object.values(RESIDUES).map((r) => [r.name1, r.name3]));
export const THREE_TO_ONE: Readonly<Record<string, string>> = Object.fromEntries(Object.values(RESIDUES).map((r) => [r.name3, r.name1]));

/** Backbone heavy atoms of an amino acid, OXT included (everything else is side chain, CB included). */
export const BACKBONE_ATOMS: ReadonlySet<string> = new Set(['N', 'CA', 'C', 'O', 'OXT']);
