/**
 * Names of lipid and sterol atoms and residues under a force-field naming (`--names`). The chemistry table and
 * `lipid-hydrogens.ts` write CHARMM36 names (CHARMM-GUI's); under `amber` they become the AMBER lipid force field's
 * (Lipid17/Lipid21, `chemistry/lipid-amber-names.ts`). GROMACS's CHARMM36 port keeps CHARMM36 names.
 */
import type { ForceFieldNaming } from './ffnames';
import { lipidTopology } from './chemistry/lipids';
import { LIPID_AMBER_NAMES, type LipidAmberNames } from './chemistry/lipid-amber-names';

function amberTable(resName: string, naming: ForceFieldNaming): LipidAmberNames | undefined {
  if (naming !== 'amber') return undefined;
  const l = lipidTopology(resName);
  return l ? LIPID_AMBER_NAMES[l.name] : undefined;
}

/**
 * The name of atom `atom` (its CHARMM36 name, heavy atom or hydrogen) of lipid or sterol residue `resName` (CHARMM36
 * name or alias) under `naming`; `atom` itself for other residues, other namings and atoms the table does not rename.
 */
export function lipidNameFor(resName: string, atom: string, naming: ForceFieldNaming): string {
  const t = amberTable(resName, naming);
  return t && Object.hasOwn(t.atoms, atom) ? t.atoms[atom] : atom;
}

/**
 * The residue name of lipid or sterol residue `resName` under `naming`: lipid17's under `amber` (Martini's CHOL is
 * CHL1 there); `resName` itself otherwise.
 */
export function lipidResidueNameFor(resName: string, naming: ForceFieldNaming): string {
  return amberTable(resName, naming)?.residue ?? resName;
}
