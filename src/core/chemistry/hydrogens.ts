/**
 * Hydrogens of the 20 amino acids: per residue, every hydrogen under its CHARMM36 name, the heavy atom it binds to
 * and how it is placed from the heavy atoms (`src/core/hydrogens.ts` places them, `src/core/ffnames.ts` renames
 * them for AMBER and GROMACS).
 *
 * Sources (values written here from the published tables, nothing generated):
 * - Names, which hydrogens each residue and protonation state has, and their order: the CHARMM22/CMAP residue
 *   topologies as GROMACS ships them (`charmm27.ff/aminoacids.rtp`, the same names as CHARMM36's
 *   `top_all36_prot.rtf`: HN, HB1/HB2, ILE CD with HD1-3, SER/CYS HG1, HSD/HSE/HSP, ASPP, GLUP, LSN).
 * - Which of two methylene hydrogens is which: as `gmx pdb2gmx -ff charmm27` builds them from `aminoacids.hdb`
 *   (H1 at +120° from the chain's next heavy atom about the axis from the atom nearer CA, e.g. dihedral
 *   N-CA-CB-HB1 = χ1 + 120°; PDB/IUPAC names that hydrogen HB2, so CHARMM H1/H2 are PDB H2/H3).
 * - Bond lengths: AMBER parm99/ff14SB equilibrium values (Cornell et al. 1995, J Am Chem Soc 117:5179; Wang,
 *   Cieplak & Kollman 2000): aliphatic C–H 1.090, aromatic C–H 1.080, N–H 1.010, O–H 0.960, S–H 1.336 Å (CHARMM36:
 *   1.08-1.11, 0.997-1.04, 0.96, 1.325 Å).
 * - Angles: tetrahedral 109.5°; amide, guanidinium and six-membered-ring hydrogens in the plane at 120°; five-ring
 *   (HIS, TRP) hydrogens on the exterior bisector (~126°); hydroxyl C–O–H 108.5° (SER/THR, AMBER HO-OH-CT),
 *   113° on an aromatic or carbonyl carbon (TYR, protonated ASP/GLU, AMBER HO-OH-CA/C); C–S–H 96° (AMBER HS-SH-CT).
 *   Engh & Huber (1991) give the heavy-atom geometry these hydrogens are built on (`amino-acids.ts`).
 */

/**
 * Protonation state of a residue, named as CHARMM36 names the residue (the canonical name; `ffnames.ts` gives the
 * AMBER and GROMACS spellings). `CYX` (disulfide-bonded, no HG1) and `CYM` (thiolate) have no CHARMM residue of
 * their own: CHARMM keeps CYS and patches it.
 */
export type ProtonationState =
  | 'ALA' | 'ARG' | 'ASN' | 'ASP' | 'CYS' | 'GLN' | 'GLU' | 'GLY' | 'ILE' | 'LEU' | 'LYS' | 'MET' | 'PHE' | 'PRO'
  | 'SER' | 'THR' | 'TRP' | 'TYR' | 'VAL'
  | 'HSD' | 'HSE' | 'HSP' | 'ASPP' | 'GLUP' | 'LSN' | 'CYX' | 'CYM';

/**
 * How a group of hydrogens sits on its heavy atom `on`:
 * - `tetrahedral`: sp3 with the heavy neighbours `from` fixed: one H (three neighbours) opposite their mean
 *   direction; two H (two neighbours) symmetric about their plane, H–C–H 109.5°, names[0] at +120° from
 *   from[1] about the from[0]→on axis.
 * - `planar`: sp2, in the plane of on and its neighbours: one H (two neighbours) on the exterior bisector; two H
 *   (=NH2, one neighbour from[0] and a reference from[1]) at `angle` to from[0], names[0] cis to from[1].
 * - `rotor`: about the from[0]→on bond, torsion from[1]–from[0]–on–H: one H tries each of `torsions` (the
 *   placement picks the one with the fewest contacts, then the best hydrogen bond); two or three H (NH2, NH3+, CH3)
 *   are staggered at torsions[0] + 120°·k, turned off staggered only when every staggered set touches another atom.
 */
export type HydrogenGeometry = 'tetrahedral' | 'planar' | 'rotor';

export interface HydrogenGroup {
  /** CHARMM36 names, in topology order. */
  names: readonly string[];
  /** The heavy atom they bind to. */
  on: string;
  geometry: HydrogenGeometry;
  /** Heavy atoms the placement is built from (see `HydrogenGeometry`); '-C' is the previous residue's C. */
  from: readonly string[];
  /** X–H bond length (Å). */
  bond: number;
  /** Ideal H–on–from[k] angle (degrees), the same for every k: what the placement produces on ideal heavy geometry. */
  angle: number;
  /** Rotors: torsion candidates (degrees), the first is the default when scores tie. */
  torsions?: readonly number[];
  /** A donor hydrogen (O–H, S–H, N–H): hydrogen bonds to O and N acceptors count in its placement. */
  polar?: boolean;
  /** Present only in these protonation states (undefined: always). */
  states?: readonly ProtonationState[];
}

/** Bond lengths (Å), AMBER parm99/ff14SB. */
export const H_BOND = { aliphatic: 1.09, aromatic: 1.08, nitrogen: 1.01, oxygen: 0.96, sulfur: 1.336 } as const;
export const TETRAHEDRAL = 109.5;
/** Staggered torsions of a single rotatable hydrogen (anti first) and of planar ones (cis first). */
const STAGGERED = [180, 60, -60] as const;
const IN_PLANE = [0, 180] as const;

const { aliphatic: CH, aromatic: CHAR, nitrogen: NH, oxygen: OH, sulfur: SH } = H_BOND;

const tetra = (names: string[], on: string, from: string[], bond: number = CH): HydrogenGroup => ({ names, on, geometry: 'tetrahedral', from, bond, angle: TETRAHEDRAL });
const planar = (names: string[], on: string, from: string[], bond: number, angle = 120): HydrogenGroup => ({ names, on, geometry: 'planar', from, bond, angle });
const methyl = (names: string[], on: string, nbr: string, ref: string): HydrogenGroup => ({ names, on, geometry: 'rotor', from: [nbr, ref], bond: CH, angle: TETRAHEDRAL, torsions: [180] });
const rotor = (name: string, on: string, nbr: string, ref: string, bond: number, angle: number, torsions: readonly number[]): HydrogenGroup => ({
  names: [name], on, geometry: 'rotor', from: [nbr, ref], bond, angle, torsions, polar: true,
});

/** The backbone amide hydrogen (not on PRO, replaced by NH3+ at an N-terminus). */
export const AMIDE_H: HydrogenGroup = planar(['HN'], 'N', ['-C', 'CA'], NH);
/** CA–H of every residue but GLY. */
const HA = tetra(['HA'], 'CA', ['N', 'C', 'CB']);
/** Methylene at CB, from CA and the γ atom. */
const hb = (g: string) => tetra(['HB1', 'HB2'], 'CB', ['CA', g]);

/** N-terminal NH3+ (CHARMM NTER/GLYP: HT1-3), staggered about N–CA; PRO's NH2+ (PROP) sits between CA and CD. */
export const N_TERMINAL: HydrogenGroup = { names: ['HT1', 'HT2', 'HT3'], on: 'N', geometry: 'rotor', from: ['CA', 'C'], bond: NH, angle: TETRAHEDRAL, torsions: [180], polar: true };
export const N_TERMINAL_PRO: HydrogenGroup = { ...tetra(['HT1', 'HT2'], 'N', ['CA', 'CD'], NH), polar: true };

/** Side chains (HN and the N-terminus are added by the placement). */
const SIDE: Readonly<Record<string, readonly HydrogenGroup[]>> = {
  ALA: [HA, methyl(['HB1', 'HB2', 'HB3'], 'CB', 'CA', 'N')],
  ARG: [
    HA, hb('CG'), tetra(['HG1', 'HG2'], 'CG', ['CB', 'CD']), tetra(['HD1', 'HD2'], 'CD', ['CG', 'NE']),
    planar(['HE'], 'NE', ['CD', 'CZ'], NH), planar(['HH11', 'HH12'], 'NH1', ['CZ', 'NE'], NH), planar(['HH21', 'HH22'], 'NH2', ['CZ', 'NE'], NH),
  ],
  ASN: [HA, hb('CG'), planar(['HD21', 'HD22'], 'ND2', ['CG', 'CB'], NH)],
  ASP: [HA, hb('CG'), { ...rotor('HD2', 'OD2', 'CG', 'OD1', OH, 113, IN_PLANE), states: ['ASPP'] }],
  CYS: [HA, hb('SG'), { ...rotor('HG1', 'SG', 'CB', 'CA', SH, 96, STAGGERED), states: ['CYS'] }],
  GLN: [HA, hb('CG'), tetra(['HG1', 'HG2'], 'CG', ['CB', 'CD']), planar(['HE21', 'HE22'], 'NE2', ['CD', 'CG'], NH)],
  GLU: [HA, hb('CG'), tetra(['HG1', 'HG2'], 'CG', ['CB', 'CD']), { ...rotor('HE2', 'OE2', 'CD', 'OE1', OH, 113, IN_PLANE), states: ['GLUP'] }],
  GLY: [tetra(['HA1', 'HA2'], 'CA', ['N', 'C'])],
  HIS: [
    HA, hb('CG'),
    { ...planar(['HD1'], 'ND1', ['CG', 'CE1'], NH, 126), polar: true, states: ['HSD', 'HSP'] },
    planar(['HE1'], 'CE1', ['ND1', 'NE2'], CHAR, 126),
    { ...planar(['HE2'], 'NE2', ['CE1', 'CD2'], NH, 126), polar: true, states: ['HSE', 'HSP'] },
    planar(['HD2'], 'CD2', ['CG', 'NE2'], CHAR, 126),
  ],
  ILE: [
    HA, tetra(['HB'], 'CB', ['CA', 'CG1', 'CG2']), methyl(['HG21', 'HG22', 'HG23'], 'CG2', 'CB', 'CA'),
    tetra(['HG11', 'HG12'], 'CG1', ['CB', 'CD1']), methyl(['HD1', 'HD2', 'HD3'], 'CD1', 'CG1', 'CB'),
  ],
  LEU: [
    HA, hb('CG'), tetra(['HG'], 'CG', ['CB', 'CD1', 'CD2']),
    methyl(['HD11', 'HD12', 'HD13'], 'CD1', 'CG', 'CB'), methyl(['HD21', 'HD22', 'HD23'], 'CD2', 'CG', 'CB'),
  ],
  LYS: [
    HA, hb('CG'), tetra(['HG1', 'HG2'], 'CG', ['CB', 'CD']), tetra(['HD1', 'HD2'], 'CD', ['CG', 'CE']), tetra(['HE1', 'HE2'], 'CE', ['CD', 'NZ']),
    { names: ['HZ1', 'HZ2', 'HZ3'], on: 'NZ', geometry: 'rotor', from: ['CE', 'CD'], bond: NH, angle: TETRAHEDRAL, torsions: [180], polar: true, states: ['LYS'] },
    // neutral amine: two H staggered at -60° and +60°, the lone pair anti to CD
    { names: ['HZ1', 'HZ2'], on: 'NZ', geometry: 'rotor', from: ['CE', 'CD'], bond: NH, angle: TETRAHEDRAL, torsions: [-60], polar: true, states: ['LSN'] },
  ],
  MET: [HA, hb('CG'), tetra(['HG1', 'HG2'], 'CG', ['CB', 'SD']), methyl(['HE1', 'HE2', 'HE3'], 'CE', 'SD', 'CG')],
  PHE: [
    HA, hb('CG'), planar(['HD1'], 'CD1', ['CG', 'CE1'], CHAR), planar(['HE1'], 'CE1', ['CD1', 'CZ'], CHAR),
    planar(['HZ'], 'CZ', ['CE1', 'CE2'], CHAR), planar(['HD2'], 'CD2', ['CG', 'CE2'], CHAR), planar(['HE2'], 'CE2', ['CD2', 'CZ'], CHAR),
  ],
  PRO: [tetra(['HD1', 'HD2'], 'CD', ['CG', 'N']), HA, hb('CG'), tetra(['HG1', 'HG2'], 'CG', ['CB', 'CD'])],
  SER: [HA, hb('OG'), rotor('HG1', 'OG', 'CB', 'CA', OH, 108.5, STAGGERED)],
  THR: [HA, tetra(['HB'], 'CB', ['CA', 'OG1', 'CG2']), rotor('HG1', 'OG1', 'CB', 'CA', OH, 108.5, STAGGERED), methyl(['HG21', 'HG22', 'HG23'], 'CG2', 'CB', 'CA')],
  TRP: [
    HA, hb('CG'), planar(['HD1'], 'CD1', ['CG', 'NE1'], CHAR, 126), { ...planar(['HE1'], 'NE1', ['CD1', 'CE2'], NH, 126), polar: true },
    planar(['HE3'], 'CE3', ['CD2', 'CZ3'], CHAR), planar(['HZ3'], 'CZ3', ['CE3', 'CH2'], CHAR),
    planar(['HZ2'], 'CZ2', ['CE2', 'CH2'], CHAR), planar(['HH2'], 'CH2', ['CZ2', 'CZ3'], CHAR),
  ],
  TYR: [
    HA, hb('CG'), planar(['HD1'], 'CD1', ['CG', 'CE1'], CHAR), planar(['HE1'], 'CE1', ['CD1', 'CZ'], CHAR),
    rotor('HH', 'OH', 'CZ', 'CE1', OH, 113, IN_PLANE), planar(['HD2'], 'CD2', ['CG', 'CE2'], CHAR), planar(['HE2'], 'CE2', ['CD2', 'CZ'], CHAR),
  ],
  VAL: [HA, tetra(['HB'], 'CB', ['CA', 'CG1', 'CG2']), methyl(['HG11', 'HG12', 'HG13'], 'CG1', 'CB', 'CA'), methyl(['HG21', 'HG22', 'HG23'], 'CG2', 'CB', 'CA')],
};

/** The standard amino acid a protonation state is a form of. */
export function stateParent(state: ProtonationState): string {
  switch (state) {
    case 'HSD': case 'HSE': case 'HSP': return 'HIS';
    case 'ASPP': return 'ASP';
    case 'GLUP': return 'GLU';
    case 'LSN': return 'LYS';
    case 'CYX': case 'CYM': return 'CYS';
    default: return state;
  }
}

/**
 * Hydrogen groups of a residue in a protonation state, in CHARMM topology order: the backbone HN first (absent on
 * PRO), then the side chain. Termini are the placement's business (N_TERMINAL replaces HN).
 */
export function hydrogenGroups(state: ProtonationState): readonly HydrogenGroup[] {
  const parent = stateParent(state);
  const side = SIDE[parent];
  if (!side) throw new RangeError(`no hydrogen table for residue ${state}`);
  const groups = side.filter((g) => !g.states || g.states.includes(state));
  return parent === 'PRO' ? groups : [AMIDE_H, ...groups];
}

/** Number of hydrogens of a residue in a state (an N-terminal residue has 2 more, PRO 2 in all at the N-terminus). */
export function hydrogenCount(state: ProtonationState): number {
  return hydrogenGroups(state).reduce((n, g) => n + g.names.length, 0);
}

/**
 * Approximate model-compound pKa values of the free groups in water (no environment shift is computed): a group is
 * protonated when pH < pKa. CYS (≈ 8.3), TYR (≈ 10.1), ARG (≈ 12.5) and the termini keep the state force fields
 * build by default (CYS–SH, TYR–OH, ARG+, NH3+, COO−).
 */
export const PKA = { ASP: 3.9, GLU: 4.3, HIS: 6.0, LYS: 10.5 } as const;

/**
 * Protonation states that a residue name fixes (the user's or the force field's choice wins over the pH and the
 * hydrogen-bond analysis): CHARMM, AMBER and GROMACS spellings. Absent: decided by the pH, the hydrogen-bond
 * network (HIS) and disulfide detection (CYS).
 */
export const EXPLICIT_STATES: Readonly<Record<string, ProtonationState>> = {
  HSD: 'HSD', HID: 'HSD', HISD: 'HSD', HIS1: 'HSD',
  HSE: 'HSE', HIE: 'HSE', HISE: 'HSE', HIS2: 'HSE', HSE2: 'HSE',
  HSP: 'HSP', HIP: 'HSP', HISH: 'HSP', HISP: 'HSP',
  CYX: 'CYX', CYS2: 'CYX', CYM: 'CYM',
  ASH: 'ASPP', ASPP: 'ASPP', ASPH: 'ASPP',
  GLH: 'GLUP', GLUP: 'GLUP', GLUH: 'GLUP',
  LYN: 'LSN', LSN: 'LSN', LYSN: 'LSN', LYSH: 'LYS',
};
