import type { Structure } from '../structure/types';
import { residuesOf } from '../structure/builder';
import { residueTopology } from '../chemistry/variants';
import { idealGeometry, type AtomRef } from '../chemistry/ideal';
import { BACKBONE, heavyAtomsByName, shiftStats } from './atoms';
import { newTerms, steepestDescent } from './energy';

export interface SideChainRefineReport {
  iterations: number;
  energyBefore: number;
  energyAfter: number;
  atomsMoved: number;
  maxShift: number;
}

const DEG = Math.PI / 180;
/** Tether of idealised side-chain atoms: weak, so bonds and angles win (0.5, 2 and 5 measured alike). */
const SIDECHAIN_TETHER = 2;

/**
 * Side-chain bonds and angles toward the ideal values of the residue tables (the same ones `bondAngleStats`
 * scores against), by steepest descent over the side-chain heavy atoms beyond CB, with a weak tether to where
 * the model put them. Why: where a bead leaves a terminal atom's place open (carboxylate and amide oxygens,
 * ARG NH1/NH2, MET CE) a network trained on position error puts it between the candidates, on a bond that is
 * 0.1–0.2 Å short; this restores the chemistry without moving the side chain's place. N, CA, C, O and CB stay.
 * Off by default because it costs accuracy: a hedged atom moved onto its bond sits nearer one candidate and
 * farther from the other. Measured on the held-out Martini 3 benchmark with martini3-protein after the default
 * refinement (bench:accuracy -- --sidechains): bond outliers 8.2 → 0.8 %, angle outliers 2.0 → 0.4 %, side-chain
 * RMSD 0.516 → 0.548 Å.
 */
export function idealizeSideChains(s: Structure, opts: { iterations?: number } = {}): SideChainRefineReport {
  const x = s.coords;
  const n = s.atoms.count;
  const movable = new Uint8Array(n);
  const t = newTerms();
  const activeList: number[] = [];
  const names = new Map<string, number>();
  for (const r of residuesOf(s.atoms)) {
    const topo = residueTopology(r.resName);
    if (!topo) continue;
    heavyAtomsByName(s, r, names);
    const mine: number[] = [];
    for (const [nm, i] of names) if (!BACKBONE.has(nm) && nm !== 'CB' && topo.atoms.includes(nm)) mine.push(i);
    if (!mine.length) continue;
    for (const i of mine) {
      movable[i] = 1;
      activeList.push(i);
    }
    const ideal = idealGeometry(topo.name3);
    const at = (ref: AtomRef) => (ref.off === 0 ? names.get(ref.name) ?? -1 : -1);
    for (const b of ideal.bonds) {
      const i = at(b.a), j = at(b.b);
      if (i < 0 || j < 0 || (!movable[i] && !movable[j])) continue;
      t.bonds.push(i, j);
      t.bondRef.push(b.ideal, 300);
    }
    for (const a of ideal.angles) {
      const i = at(a.a), j = at(a.b), k = at(a.c);
      if (i < 0 || j < 0 || k < 0 || (!movable[i] && !movable[j] && !movable[k])) continue;
      t.angles.push(i, j, k);
      t.angleRef.push(a.ideal * DEG, 60);
    }
  }
  if (!activeList.length) return { iterations: 0, energyBefore: 0, energyAfter: 0, atomsMoved: 0, maxShift: 0 };
  const active = Int32Array.from(activeList);
  t.tether = Float64Array.from(x);
  t.tetherK = SIDECHAIN_TETHER;
  const [iterations, energyBefore, energyAfter] = steepestDescent(x, t, movable, active, opts.iterations ?? 300);
  return { iterations, energyBefore, energyAfter, ...shiftStats(x, t.tether, active) };
}
