// Shared by the hydrogen tests (not a test file itself).
import { readFileSync } from 'node:fs';
import { parsePdb } from '../../../src/core/structure/pdb';
import { residuesOf } from '../../../src/core/structure/builder';
import type { Structure } from '../../../src/core/structure/types';

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
