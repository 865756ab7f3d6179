/**
 * IUPAC naming of chemically equivalent side-chain atoms (IUPAC-IUB 1970): the atom numbered 1 is the one whose
 * torsion below lies within ±90° (ASP OD1, GLU OE1, ARG NH1 cis to CD). Deposited files break it (measured on
 * the shared training pool, per file read: ASP 12.3 %, GLU 21.0 %, ARG 4.7 %). A bead holding both atoms
 * cannot tell them apart, so a network trained on such labels learns a blend of the two names; renaming the
 * training targets to the rule removes that noise.
 * PHE/TYR are left alone: their χ2 sits near ±90°, so the rule would split one ring orientation into two labels
 * on either side of the boundary (and Martini 3 puts CD1 and CD2 in different beads, so the input carries the
 * name anyway).
 */
import { dihedralAt } from '../geometry/dihedral';
import { residueTopology } from '../chemistry/variants';
import { residuesOf } from './builder';
import { residueAtoms } from '../metrics';
import type { Structure } from './types';

/** Torsion whose last atom is the one numbered 1, per residue type (aliases such as ASH/GLH resolve to these). */
export const NAMING_TORSIONS: Readonly<Record<string, readonly [string, string, string, string]>> = {
  ASP: ['CA', 'CB', 'CG', 'OD1'],
  GLU: ['CB', 'CG', 'CD', 'OE1'],
  ARG: ['CD', 'NE', 'CZ', 'NH1'],
};

export interface NamingSummary {
  /** Residues whose naming torsion could be measured (all four atoms present, finite and defined). */
  checked: number;
  /** Residues whose equivalent atoms were swapped to follow the rule. */
  swapped: number;
  /** Swaps per residue type. */
  byResidue: Record<string, { checked: number; swapped: number }>;
}

/**
 * Renames equivalent atoms to the IUPAC rule by swapping their coordinates in place, in every model (the atom
 * table's names stay where they are, so atom order and line numbers are untouched). The decision is taken on
 * model 0. Returns what was checked and swapped.
 */
export function applyIupacNaming(s: Structure): NamingSummary {
  const out: NamingSummary = { checked: 0, swapped: 0, byResidue: {} };
  for (const r of residuesOf(s.atoms)) {
    const topo = residueTopology(r.resName);
    const torsion = topo ? NAMING_TORSIONS[topo.name3] : undefined;
    if (!topo || !torsion) continue;
    const index = residueAtoms(s, r);
    const ix = torsion.map((n) => index.get(n) ?? -1);
    if (ix.some((i) => i < 0)) continue;
    // NaN for a NaN coordinate or a degenerate (colinear) torsion: not measurable, left as it is
    const tau = dihedralAt(s.coords, ix[0], ix[1], ix[2], ix[3]);
    if (!Number.isFinite(tau)) continue;
    const pairs = topo.symmetric.map(([a, b]) => [index.get(a), index.get(b)]);
    if (pairs.some(([a, b]) => a === undefined || b === undefined)) continue;
    const stat = (out.byResidue[topo.name3] ??= { checked: 0, swapped: 0 });
    out.checked++;
    stat.checked++;
    if (Math.abs(tau) <= 90) continue;
    out.swapped++;
    stat.swapped++;
    for (const m of s.models) {
      for (const [a, b] of pairs) {
        for (let k = 0; k < 3; k++) {
          const t = m[3 * a! + k];
          m[3 * a! + k] = m[3 * b! + k];
          m[3 * b! + k] = t;
        }
      }
    }
  }
  return out;
}

/** A copy of `s` renamed to the IUPAC rule (coordinates copied; atom table shared, it is not changed). */
export function withIupacNaming(s: Structure): { structure: Structure; summary: NamingSummary } {
  const models = s.models.map((m) => m.slice());
  const structure: Structure = { ...s, coords: models[0], models };
  return { structure, summary: applyIupacNaming(structure) };
}
