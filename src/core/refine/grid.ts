/**
 * Spatial hash grid over a subset of atoms: cells of the cutoff's size hashed into ~2n buckets (counting sort,
 * typed arrays), so memory is O(n) and cells stay small however sparse or elongated the system is.
 */
export class Grid {
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
