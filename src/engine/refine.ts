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
import type { Structure } from '../core/structure/types';
import { residuesOf } from '../core/structure/builder';
import { residueTopology } from '../core/build/residues';
import { idealGeometry, type AtomRef } from '../core/build/ideal';

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
  /** `oxygens`: carbonyl O optimised with N and C (those without a following residue move with their C). */
  backbone?: { iterations: number; energyBefore: number; energyAfter: number; oxygens: number };
  sidechains?: { iterations: number; energyBefore: number; energyAfter: number; atomsMoved: number; maxShift: number };
  clashes?: { pairsBefore: number; pairsAfter: number; atomsMoved: number; maxShift: number; unresolvable: number };
}

// Engh & Huber ideal backbone geometry (Å, degrees).
const B_N_CA = 1.458;
const B_CA_C = 1.525;
const B_C_N = 1.329;
const B_C_O = 1.231;
const B_N_CD = 1.473;
const A_N_CA_C = 111.2;
const A_CA_C_N = 116.2;
const A_C_N_CA = 121.7;
const A_N_CA_CB = 110.5;
const A_C_CA_CB = 110.1;
const A_CA_C_O = 120.8;
const A_O_C_N = 360 - A_CA_C_O - A_CA_C_N; // the three angles at C sum to 360°: planar
const A_CA_N_CD = 111.7;
const A_C_N_CD = 125.0;
const DEG = Math.PI / 180;
/**
 * Tether (per Å², against bonds at 300 per Å²) of the backbone atoms to the positions the model predicted: the
 * refinement mends geometry where that costs the prediction little. Measured on the held-out Martini 3 benchmark
 * (bench:accuracy, "+refine" rows): untethered, with the carbonyl O re-placed on the ideal bisector, it raised
 * martini3-protein's backbone RMSD from 0.102 to 0.130 Å; tethered at 50, with O optimised beside N and C,
 * it gives 0.098 Å (20: 0.101; 5: 0.106, before O joined the descent).
 */
const BACKBONE_TETHER = 50;
/** Tether of idealised side-chain atoms: weak, so bonds and angles win (0.5, 2 and 5 measured alike). */
const SIDECHAIN_TETHER = 2;

// Heavy-atom side-chain bonds per residue (backbone N–CA–C–O, CA–CB, C–OXT added for all).
const SIDE_BONDS: Record<string, string> = {
  ARG: 'CB-CG CG-CD CD-NE NE-CZ CZ-NH1 CZ-NH2',
  ASN: 'CB-CG CG-OD1 CG-ND2',
  ASP: 'CB-CG CG-OD1 CG-OD2',
  CYS: 'CB-SG',
  GLN: 'CB-CG CG-CD CD-OE1 CD-NE2',
  GLU: 'CB-CG CG-CD CD-OE1 CD-OE2',
  HIS: 'CB-CG CG-ND1 CG-CD2 ND1-CE1 CD2-NE2 CE1-NE2',
  ILE: 'CB-CG1 CB-CG2 CG1-CD1 CG1-CD',
  LEU: 'CB-CG CG-CD1 CG-CD2',
  LYS: 'CB-CG CG-CD CD-CE CE-NZ',
  MET: 'CB-CG CG-SD SD-CE',
  MSE: 'CB-CG CG-SE SE-CE',
  PHE: 'CB-CG CG-CD1 CG-CD2 CD1-CE1 CD2-CE2 CE1-CZ CE2-CZ',
  PRO: 'CB-CG CG-CD CD-N',
  SER: 'CB-OG',
  THR: 'CB-OG1 CB-CG2',
  TRP: 'CB-CG CG-CD1 CG-CD2 CD1-NE1 NE1-CE2 CD2-CE2 CD2-CE3 CE2-CZ2 CE3-CZ3 CZ2-CH2 CZ3-CH2',
  TYR: 'CB-CG CG-CD1 CG-CD2 CD1-CE1 CD2-CE2 CE1-CZ CE2-CZ CZ-OH',
  VAL: 'CB-CG1 CB-CG2',
};
const ALIASES: Record<string, string> = { HSD: 'HIS', HSE: 'HIS', HSP: 'HIS', HID: 'HIS', HIE: 'HIS', HIP: 'HIS', CYX: 'CYS', CYM: 'CYS', ASH: 'ASP', GLH: 'GLU', LYN: 'LYS' };
const BACKBONE = new Set(['N', 'CA', 'C', 'O', 'OXT', 'OT1', 'OT2']);
const PROTEIN = new Set([...Object.keys(SIDE_BONDS), 'ALA', 'GLY', ...Object.keys(ALIASES)]);

const isHeavy = (s: Structure, i: number): boolean => {
  const el = s.atoms.element[i];
  if (el) return el !== 'H' && el !== 'D';
  return !/^[0-9]*[HD]/.test(s.atoms.name[i]);
};

/** Fills `names` with the residue's heavy atoms by name (the first of a repeated name, e.g. an altLoc, wins). */
function heavyAtomsByName(s: Structure, r: { start: number; end: number }, names: Map<string, number>): void {
  names.clear();
  for (let i = r.start; i < r.end; i++) if (isHeavy(s, i) && !names.has(s.atoms.name[i])) names.set(s.atoms.name[i], i);
}

/** How many of `atoms` moved from `x0` to `x`, and the largest move (Å). */
function shiftStats(x: Float64Array, x0: Float64Array, atoms: Iterable<number>): { atomsMoved: number; maxShift: number } {
  let atomsMoved = 0;
  let maxShift = 0;
  for (const i of atoms) {
    const d = Math.hypot(x[3 * i] - x0[3 * i], x[3 * i + 1] - x0[3 * i + 1], x[3 * i + 2] - x0[3 * i + 2]);
    if (d > 1e-9) atomsMoved++;
    if (d > maxShift) maxShift = d;
  }
  return { atomsMoved, maxShift };
}

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
    const res = ALIASES[r.resName] ?? r.resName;
    const at = (nm: string) => names.get(nm) ?? -1;
    if (PROTEIN.has(r.resName) || (names.has('CA') && names.has('N') && names.has('C'))) {
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

const sideBondCache = new Map<string, [string, string][]>();
function sideBonds(res: string): [string, string][] {
  let b = sideBondCache.get(res);
  if (!b) {
    b = (SIDE_BONDS[res] ?? '')
      .split(' ')
      .filter(Boolean)
      .map((p) => p.split('-') as [string, string]);
    sideBondCache.set(res, b);
  }
  return b;
}

/** True when j is within 3 bonds of i (1-2, 1-3, 1-4 pairs are never clashes). */
function within3Bonds(g: BondGraph, i: number, j: number): boolean {
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

/**
 * Spatial hash grid over a subset of atoms: cells of the cutoff's size hashed into ~2n buckets (counting sort,
 * typed arrays), so memory is O(n) and cells stay small however sparse or elongated the system is.
 */
class Grid {
  private readonly inv: number;
  private readonly mask: number;
  private readonly start: Int32Array;
  private readonly atoms: Int32Array;
  constructor(
    private readonly x: Float64Array,
    idx: Int32Array,
    cutoff: number,
  ) {
    const n = idx.length;
    this.inv = 1 / cutoff;
    let m = 64;
    while (m < 2 * n) m <<= 1;
    this.mask = m - 1;
    const bucket = new Int32Array(n);
    const start = new Int32Array(m + 1);
    for (let q = 0; q < n; q++) {
      const i = idx[q];
      const h = this.hash(Math.floor(x[3 * i] * this.inv), Math.floor(x[3 * i + 1] * this.inv), Math.floor(x[3 * i + 2] * this.inv));
      bucket[q] = h;
      start[h + 1]++;
    }
    for (let k = 0; k < m; k++) start[k + 1] += start[k];
    const fill = start.slice(0, m);
    const atoms = new Int32Array(n);
    for (let q = 0; q < n; q++) atoms[fill[bucket[q]]++] = idx[q];
    this.start = start;
    this.atoms = atoms;
  }

  private hash(ix: number, iy: number, iz: number): number {
    return (Math.imul(ix, 73856093) ^ Math.imul(iy, 19349663) ^ Math.imul(iz, 83492791)) & this.mask;
  }

  /** Calls fn(j, d) for every atom j of the grid within r (≤ the grid's cutoff) of the point. */
  forNear(px: number, py: number, pz: number, r: number, fn: (j: number, d: number) => void): void {
    const x = this.x;
    const r2 = r * r;
    const cx = Math.floor(px * this.inv);
    const cy = Math.floor(py * this.inv);
    const cz = Math.floor(pz * this.inv);
    // Distinct buckets only: two neighbour cells that collide must not report their atoms twice.
    const seen = this.seen;
    let ns = 0;
    for (let dx = -1; dx <= 1; dx++)
      for (let dy = -1; dy <= 1; dy++)
        for (let dz = -1; dz <= 1; dz++) {
          const k = this.hash(cx + dx, cy + dy, cz + dz);
          let dup = false;
          for (let u = 0; u < ns; u++) if (seen[u] === k) dup = true;
          if (dup) continue;
          seen[ns++] = k;
          for (let p = this.start[k]; p < this.start[k + 1]; p++) {
            const j = this.atoms[p];
            const ex = x[3 * j] - px;
            const ey = x[3 * j + 1] - py;
            const ez = x[3 * j + 2] - pz;
            const d2 = ex * ex + ey * ey + ez * ez;
            if (d2 < r2) fn(j, Math.sqrt(d2));
          }
        }
  }

  private readonly seen = new Int32Array(27);
}

// ---------------------------------------------------------------- energy terms and steepest descent

interface Terms {
  bonds: number[]; // i, j
  bondRef: number[]; // d0, k
  angles: number[]; // i, j, k (j = vertex)
  angleRef: number[]; // theta0 (rad), k
  dihedrals: number[]; // i, j, k, l
  dihedralRef: number[]; // phi0 (rad), k   (E = k (1 - cos(phi - phi0)))
  repulsive: number[]; // i, j
  repulsion: number; // E = repulsionK (d - repulsion)² below `repulsion`
  repulsionK: number;
  tether: Float64Array | null;
  tetherK: number;
  packed?: Packed;
}

/** Terms in typed arrays (built once per descent) plus every atom they touch. */
interface Packed {
  b: Int32Array;
  bRef: Float64Array;
  a: Int32Array;
  aRef: Float64Array;
  d: Int32Array;
  dRef: Float64Array;
  r: Int32Array;
  touched: Int32Array;
}

const newTerms = (): Terms => ({ bonds: [], bondRef: [], angles: [], angleRef: [], dihedrals: [], dihedralRef: [], repulsive: [], repulsion: 0, repulsionK: 0, tether: null, tetherK: 0 });

function pack(t: Terms, active: Int32Array): Packed {
  if (t.packed) return t.packed;
  const touched = new Set<number>(active);
  for (const list of [t.bonds, t.angles, t.dihedrals, t.repulsive]) for (const i of list) touched.add(i);
  t.packed = {
    b: Int32Array.from(t.bonds),
    bRef: Float64Array.from(t.bondRef),
    a: Int32Array.from(t.angles),
    aRef: Float64Array.from(t.angleRef),
    d: Int32Array.from(t.dihedrals),
    dRef: Float64Array.from(t.dihedralRef),
    r: Int32Array.from(t.repulsive),
    touched: Int32Array.from(touched),
  };
  return t.packed;
}

/**
 * Energy and, when `g` is given, its gradient. Gradients are accumulated for every atom the terms touch; only
 * `active` (movable) atoms are ever moved, so entries of fixed atoms are simply not used.
 */
function energy(x: Float64Array, t: Terms, g: Float64Array | null, _movable: Uint8Array, active: Int32Array): number {
  const P = pack(t, active);
  let e = 0;
  if (g) for (const i of P.touched) g[3 * i] = g[3 * i + 1] = g[3 * i + 2] = 0;
  const b = P.b;
  for (let q = 0, p = 0; q < b.length; q += 2, p += 2) {
    const i = 3 * b[q];
    const j = 3 * b[q + 1];
    const dx = x[i] - x[j];
    const dy = x[i + 1] - x[j + 1];
    const dz = x[i + 2] - x[j + 2];
    const d = Math.sqrt(dx * dx + dy * dy + dz * dz) || 1e-9;
    const k = P.bRef[p + 1];
    const diff = d - P.bRef[p];
    e += k * diff * diff;
    if (!g) continue;
    const f = (2 * k * diff) / d;
    g[i] += f * dx;
    g[i + 1] += f * dy;
    g[i + 2] += f * dz;
    g[j] -= f * dx;
    g[j + 1] -= f * dy;
    g[j + 2] -= f * dz;
  }
  const r = P.r;
  const r0 = t.repulsion;
  const kr = t.repulsionK;
  for (let q = 0; q < r.length; q += 2) {
    const i = 3 * r[q];
    const j = 3 * r[q + 1];
    const dx = x[i] - x[j];
    const dy = x[i + 1] - x[j + 1];
    const dz = x[i + 2] - x[j + 2];
    const d2 = dx * dx + dy * dy + dz * dz;
    if (d2 >= r0 * r0) continue;
    const d = Math.sqrt(d2) || 1e-6;
    const diff = d - r0;
    e += kr * diff * diff;
    if (!g) continue;
    const f = (2 * kr * diff) / d;
    g[i] += f * dx;
    g[i + 1] += f * dy;
    g[i + 2] += f * dz;
    g[j] -= f * dx;
    g[j + 1] -= f * dy;
    g[j + 2] -= f * dz;
  }
  const a = P.a;
  for (let q = 0, p = 0; q < a.length; q += 3, p += 2) {
    const i = 3 * a[q];
    const j = 3 * a[q + 1];
    const k = 3 * a[q + 2];
    const ux = x[i] - x[j];
    const uy = x[i + 1] - x[j + 1];
    const uz = x[i + 2] - x[j + 2];
    const vx = x[k] - x[j];
    const vy = x[k + 1] - x[j + 1];
    const vz = x[k + 2] - x[j + 2];
    const lu = Math.sqrt(ux * ux + uy * uy + uz * uz) || 1e-9;
    const lv = Math.sqrt(vx * vx + vy * vy + vz * vz) || 1e-9;
    let c = (ux * vx + uy * vy + uz * vz) / (lu * lv);
    c = c > 0.999999 ? 0.999999 : c < -0.999999 ? -0.999999 : c;
    const diff = Math.acos(c) - P.aRef[p];
    const kk = P.aRef[p + 1];
    e += kk * diff * diff;
    if (!g) continue;
    const sn = Math.sqrt(1 - c * c);
    const dE = 2 * kk * diff;
    // dθ/di = -(v̂ - c û)/(|u| sinθ); dθ/dk = -(û - c v̂)/(|v| sinθ)
    const fi = -dE / (lu * sn);
    const fk = -dE / (lv * sn);
    const aix = (vx / lv - (c * ux) / lu) * fi;
    const aiy = (vy / lv - (c * uy) / lu) * fi;
    const aiz = (vz / lv - (c * uz) / lu) * fi;
    const akx = (ux / lu - (c * vx) / lv) * fk;
    const aky = (uy / lu - (c * vy) / lv) * fk;
    const akz = (uz / lu - (c * vz) / lv) * fk;
    g[i] += aix;
    g[i + 1] += aiy;
    g[i + 2] += aiz;
    g[k] += akx;
    g[k + 1] += aky;
    g[k + 2] += akz;
    g[j] -= aix + akx;
    g[j + 1] -= aiy + aky;
    g[j + 2] -= aiz + akz;
  }
  const dh = P.d;
  for (let q = 0, p = 0; q < dh.length; q += 4, p += 2) {
    const i = 3 * dh[q];
    const j = 3 * dh[q + 1];
    const k = 3 * dh[q + 2];
    const l = 3 * dh[q + 3];
    // F = xi - xj, G = xj - xk, H = xl - xk (Blondel & Karplus 1996)
    const Fx = x[i] - x[j];
    const Fy = x[i + 1] - x[j + 1];
    const Fz = x[i + 2] - x[j + 2];
    const Gx = x[j] - x[k];
    const Gy = x[j + 1] - x[k + 1];
    const Gz = x[j + 2] - x[k + 2];
    const Hx = x[l] - x[k];
    const Hy = x[l + 1] - x[k + 1];
    const Hz = x[l + 2] - x[k + 2];
    const Ax = Fy * Gz - Fz * Gy;
    const Ay = Fz * Gx - Fx * Gz;
    const Az = Fx * Gy - Fy * Gx;
    const Bx = Hy * Gz - Hz * Gy;
    const By = Hz * Gx - Hx * Gz;
    const Bz = Hx * Gy - Hy * Gx;
    const A2 = Ax * Ax + Ay * Ay + Az * Az || 1e-12;
    const B2 = Bx * Bx + By * By + Bz * Bz || 1e-12;
    const Gl = Math.sqrt(Gx * Gx + Gy * Gy + Gz * Gz) || 1e-9;
    // IUPAC sign (as backboneTorsions): φ = -atan2((A×B)·Ĝ, A·B) for these F, G, H; gradients are Blondel & Karplus'
    const cx = Ay * Bz - Az * By;
    const cy = Az * Bx - Ax * Bz;
    const cz = Ax * By - Ay * Bx;
    const phi = -Math.atan2((cx * Gx + cy * Gy + cz * Gz) / Gl, Ax * Bx + Ay * By + Az * Bz);
    const kk = P.dRef[p + 1];
    const dphi = phi - P.dRef[p];
    e += kk * (1 - Math.cos(dphi));
    if (!g) continue;
    const dE = kk * Math.sin(dphi);
    const FG = Fx * Gx + Fy * Gy + Fz * Gz;
    const HG = Hx * Gx + Hy * Gy + Hz * Gz;
    const ca = (-Gl / A2) * dE;
    const cb = (Gl / B2) * dE;
    const fa = (FG / (A2 * Gl)) * dE;
    const fb = (HG / (B2 * Gl)) * dE;
    const gix = ca * Ax;
    const giy = ca * Ay;
    const giz = ca * Az;
    const glx = cb * Bx;
    const gly = cb * By;
    const glz = cb * Bz;
    g[i] += gix;
    g[i + 1] += giy;
    g[i + 2] += giz;
    g[l] += glx;
    g[l + 1] += gly;
    g[l + 2] += glz;
    g[j] += -gix + fa * Ax - fb * Bx;
    g[j + 1] += -giy + fa * Ay - fb * By;
    g[j + 2] += -giz + fa * Az - fb * Bz;
    g[k] += -glx - fa * Ax + fb * Bx;
    g[k + 1] += -gly - fa * Ay + fb * By;
    g[k + 2] += -glz - fa * Az + fb * Bz;
  }
  if (t.tether && t.tetherK > 0) {
    const x0 = t.tether;
    const kt = t.tetherK;
    for (const a0 of active) {
      const i = 3 * a0;
      const dx = x[i] - x0[i];
      const dy = x[i + 1] - x0[i + 1];
      const dz = x[i + 2] - x0[i + 2];
      e += kt * (dx * dx + dy * dy + dz * dz);
      if (!g) continue;
      g[i] += 2 * kt * dx;
      g[i + 1] += 2 * kt * dy;
      g[i + 2] += 2 * kt * dz;
    }
  }
  return e;
}

/** Exposed for the gradient test. */
export const _internal = { energy, newTerms };

/** Adaptive steepest descent over the `active` atoms. Returns [iterations, e0, e1]. */
function steepestDescent(
  x: Float64Array,
  t: Terms,
  movable: Uint8Array,
  active: Int32Array,
  maxIter: number,
  g: Float64Array = new Float64Array(x.length),
): [number, number, number] {
  const saved = new Float64Array(active.length * 3);
  let e = energy(x, t, g, movable, active);
  const e0 = e;
  let step = 0.05; // Å, the largest single-atom move of a step
  let it = 0;
  let eCheck = e;
  for (; it < maxIter; it++) {
    // Converged: less than 0.5 % further decrease over the last 10 steps.
    if (it > 0 && it % 10 === 0) {
      if (eCheck - e < 5e-3 * eCheck) break;
      eCheck = e;
    }
    let gmax2 = 0;
    for (const i of active) {
      const q = g[3 * i] * g[3 * i] + g[3 * i + 1] * g[3 * i + 1] + g[3 * i + 2] * g[3 * i + 2];
      if (q > gmax2) gmax2 = q;
    }
    if (gmax2 < 1e-8) break;
    const scale = step / Math.sqrt(gmax2);
    for (let q = 0; q < active.length; q++) {
      const i = 3 * active[q];
      saved[3 * q] = x[i];
      saved[3 * q + 1] = x[i + 1];
      saved[3 * q + 2] = x[i + 2];
      x[i] -= scale * g[i];
      x[i + 1] -= scale * g[i + 1];
      x[i + 2] -= scale * g[i + 2];
    }
    const eNew = energy(x, t, g, movable, active);
    if (eNew < e) {
      e = eNew;
      step = Math.min(step * 1.2, 0.3);
    } else {
      for (let q = 0; q < active.length; q++) {
        const i = 3 * active[q];
        x[i] = saved[3 * q];
        x[i + 1] = saved[3 * q + 1];
        x[i + 2] = saved[3 * q + 2];
      }
      energy(x, t, g, movable, active);
      step *= 0.5;
      if (step < 1e-5) break;
    }
  }
  return [it, e0, e];
}

// ---------------------------------------------------------------- backbone

interface BackboneIndex {
  N: Int32Array;
  CA: Int32Array;
  C: Int32Array;
  O: Int32Array;
  CB: Int32Array;
  CD: Int32Array; // Pro only
  OXT: Int32Array;
  next: Int32Array; // index of the next residue linked by a peptide bond, -1
  resName: string[];
}

function backboneIndex(s: Structure): BackboneIndex {
  const residues = residuesOf(s.atoms);
  const nr = residues.length;
  const mk = () => new Int32Array(nr).fill(-1);
  const idx: BackboneIndex = { N: mk(), CA: mk(), C: mk(), O: mk(), CB: mk(), CD: mk(), OXT: mk(), next: mk(), resName: [] };
  residues.forEach((r, k) => {
    idx.resName.push(ALIASES[r.resName] ?? r.resName);
    for (let i = r.start; i < r.end; i++) {
      const nm = s.atoms.name[i];
      const slot = nm === 'OT1' ? 'O' : nm === 'OT2' ? 'OXT' : nm;
      if (slot === 'N' || slot === 'CA' || slot === 'C' || slot === 'O' || slot === 'CB' || slot === 'OXT' || slot === 'CD') {
        const arr = idx[slot as 'N'];
        if (arr[k] < 0) arr[k] = i;
      }
    }
    if (idx.resName[k] !== 'PRO') idx.CD[k] = -1;
  });
  const x = s.coords;
  for (let k = 0; k + 1 < nr; k++) {
    const c = idx.C[k];
    const n = idx.N[k + 1];
    if (c < 0 || n < 0 || residues[k].chainId !== residues[k + 1].chainId) continue;
    const d = Math.sqrt((x[3 * c] - x[3 * n]) ** 2 + (x[3 * c + 1] - x[3 * n + 1]) ** 2 + (x[3 * c + 2] - x[3 * n + 2]) ** 2);
    if (d < 2.6) idx.next[k] = k + 1;
  }
  return idx;
}

function dihedralOf(x: Float64Array, i: number, j: number, k: number, l: number): number {
  const p = (a: number) => [x[3 * a], x[3 * a + 1], x[3 * a + 2]];
  const [a, b, c, d] = [p(i), p(j), p(k), p(l)];
  const b1 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const b2 = [c[0] - b[0], c[1] - b[1], c[2] - b[2]];
  const b3 = [d[0] - c[0], d[1] - c[1], d[2] - c[2]];
  const cr = (u: number[], v: number[]) => [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
  const dot = (u: number[], v: number[]) => u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
  const n1 = cr(b1, b2);
  const n2 = cr(b2, b3);
  const m = cr(n1, b2);
  const lb2 = Math.hypot(b2[0], b2[1], b2[2]) || 1;
  return Math.atan2(dot(m, n2) / lb2, dot(n1, n2));
}

export function refineBackbone(s: Structure, opts: { torsions?: Float32Array | null; iterations?: number } = {}): RefineReport['backbone'] {
  const x = s.coords;
  const bb = backboneIndex(s);
  const nr = bb.CA.length;
  const movable = new Uint8Array(s.atoms.count);
  const kb = 300;
  const ka = 60;
  const kw = 10;
  const kt = 4;
  let t = newTerms();
  const bond = (i: number, j: number, d0: number) => {
    if (i < 0 || j < 0) return;
    t.bonds.push(i, j);
    t.bondRef.push(d0, kb);
  };
  const angle = (i: number, j: number, k: number, a0: number) => {
    if (i < 0 || j < 0 || k < 0) return;
    t.angles.push(i, j, k);
    t.angleRef.push(a0 * DEG, ka);
  };
  const dihedral = (i: number, j: number, k: number, l: number, p0: number, kk: number) => {
    if (i < 0 || j < 0 || k < 0 || l < 0 || !Number.isFinite(p0)) return;
    t.dihedrals.push(i, j, k, l);
    t.dihedralRef.push(p0, kk);
  };
  const prev = new Int32Array(nr).fill(-1);
  for (let k = 0; k < nr; k++) if (bb.next[k] >= 0) prev[bb.next[k]] = k;
  const before = new Float64Array(x.length);
  const g = new Float64Array(x.length);
  let iterations = 0;
  let e0 = 0;
  let e1 = 0;
  // Chain segments share no term, so each descends on its own (its own step size and convergence).
  for (let first = 0; first < nr; ) {
    let last = first;
    while (bb.next[last] === last + 1) last++;
    t = newTerms();
    const activeList: number[] = [];
    for (let k = first; k <= last; k++) {
      const N = bb.N[k];
      const CA = bb.CA[k];
      const C = bb.C[k];
      const CB = bb.CB[k];
      if (CA < 0) continue;
      if (N >= 0 && !movable[N]) (movable[N] = 1), activeList.push(N);
      if (C >= 0 && !movable[C]) (movable[C] = 1), activeList.push(C);
      bond(N, CA, B_N_CA);
      bond(CA, C, B_CA_C);
      angle(N, CA, C, A_N_CA_C);
      angle(N, CA, CB, A_N_CA_CB);
      angle(C, CA, CB, A_C_CA_CB);
      bond(N, bb.CD[k], B_N_CD);
      angle(CA, N, bb.CD[k], A_CA_N_CD);
      const nk = bb.next[k];
      if (nk >= 0) {
        const N2 = bb.N[nk];
        const CA2 = bb.CA[nk];
        bond(C, N2, B_C_N);
        angle(CA, C, N2, A_CA_C_N);
        angle(C, N2, CA2, A_C_N_CA);
        angle(C, N2, bb.CD[nk], A_C_N_CD);
        if (CA2 >= 0 && C >= 0 && N2 >= 0) {
          const w = dihedralOf(x, CA, C, N2, CA2);
          const cis = bb.resName[nk] === 'PRO' && Math.abs(w) < 30 * DEG;
          dihedral(CA, C, N2, CA2, cis ? 0 : Math.PI, kw);
          // The carbonyl O joins the descent: C=O, the two angles at C and the peptide plane (O opposite CA).
          const O = bb.O[k];
          if (O >= 0) {
            if (!movable[O]) (movable[O] = 1), activeList.push(O);
            bond(C, O, B_C_O);
            angle(CA, C, O, A_CA_C_O);
            angle(O, C, N2, A_O_C_N);
            dihedral(O, C, N2, CA2, cis ? Math.PI : 0, kw);
          }
        }
      }
      const tor = opts.torsions;
      if (tor && 4 * k + 3 < tor.length) {
        const phi = Math.atan2(tor[4 * k + 1], tor[4 * k]);
        const psi = Math.atan2(tor[4 * k + 3], tor[4 * k + 2]);
        const pk = prev[k];
        if (pk >= 0) dihedral(bb.C[pk], N, CA, C, phi, kt);
        if (nk >= 0) dihedral(N, CA, C, bb.N[nk], psi, kt);
      }
    }
    first = last + 1;
    if (!activeList.length) continue;
    const active = Int32Array.from(activeList);
    for (const i of active) for (let c = 0; c < 3; c++) before[3 * i + c] = x[3 * i + c];
    // The tether reads only active atoms, whose start `before` now holds: no copy of the whole structure per segment.
    t.tether = before;
    t.tetherK = BACKBONE_TETHER;
    const [it, a0, a1] = steepestDescent(x, t, movable, active, opts.iterations ?? 200, g);
    iterations = Math.max(iterations, it);
    e0 += a0;
    e1 += a1;
  }
  // Carbonyl O without a following residue (chain ends, breaks) and OXT follow their C rigidly.
  let oxygens = 0;
  for (let k = 0; k < nr; k++) {
    const C = bb.C[k];
    if (C < 0) continue;
    for (const o of [bb.O[k], bb.OXT[k]]) {
      if (o < 0) continue;
      if (movable[o]) {
        oxygens++;
        continue;
      }
      for (let c = 0; c < 3; c++) x[3 * o + c] += x[3 * C + c] - before[3 * C + c];
    }
  }
  return { iterations, energyBefore: e0, energyAfter: e1, oxygens };
}

// ---------------------------------------------------------------- side-chain geometry

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
export function idealizeSideChains(s: Structure, opts: { iterations?: number } = {}): RefineReport['sidechains'] {
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
    for (const i of mine) (movable[i] = 1), activeList.push(i);
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

// ---------------------------------------------------------------- clashes

export function relieveClashes(s: Structure, opts: { repulsion?: number; rounds?: number } = {}): RefineReport['clashes'] {
  const x = s.coords;
  const n = s.atoms.count;
  const r0 = opts.repulsion ?? 2.5;
  const heavyMask = new Uint8Array(n);
  let nh = 0;
  for (let i = 0; i < n; i++) if (isHeavy(s, i)) (heavyMask[i] = 1), nh++;
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

/** Refines `s` in place (coordinates of model 0). Cα never moves. */
export function refineStructure(s: Structure, opts: RefineOptions): RefineReport {
  const report: RefineReport = {};
  if (opts.backbone) report.backbone = refineBackbone(s, { torsions: opts.torsions, iterations: opts.backboneIterations });
  if (opts.sidechains) report.sidechains = idealizeSideChains(s);
  if (opts.clashes) report.clashes = relieveClashes(s, { repulsion: opts.repulsion, rounds: opts.clashRounds });
  return report;
}
