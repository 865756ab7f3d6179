import type { Structure } from '../structure/types';
import { AMINO_ACID_NAMES } from '../chemistry/variants';

/**
 * Catches coordinates in the wrong unit: nm read as Å (everything 10x too close) or the reverse.
 * All-atom: the median distance between consecutive atoms of the same residue is ~1.5 Å (bonded heavy
 * atoms 1.2-1.6 Å, hydrogens ~1 Å, non-bonded neighbours in file order 2-3 Å). CG (Martini beads,
 * C-alpha traces): consecutive beads of one molecule are 2.5-5 Å apart. Only pairs inside one molecule count:
 * the same residue, or (CG) consecutive amino acids of one chain. Consecutive beads of different molecules
 * (lipids, waters, ions of a membrane system, often without chain ids) are anywhere in the box.
 * Returns a message or null.
 */
export function detectUnitProblem(s: Structure, kind: 'all-atom' | 'cg'): string | null {
  const a = s.atoms;
  const xyz = s.coords;
  const d: number[] = [];
  const n = a.count;
  // Sample at most ~20k pairs spread over the structure: enough for a robust median, cheap for 1M atoms.
  const stride = Math.max(1, Math.floor(n / 20000));
  for (let i = 0; i + 1 < n; i += stride) {
    const j = i + 1;
    if (a.chainId[i] !== a.chainId[j]) continue;
    const sameResidue = a.resSeq[i] === a.resSeq[j] && a.iCode[i] === a.iCode[j] && a.resName[i] === a.resName[j];
    if (!sameResidue) {
      if (kind === 'all-atom') continue;
      // CG: the next residue of a polymer chain (C-alpha traces have one bead per residue).
      if (a.resSeq[j] !== a.resSeq[i] + 1 || !AMINO_ACID_NAMES.has(a.resName[i]) || !AMINO_ACID_NAMES.has(a.resName[j])) continue;
    }
    const dx = xyz[3 * i] - xyz[3 * j], dy = xyz[3 * i + 1] - xyz[3 * j + 1], dz = xyz[3 * i + 2] - xyz[3 * j + 2];
    const r = Math.sqrt(dx * dx + dy * dy + dz * dz);
    if (r > 0) d.push(r);
  }
  if (d.length < 3) return null;
  d.sort((x, y) => x - y);
  const med = d[d.length >> 1];
  const f = med.toFixed(3);
  if (kind === 'all-atom') {
    if (med < 0.5) return `coordinates look like nanometres, not Ångström: the median distance between consecutive atoms of a residue is ${f} (expected about 1.5 Å); convert the file (or use a .gro file, which is read as nm)`;
    if (med > 8) return `coordinates look 10x too large (Ångström read as nanometres?): the median distance between consecutive atoms of a residue is ${f} Å (expected about 1.5 Å)`;
  } else {
    if (med < 1.0) return `CG coordinates look like nanometres, not Ångström: the median distance between consecutive beads is ${f} (expected 2.5-5 Å); convert the file (or use a .gro file, which is read as nm)`;
    if (med > 25) return `CG coordinates look 10x too large (Ångström read as nanometres?): the median distance between consecutive beads is ${f} Å (expected 2.5-5 Å)`;
  }
  return null;
}
