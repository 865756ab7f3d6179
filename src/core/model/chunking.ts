/**
 * Spatial chunking for inference on large systems, and chunked inference through a Backmapper (`inferVectors`).
 *
 * Beads are split by recursive bisection along the longest axis until each chunk's core holds at most
 * `coreBeads` beads. Each chunk is then run with a halo: every bead within `halo` Å of the core's bounding box
 * (a superset of every bead within `halo` of a core bead) plus, for backmappers that read sequence neighbours,
 * whole residues within `sequenceReach` residues along the chain. Only core beads' outputs are kept. With
 * halo ≥ the model's receptive field (layers × cutoff), each core bead sees exactly the neighbourhood it has
 * in the whole system, so chunked and unchunked outputs agree (to float32 summation order).
 *
 * A message-passing model that reads other beads only through its neighbour lists (`reach.graph`) gets, instead
 * of the spatial halo, the beads within `hops` steps of the core along the lists of the whole system: exactly what
 * its core outputs depend on (the lists of beads fewer than `hops` steps out are complete in the chunk, so the
 * chunk's graph gives them the same neighbours), and in a dense protein about a third fewer beads than the
 * layers × cutoff sphere (the K nearest sit well inside the cutoff).
 *
 * With `maxBeads`, a core whose chunk (core + halo) is larger is bisected again, so the beads the model sees at once
 * stay bounded whatever the density.
 *
 * Memory: the model runs on core + halo beads only; the outputs (N × R × 3 float32) are the only O(N) buffers.
 */
import type { CgSystem } from '../cg';
import { CancelledError } from '../errors';
import { cellListNeighbors, type NeighborList } from '../geometry/neighbors';
import type { Backmapper } from './backmapper';

/**
 * Most beads a backmapper sees at once (a chunk's core plus its halo), unless the caller says otherwise. Measured on
 * the 2-core machine with `martini3-protein` (docs/experiments.md, *Speed and memory*): 8,000 was the fastest of
 * 3,000-20,000 on 33k-bead systems (more, smaller chunks: onnxruntime's arena, paged in on first use, stays small;
 * fewer: less halo) and within 10 % of the fastest at 100k beads, where it peaks at 0.7 GB.
 */
export const DEFAULT_CHUNK_SIZE = 8000;

export interface Chunk {
  /** Global bead indices whose outputs this chunk owns, ascending. */
  core: Int32Array;
  /** Global bead indices given to the backmapper (core ∪ halo), ascending. */
  beads: Int32Array;
}

export interface ChunkPlanOptions {
  /** Maximum beads in a chunk's core. */
  coreBeads: number;
  /** Spatial halo in Å (≥ receptive field); not used with `graph`. */
  halo: number;
  /** Halo by neighbour lists instead: every bead within `hops` steps of the core along `list` (of the whole system). */
  graph?: { list: NeighborList; hops: number };
  /**
   * Maximum beads in a whole chunk (core + halo): a core whose chunk is larger is bisected again. The model's
   * memory grows with the beads it sees at once, and the halo share depends on the density, so this is the
   * bound that holds memory. Cores are not split below `maxBeads / 8` beads, where the halo dominates.
   */
  maxBeads?: number;
}

/** Recursive bisection of beads (by coordinates; all of them, or the `subset`) into cores of ≤ coreBeads. */
export function planCores(coords: Float64Array | Float32Array, coreBeads: number, subset?: Int32Array): Int32Array[] {
  const n = coords.length / 3;
  let all = subset;
  if (!all) {
    all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
  }
  const out: Int32Array[] = [];
  const stack: Int32Array[] = [all];
  while (stack.length) {
    const idx = stack.pop()!;
    if (idx.length <= coreBeads) {
      out.push(idx.slice().sort());
      continue;
    }
    const lo = [Infinity, Infinity, Infinity];
    const hi = [-Infinity, -Infinity, -Infinity];
    for (const i of idx)
      for (let c = 0; c < 3; c++) {
        const v = coords[3 * i + c];
        if (v < lo[c]) lo[c] = v;
        if (v > hi[c]) hi[c] = v;
      }
    let axis = 0;
    for (let c = 1; c < 3; c++) if (hi[c] - lo[c] > hi[axis] - lo[axis]) axis = c;
    // Median split along the axis (ties broken by index, so the split is deterministic).
    const order = Array.from(idx).sort((a, b) => coords[3 * a + axis] - coords[3 * b + axis] || a - b);
    const half = order.length >> 1;
    stack.push(Int32Array.from(order.slice(half)), Int32Array.from(order.slice(0, half)));
  }
  return out;
}

/**
 * Chunks with halos. `residueOf`/`chainOf` (per bead) enable the sequence halo: beads of residues within
 * `sequenceReach` residue indices (same chain) of any residue already in the chunk are added. For the model
 * that is the res_offset clamp (3): residue-index differences up to the clamp stay exact after compaction.
 */
export function planChunks(
  coords: Float64Array | Float32Array,
  opts: ChunkPlanOptions & { residueOf?: Int32Array; chainOf?: Int32Array; residueBeads?: Int32Array[]; sequenceReach?: number },
): Chunk[] {
  const n = coords.length / 3;
  if (n === 0) return [];
  const cores = planCores(coords, Math.max(1, opts.coreBeads));
  if (cores.length === 1 && (!opts.maxBeads || n <= opts.maxBeads)) return [{ core: cores[0], beads: cores[0] }];
  const halo = opts.halo;
  const graph = opts.graph;
  const mark = new Uint8Array(n);
  const chunkOf = (core: Int32Array): Chunk => {
    const lo = [Infinity, Infinity, Infinity];
    const hi = [-Infinity, -Infinity, -Infinity];
    if (!graph)
      for (const i of core)
        for (let c = 0; c < 3; c++) {
          const v = coords[3 * i + c];
          if (v < lo[c]) lo[c] = v;
          if (v > hi[c]) hi[c] = v;
        }
    mark.fill(0);
    for (const i of core) mark[i] = 1;
    if (graph) {
      // breadth-first along the neighbour lists, `hops` steps out from the core
      const { index, count, maxNeighbors: K } = graph.list;
      let front: Int32Array = core;
      for (let h = 0; h < graph.hops && front.length; h++) {
        const next: number[] = [];
        for (const i of front)
          for (let c = 0, o = i * K; c < count[i]; c++) {
            const j = index[o + c];
            if (!mark[j]) {
              mark[j] = 1;
              next.push(j);
            }
          }
        front = Int32Array.from(next);
      }
    } else {
      const h2 = halo * halo;
      for (let i = 0; i < n; i++) {
        if (mark[i]) continue;
        // distance from the point to the core's bounding box
        let d2 = 0;
        for (let c = 0; c < 3; c++) {
          const v = coords[3 * i + c];
          const e = v < lo[c] ? lo[c] - v : v > hi[c] ? v - hi[c] : 0;
          d2 += e * e;
        }
        if (d2 <= h2) mark[i] = 1;
      }
    }
    const reach = opts.sequenceReach ?? 0;
    if (reach > 0 && opts.residueOf && opts.residueBeads && opts.chainOf) {
      // From every bead already in the chunk (core and spatial halo), so that the residues between any two
      // chunk beads less than `sequenceReach` apart are present and compacted residue indices keep those gaps.
      const rs = new Set<number>();
      for (let i = 0; i < n; i++) if (mark[i]) rs.add(opts.residueOf[i]);
      const nres = opts.residueBeads.length;
      for (const r of rs) {
        const chain = opts.chainOf[opts.residueBeads[r][0]];
        for (let k = Math.max(0, r - reach); k <= Math.min(nres - 1, r + reach); k++) {
          const beads = opts.residueBeads[k];
          if (!beads.length || opts.chainOf[beads[0]] !== chain) continue;
          for (const b of beads) mark[b] = 1;
        }
      }
    }
    let count = 0;
    for (let i = 0; i < n; i++) count += mark[i];
    const beads = new Int32Array(count);
    for (let i = 0, k = 0; i < n; i++) if (mark[i]) beads[k++] = i;
    return { core, beads };
  };
  const chunks: Chunk[] = [];
  const minCore = Math.max(1, Math.floor((opts.maxBeads ?? 0) / 8));
  // Depth-first, so the chunks come out in the cores' spatial order.
  const stack = cores.reverse();
  while (stack.length) {
    const core = stack.pop()!;
    const chunk = chunkOf(core);
    if (opts.maxBeads && chunk.beads.length > opts.maxBeads && core.length > minCore) {
      stack.push(...planCores(coords, Math.ceil(core.length / 2), core).reverse());
      continue;
    }
    chunks.push(chunk);
  }
  return chunks;
}

/**
 * The sub-system of `beads` (ascending global indices). Residues are restricted to those with a bead in the
 * chunk and re-indexed in order; their `beads` lists hold the chunk-local indices of their beads. Residue
 * index differences (the model's res_offset feature, clamped to ±3) stay exact when the chunk was planned with
 * `sequenceReach` ≥ 3: every residue within 3 of a chunk residue is then in the chunk, so the residues between
 * two chunk beads less than 4 apart are all present and the clamped difference is unchanged.
 */
export function subSystem(system: CgSystem, beads: Int32Array): { system: CgSystem; residueMap: Int32Array } {
  const local = new Map<number, number>();
  beads.forEach((g, k) => local.set(g, k));
  const residueMap = new Int32Array(system.residues.length).fill(-1);
  const residues: CgSystem['residues'] = [];
  const sub: CgSystem['beads'] = [];
  const coords = new Float64Array(beads.length * 3);
  for (let k = 0; k < beads.length; k++) {
    const g = beads[k];
    const b = system.beads[g];
    let r = residueMap[b.residue];
    if (r < 0) {
      const orig = system.residues[b.residue];
      r = residues.length;
      residueMap[b.residue] = r;
      residues.push({ ...orig, beads: [] });
    }
    residues[r].beads.push(k);
    sub.push({ ...b, residue: r });
    coords[3 * k] = system.coords[3 * g];
    coords[3 * k + 1] = system.coords[3 * g + 1];
    coords[3 * k + 2] = system.coords[3 * g + 2];
  }
  return { system: { ...system, beads: sub, residues, coords }, residueMap };
}

export interface InferHooks {
  /** fraction in [0, 1] of the inference stage. */
  progress?(stage: string, fraction: number, detail?: string): void;
  signal?: AbortSignal;
  /** Spatial halo in Å instead of the backmapper's reach (tests show that a short one changes the output). */
  halo?: number;
  /** Steps along the neighbour lists instead of the model's layers (a graph-reach backmapper; tests). */
  hops?: number;
}

// Lets cancellation and progress messages through between chunks.
const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/**
 * Vectors (and torsions) for the whole system, in chunks of at most `chunkSize` beads (halo included) when it is
 * larger; `chunkSize` 0 runs the whole system at once. Timings of the backmapper's stages are added to `timings`.
 */
export async function inferVectors(
  bm: Backmapper,
  system: CgSystem,
  chunkSize: number,
  hooks: InferHooks = {},
  timings: Record<string, number> = {},
): Promise<{ vectors: Float32Array; torsions: Float32Array | null; centres?: Float64Array; chunks: number }> {
  const R = system.set.maxSlots;
  const n = system.beads.length;
  if (!chunkSize || n <= chunkSize) {
    hooks.progress?.('inference', 0);
    const r = await bm.predict(system, timings);
    hooks.progress?.('inference', 1);
    return { vectors: r.vectors, torsions: r.torsions, centres: r.centres, chunks: 1 };
  }
  const residueOf = new Int32Array(n);
  const chainOf = new Int32Array(n);
  system.beads.forEach((b, i) => {
    residueOf[i] = b.residue;
    chainOf[i] = system.residues[b.residue].chainIndex;
  });
  const residueBeads = system.residues.map((r) => Int32Array.from(r.beads));
  // A model reading its neighbour lists: halos by steps along the lists of the whole system (unless a spatial halo
  // is asked for).
  const g = hooks.halo === undefined ? bm.reach.graph : undefined;
  const t = performance.now();
  const graph = g ? { list: cellListNeighbors(system.coords, g.cutoff, g.maxNeighbors, system.set.folder || system.set.id), hops: hooks.hops ?? g.hops } : undefined;
  if (graph) timings.graph = (timings.graph ?? 0) + performance.now() - t;
  const chunks = planChunks(system.coords, {
    coreBeads: chunkSize,
    // The model's memory follows the beads it sees at once, halo included.
    maxBeads: chunkSize,
    halo: hooks.halo ?? bm.reach.spatial,
    graph,
    residueOf,
    chainOf,
    residueBeads,
    // model: the res_offset clamp (3); template: the residues it reads on either side
    sequenceReach: bm.reach.sequence,
  });
  const vectors = new Float32Array(n * R * 3);
  let torsions: Float32Array | null = null;
  let centres: Float64Array | undefined;
  for (let c = 0; c < chunks.length; c++) {
    if (hooks.signal?.aborted) throw new CancelledError();
    const { core, beads } = chunks[c];
    const { system: sub } = subSystem(system, beads);
    const out = sub.beads.length ? await bm.predict(sub, timings) : { vectors: new Float32Array(0), torsions: null };
    if (out.torsions && !torsions) torsions = new Float32Array(n * 4);
    if ('centres' in out && out.centres && !centres) centres = Float64Array.from(system.coords);
    // chunk-local index of each core bead (both lists ascending)
    let k = 0;
    for (const g of core) {
      while (beads[k] !== g) k++;
      vectors.set(out.vectors.subarray(k * R * 3, (k + 1) * R * 3), g * R * 3);
      if (out.torsions && torsions) torsions.set(out.torsions.subarray(k * 4, k * 4 + 4), g * 4);
      if ('centres' in out && out.centres && centres) centres.set(out.centres.subarray(k * 3, k * 3 + 3), g * 3);
    }
    hooks.progress?.('inference', (c + 1) / chunks.length);
    await yieldToLoop();
  }
  return { vectors, torsions, centres, chunks: chunks.length };
}
