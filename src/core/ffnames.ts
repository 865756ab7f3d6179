/**
 * Force-field naming of protein residues and atoms: the names `gmx pdb2gmx` and OpenMM read without edits.
 * Ground truth: the residue topologies (`aminoacids.rtp`), hydrogen databases (`.hdb`), residue-to-building-block
 * tables (`.r2b`) and `xlateat.dat` of GROMACS 2022 (Debian's `gromacs`, /usr/share/gromacs/top), checked by
 * test/core/hydrogens/gromacs.test.ts running pdb2gmx without `-ignh`.
 *
 * - `charmm`: CHARMM36 (and GROMACS's charmm27.ff): HN, HB1/HB2, ILE CD/HD1-3, SER/CYS HG1, N-terminal HT1-3,
 *   C-terminal OT1/OT2, HSD/HSE/HSP, ASPP, GLUP, LSN; a disulfide-bonded cysteine stays CYS (CHARMM's DISU patch;
 *   pdb2gmx turns it into CYS2 from the S–S distance).
 * - `amber`: the AMBER force fields as GROMACS ports them (amber99sb-ildn.ff and its siblings): H, HB1/HB2 (the
 *   ports number methylene hydrogens 1/2 with the opposite hand to CHARMM's; PRO keeps CHARMM's), ILE CD/HD1-3,
 *   SER/CYS HG, N-terminal H1-3, C-terminal O/OXT, HID/HIE/HIP, ASH, GLH, LYN; terminal residues keep their
 *   plain names (pdb2gmx picks NALA/CALA from `.r2b`). A disulfide-bonded cysteine is written CYS without HG:
 *   pdb2gmx links only residues named CYS… (specbond.dat) and then builds CYX, and a CYX it leaves unlinked.
 *   OpenMM's PDB reader maps these names onto its amber14 templates (and bonds CYS SG pairs without HG).
 *   The native AMBER/PDB spelling (HB2/HB3, ILE CD1/HD11, HG12/HG13) is rejected by pdb2gmx ("Atom HB3 … was not
 *   found in rtp entry"), so it is not what this naming writes.
 * - `gromacs`: GROMACS's own residue names (the `.r2b` left column: HISD/HISE/HISH, CYS2, LYSN) with the same atom
 *   names as `amber`: read by pdb2gmx with the AMBER ports and OPLS-AA/L. Protonated ASP/GLU are written ASH/GLH:
 *   pdb2gmx renames ASPH/GLUH to the charged ASP/GLU unless run with -asp/-glu (interactive), so OPLS-AA/L cannot
 *   take them without that.
 *
 * Waters (TIP3P): `charmm` TIP3 OH2 H1 H2 (charmm27.ff/aminoacids.rtp [ TIP3 ], CHARMM-GUI), `amber` WAT O H1 H2
 * (AMBER's tleap names, which OpenMM's PDB reader maps onto HOH), `gromacs` SOL OW HW1 HW2 (the tip3p.itp of
 * every GROMACS force field; pdb2gmx reads SOL as its water residue HOH, whose .rtp atoms are OW HW1 HW2).
 *
 * No AMBER port has an N- or C-terminal building block for ASH, GLH or LYN ("no residue type for 'ASH' as a starting
 * terminus"): the placement keeps terminal ASP/GLU/LYS in their usual state (`hydrogens.ts`).
 */
import type { ProtonationState } from './chemistry/hydrogens';
import { stateParent } from './chemistry/hydrogens';
import { TERMINAL_OXYGEN_NAMES } from './chemistry/bonds';

export type ForceFieldNaming = 'charmm' | 'amber' | 'gromacs';
export const FORCE_FIELD_NAMINGS: readonly ForceFieldNaming[] = ['charmm', 'amber', 'gromacs'];

/** Residue names of the protonation states that differ from the parent's name. */
const RESIDUE_NAMES: Readonly<Record<string, Readonly<Record<ForceFieldNaming, string>>>> = {
  HSD: { charmm: 'HSD', amber: 'HID', gromacs: 'HISD' },
  HSE: { charmm: 'HSE', amber: 'HIE', gromacs: 'HISE' },
  HSP: { charmm: 'HSP', amber: 'HIP', gromacs: 'HISH' },
  // pdb2gmx resets ASPH/GLUH to the charged ASP/GLU unless run interactively (-asp/-glu): the AMBER names pass
  ASPP: { charmm: 'ASPP', amber: 'ASH', gromacs: 'ASH' },
  GLUP: { charmm: 'GLUP', amber: 'GLH', gromacs: 'GLH' },
  LSN: { charmm: 'LSN', amber: 'LYN', gromacs: 'LYSN' },
  // pdb2gmx links S–S only between residues named CYS… (specbond.dat), then builds CYS2/CYX: AMBER's CYX is not linked
  CYX: { charmm: 'CYS', amber: 'CYS', gromacs: 'CYS2' },
  // No CHARMM36 residue and no GROMACS .r2b name: written as AMBER names it.
  CYM: { charmm: 'CYM', amber: 'CYM', gromacs: 'CYM' },
};

/** The residue name of a protonation state under a naming (e.g. HSE → HIE for amber). */
export function residueNameFor(state: ProtonationState, naming: ForceFieldNaming): string {
  return RESIDUE_NAMES[state]?.[naming] ?? stateParent(state);
}

/** CHARMM methylene pairs the AMBER/GROMACS ports number the other way round (every residue but PRO). */
const SWAPPED_PAIRS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  GLY: [['HA1', 'HA2']],
  ILE: [['HG11', 'HG12']],
  ARG: [['HB1', 'HB2'], ['HG1', 'HG2'], ['HD1', 'HD2']],
  GLN: [['HB1', 'HB2'], ['HG1', 'HG2']],
  GLU: [['HB1', 'HB2'], ['HG1', 'HG2']],
  LYS: [['HB1', 'HB2'], ['HG1', 'HG2'], ['HD1', 'HD2'], ['HE1', 'HE2']],
  MET: [['HB1', 'HB2'], ['HG1', 'HG2']],
  ...Object.fromEntries(['ASN', 'ASP', 'CYS', 'HIS', 'LEU', 'PHE', 'SER', 'TRP', 'TYR'].map((r) => [r, [['HB1', 'HB2']] as const])),
};
const SWAP: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map(
  Object.entries(SWAPPED_PAIRS).map(([r, pairs]) => [r, new Map(pairs.flatMap(([a, b]) => [[a, b], [b, a]] as [string, string][]))]),
);

export interface TerminalFlags {
  nTerminal: boolean;
  cTerminal: boolean;
}

/**
 * The name of an atom of a protein residue under a naming. `atom` is canonical: heavy atoms under the engine's names
 * (PDB: ILE CD1, O/OXT), hydrogens under their CHARMM36 names (`chemistry/hydrogens.ts`); `parent` the standard
 * amino acid.
 */
export function atomNameFor(parent: string, atom: string, naming: ForceFieldNaming, term: TerminalFlags): string {
  if (parent === 'ILE' && atom === 'CD1') return 'CD';
  if (naming === 'charmm') {
    if (term.cTerminal && atom === 'O') return 'OT1';
    if (term.cTerminal && atom === 'OXT') return 'OT2';
    return atom;
  }
  if (atom === 'HN') return 'H';
  if (atom === 'HT1' || atom === 'HT2' || atom === 'HT3') return `H${atom[2]}`;
  if (atom === 'HG1' && (parent === 'SER' || parent === 'CYS')) return 'HG';
  return SWAP.get(parent)?.get(atom) ?? atom;
}

/** Residue, oxygen and hydrogen names of a TIP3P water under a naming (see the module comment). */
export interface WaterNames {
  resName: string;
  oxygen: string;
  hydrogens: readonly [string, string];
}

const WATER_NAMES: Readonly<Record<ForceFieldNaming, WaterNames>> = {
  charmm: { resName: 'TIP3', oxygen: 'OH2', hydrogens: ['H1', 'H2'] },
  amber: { resName: 'WAT', oxygen: 'O', hydrogens: ['H1', 'H2'] },
  gromacs: { resName: 'SOL', oxygen: 'OW', hydrogens: ['HW1', 'HW2'] },
};

/** The names of a water under a naming. */
export function waterNamesFor(naming: ForceFieldNaming): WaterNames {
  return WATER_NAMES[naming];
}

const TERMINAL_O = new Set(TERMINAL_OXYGEN_NAMES.O);
const TERMINAL_OXT = new Set(TERMINAL_OXYGEN_NAMES.OXT);

/**
 * The engine's (PDB) name of an amino acid's heavy atom written under a force field's name (OT1 → O, OC2 → OXT,
 * ILE CD → CD1), so that output of any `--names` compares atom by atom with a reference under PDB names. `parent`:
 * the residue's amino acid (`protonationParent`).
 */
export function engineHeavyName(parent: string, name: string): string {
  if (TERMINAL_O.has(name)) return 'O';
  if (TERMINAL_OXT.has(name)) return 'OXT';
  if (parent === 'ILE' && name === 'CD') return 'CD1';
  return name;
}
