/**
 * Water and ions of whole systems (the chemistry table's `solvent.ts` names them):
 *  - forward: all-atom waters grouped by proximity into Martini 3 W beads (4 waters; the last ones into SW/TW so
 *    that the count is kept), ions one bead each;
 *  - backward: each water bead gives its waters back as TIP3 oxygens on a tetrahedron around the bead (O–O
 *    2.8 Å), turned and pushed out until no oxygen is within `SOLUTE_MIN` of a solute heavy atom or `WATER_MIN` of
 *    another water (a cell list; deterministic), each oxygen inside a rectangular box (its hydrogens, added later
 *    by src/core/hydrogens.ts, are built on it, so a water is never split), and each ion its CHARMM-named atom on
 *    the bead.
 */
import { CG_WATERS, WATER_OUTPUT, type CgWater } from '../chemistry/solvent';
import type { Box } from '../structure/types';
import { rectangularBoxLengths } from './pbc';

/** Closest a placed water oxygen may be to a solute heavy atom (Å). */
export const SOLUTE_MIN = 2.2;
/** Closest two placed water oxygens may be (Å; liquid water's first O–O peak is at 2.8 Å). */
export const WATER_MIN = 2.5;

// ------------------------------------------------------------------------------------------ forward: grouping

/**
 * Groups waters (oxygen positions, 3·n) into Martini particles: nearest unassigned neighbours in input order, four
 * at a time, within the minimum image of a rectangular box; what is left at the end goes into SW (3) and TW (2)
 * particles (a lone water joins the last W as SW + TW), so every water is in exactly one particle. A single water
 * in the whole system cannot be a Martini particle: it is returned in `left`.
 */
export function groupWaters(oxygens: Float64Array, box: Box | null): { groups: number[][]; left: number[] } {
  const n = oxygens.length / 3;
  const L = rectangularBoxLengths(box);
  const cell = 5;
  const dims = L ? L.map((l) => Math.max(1, Math.floor(l / cell))) : null;
  const key = (x: number, y: number, z: number) => `${x},${y},${z}`;
  const cells = new Map<string, number[]>();
  let lo = [Infinity, Infinity, Infinity];
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) lo[k] = Math.min(lo[k], oxygens[3 * i + k]);
  if (L) lo = [0, 0, 0];
  const cellOf = (i: number): [number, number, number] => {
    const c: number[] = [];
    for (let k = 0; k < 3; k++) {
      let v = Math.floor((oxygens[3 * i + k] - lo[k]) / (L ? L[k] / dims![k] : cell));
      if (dims) v = ((v % dims[k]) + dims[k]) % dims[k];
      c.push(v);
    }
    return c as [number, number, number];
  };
  const cellIdx: [number, number, number][] = [];
  for (let i = 0; i < n; i++) {
    const c = cellOf(i);
    cellIdx.push(c);
    const k = key(...c);
    const l = cells.get(k);
    if (l) l.push(i);
    else cells.set(k, [i]);
  }
  const d2 = (i: number, j: number) => {
    let s = 0;
    for (let k = 0; k < 3; k++) {
      let d = oxygens[3 * j + k] - oxygens[3 * i + k];
      if (L) d -= Math.round(d / L[k]) * L[k];
      s += d * d;
    }
    return s;
  };
  const taken = new Uint8Array(n);
  const groups: number[][] = [];
  const leftover: number[] = [];
  for (let i = 0; i < n; i++) {
    if (taken[i]) continue;
    taken[i] = 1;
    const near: [number, number][] = [];
    const [cx, cy, cz] = cellIdx[i];
    const seen = new Set<string>();
    for (let dx = -1; dx <= 1; dx++)
      for (let dy = -1; dy <= 1; dy++)
        for (let dz = -1; dz <= 1; dz++) {
          let c = [cx + dx, cy + dy, cz + dz];
          if (dims) c = c.map((v, k) => ((v % dims[k]) + dims[k]) % dims[k]);
          const k = key(c[0], c[1], c[2]);
          if (seen.has(k)) continue;
          seen.add(k);
          for (const j of cells.get(k) ?? []) if (!taken[j]) near.push([d2(i, j), j]);
        }
    near.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    if (near.length < 3) {
      leftover.push(i);
      continue;
    }
    const g = [i, near[0][1], near[1][1], near[2][1]];
    for (const j of g) taken[j] = 1;
    groups.push(g);
  }
  // Leftovers (few: isolated waters): nearest among themselves, four at a time.
  const rest = leftover.slice();
  while (rest.length >= 4) {
    const i = rest.shift()!;
    rest.sort((a, b) => d2(i, a) - d2(i, b) || a - b);
    groups.push([i, ...rest.splice(0, 3)]);
  }
  // 1-3 left: SW (3), TW (2); a lone one makes the last W an SW + TW.
  const left: number[] = [];
  if (rest.length === 3 || rest.length === 2) groups.push(rest);
  else if (rest.length === 1) {
    let last = groups.length - 1;
    while (last >= 0 && groups[last].length !== 4) last--;
    if (last >= 0) {
      const g = groups[last];
      groups.splice(last, 1, g.slice(0, 3), [g[3], rest[0]]);
    } else left.push(rest[0]);
  }
  return { groups, left };
}

/** The Martini particle for a group of `n` waters. */
export function cgWaterFor(n: number): CgWater {
  const w = CG_WATERS.find((x) => x.waters === n);
  if (!w) throw new Error(`no Martini water particle stands for ${n} waters`);
  return w;
}

// ------------------------------------------------------------------------------------------ backward: placement

/** Unit vectors of the regular tetrahedron, a triangle and a pair (waters of W, SW, TW around the bead). */
const SHAPES: Record<number, number[][]> = {
  1: [[1, 0, 0]],
  2: [[1, 0, 0], [-1, 0, 0]],
  3: [[1, 0, 0], [-0.5, Math.sqrt(3) / 2, 0], [-0.5, -Math.sqrt(3) / 2, 0]],
  4: [[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]].map((v) => v.map((x) => x / Math.sqrt(3))),
};
/** Centre-to-oxygen distance so that neighbouring oxygens of one bead are 2.8 Å apart. */
const SHAPE_RADIUS: Record<number, number> = { 1: 0, 2: 1.4, 3: 2.8 / Math.sqrt(3), 4: 2.8 * Math.sqrt(3 / 8) };

/** A fixed set of rotations (quasi-uniform axes × angles), the same on every run. */
const ROTATIONS: number[][] = (() => {
  const out: number[][] = [[1, 0, 0, 0, 1, 0, 0, 0, 1]];
  const golden = Math.PI * (3 - Math.sqrt(5));
  for (let k = 0; k < 23; k++) {
    const z = 1 - (2 * (k + 0.5)) / 23;
    const r = Math.sqrt(1 - z * z);
    const ax = [Math.cos(golden * k) * r, Math.sin(golden * k) * r, z];
    const t = 0.5 + (2.3 * k) % Math.PI;
    const c = Math.cos(t);
    const s = Math.sin(t);
    const [x, y, w] = ax;
    out.push([
      c + x * x * (1 - c), x * y * (1 - c) - w * s, x * w * (1 - c) + y * s,
      y * x * (1 - c) + w * s, c + y * y * (1 - c), y * w * (1 - c) - x * s,
      w * x * (1 - c) - y * s, w * y * (1 - c) + x * s, c + w * w * (1 - c),
    ]);
  }
  return out;
})();

/**
 * A flat grid of points for "anything within r of p?" queries (r ≤ `size`): cells of at least `size` over the
 * bounds given (points and queries outside them are clamped into the border cells, which stays correct: a cell
 * only gathers candidates, every candidate's distance is checked), heads and links in typed arrays. With a
 * rectangular box, points near a face are also stored at their periodic image across it, so queries see
 * neighbours through the boundary.
 */
class PointGrid {
  private readonly cell: number;
  private readonly lo: [number, number, number];
  private readonly dims: [number, number, number];
  private readonly head: Int32Array;
  private next = new Int32Array(1024);
  private pts = new Float64Array(3 * 1024);
  private n = 0;
  constructor(
    private readonly size: number,
    lo: [number, number, number],
    hi: [number, number, number],
    private readonly box: [number, number, number] | null = null,
  ) {
    // At most ~8M cells (32 MB of heads): a huge system gets larger cells, which only adds candidates per query.
    const span = [0, 1, 2].map((k) => Math.max(hi[k] - lo[k], size) + 2 * size);
    this.cell = Math.max(size, Math.cbrt((span[0] * span[1] * span[2]) / 8e6));
    this.lo = [lo[0] - size, lo[1] - size, lo[2] - size];
    this.dims = span.map((x) => Math.max(1, Math.ceil(x / this.cell))) as [number, number, number];
    this.head = new Int32Array(this.dims[0] * this.dims[1] * this.dims[2]).fill(-1);
  }
  add(x: number, y: number, z: number): void {
    this.addOne(x, y, z);
    const L = this.box;
    if (!L) return;
    const m = this.size;
    const sh = (v: number, l: number) => (v < m ? [0, l] : v > l - m ? [0, -l] : [0]);
    for (const dx of sh(x, L[0]))
      for (const dy of sh(y, L[1]))
        for (const dz of sh(z, L[2])) if (dx || dy || dz) this.addOne(x + dx, y + dy, z + dz);
  }
  private axis(v: number, k: number): number {
    const c = Math.floor((v - this.lo[k]) / this.cell);
    return c < 0 ? 0 : c >= this.dims[k] ? this.dims[k] - 1 : c;
  }
  private addOne(x: number, y: number, z: number): void {
    if (this.n === this.next.length) {
      const next = new Int32Array(2 * this.n);
      next.set(this.next);
      this.next = next;
      const pts = new Float64Array(6 * this.n);
      pts.set(this.pts);
      this.pts = pts;
    }
    const i = this.n++;
    this.pts[3 * i] = x;
    this.pts[3 * i + 1] = y;
    this.pts[3 * i + 2] = z;
    const c = (this.axis(x, 0) * this.dims[1] + this.axis(y, 1)) * this.dims[2] + this.axis(z, 2);
    this.next[i] = this.head[c];
    this.head[c] = i;
  }
  /** Smallest squared distance from (x, y, z) to a point of the grid, stopping early below `stop` (Infinity beyond `size`). */
  private scan(x: number, y: number, z: number, stop: number): number {
    const [nx, ny, nz] = this.dims;
    const cx = this.axis(x, 0);
    const cy = this.axis(y, 1);
    const cz = this.axis(z, 2);
    const pts = this.pts;
    let best = Infinity;
    for (let ix = Math.max(0, cx - 1); ix <= Math.min(nx - 1, cx + 1); ix++)
      for (let iy = Math.max(0, cy - 1); iy <= Math.min(ny - 1, cy + 1); iy++) {
        const row = (ix * ny + iy) * nz;
        for (let iz = Math.max(0, cz - 1); iz <= Math.min(nz - 1, cz + 1); iz++)
          for (let i = this.head[row + iz]; i >= 0; i = this.next[i]) {
            const ex = pts[3 * i] - x;
            const ey = pts[3 * i + 1] - y;
            const ez = pts[3 * i + 2] - z;
            const d = ex * ex + ey * ey + ez * ez;
            if (d < best) {
              best = d;
              if (d < stop) return d;
            }
          }
      }
    return best;
  }
  /** True when a point of the grid is closer than √r2 (r2 ≤ size²) to (x, y, z). */
  anyWithin(x: number, y: number, z: number, r2: number): boolean {
    return this.scan(x, y, z, r2) < r2;
  }
  /** Smallest squared distance from (x, y, z) to a point in the neighbouring cells (exact up to `size`², Infinity when none). */
  nearest2(x: number, y: number, z: number): number {
    return this.scan(x, y, z, -1);
  }
}

/** Bounds of a set of points (3·n), grown by `margin`. */
function boundsOf(sets: Float64Array[], margin: number): { lo: [number, number, number]; hi: [number, number, number] } {
  const lo: [number, number, number] = [Infinity, Infinity, Infinity];
  const hi: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (const p of sets)
    for (let i = 0; i < p.length; i += 3)
      for (let k = 0; k < 3; k++) {
        if (p[i + k] < lo[k]) lo[k] = p[i + k];
        if (p[i + k] > hi[k]) hi[k] = p[i + k];
      }
  for (let k = 0; k < 3; k++) {
    if (!Number.isFinite(lo[k])) [lo[k], hi[k]] = [0, 0];
    lo[k] -= margin;
    hi[k] += margin;
  }
  return { lo, hi };
}

/** `v` moved by whole box lengths into [0, L). */
function wrapCoordinate(v: number, L: number): number {
  const w = v - Math.floor(v / L) * L;
  return w >= L ? w - L : w; // rounding can give exactly L
}

export interface WaterPlacement {
  /** Oxygen positions, 3 per water, in bead order then the bead's waters. */
  oxygens: Float64Array;
  /** Waters that could not be placed clear of every solute heavy atom and other water (placed at the best spot found). */
  crowded: number;
}

/**
 * Places the waters of Martini water beads (positions `beads`, 3·n; `counts[i]` waters each) around their beads,
 * clear of the solute heavy atoms (`solute`, 3·m) and of each other, every oxygen wrapped into `box` when given.
 * Deterministic for a given input.
 */
export function placeWaters(beads: Float64Array, counts: ArrayLike<number>, solute: Float64Array, box: [number, number, number] | null = null): WaterPlacement {
  // Candidates lie within ~7 Å of their bead; images across the box faces within a cell of the box.
  const { lo, hi } = boundsOf([beads, ...(box ? [Float64Array.of(0, 0, 0, ...box)] : [])], 10);
  const soluteGrid = new PointGrid(SOLUTE_MIN, lo, hi, box);
  for (let i = 0; i < solute.length; i += 3) soluteGrid.add(solute[i], solute[i + 1], solute[i + 2]);
  const waterGrid = new PointGrid(WATER_MIN, lo, hi, box);
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  const out = new Float64Array(3 * total);
  let o = 0;
  let crowded = 0;
  const s2 = SOLUTE_MIN * SOLUTE_MIN;
  const w2 = WATER_MIN * WATER_MIN;
  // Scales of the shape radius tried in turn: the ideal cluster first, then pushed out (a bead's waters fill ~3 Å).
  const SCALES = [1, 1.35, 1.7, 0.6, 2.1, 2.6];
  for (let b = 0; b < counts.length; b++) {
    const n = counts[b];
    const shape = SHAPES[n] ?? SHAPES[4];
    const base = SHAPE_RADIUS[n] ?? SHAPE_RADIUS[4];
    const cx = beads[3 * b];
    const cy = beads[3 * b + 1];
    const cz = beads[3 * b + 2];
    for (let j = 0; j < n; j++) {
      const u = shape[j % shape.length];
      const candidate = (scale: number, q: number): [number, number, number] => {
        const rad = n === 1 ? 2 * (scale - 1) : base * scale;
        const M = ROTATIONS[(q + b) % ROTATIONS.length];
        const p: [number, number, number] = [
          cx + (M[0] * u[0] + M[1] * u[1] + M[2] * u[2]) * rad,
          cy + (M[3] * u[0] + M[4] * u[1] + M[5] * u[2]) * rad,
          cz + (M[6] * u[0] + M[7] * u[1] + M[8] * u[2]) * rad,
        ];
        // In the box, as GROMACS writes a wrapped system (the grids see neighbours through the faces).
        if (box) for (let k = 0; k < 3; k++) p[k] = wrapCoordinate(p[k], box[k]);
        return p;
      };
      let best: [number, number, number] | null = null;
      let done = false;
      for (const scale of SCALES) {
        for (let q = 0; q < ROTATIONS.length; q++) {
          const [x, y, z] = candidate(scale, q);
          if (!waterGrid.anyWithin(x, y, z, w2) && !soluteGrid.anyWithin(x, y, z, s2)) {
            best = [x, y, z];
            done = true;
            break;
          }
        }
        if (done) break;
      }
      if (!done) {
        // No clear spot: the one with the largest clearance relative to the two limits.
        let bestScore = -Infinity;
        for (const scale of SCALES)
          for (let q = 0; q < ROTATIONS.length; q++) {
            const [x, y, z] = candidate(scale, q);
            const score = Math.min(soluteGrid.nearest2(x, y, z) / s2, waterGrid.nearest2(x, y, z) / w2);
            if (score > bestScore) {
              bestScore = score;
              best = [x, y, z];
            }
          }
      }
      if (!done) crowded++;
      const [x, y, z] = best!;
      out[o++] = x;
      out[o++] = y;
      out[o++] = z;
      waterGrid.add(x, y, z);
    }
  }
  return { oxygens: out, crowded };
}

export { WATER_OUTPUT };
