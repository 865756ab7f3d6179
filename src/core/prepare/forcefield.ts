/**
 * Which force field reads a structure: the naming its residue and atom names follow (`ffnames.ts` writes them),
 * and the force field of each engine that takes that naming without renaming (pdb2gmx without -ignh).
 */
import type { ForceFieldNaming } from '../ffnames';
import { solventKind } from '../chemistry/solvent';
import type { Structure } from '../structure/types';
import { UsageError } from '../errors';
import type { EngineName } from './engines';

/** Names only one naming writes (ffnames.ts): residue names of protonation states, terminal and amide atoms. */
const RESIDUE_SIGNS: Readonly<Record<string, ForceFieldNaming>> = {
  HSD: 'charmm', HSE: 'charmm', HSP: 'charmm', ASPP: 'charmm', GLUP: 'charmm', LSN: 'charmm',
  HID: 'amber', HIE: 'amber', HIP: 'amber', ASH: 'amber', GLH: 'amber', LYN: 'amber', CYX: 'amber',
  HISD: 'gromacs', HISE: 'gromacs', HISH: 'gromacs', CYS2: 'gromacs', LYSN: 'gromacs',
};
const CHARMM_ATOMS = new Set(['HN', 'HT1', 'HT2', 'HT3', 'OT1', 'OT2']);
const AMBER_ATOMS = new Set(['H', 'OXT']);

export interface NamingGuess {
  naming: ForceFieldNaming;
  /** What decided it ("residue HSE", "atom HN", or "no force-field names: the default"). */
  reason: string;
}

/** The naming of a structure's protein: residue names first (they tell AMBER from GROMACS), then atom names. */
export function detectNaming(s: Structure): NamingGuess {
  const a = s.atoms;
  for (let i = 0; i < a.count; i++) {
    const n = RESIDUE_SIGNS[a.resName[i]];
    if (n) return { naming: n, reason: `residue name ${a.resName[i]}` };
  }
  for (let i = 0; i < a.count; i++) {
    if (CHARMM_ATOMS.has(a.name[i])) return { naming: 'charmm', reason: `atom name ${a.name[i]}` };
    if (AMBER_ATOMS.has(a.name[i]) && !solventKind(a.resName[i])) return { naming: 'amber', reason: `atom name ${a.name[i]}` };
  }
  return { naming: 'charmm', reason: 'no force-field-specific names: CHARMM, the default naming' };
}

/** The GROMACS force field (a folder `<name>.ff`) and the OpenMM one (amber14, charmm36) of each naming. */
export const FORCE_FIELDS: Readonly<Record<EngineName, Readonly<Record<ForceFieldNaming, string>>>> = {
  gromacs: { charmm: 'charmm27', amber: 'amber99sb-ildn', gromacs: 'oplsaa' },
  openmm: { charmm: 'charmm36', amber: 'amber14', gromacs: 'amber14' },
};

export const OPENMM_FORCE_FIELDS = ['amber14', 'charmm36'] as const;

/**
 * The force field to use: `--ff` when given (OpenMM: amber14 or charmm36; GROMACS: any installed `<name>.ff`,
 * which pdb2gmx checks), else the one for the file's naming.
 */
export function chooseForceField(engine: EngineName, s: Structure, asked?: string): { ff: string; reason: string } {
  if (asked) {
    if (engine === 'openmm' && !(OPENMM_FORCE_FIELDS as readonly string[]).includes(asked))
      throw new UsageError(`--ff for OpenMM is amber14 or charmm36 (got '${asked}')`);
    return { ff: asked, reason: '--ff' };
  }
  const guess = detectNaming(s);
  const ff = FORCE_FIELDS[engine][guess.naming];
  if (ff === 'oplsaa' && s.atoms.resName.some((r) => r === 'ASH' || r === 'GLH'))
    throw new UsageError('the file has protonated ASP/GLU (ASH/GLH), which OPLS-AA/L takes only through pdb2gmx\'s interactive -asp/-glu: use --ff amber99sb-ildn');
  return { ff, reason: `${guess.naming} names (${guess.reason})` };
}
