/**
 * Energy-aware refinement: a restrained minimisation of a protein with hydrogens under AMBER99SB-ILDN (bonds,
 * angles, torsions, Lennard-Jones, Coulomb screened by ε = 4r; `energy.ts`), heavy atoms tethered to where they
 * started so accuracy against a reference does not drift, by L-BFGS (`minimise.ts`). Run after hydrogens
 * (`addHydrogens(s, { hydrogens: true, names })`, the same `names` here). Residues the force field does not
 * describe (no hydrogens, ligands, lipids, water, a missing atom) are held fixed and reported, never refused; the
 * moving atoms feel them as uncharged Lennard-Jones walls (`topology.ts`), so nothing is pushed into a membrane.
 */
import type { Structure } from '../../structure/types';
import type { ForceFieldNaming } from '../../ffnames';
import { buildTopology, type FrozenResidue, type Topology } from './topology';
import { ForceFieldEnergy, type EnergyTerms } from './energy';
import { lbfgs } from './minimise';

export { buildTopology, ForceFieldEnergy, lbfgs };
export type { Topology, FrozenResidue, EnergyTerms };

/**
 * Default heavy-atom tether (kJ/mol/Å²), by measurement on 1UBQ (OpenMM amber14 + OBC2 judge, scripts/forcefield/
 * judge.py; docs/experiments.md): with 3, backmaps of 12 frames of a real Martini 3 simulation end 3.4–8.5 kJ/mol per
 * residue above the all-atom source after the judge's minimisation (median 5.7; 5: 4.4–10.0; 10: 6.5–12.5; without:
 * 25–34; `npm run bench:frames`). The price is on direct martinize2 inputs, where the network is already close: heavy-atom RMSD 0.515 →
 * 0.623 Å (10: 0.585), so the minimisation is opt-in, for simulation frames.
 */
export const DEFAULT_TETHER = 3;

export interface ForceFieldMinimiseOptions {
  /** Naming of the structure (default 'amber'). */
  names?: ForceFieldNaming;
  /** Heavy-atom tether constant, kJ/mol/Å² (default DEFAULT_TETHER); hydrogens are free. */
  tether?: number;
  /** Stop at this RMS force per atom, kJ/mol/nm (default 10). */
  rmsForce?: number;
  /** Most L-BFGS steps (default 500). */
  maxSteps?: number;
  /** Nonbonded cutoff, Å (default 10). */
  cutoff?: number;
}

export interface ResidueEnergy {
  chainId: string;
  resSeq: number;
  iCode: string;
  resName: string;
  /** Force-field energy of the residue (each term shared equally among its atoms), kJ/mol. */
  before: number;
  after: number;
}

export interface ForceFieldMinimiseReport {
  atoms: number;
  /** Residues minimised (the rest are in `frozen`). */
  residues: number;
  energyBefore: EnergyTerms;
  energyAfter: EnergyTerms;
  /** Force-field energy per parametrised residue, before and after (kJ/mol/residue). */
  perResidueBefore: number;
  perResidueAfter: number;
  perResidue: ResidueEnergy[];
  steps: number;
  converged: boolean;
  /** RMS force per atom at the end (kJ/mol/nm). */
  rmsForce: number;
  /** Heavy atoms' RMS and largest move (Å). */
  heavyMoved: { rms: number; max: number };
  frozen: FrozenResidue[];
  seconds: number;
}

/** Minimises a copy of `s` (model 0); the input is not changed. */
export function minimiseWithForceField(s: Structure, opts: ForceFieldMinimiseOptions = {}): { structure: Structure; report: ForceFieldMinimiseReport } {
  const t0 = performance.now();
  const top = buildTopology(s, { names: opts.names });
  const x = Float64Array.from(s.coords);
  const ff = new ForceFieldEnergy(top, { tetherK: opts.tether ?? DEFAULT_TETHER, tetherRef: Float64Array.from(s.coords), cutoff: opts.cutoff });
  const paBefore = new Float64Array(top.n);
  const energyBefore = ff.evaluate(x, null, paBefore);
  let steps = 0;
  let converged = true;
  let rms = 0;
  if (top.parametrisedResidues > 0) {
    const f = (y: Float64Array, g: Float64Array) => ff.evaluate(y, g).total;
    const tol = (opts.rmsForce ?? 10) / 10;
    const r = lbfgs(f, x, { movable: top.movable, rmsForce: tol, maxSteps: opts.maxSteps });
    steps = r.steps;
    converged = r.converged;
    rms = r.rmsForce * 10;
  }
  const paAfter = new Float64Array(top.n);
  const energyAfter = ff.evaluate(x, null, paAfter);

  const before = new Float64Array(top.residueCount);
  const after = new Float64Array(top.residueCount);
  for (let a = 0; a < top.n; a++) { before[top.residueOf[a]] += paBefore[a]; after[top.residueOf[a]] += paAfter[a]; }
  const frozenKey = new Set(top.frozen.map((f) => `${f.chainId}|${f.resSeq}|${f.iCode}`));
  const perResidue: ResidueEnergy[] = [];
  let resIndex = -1;
  for (let a = 0; a < top.n; a++) {
    if (top.residueOf[a] === resIndex) continue;
    resIndex = top.residueOf[a];
    const key = `${s.atoms.chainId[a]}|${s.atoms.resSeq[a]}|${s.atoms.iCode[a]}`;
    if (frozenKey.has(key)) continue;
    perResidue.push({ chainId: s.atoms.chainId[a], resSeq: s.atoms.resSeq[a], iCode: s.atoms.iCode[a], resName: s.atoms.resName[a], before: before[resIndex], after: after[resIndex] });
  }

  let sum = 0;
  let max = 0;
  let heavy = 0;
  for (let a = 0; a < top.n; a++) {
    if (!top.heavy[a] || !top.movable[a]) continue;
    const d2 = (x[3 * a] - s.coords[3 * a]) ** 2 + (x[3 * a + 1] - s.coords[3 * a + 1]) ** 2 + (x[3 * a + 2] - s.coords[3 * a + 2]) ** 2;
    sum += d2;
    max = Math.max(max, Math.sqrt(d2));
    heavy++;
  }
  const nres = Math.max(top.parametrisedResidues, 1);
  const structure: Structure = { ...s, coords: x, models: [x] };
  return {
    structure,
    report: {
      atoms: top.n,
      residues: top.parametrisedResidues,
      energyBefore,
      energyAfter,
      perResidueBefore: energyBefore.forceField / nres,
      perResidueAfter: energyAfter.forceField / nres,
      perResidue,
      steps,
      converged,
      rmsForce: rms,
      heavyMoved: { rms: heavy ? Math.sqrt(sum / heavy) : 0, max },
      frozen: top.frozen,
      seconds: (performance.now() - t0) / 1000,
    },
  };
}

/** One line for the report's notes. */
export function minimiseSummary(r: ForceFieldMinimiseReport): string {
  const frozen = r.frozen.length ? `; ${r.frozen.length} residue(s) held in place, felt by the others as uncharged walls (no parameters: ${r.frozen.slice(0, 5).map((f) => `${f.resName} ${f.chainId}${f.resSeq}${f.iCode}`).join(', ')}${r.frozen.length > 5 ? ', …' : ''})` : '';
  return `minimised with AMBER99SB-ILDN (ε = 4r, heavy atoms tethered): ${r.steps} steps${r.converged ? '' : ' (step limit)'}, ${r.perResidueBefore.toFixed(1)} → ${r.perResidueAfter.toFixed(1)} kJ/mol per residue, heavy atoms moved ${r.heavyMoved.rms.toFixed(2)} Å rms (max ${r.heavyMoved.max.toFixed(2)}); metrics describe the structure before minimisation${frozen}`;
}
