/**
 * The one lookup from a residue name to its class in the chemistry table (amino acids, lipids, sterols), for
 * splitting a system into molecules and picking a mapping and backmapper per class.
 */
import type { MoleculeKind } from './amino-acids';
import { AMINO_ACID_NAMES } from './variants';
import { lipidTopology } from './lipids';
import { solventKind } from './solvent';

/** Class of residue `resName`, or undefined when the chemistry table does not know it. */
export function moleculeKind(resName: string): MoleculeKind | undefined {
  if (AMINO_ACID_NAMES.has(resName)) return 'amino-acid';
  return lipidTopology(resName)?.kind ?? solventKind(resName);
}
