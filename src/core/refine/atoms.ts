/** Atom selection shared by the refinement steps. */
import type { Structure } from '../structure/types';

/** Backbone atom names, the CHARMM terminal oxygens OT1/OT2 included: never moved by side-chain steps. */
export const BACKBONE = new Set(['N', 'CA', 'C', 'O', 'OXT', 'OT1', 'OT2']);

export const isHeavy = (s: Structure, i: number): boolean => {
  const el = s.atoms.element[i];
  if (el) return el !== 'H' && el !== 'D';
  return !/^[0-9]*[HD]/.test(s.atoms.name[i]);
};

/** Fills `names` with the residue's heavy atoms by name (the first of a repeated name, e.g. an altLoc, wins). */
export function heavyAtomsByName(s: Structure, r: { start: number; end: number }, names: Map<string, number>): void {
  names.clear();
  for (let i = r.start; i < r.end; i++) if (isHeavy(s, i) && !names.has(s.atoms.name[i])) names.set(s.atoms.name[i], i);
}

/** How many of `atoms` moved from `x0` to `x`, and the largest move (Å). */
export function shiftStats(x: Float64Array, x0: Float64Array, atoms: Iterable<number>): { atomsMoved: number; maxShift: number } {
  let atomsMoved = 0;
  let maxShift = 0;
  for (const i of atoms) {
    const d = Math.hypot(x[3 * i] - x0[3 * i], x[3 * i + 1] - x0[3 * i + 1], x[3 * i + 2] - x0[3 * i + 2]);
    if (d > 1e-9) atomsMoved++;
    if (d > maxShift) maxShift = d;
  }
  return { atomsMoved, maxShift };
}
