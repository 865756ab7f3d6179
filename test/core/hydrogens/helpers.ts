// Shared by the hydrogen tests (not a test file itself).
import { readFileSync } from 'node:fs';
import { parsePdb } from '../../../src/core/structure/pdb';
import type { Structure } from '../../../src/core/structure/types';
import { residuesOf, StructureBuilder } from '../../../src/core/structure/builder';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { add, cross, getAt, matVec, normalize, rotationAbout, scale, sub } from '../../../src/core/geometry/vec';

export const DEMO = parsePdb(readFileSync('examples/demo-protein.pdb', 'utf8'), 'examples/demo-protein.pdb');

/**
 * Hydrogens per residue in GROMACS's charmm27.ff/aminoacids.rtp (CHARMM22/CMAP = CHARMM36's names), counted from the
 * file (test/core/hydrogens/gromacs.test.ts re-reads the installed .rtp when GROMACS is there).
 */
export const RTP_H_COUNT: Readonly<Record<string, number>> = {
  ALA: 5, ARG: 13, ASN: 6, ASP: 4, ASPP: 5, CYS: 5, GLN: 8, GLU: 6, GLUP: 7, GLY: 3, HSD: 7, HSE: 7, HSP: 8, ILE: 11,
  LEU: 11, LYS: 13, LSN: 12, MET: 9, PHE: 9, PRO: 7, SER: 5, THR: 7, TRP: 10, TYR: 9, VAL: 9,
};

/** name → index per residue of a structure (first occurrence). */
export function byResidue(s: Structure): { resName: string; resSeq: number; chainId: string; atoms: Map<string, number> }[] {
  return residuesOf(s.atoms).map((r) => {
    const atoms = new Map<string, number>();
    for (let i = r.start; i < r.end; i++) if (!atoms.has(s.atoms.name[i])) atoms.set(s.atoms.name[i], i);
    return { resName: r.resName, resSeq: r.resSeq, chainId: r.chainId, atoms };
  });
}

/** Two ACA chains whose CYS SG are `d` Å apart: the second is the first turned 180° about an axis through the S–S midpoint. */
export function disulfidePair(d: number): Structure {
  const a = buildPeptide('ACA', { phi: -120, psi: 130, chainId: 'A' });
  const at = (name: string) => getAt(a.coords, a.atoms.name.findIndex((x, i) => x === name && a.atoms.resSeq[i] === 2));
  const sg = at('SG');
  const u = normalize(sub(sg, at('CB')));
  const mid = add(sg, scale(u, d / 2));
  const R = rotationAbout(normalize(cross(u, Math.abs(u[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0])), 180);
  const sb = new StructureBuilder(2 * a.atoms.count);
  for (const chain of ['A', 'B'])
    for (let i = 0; i < a.atoms.count; i++) {
      const p = getAt(a.coords, i);
      const q = chain === 'A' ? p : add(mid, matVec(R, sub(p, mid)));
      sb.addAtom({ name: a.atoms.name[i], resName: a.atoms.resName[i], chainId: chain, resSeq: a.atoms.resSeq[i], element: a.atoms.element[i], x: q[0], y: q[1], z: q[2] });
    }
  return sb.build('disulfide');
}
