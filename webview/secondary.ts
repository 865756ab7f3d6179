// Secondary structure from backbone torsions (φ/ψ regions, then minimum run lengths): enough for a track under
// the sequence and the per-residue plot, without hydrogen bonds. Helix: φ −160…−20°, ψ −120…50° for at least 4
// consecutive residues; strand: φ −180…−40°, ψ 90…180° or ψ ≤ −150° for at least 3.
import { residueKeyString, type TorsionRow } from '../src/shared/webview-protocol';

export type SecondaryStructure = 'H' | 'E' | 'C';
export const SS_LABEL: Record<SecondaryStructure, string> = { H: 'helix', E: 'strand', C: 'coil' };

const helixLike = (phi: number, psi: number) => phi >= -160 && phi <= -20 && psi >= -120 && psi <= 50;
const strandLike = (phi: number, psi: number) => phi >= -180 && phi <= -40 && (psi >= 90 || psi <= -150);

/** Residue key → H/E/C, per chain in row order (rows as the torsion table lists them). */
export function assignSecondaryStructure(rows: readonly TorsionRow[]): Map<string, SecondaryStructure> {
  const raw: SecondaryStructure[] = rows.map((r) => (r.phi === null || r.psi === null ? 'C' : helixLike(r.phi, r.psi) ? 'H' : strandLike(r.phi, r.psi) ? 'E' : 'C'));
  const out = new Map<string, SecondaryStructure>();
  let i = 0;
  while (i < rows.length) {
    let j = i + 1;
    // A run: the same class, same chain, consecutive residue numbers.
    while (j < rows.length && raw[j] === raw[i] && rows[j].chainId === rows[i].chainId && rows[j].resSeq - rows[j - 1].resSeq <= 1) j++;
    const min = raw[i] === 'H' ? 4 : raw[i] === 'E' ? 3 : 1;
    const ss: SecondaryStructure = j - i >= min ? raw[i] : 'C';
    for (let k = i; k < j; k++) out.set(residueKeyString(rows[k]), ss);
    i = j;
  }
  return out;
}
