/**
 * Covalent heavy-atom bonds of the residues in the chemistry table, and the other names force fields give their
 * atoms. The bond lists come from the amino-acid topologies (`amino-acids.ts`); the refinement's bond graph and the
 * mapping generator read them here.
 */
import { RESIDUES } from './amino-acids';
import { protonationParent, residueVariant } from './variants';

export type Bond = readonly [string, string];

/**
 * Other names of heavy atoms, canonical name first: terminal carboxylate oxygens (CHARMM OT1/OT2, GROMACS OC1/OC2,
 * O1/O2) and, per residue, ILE CD1 (CHARMM writes CD).
 */
export const TERMINAL_OXYGEN_NAMES: Readonly<Record<'O' | 'OXT', readonly string[]>> = {
  O: ['O', 'OT1', 'OC1', 'O1'],
  OXT: ['OXT', 'OT2', 'OC2', 'O2'],
};
export const RESIDUE_ATOM_ALTERNATIVES: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  ILE: { CD1: ['CD'] },
};

/** Canonical name first, then the other names of heavy atom `atom` of residue `name3` (standard name). */
export function atomNames(name3: string, atom: string): readonly string[] {
  if (atom === 'O' || atom === 'OXT') return TERMINAL_OXYGEN_NAMES[atom];
  const alt = RESIDUE_ATOM_ALTERNATIVES[name3]?.[atom];
  return alt ? [atom, ...alt] : [atom];
}

/**
 * Intra-residue heavy-atom bonds (backbone N–CA, CA–C, C=O, CA–CB, then the side chain in build order, ring
 * closures last; the peptide bond and C–OXT are not listed) of a standard amino acid, a protonation variant
 * (its parent's bonds) or a modified residue (its parent's bonds under its own atom names). Undefined when the
 * table does not know the residue.
 */
export function residueBonds(name: string): readonly Bond[] | undefined {
  const parent = protonationParent(name);
  if (parent) return RESIDUES[parent].bonds;
  const v = residueVariant(name);
  if (!v || v.kind !== 'modified') return undefined;
  const rename = (a: string) => v.renamed?.[a] ?? a;
  return RESIDUES[v.parent].bonds.map(([a, b]): Bond => [rename(a), rename(b)]);
}

const BACKBONE_BOND_ATOMS = new Set(['N', 'CA', 'C', 'O']);
const sideChainCache = new Map<string, readonly Bond[]>();

/**
 * Side-chain bonds from CB outward (CA–CB excluded; PRO's CD–N included), each also under the atom's other names
 * (ILE CG1–CD beside CG1–CD1, appended after the canonical bonds). Empty for a residue the table does not know.
 */
export function sideChainBonds(name: string): readonly Bond[] {
  let out = sideChainCache.get(name);
  if (out) return out;
  const all = residueBonds(name) ?? [];
  const side = all.filter(([a, b]) => !(BACKBONE_BOND_ATOMS.has(a) && (BACKBONE_BOND_ATOMS.has(b) || b === 'CB')));
  const parent = protonationParent(name) ?? residueVariant(name)?.parent ?? name;
  const alternatives: Bond[] = [];
  for (const [a, b] of side) {
    for (const alt of atomNames(parent, a).slice(1)) alternatives.push([alt, b]);
    for (const alt of atomNames(parent, b).slice(1)) alternatives.push([a, alt]);
  }
  out = [...side, ...alternatives];
  sideChainCache.set(name, out);
  return out;
}
