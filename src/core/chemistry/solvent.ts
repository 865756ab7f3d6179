/**
 * Water and ions of the chemistry table: the all-atom names force fields write and the Martini 3 particles that
 * stand for them, so that whole systems map to CG and back with every water and ion kept.
 *
 * Sources (facts, not files copied):
 *  - Martini 3 (Souza et al., Nat. Methods 2021; ../shared/data/mappings/martini_forcefields/v3.0.0/gmx_files):
 *    `martini_v3.0.0_solvents_v1.itp` (moleculetype W: one bead W of residue W standing for 4 waters, the 4-to-1
 *    mapping of regular beads; S- and T-size beads stand for 3 and 2 heavy atoms, hence the small/tiny waters SW
 *    and TW), `martini_v3.0.0_ions_v1.itp` (NA: residue NA bead NA; CL: residue CL bead CL; CA: residue ION bead CA,
 *    BR and others likewise residue ION). Martini 3.0.0 ships no potassium: K (bead K) is the name the later
 *    Martini 3 ion sets and CHARMM-GUI's Martini maker use.
 *  - CHARMM36 (toppar_water_ions, as CHARMM-GUI writes it): water TIP3 with atoms OH2, H1, H2; ions SOD, CLA, POT,
 *    CAL, MG with one atom named like the residue. GROMACS, AMBER and PDB spell them SOL/OW/HW1/HW2, WAT/O, HOH/O,
 *    and NA/Na+/NA+, CL/Cl-/CL-, K/K+, CA/CA2+/Ca2+, MG/MG2+.
 */

/** A Martini water particle: residue and bead name, and how many all-atom waters it stands for. */
export interface CgWater {
  name: string;
  waters: number;
  description: string;
}

/** Martini 3 water particles, largest first (the forward mapping fills W beads, then SW and TW for the rest). */
export const CG_WATERS: readonly CgWater[] = [
  { name: 'W', waters: 4, description: 'Martini 3 regular water (4 waters)' },
  { name: 'SW', waters: 3, description: 'Martini 3 small water (3 waters)' },
  { name: 'TW', waters: 2, description: 'Martini 3 tiny water (2 waters)' },
];

/**
 * The all-atom water the solvent placement writes (CHARMM36 TIP3P as CHARMM-GUI writes it): the oxygen only; the
 * hydrogen step (`hydrogens.ts`) adds H1/H2 and renames it for the naming asked (`ffnames.ts` `waterNamesFor`).
 */
export const WATER_OUTPUT = { resName: 'TIP3', oxygen: 'OH2', element: 'O' } as const;

/** TIP3P's rigid geometry (Jorgensen et al. 1983, J Chem Phys 79:926): O–H 0.9572 Å, H–O–H 104.52°. */
export const TIP3P = { bond: 0.9572, angle: 104.52 } as const;

/** Residue names of all-atom water (CHARMM, GROMACS, AMBER, PDB and the other common models). */
export const WATER_RESIDUES: ReadonlySet<string> = new Set([
  'TIP3', 'TIP3P', 'T3P', 'TIP4', 'TIP4P', 'T4P', 'TIP5', 'TIP5P', 'SPC', 'SPCE', 'SOL', 'HOH', 'WAT', 'H2O', 'DOD', 'OPC', 'OPC3',
]);

/** Names the oxygen of an all-atom water carries. */
export const WATER_OXYGEN_NAMES: ReadonlySet<string> = new Set(['OH2', 'OW', 'O', 'OW1', 'OH']);

export interface IonEntry {
  /** Martini 3 residue and bead name (the bead is also found in a residue named ION). */
  cg: string;
  /** CHARMM36 residue and atom name (written on output). */
  charmm: string;
  element: string;
  charge: number;
  /** All-atom residue names read as this ion (CHARMM, GROMACS, AMBER, PDB spellings), CHARMM name first. */
  allAtomNames: readonly string[];
}

/** The ion table (CG name ↔ CHARMM name). */
export const IONS: readonly IonEntry[] = [
  { cg: 'NA', charmm: 'SOD', element: 'NA', charge: 1, allAtomNames: ['SOD', 'NA', 'NA+', 'Na+', 'NA1'] },
  { cg: 'CL', charmm: 'CLA', element: 'CL', charge: -1, allAtomNames: ['CLA', 'CL', 'CL-', 'Cl-', 'CL1'] },
  { cg: 'K', charmm: 'POT', element: 'K', charge: 1, allAtomNames: ['POT', 'K', 'K+'] },
  { cg: 'CA', charmm: 'CAL', element: 'CA', charge: 2, allAtomNames: ['CAL', 'CA', 'CA2+', 'Ca2+'] },
  { cg: 'MG', charmm: 'MG', element: 'MG', charge: 2, allAtomNames: ['MG', 'MG2+', 'Mg2+'] },
];

const ION_BY_AA = new Map<string, IonEntry>();
for (const ion of IONS) for (const n of ion.allAtomNames) ION_BY_AA.set(n.toUpperCase(), ion);
const ION_BY_CG = new Map<string, IonEntry>(IONS.map((i) => [i.cg, i]));
/** Martini residue names of ions (their own name, the generic ION, and Martini 2's NA+/CL- spellings). */
const CG_ION_RESIDUES = new Set(['ION', ...IONS.map((i) => i.cg), 'NA+', 'CL-', 'K+', 'CA2+']);

/** The ion an all-atom residue (one atom) is, by residue name; undefined when it is none. */
export function allAtomIon(resName: string): IonEntry | undefined {
  return ION_BY_AA.get(resName.toUpperCase());
}

/**
 * The ion a CG particle is: Martini 3 residue NA/CL/K/CA/MG (bead of the same name) or residue ION with the ion's
 * bead name (Martini 3 writes CA so, and Martini 2 every ion, with NA+/CL- spellings). Undefined otherwise.
 */
export function cgIon(resName: string, beadName: string): IonEntry | undefined {
  const r = resName.toUpperCase();
  if (!CG_ION_RESIDUES.has(r)) return undefined;
  const b = beadName.toUpperCase().replace(/[0-9]*[+-]$/, '');
  return ION_BY_CG.get(b) ?? (r === 'ION' ? undefined : ION_BY_CG.get(r.replace(/[0-9]*[+-]$/, '')));
}

/** The Martini water particle of a CG residue (W, SW, TW; bead named like the residue), or undefined. */
export function cgWater(resName: string, beadName: string): CgWater | undefined {
  const w = CG_WATERS.find((x) => x.name === resName.toUpperCase());
  return w && (beadName.toUpperCase() === w.name || beadName.toUpperCase() === 'W') ? w : undefined;
}

/** True for a residue name of all-atom water. */
export function isWaterResidue(resName: string): boolean {
  return WATER_RESIDUES.has(resName.toUpperCase());
}

/** Residue names of the solvent classes, for `moleculeKind`: 'water' or 'ion' (all-atom or Martini names). */
export function solventKind(resName: string): 'water' | 'ion' | undefined {
  const r = resName.toUpperCase();
  if (WATER_RESIDUES.has(r) || CG_WATERS.some((w) => w.name === r)) return 'water';
  if (ION_BY_AA.has(r) || CG_ION_RESIDUES.has(r)) return 'ion';
  return undefined;
}
