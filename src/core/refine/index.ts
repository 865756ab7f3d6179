/**
 * Geometry refinement of a backmapped all-atom structure (heavy atoms).
 *
 * 1. Backbone (HEroBM paper's optimisation): steepest descent on the N, C and carbonyl O atoms of every
 *    residue with Cα fixed — bonds N–CA, CA–C, C–N(+1), C=O (+ N–CD for Pro), angles N–CA–C, CA–C–N(+1),
 *    C–N(+1)–CA(+1), CA–C–O, O–C–N(+1), N–CA–CB, C–CA–CB, the peptide ω (trans 180°, cis kept for an
 *    already-cis X–Pro) and, when the model predicted them, φ/ψ — with a tether to the predicted positions.
 * 2. Side chains (opt-in): bonds and angles beyond CB toward their ideal values, tethered (idealizeSideChains).
 * 3. Clash relief: non-bonded heavy-atom pairs (more than 3 bonds apart) closer than `repulsion` (default
 *    2.5 Å, softer than the 1.2 Å clash threshold of the metrics so relieved pairs do not sit at the edge)
 *    are pushed apart by moving only side-chain atoms of the residues involved (backbone and Cα fixed), with
 *    their bonds and 1–3 distances held at their current values and a tether to the start, so atoms move as
 *    little as possible. A cell list finds the pairs; a few outer iterations rebuild it.
 * No part moves Cα.
 */
import type { Structure } from '../structure/types';
import { refineBackbone, type BackboneRefineReport } from './backbone';
import { idealizeSideChains, type SideChainRefineReport } from './sidechains';
import { relieveClashes, type ClashReliefReport } from './clashes';

export { refineBackbone, idealizeSideChains, relieveClashes };
export type { BackboneRefineReport, SideChainRefineReport, ClashReliefReport };
export { bondGraph, type BondGraph } from './bonds';
export { _internal } from './energy';

export interface RefineOptions {
  backbone: boolean;
  clashes: boolean;
  /** Side-chain bonds and angles toward ideal values (off unless asked: see idealizeSideChains). */
  sidechains?: boolean;
  /** Per-residue predicted torsions (cos φ, sin φ, cos ψ, sin ψ) in residue order of the structure; NaN = none. */
  torsions?: Float32Array | null;
  /** Steepest-descent iterations for the backbone (default 200). */
  backboneIterations?: number;
  /** Distance below which non-bonded heavy atoms repel (default 2.5 Å). */
  repulsion?: number;
  /** Outer clash-relief rounds (default 3). */
  clashRounds?: number;
}

export interface RefineReport {
  backbone?: BackboneRefineReport;
  sidechains?: SideChainRefineReport;
  clashes?: ClashReliefReport;
}

/** Refines `s` in place (coordinates of model 0). Cα never moves. */
export function refineStructure(s: Structure, opts: RefineOptions): RefineReport {
  const report: RefineReport = {};
  if (opts.backbone) report.backbone = refineBackbone(s, { torsions: opts.torsions, iterations: opts.backboneIterations });
  if (opts.sidechains) report.sidechains = idealizeSideChains(s);
  if (opts.clashes) report.clashes = relieveClashes(s, { repulsion: opts.repulsion, rounds: opts.clashRounds });
  return report;
}
