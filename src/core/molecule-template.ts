/**
 * Model-free backmapping of molecules that are not amino acids (lipids and sterols of the chemistry table): each
 * bead's atoms are placed from a small library of CHARMM36 conformations (chemistry/lipid-conformations.ts) by a
 * local fit, not one rigid fit of the whole molecule (tails bend): for every bead, the conformation's beads — the
 * bead itself (weight 2), its bonded neighbour beads (1) and their neighbours (0.3) — are Kabsch-fitted onto the
 * input beads, the best-fitting conformation wins, and its slot vectors (atom − anchor, the mapping's hierarchy),
 * rotated by that fit, are returned for `reconstruct`, which also recentres each bead's atoms on the bead. Bonds
 * between atoms of different beads are then relaxed to their template lengths (`relaxBonds`). A sterol's fused ring
 * system is one rigid body instead when the caller takes the beads' centres (`templateVectors` option `centres`):
 * one conformation is Kabsch-fitted on the ring beads, its ring atoms are written unchanged and rebuilt on that fit's
 * bead centres, and only the tail beads are relaxed onto it.
 */
import { kabsch } from './geometry/kabsch';
import { LIPIDS } from './chemistry/lipids';
import { LIPID_CONFORMATIONS } from './chemistry/lipid-conformations';
import type { MoleculeMapping } from './mapping/types';
import type { CgSystem } from './cg';

const SELF_WEIGHT = 2;
const NEIGHBOUR_WEIGHT = 1;
const SECOND_WEIGHT = 0.3;

/** Rounds of bond-length restoration across bead boundaries (each bead is fitted on its own). */
const BOND_ROUNDS = 30;

interface MoleculeTemplate {
  /** Per bead: itself, bonded neighbour beads, their neighbours (indices into the molecule's beads) and weights. */
  fitBeads: { beads: number[]; weights: Float64Array }[];
  /** Per conformation: bead positions (3 · nbeads) and slot vectors (nbeads × R × 3). */
  conformations: { beads: Float64Array; vectors: Float64Array }[];
  /** Heavy-atom bonds as slot pairs (bead·R + slot) with the first conformation's lengths. */
  bonds: { a: number; b: number; length: number }[];
  /**
   * Sterols: the beads of the fused ring system (every atom they rebuild is a ring atom or a one-atom substituent of
   * the rings), placed as one rigid body; null for other molecules, or when fewer than 3 such beads fix a frame.
   */
  rigid: number[] | null;
}

/**
 * Atoms of the rigid fused-ring system of a molecule graph: atoms of a ring (bonds that are no bridge) and the
 * single atoms hanging on them (a sterol's hydroxyl O and methyls). Empty for a molecule without rings.
 */
function ringSystemAtoms(atoms: readonly string[], bonds: readonly (readonly [string, string])[]): Set<string> {
  const adj = new Map<string, string[]>(atoms.map((a) => [a, []]));
  for (const [x, y] of bonds) {
    adj.get(x)?.push(y);
    adj.get(y)?.push(x);
  }
  // A bond lies in a ring when its ends stay connected without it.
  const connectedWithout = (x: string, y: string): boolean => {
    const seen = new Set([x]);
    const stack = [x];
    while (stack.length) {
      const a = stack.pop()!;
      for (const b of adj.get(a)!) {
        if ((a === x && b === y) || seen.has(b)) continue;
        if (b === y) return true;
        seen.add(b);
        stack.push(b);
      }
    }
    return false;
  };
  const ring = new Set<string>();
  for (const [x, y] of bonds) if (adj.has(x) && adj.has(y) && connectedWithout(x, y)) { ring.add(x); ring.add(y); }
  const out = new Set(ring);
  for (const a of atoms) if (!ring.has(a) && adj.get(a)!.length === 1 && ring.has(adj.get(a)![0])) out.add(a);
  return out;
}

const cache = new WeakMap<MoleculeMapping, Map<number, MoleculeTemplate | null>>();

/** Whether the model-free backmapper has conformations for this molecule (by mapping molecule name). */
export function hasMoleculeTemplate(name: string): boolean {
  return LIPID_CONFORMATIONS[name] !== undefined && LIPIDS[name] !== undefined;
}

function buildTemplate(mol: MoleculeMapping, R: number): MoleculeTemplate | null {
  const topo = LIPIDS[mol.name];
  const confs = LIPID_CONFORMATIONS[mol.name];
  if (!topo || !confs) return null;
  const nb = mol.beads.length;
  // Atom (mapping index) -> coordinate index in a conformation; the bead that rebuilds each atom.
  const confIndex = mol.atoms.map((a) => topo.atoms.indexOf(a.names[0]));
  const rebuiltBy = new Map<number, number>();
  mol.beads.forEach((b, k) => b.slots.forEach((s) => rebuiltBy.set(s.atom, k)));
  const adj: Set<number>[] = Array.from({ length: nb }, () => new Set());
  for (const [x, y] of topo.bonds) {
    const bx = rebuiltBy.get(mol.atomIndex.get(x) ?? -1);
    const by = rebuiltBy.get(mol.atomIndex.get(y) ?? -1);
    if (bx !== undefined && by !== undefined && bx !== by) {
      adj[bx].add(by);
      adj[by].add(bx);
    }
  }
  const fitBeads = mol.beads.map((_, k) => {
    const beads = [k];
    const weights = [SELF_WEIGHT];
    for (const j of [...adj[k]].sort((a, b) => a - b)) { beads.push(j); weights.push(NEIGHBOUR_WEIGHT); }
    for (const j of [...adj[k]].sort((a, b) => a - b))
      for (const i of [...adj[j]].sort((a, b) => a - b))
        if (!beads.includes(i)) { beads.push(i); weights.push(SECOND_WEIGHT); }
    return { beads, weights: Float64Array.from(weights) };
  });
  const conformations = confs.map((c) => {
    const x = (atom: number, d: number) => c[3 * confIndex[atom] + d];
    const beads = new Float64Array(3 * nb);
    mol.beads.forEach((b, k) => {
      let wsum = 0;
      b.members.forEach((atom, m) => {
        const w = b.weights[m];
        if (!w || confIndex[atom] < 0) return;
        wsum += w;
        for (let d = 0; d < 3; d++) beads[3 * k + d] += w * x(atom, d);
      });
      for (let d = 0; d < 3; d++) beads[3 * k + d] /= wsum || 1;
    });
    const vectors = new Float64Array(nb * R * 3).fill(NaN);
    mol.beads.forEach((b, k) => b.slots.forEach((s, j) => {
      if (j >= R) return;
      const anchor = b.slots[s.anchor].atom;
      for (let d = 0; d < 3; d++) vectors[(k * R + j) * 3 + d] = x(s.atom, d) - x(anchor, d);
    }));
    return { beads, vectors };
  });
  const slotOf = new Map<number, number>();
  mol.beads.forEach((b, k) => b.slots.forEach((sl, j) => { if (j < R && !slotOf.has(sl.atom)) slotOf.set(sl.atom, k * R + j); }));
  const bonds: MoleculeTemplate['bonds'] = [];
  for (const [x, y] of topo.bonds) {
    const ax = mol.atomIndex.get(x);
    const ay = mol.atomIndex.get(y);
    if (ax === undefined || ay === undefined || !slotOf.has(ax) || !slotOf.has(ay)) continue;
    const c = confs[0];
    const ix = 3 * confIndex[ax];
    const iy = 3 * confIndex[ay];
    bonds.push({ a: slotOf.get(ax)!, b: slotOf.get(ay)!, length: Math.hypot(c[ix] - c[iy], c[ix + 1] - c[iy + 1], c[ix + 2] - c[iy + 2]) });
  }
  let rigid: number[] | null = null;
  if (topo.kind === 'sterol') {
    const ringAtoms = ringSystemAtoms(topo.atoms, topo.bonds);
    const beads = mol.beads.flatMap((b, k) => {
      const atoms = b.slots.slice(0, R).map((s) => mol.atoms[s.atom].names[0]);
      return atoms.length && atoms.every((a) => ringAtoms.has(a)) ? [k] : [];
    });
    if (beads.length >= 3) rigid = beads;
  }
  return { fitBeads, conformations, bonds, rigid };
}

/**
 * Restores bond lengths between atoms that different beads placed: atoms are built from the vectors as
 * `reconstruct` builds them (anchor + vector, each bead's atoms recentred on the bead), bonds are relaxed towards
 * their template length, beads recentred again, and the vectors are read back from the result. The atoms of the
 * beads in `fixed` (indices into the molecule's beads) are recentred once and then held: a bond to one of them
 * moves only its other atom.
 */
function relaxBonds(
  system: CgSystem,
  ri: number,
  t: MoleculeTemplate,
  out: Float32Array,
  fixed: readonly number[] = [],
  centres: ArrayLike<number> = system.coords,
): void {
  const res = system.residues[ri];
  const mol = res.molecule;
  const R = system.set.maxSlots;
  const nb = mol.beads.length;
  const p = new Float64Array(nb * R * 3).fill(NaN);
  const held = new Uint8Array(nb);
  for (const k of fixed) held[k] = 1;
  let first = true;
  const recentre = () => {
    for (let k = 0; k < nb; k++) {
      if (held[k] && !first) continue;
      const slots = mol.beads[k].slots;
      const bi = res.beads[k];
      let wsum = 0;
      const c = [0, 0, 0];
      slots.forEach((sl, j) => {
        if (j >= R || !Number.isFinite(p[(k * R + j) * 3])) return;
        wsum += sl.recenterWeight;
        for (let d = 0; d < 3; d++) c[d] += sl.recenterWeight * p[(k * R + j) * 3 + d];
      });
      if (!(wsum > 0)) continue;
      for (let j = 0; j < Math.min(R, slots.length); j++)
        for (let d = 0; d < 3; d++) p[(k * R + j) * 3 + d] += centres[3 * bi + d] - c[d] / wsum;
    }
    first = false;
  };
  // Build: levels in order, each atom = anchor + vector (the root has a zero vector).
  for (let k = 0; k < nb; k++) {
    const slots = mol.beads[k].slots;
    const order = slots.map((_, j) => j).filter((j) => j < R).sort((x, y) => slots[x].level - slots[y].level);
    for (const j of order) {
      const a = slots[j].anchor;
      for (let d = 0; d < 3; d++) {
        const base = a === j ? 0 : p[(k * R + a) * 3 + d];
        p[(k * R + j) * 3 + d] = base + out[(res.beads[k] * R + j) * 3 + d];
      }
    }
  }
  recentre();
  for (let round = 0; round < BOND_ROUNDS; round++) {
    for (const { a, b, length } of t.bonds) {
      const dx = p[3 * b] - p[3 * a];
      const dy = p[3 * b + 1] - p[3 * a + 1];
      const dz = p[3 * b + 2] - p[3 * a + 2];
      const d = Math.hypot(dx, dy, dz);
      if (!(d > 1e-6)) continue;
      const heldA = held[Math.floor(a / R)];
      const heldB = held[Math.floor(b / R)];
      if (heldA && heldB) continue;
      // Each free end takes half the correction; one free end takes all of it.
      const f = ((heldA || heldB ? 1 : 0.5) * (d - length)) / d;
      if (!heldA) { p[3 * a] += f * dx; p[3 * a + 1] += f * dy; p[3 * a + 2] += f * dz; }
      if (!heldB) { p[3 * b] -= f * dx; p[3 * b + 1] -= f * dy; p[3 * b + 2] -= f * dz; }
    }
    recentre();
  }
  for (let k = 0; k < nb; k++) {
    const slots = mol.beads[k].slots;
    for (let j = 0; j < Math.min(R, slots.length); j++) {
      const a = slots[j].anchor;
      for (let d = 0; d < 3; d++) out[(res.beads[k] * R + j) * 3 + d] = a === j ? 0 : p[(k * R + j) * 3 + d] - p[(k * R + a) * 3 + d];
    }
  }
}

/**
 * Relaxes the bonds of every lipid and sterol residue of `system` in `vectors` (nbeads × R × 3, in place): atoms
 * rebuilt from the vectors as `reconstruct` builds them, bond lengths pulled to the template's, each bead's atoms
 * recentred on it, vectors read back. For vectors from a trained model, whose beads are predicted independently.
 * Returns the number of residues relaxed.
 */
export function relaxMoleculeBonds(system: CgSystem, vectors: Float32Array): number {
  const R = system.set.maxSlots;
  let n = 0;
  system.residues.forEach((res, ri) => {
    const t = templateOf(res.molecule, R);
    if (!t || res.beads.length !== res.molecule.beads.length) return;
    relaxBonds(system, ri, t, vectors);
    n++;
  });
  return n;
}

function templateOf(mol: MoleculeMapping, R: number): MoleculeTemplate | null {
  let byR = cache.get(mol);
  if (!byR) cache.set(mol, (byR = new Map()));
  if (!byR.has(R)) byR.set(R, buildTemplate(mol, R));
  return byR.get(R)!;
}

/**
 * Writes the slot vectors (R per bead) of residue `ri` of `system` into `out` (nbeads × R × 3, the layout of
 * `templateVectors`). With `centres` (3 × system beads, holding the input beads) a sterol's ring beads get the
 * rigid fit's bead centres there, for `reconstruct` to rebuild on. Returns false, writing nothing, when the molecule
 * has no template or the residue lacks beads.
 */
export function moleculeTemplateVectors(system: CgSystem, ri: number, out: Float32Array, centres?: Float64Array): boolean {
  const res = system.residues[ri];
  const mol = res.molecule;
  const R = system.set.maxSlots;
  const t = templateOf(mol, R);
  if (!t || res.beads.length !== mol.beads.length) return false;
  const X = system.coords;
  const P = new Float64Array(3 * mol.beads.length);
  const Q = new Float64Array(3 * mol.beads.length);
  /** The best conformation for `beads` (Kabsch of its bead centres onto the input's, lowest rms): its rotation and index. */
  const bestFit = (beads: readonly number[], weights?: Float64Array): { M: number[]; t: number[]; c: number } => {
    for (let i = 0; i < beads.length; i++) for (let d = 0; d < 3; d++) Q[3 * i + d] = X[3 * res.beads[beads[i]] + d];
    let best: { M: number[]; t: number[]; rmsd: number; c: number } | null = null;
    t.conformations.forEach((c, ci) => {
      for (let i = 0; i < beads.length; i++) for (let d = 0; d < 3; d++) P[3 * i + d] = c.beads[3 * beads[i] + d];
      const f = kabsch(P.subarray(0, 3 * beads.length), Q.subarray(0, 3 * beads.length), weights);
      if (!best || f.rmsd < best.rmsd) best = { M: f.R, t: f.t, rmsd: f.rmsd, c: ci };
    });
    return best!;
  };
  const write = (k: number, { M, c }: { M: number[]; c: number }) => {
    const v = t.conformations[c].vectors;
    const bi = res.beads[k];
    for (let j = 0; j < R; j++) {
      const o = (k * R + j) * 3;
      const dst = (bi * R + j) * 3;
      out[dst] = M[0] * v[o] + M[1] * v[o + 1] + M[2] * v[o + 2];
      out[dst + 1] = M[3] * v[o] + M[4] * v[o + 1] + M[5] * v[o + 2];
      out[dst + 2] = M[6] * v[o] + M[7] * v[o + 1] + M[8] * v[o + 2];
    }
  };
  // A sterol's ring system is rigid: one conformation and one rotation for all its beads, rebuilt on that fit's bead
  // centres. Only when the caller takes `centres`: recentred on the input beads (~0.44 Å rms from any mapped CHARMM36
  // cholesterol on a real Martini 3 sterol), a rigid ring has to be relaxed back to today's per-bead result anyway.
  const rigid = (centres && t.rigid) || [];
  if (rigid.length) {
    const fit = bestFit(rigid);
    for (const k of rigid) write(k, fit);
    if (centres) {
      const { M, t: shift, c } = fit;
      const cb = t.conformations[c].beads;
      for (const k of rigid) {
        const o = 3 * k;
        const dst = 3 * res.beads[k];
        for (let d = 0; d < 3; d++) centres[dst + d] = M[3 * d] * cb[o] + M[3 * d + 1] * cb[o + 1] + M[3 * d + 2] * cb[o + 2] + shift[d];
      }
    }
  }
  for (let k = 0; k < mol.beads.length; k++) {
    if (rigid.includes(k)) continue;
    const { beads, weights } = t.fitBeads[k];
    write(k, bestFit(beads, weights));
  }
  relaxBonds(system, ri, t, out, rigid, centres ?? system.coords);
  return true;
}
