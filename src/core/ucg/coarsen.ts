/**
 * `backmap coarsen`: an ultra-coarse-grained (UCG) mapping of a protein, written in the UCG mapping format
 * (format.ts, docs/ucg-mapping.md). Every residue with a CA atom belongs to one bead; a bead sits at the mean of its
 * residues' CA atoms. Every model of the structure is a frame (a multi-model PDB ensemble), so beads follow the parts
 * that move together.
 *
 * - `segments` (default): contiguous segments per chain, by exact dynamic programming, minimising the sum over frames
 *   of squared CA distances to their segment centroid (compact and rigid segments, as EDCG). Chains share the beads
 *   in proportion to their residues, at least one each.
 * - `spatial`: compact groups that may join residues far apart in sequence and keep residues far apart in space
 *   apart (in the spirit of AutoGrain/EDCG): k-means on the frame-averaged CA positions, started from the segments
 *   solution, with at most ceil(1.5·L/N) residues per bead and no empty bead; beads ordered by their first residue.
 */
import { basename } from 'node:path';
import { oneLetterCode } from '../chemistry/variants';
import { InputError } from '../errors';
import { applyTransform, kabsch } from '../geometry/kabsch';
import { residuesOf } from '../structure/builder';
import type { Structure } from '../structure/types';
import { formatResidueRef, parseUcgMapping, residueInRange, writeUcgMapping, type UcgMapping, type UcgResidueRef } from './format';
import { alphaCarbonAtom } from './map';

export type CoarsenMethod = 'segments' | 'spatial';
export const COARSEN_METHODS: readonly CoarsenMethod[] = ['segments', 'spatial'];

export interface CoarsenResult {
  text: string;
  mapping: UcgMapping;
  beads: number;
  residues: number;
  meanResiduesPerBead: number;
  /** RMS distance (Å) of member CA atoms from their bead, averaged over frames. */
  spread: number;
}

export interface CoarsenOptions {
  beads: number;
  method?: CoarsenMethod;
  /** `name:` of the mapping; default the structure file's base name. */
  name?: string;
  /** The structure's path or label for the header and messages; default `s.source`. */
  source?: string;
  /** Path the mapping will be written to (`mapping.file`); default `<name>.ucg.yaml`. */
  file?: string;
}

/** A residue with a CA atom: what a UCG bead is made of. */
interface CaResidue {
  ref: UcgResidueRef;
  resName: string;
  atom: number;
  chain: number; // index into the chains list
}

/** CA atoms of amino-acid residues; a calcium ion (residue and atom CA, element Ca) is not one. */
function caResidues(s: Structure, source: string): { residues: CaResidue[]; chains: string[] } {
  const a = s.atoms;
  const residues: CaResidue[] = [];
  const chains: string[] = [];
  const chainIndex = new Map<string, number>();
  const seen = new Map<string, number>(); // chain + number + insertion code -> first source line (0 when built in memory)
  for (const r of residuesOf(a)) {
    const ca = alphaCarbonAtom(a, r);
    if (ca < 0) continue;
    const ref: UcgResidueRef = { chainId: r.chainId, resSeq: r.resSeq, iCode: r.iCode };
    const key = `${r.chainId}\u0000${r.resSeq}\u0000${r.iCode}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw new InputError(
        `residue ${formatResidueRef(ref)} (${r.resName}) appears twice${first ? ` (first on line ${first})` : ''}: UCG mapping ranges name residues by chain and number, so each must be unique within its chain${r.chainId === '' ? ' (GRO files have no chain ids: write the structure as PDB with one chain id per chain)' : ''}`,
        source, a.sourceLine[ca] || undefined);
    }
    seen.set(key, a.sourceLine[ca]);
    let chain = chainIndex.get(r.chainId);
    if (chain === undefined) { chain = chains.length; chains.push(r.chainId); chainIndex.set(r.chainId, chain); }
    residues.push({ ref, resName: r.resName, atom: ca, chain });
  }
  return { residues, chains };
}


/** CA coordinates per frame: frames[f][3 * k…] for residue k, each frame centred on its own centroid. */
function caFrames(s: Structure, residues: CaResidue[]): Float64Array[] {
  return s.models.map((model) => {
    const x = new Float64Array(residues.length * 3);
    let cx = 0, cy = 0, cz = 0;
    residues.forEach((r, k) => {
      x[3 * k] = model[3 * r.atom]; x[3 * k + 1] = model[3 * r.atom + 1]; x[3 * k + 2] = model[3 * r.atom + 2];
      cx += x[3 * k]; cy += x[3 * k + 1]; cz += x[3 * k + 2];
    });
    const n = residues.length;
    for (let k = 0; k < n; k++) { x[3 * k] -= cx / n; x[3 * k + 1] -= cy / n; x[3 * k + 2] -= cz / n; }
    return x;
  });
}

/**
 * Beads per chain in proportion to its residues (largest remainder), at least 1 and at most its residue count each.
 * Exported for tests.
 */
export function allocateBeads(chainSizes: number[], beads: number): number[] {
  const total = chainSizes.reduce((a, b) => a + b, 0);
  const quota = chainSizes.map((n) => (beads * n) / total);
  const out = quota.map((q, c) => Math.min(chainSizes[c], Math.max(1, Math.floor(q))));
  let sum = out.reduce((a, b) => a + b, 0);
  const order = (sign: number) => chainSizes.map((_, c) => c).sort((a, b) => sign * ((quota[b] - out[b]) - (quota[a] - out[a])) || a - b);
  while (sum < beads) {
    const c = order(1).find((k) => out[k] < chainSizes[k]);
    if (c === undefined) break;
    out[c]++; sum++;
  }
  while (sum > beads) {
    const c = order(-1).find((k) => out[k] > 1);
    if (c === undefined) break;
    out[c]--; sum--;
  }
  return out;
}

/**
 * Optimal contiguous segmentation of residues [0, n) into k segments: minimises Σ_frames Σ_residues |x − centroid|².
 * Returns the start index of each segment. `frames` hold the residues' CA coordinates (3 per residue). Exported for tests.
 */
export function optimalSegments(frames: Float64Array[], n: number, k: number): number[] {
  if (k < 1 || k > n) throw new RangeError(`optimalSegments: ${k} segments for ${n} residues`);
  const F = frames.length;
  // Prefix sums of Σ_f |x|² and, per frame, of x: the cost of [i, j) is S2 − Σ_f |S1_f|² / (j − i).
  const p2 = new Float64Array(n + 1);
  const p1 = frames.map(() => new Float64Array(3 * (n + 1)));
  for (let r = 0; r < n; r++) {
    let sq = 0;
    for (let f = 0; f < F; f++) {
      const x = frames[f], p = p1[f];
      for (let d = 0; d < 3; d++) { p[3 * (r + 1) + d] = p[3 * r + d] + x[3 * r + d]; sq += x[3 * r + d] * x[3 * r + d]; }
    }
    p2[r + 1] = p2[r] + sq;
  }
  // Rows j = 1…n: the cost of every segment [i, j) ending at j (O(n·F) each), then every segment count s.
  // best[s][i]: least cost of residues [0, i) in s segments; from[s][j]: where the last of s segments ending at j starts.
  const best = Array.from({ length: k + 1 }, () => new Float64Array(n + 1).fill(Infinity));
  best[0][0] = 0;
  const from = Array.from({ length: k + 1 }, () => new Int32Array(n + 1).fill(-1));
  const row = new Float64Array(n);
  for (let j = 1; j <= n; j++) {
    for (let i = 0; i < j; i++) {
      let sq = 0;
      for (let f = 0; f < F; f++) {
        const p = p1[f];
        const dx = p[3 * j] - p[3 * i], dy = p[3 * j + 1] - p[3 * i + 1], dz = p[3 * j + 2] - p[3 * i + 2];
        sq += dx * dx + dy * dy + dz * dz;
      }
      row[i] = Math.max(0, p2[j] - p2[i] - sq / (j - i));
    }
    // Segment s ends at j only if the k − s segments after it still get a residue each.
    for (let s = Math.max(1, k - (n - j)); s <= Math.min(j, k); s++) {
      const prev = best[s - 1];
      let bc = Infinity, bi = -1;
      for (let i = s - 1; i < j; i++) {
        const c = prev[i] + row[i];
        if (c < bc) { bc = c; bi = i; }
      }
      best[s][j] = bc;
      from[s][j] = bi;
    }
  }
  const starts: number[] = [];
  let j = n;
  for (let s = k; s >= 1; s--) { const i = from[s][j]; starts.push(i); j = i; }
  return starts.reverse();
}

/** Frame-averaged CA positions, each frame superposed on the first (Kabsch) so that averaging means something. */
function averagePositions(frames: Float64Array[]): Float64Array {
  const avg = new Float64Array(frames[0].length);
  for (const [f, x] of frames.entries()) {
    const y = f === 0 ? x : applyTransform(x, kabsch(x, frames[0]));
    for (let i = 0; i < y.length; i++) avg[i] += y[i] / frames.length;
  }
  return avg;
}

const d2 = (x: Float64Array, i: number, c: Float64Array, k: number) => {
  const dx = x[3 * i] - c[3 * k], dy = x[3 * i + 1] - c[3 * k + 1], dz = x[3 * i + 2] - c[3 * k + 2];
  return dx * dx + dy * dy + dz * dz;
};

function centroids(x: Float64Array, assign: Int32Array, k: number): { c: Float64Array; size: Int32Array } {
  const c = new Float64Array(3 * k);
  const size = new Int32Array(k);
  for (let i = 0; i < assign.length; i++) {
    const b = assign[i];
    size[b]++;
    for (let d = 0; d < 3; d++) c[3 * b + d] += x[3 * i + d];
  }
  for (let b = 0; b < k; b++) if (size[b]) for (let d = 0; d < 3; d++) c[3 * b + d] /= size[b];
  return { c, size };
}

const withinCost = (x: Float64Array, assign: Int32Array, c: Float64Array) => {
  let s = 0;
  for (let i = 0; i < assign.length; i++) s += d2(x, i, c, assign[i]);
  return s;
};

/**
 * Capacitated k-means on positions `x` (3 per residue) from an initial assignment: each step gives residues to their
 * nearest centroid in order of distance while the bead has room (`cap`), refills any empty bead with the nearest
 * residue of a bead that can spare one, and moves the centroids. Returns the best assignment seen. Exported for tests.
 */
export function capacitatedKMeans(x: Float64Array, init: Int32Array, k: number, cap: number, maxIter = 100): Int32Array {
  const n = init.length;
  if (cap * k < n) throw new RangeError(`capacitatedKMeans: ${k} beads of at most ${cap} cannot hold ${n} residues`);
  let assign = Int32Array.from(init);
  let { c } = centroids(x, assign, k);
  let best: Int32Array | null = null;
  let bestCost = Infinity;
  const consider = (a: Int32Array) => {
    const { c: cc, size } = centroids(x, a, k);
    if (size.some((m) => m === 0 || m > cap)) return;
    const cost = withinCost(x, a, cc);
    if (cost < bestCost - 1e-9 * Math.max(1, bestCost)) { bestCost = cost; best = Int32Array.from(a); }
  };
  consider(assign);
  const near = Math.min(k, 8);
  for (let iter = 0; iter < maxIter; iter++) {
    // Candidate (residue, bead) pairs: each residue's `near` nearest beads, nearest pairs first (the rest: fallback below).
    const pairs: { i: number; b: number; d: number }[] = [];
    const nb = new Int32Array(near), nd = new Float64Array(near);
    for (let i = 0; i < n; i++) {
      // The `near` nearest beads by insertion (k can be hundreds; near is small).
      let m = 0;
      for (let b = 0; b < k; b++) {
        const d = d2(x, i, c, b);
        if (m === near && d >= nd[near - 1]) continue;
        let at = m < near ? m++ : near - 1;
        while (at > 0 && nd[at - 1] > d) { nd[at] = nd[at - 1]; nb[at] = nb[at - 1]; at--; }
        nd[at] = d; nb[at] = b;
      }
      for (let t = 0; t < m; t++) pairs.push({ i, b: nb[t], d: nd[t] });
    }
    pairs.sort((p, q) => p.d - q.d || p.i - q.i || p.b - q.b);
    const next = new Int32Array(n).fill(-1);
    const size = new Int32Array(k);
    for (const { i, b } of pairs) {
      if (next[i] >= 0 || size[b] >= cap) continue;
      next[i] = b; size[b]++;
    }
    for (let i = 0; i < n; i++) {
      if (next[i] >= 0) continue;
      let bb = -1, bd = Infinity;
      for (let b = 0; b < k; b++) if (size[b] < cap && d2(x, i, c, b) < bd) { bd = d2(x, i, c, b); bb = b; }
      next[i] = bb; size[bb]++;
    }
    // No empty bead: take the residue nearest to its (old) centroid from a bead that keeps at least one.
    for (let b = 0; b < k; b++) {
      if (size[b]) continue;
      let bi = -1, bd = Infinity;
      for (let i = 0; i < n; i++) if (size[next[i]] > 1 && d2(x, i, c, b) < bd) { bd = d2(x, i, c, b); bi = i; }
      size[next[bi]]--; next[bi] = b; size[b]++;
    }
    const changed = next.some((b, i) => b !== assign[i]);
    assign = next;
    c = centroids(x, assign, k).c;
    consider(assign);
    if (!changed) break;
  }
  return best ?? assign;
}

/** Beads as lists of residue indices (structure order inside each bead). */
function segmentsBeads(frames: Float64Array[], residues: CaResidue[], chains: string[], beads: number): number[][] {
  const perChain = chains.map((_, c) => residues.map((r, i) => (r.chain === c ? i : -1)).filter((i) => i >= 0));
  const counts = allocateBeads(perChain.map((l) => l.length), beads);
  const out: number[][] = [];
  for (const [c, members] of perChain.entries()) {
    const sub = frames.map((x) => {
      const y = new Float64Array(members.length * 3);
      members.forEach((i, k) => { y[3 * k] = x[3 * i]; y[3 * k + 1] = x[3 * i + 1]; y[3 * k + 2] = x[3 * i + 2]; });
      return y;
    });
    const starts = optimalSegments(sub, members.length, counts[c]);
    starts.forEach((s, t) => out.push(members.slice(s, t + 1 < starts.length ? starts[t + 1] : members.length)));
  }
  return out;
}

function spatialBeads(frames: Float64Array[], residues: CaResidue[], chains: string[], beads: number): number[][] {
  const init = new Int32Array(residues.length);
  segmentsBeads(frames, residues, chains, beads).forEach((members, b) => { for (const i of members) init[i] = b; });
  const x = averagePositions(frames);
  const assign = capacitatedKMeans(x, init, beads, Math.ceil((1.5 * residues.length) / beads));
  const groups: number[][] = Array.from({ length: beads }, () => []);
  for (let i = 0; i < residues.length; i++) groups[assign[i]].push(i);
  return groups.sort((a, b) => a[0] - b[0]);
}

/** RMS distance of members from their bead (CA centroid) per frame, averaged over frames. */
function spreadOf(frames: Float64Array[], groups: number[][], n: number): number {
  let total = 0;
  for (const x of frames) {
    let ss = 0;
    for (const g of groups) {
      let cx = 0, cy = 0, cz = 0;
      for (const i of g) { cx += x[3 * i]; cy += x[3 * i + 1]; cz += x[3 * i + 2]; }
      cx /= g.length; cy /= g.length; cz /= g.length;
      for (const i of g) ss += (x[3 * i] - cx) ** 2 + (x[3 * i + 1] - cy) ** 2 + (x[3 * i + 2] - cz) ** 2;
    }
    total += Math.sqrt(ss / n);
  }
  return total / frames.length;
}

export function coarsenStructure(s: Structure, opts: CoarsenOptions): CoarsenResult {
  const source = opts.source ?? s.source;
  const method = opts.method ?? 'segments';
  if (!COARSEN_METHODS.includes(method)) throw new InputError(`unknown coarsening method '${method as string}' (use ${COARSEN_METHODS.join(' or ')})`, source);
  const n = opts.beads;
  if (!Number.isInteger(n) || n < 1) throw new InputError(`the number of beads must be a whole number ≥ 1, got ${n}`, source);
  const { residues, chains } = caResidues(s, source);
  if (!residues.length) throw new InputError('no residue with a CA atom: a UCG mapping groups protein residues (all-atom or C-alpha structures)', source);
  if (n > residues.length) throw new InputError(`${n} beads for ${residues.length} residues with a CA atom: a bead holds at least one residue`, source);
  if (n < chains.length) throw new InputError(`${n} bead(s) for ${chains.length} chains (${chains.map((c) => c || '_').join(', ')}): each chain needs at least one bead`, source);

  const frames = caFrames(s, residues);
  const groups = method === 'spatial' ? spatialBeads(frames, residues, chains, n) : segmentsBeads(frames, residues, chains, n);

  const sequence: Record<string, string> = {};
  for (const r of residues) sequence[r.ref.chainId] = (sequence[r.ref.chainId] ?? '') + oneLetterCode(r.resName);
  const name = opts.name ?? basename(source).replace(/(\.gz)?$/i, '').replace(/\.[^.]*$/, '');
  const spread = spreadOf(frames, groups, residues.length);
  const mean = residues.length / n;
  const beadNames = groups.map((_, b) => `U${b + 1}`);
  const text = writeUcgMapping({
    name,
    method,
    sequence,
    header: [
      `UCG mapping of ${name} (backmap coarsen --beads ${n} --method ${method})`,
      `from ${basename(source)}: ${residues.length} residues in ${chains.length} chain(s), ${frames.length} frame(s); ` +
        `${+mean.toFixed(2)} residues per bead, CA spread ${spread.toFixed(2)} Å`,
    ],
    beads: groups.map((g, b) => ({ name: beadNames[b], residues: g.map((i) => residues[i].ref) })),
    residues: residues.map((r) => r.ref),
  });
  const mapping = parseUcgMapping(text, opts.file ?? `${name}.ucg.yaml`);
  assertFaithful(mapping, residues, groups, beadNames);
  return { text, mapping, beads: n, residues: residues.length, meanResiduesPerBead: mean, spread };
}

/** The written mapping must read back clean, with every residue in exactly the bead it was put in (a bug otherwise). */
function assertFaithful(m: UcgMapping, residues: CaResidue[], groups: number[][], names: string[]): void {
  const problem = m.diagnostics.find((d) => d.severity === 'error');
  if (problem) throw new Error(`coarsen wrote a mapping that does not read back: ${problem.code} ${problem.message}`);
  groups.forEach((g, b) => {
    for (const i of g) {
      const holders = m.beads.filter((bead) => bead.ranges.some((r) => residueInRange(residues[i].ref, r)));
      if (holders.length !== 1 || holders[0].name !== names[b]) {
        throw new Error(`coarsen: residue ${formatResidueRef(residues[i].ref)} reads back in ${holders.map((h) => h.name).join(', ') || 'no bead'}, not ${names[b]}`);
      }
    }
  });
}
