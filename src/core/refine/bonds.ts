/**
 * Covalent bond graph of a structure for the refinement: the chemistry table's bonds per residue, peptide links
 * and disulfides; residues the table does not know get bonds by distance.
 */
import type { Structure } from '../structure/types';
import { residuesOf } from '../structure/builder';
import { AMINO_ACID_NAMES, TOPOLOGY_ALIASES } from '../chemistry/variants';
import { sideChainBonds, type Bond } from '../chemistry/bonds';
import { heavyAtomsByName } from './atoms';
import { Grid } from './grid';

/** Bond graph in compressed rows: neighbours of atom i are list[offset[i] .. offset[i+1]). */
export interface BondGraph {
  offset: Int32Array;
  list: Int32Array;
}

/** Bond graph of a protein-like structure (heavy atoms): residue tables, peptide links, disulfides; unknown residues by distance. */
export function bondGraph(s: Structure): BondGraph {
  const n = s.atoms.count;
  const x = s.coords;
  const d2 = (i: number, j: number) => (x[3 * i] - x[3 * j]) ** 2 + (x[3 * i + 1] - x[3 * j + 1]) ** 2 + (x[3 * i + 2] - x[3 * j + 2]) ** 2;
  let pairs = new Int32Array(4 * n + 16);
  let np = 0;
  const add = (i: number, j: number) => {
    if (i < 0 || j < 0 || i === j) return;
    if (2 * np + 2 > pairs.length) {
      const g = new Int32Array(pairs.length * 2);
      g.set(pairs);
      pairs = g;
    }
    pairs[2 * np] = i;
    pairs[2 * np + 1] = j;
    np++;
  };
  const residues = residuesOf(s.atoms);
  let prevC = -1;
  let prevChain = '';
  const sg: number[] = [];
  const names = new Map<string, number>();
  for (const r of residues) {
    heavyAtomsByName(s, r, names);
    const res = TOPOLOGY_ALIASES[r.resName] ?? r.resName;
    const at = (nm: string) => names.get(nm) ?? -1;
    if (AMINO_ACID_NAMES.has(r.resName) || (names.has('CA') && names.has('N') && names.has('C'))) {
      add(at('N'), at('CA'));
      add(at('CA'), at('C'));
      add(at('C'), at('O'));
      add(at('C'), at('OXT'));
      add(at('C'), at('OT1'));
      add(at('C'), at('OT2'));
      add(at('CA'), at('CB'));
      for (const [a, b] of sideBonds(res)) add(at(a), at(b));
      if (res === 'CYS' && at('SG') >= 0) sg.push(at('SG'));
      const nAt = at('N');
      if (prevC >= 0 && nAt >= 0 && prevChain === r.chainId && d2(prevC, nAt) < 2.6 * 2.6) add(prevC, nAt);
      prevC = at('C');
      prevChain = r.chainId;
    } else {
      // Unknown chemistry: covalent bonds by distance within the residue.
      const idx = [...names.values()];
      for (let a = 0; a < idx.length; a++) for (let b = a + 1; b < idx.length; b++) if (d2(idx[a], idx[b]) < 1.95 * 1.95) add(idx[a], idx[b]);
      prevC = -1;
    }
  }
  // Disulfides: SG pairs closer than 2.4 Å (grid over SG atoms only).
  if (sg.length > 1) {
    const grid = new Grid(x, Int32Array.from(sg), 2.4);
    for (const i of sg) grid.forNear(x[3 * i], x[3 * i + 1], x[3 * i + 2], 2.4, (j) => {
      if (j > i) add(i, j);
    });
  }
  const deg = new Int32Array(n + 1);
  for (let q = 0; q < np; q++) {
    deg[pairs[2 * q]]++;
    deg[pairs[2 * q + 1]]++;
  }
  const offset = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offset[i + 1] = offset[i] + deg[i];
  const fill = offset.slice(0, n);
  const list = new Int32Array(offset[n]);
  for (let q = 0; q < np; q++) {
    const i = pairs[2 * q];
    const j = pairs[2 * q + 1];
    list[fill[i]++] = j;
    list[fill[j]++] = i;
  }
  return { offset, list };
}

const NO_BONDS: readonly Bond[] = [];
/**
 * Side-chain bonds of an amino acid of the table (a name `TOPOLOGY_ALIASES` has resolved, or a modified residue
 * such as MSE); none for other names, whose side-chain atoms then stay unbonded as before.
 */
function sideBonds(res: string): readonly Bond[] {
  return AMINO_ACID_NAMES.has(res) ? sideChainBonds(res) : NO_BONDS;
}

/** True when j is within 3 bonds of i (1-2, 1-3, 1-4 pairs are never clashes). */
export function within3Bonds(g: BondGraph, i: number, j: number): boolean {
  const { offset, list } = g;
  for (let p = offset[i]; p < offset[i + 1]; p++) {
    const a = list[p];
    if (a === j) return true;
    for (let q = offset[a]; q < offset[a + 1]; q++) {
      const b = list[q];
      if (b === j) return true;
      for (let r = offset[b]; r < offset[b + 1]; r++) if (list[r] === j) return true;
    }
  }
  return false;
}
