import type { Structure } from '../structure/types';
import { residuesOf } from '../structure/builder';
import { BACKBONE, isHeavy, shiftStats } from './atoms';
import { bondGraph, within3Bonds } from './bonds';
import { newTerms, steepestDescent } from './energy';
import { Grid } from './grid';

export interface ClashReliefReport {
  pairsBefore: number;
  pairsAfter: number;
  atomsMoved: number;
  maxShift: number;
  unresolvable: number;
}

/**
 * Clash relief: non-bonded heavy-atom pairs (more than 3 bonds apart) closer than `repulsion` (default 2.5 Å) are
 * pushed apart by moving only side-chain atoms of the residues involved, bonds and 1–3 distances held, tethered.
 */
export function relieveClashes(s: Structure, opts: { repulsion?: number; rounds?: number } = {}): ClashReliefReport {
  const x = s.coords;
  const n = s.atoms.count;
  const r0 = opts.repulsion ?? 2.5;
  const heavyMask = new Uint8Array(n);
  let nh = 0;
  for (let i = 0; i < n; i++) {
    if (!isHeavy(s, i)) continue;
    heavyMask[i] = 1;
    nh++;
  }
  const heavy = new Int32Array(nh);
  for (let i = 0, k = 0; i < n; i++) if (heavyMask[i]) heavy[k++] = i;
  const graph = bondGraph(s);
  const residues = residuesOf(s.atoms);
  const residueOf = new Int32Array(n);
  for (const r of residues) residueOf.fill(r.index, r.start, r.end);
  const side = new Uint8Array(n);
  for (let i = 0; i < n; i++) side[i] = BACKBONE.has(s.atoms.name[i]) ? 0 : 1;
  /** Non-bonded (beyond 1-4) heavy pairs closer than `cut`, each once (i < j). */
  const closePairs = (cut: number): number[] => {
    const grid = new Grid(x, heavy, cut);
    const pairs: number[] = [];
    for (const i of heavy)
      grid.forNear(x[3 * i], x[3 * i + 1], x[3 * i + 2], cut, (j) => {
        if (j > i && !within3Bonds(graph, i, j)) pairs.push(i, j);
      });
    return pairs;
  };
  const start = Float64Array.from(x);
  let pairs = closePairs(r0);
  const pairsBefore = pairs.length / 2;
  let unresolvable = 0;
  const movable = new Uint8Array(n);
  for (let round = 0; round < (opts.rounds ?? 3) && pairs.length; round++) {
    // Side-chain heavy atoms of the residues involved may move; backbone-only pairs cannot be helped here.
    unresolvable = 0;
    const involved = new Set<number>();
    for (let q = 0; q < pairs.length; q += 2) {
      const i = pairs[q];
      const j = pairs[q + 1];
      if (!side[i] && !side[j]) unresolvable++;
      if (side[i]) involved.add(residueOf[i]);
      if (side[j]) involved.add(residueOf[j]);
    }
    let added = 0;
    for (const rk of involved) {
      const r = residues[rk];
      for (let i = r.start; i < r.end; i++)
        if (side[i] && heavyMask[i] && !movable[i]) {
          movable[i] = 1;
          added++;
        }
    }
    if (!added && round > 0 && pairs.length / 2 === unresolvable) break;
    const activeList: number[] = [];
    for (const i of heavy) if (movable[i]) activeList.push(i);
    if (!activeList.length) break;
    const active = Int32Array.from(activeList);
    const t = newTerms();
    t.repulsion = r0 + 0.1; // a small margin so relieved pairs end clear of r0
    t.repulsionK = 50;
    t.tether = start;
    t.tetherK = 0.5;
    // Repulsion between movable atoms and any heavy atom within reach (margin for motion during the descent).
    const reach = r0 + 1.0;
    const grid = new Grid(x, heavy, reach);
    for (const i of active)
      grid.forNear(x[3 * i], x[3 * i + 1], x[3 * i + 2], reach, (j) => {
        if (j !== i && (!movable[j] || j > i) && !within3Bonds(graph, i, j)) t.repulsive.push(i, j);
      });
    // Bonds and 1-3 distances of movable atoms held at their values before relief (local geometry kept).
    const seen = new Set<number>();
    const keep = (i: number, j: number) => {
      const key = i < j ? i * n + j : j * n + i;
      if (seen.has(key)) return;
      seen.add(key);
      const dx = start[3 * i] - start[3 * j];
      const dy = start[3 * i + 1] - start[3 * j + 1];
      const dz = start[3 * i + 2] - start[3 * j + 2];
      t.bonds.push(i, j);
      t.bondRef.push(Math.sqrt(dx * dx + dy * dy + dz * dz), 300);
    };
    const { offset, list } = graph;
    for (const i of active)
      for (let p = offset[i]; p < offset[i + 1]; p++) {
        const j = list[p];
        keep(i, j);
        for (let q = offset[j]; q < offset[j + 1]; q++) if (list[q] !== i) keep(i, list[q]);
      }
    steepestDescent(x, t, movable, active, 100);
    // Only movable atoms moved: pairs among fixed atoms are unchanged, new ones must involve a movable atom.
    const next: number[] = [];
    for (let q = 0; q < pairs.length; q += 2) if (!movable[pairs[q]] && !movable[pairs[q + 1]]) next.push(pairs[q], pairs[q + 1]);
    const g2 = new Grid(x, heavy, r0);
    for (const i of active)
      g2.forNear(x[3 * i], x[3 * i + 1], x[3 * i + 2], r0, (j) => {
        if (j !== i && (!movable[j] || j > i) && !within3Bonds(graph, i, j)) next.push(Math.min(i, j), Math.max(i, j));
      });
    pairs = next;
  }
  // Only heavy atoms are ever movable here.
  return { pairsBefore, pairsAfter: pairs.length / 2, ...shiftStats(x, start, heavy), unresolvable };
}
