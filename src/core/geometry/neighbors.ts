import { InputError } from '../errors';

export interface NeighborList {
  /** n*K neighbour indices per point, nearest first (ties by lower index), padded with -1. */
  index: Int32Array;
  /** Number of real neighbours stored per point (≤ K). */
  count: Int32Array;
  /** K, the row stride of `index`. */
  maxNeighbors: number;
}

/**
 * All neighbours within `cutoff` (inclusive, Å) of every point, at most `maxNeighbors` kept per
 * point (the nearest; the point itself excluded). Cell-list search: O(n) time for bounded density,
 * memory O(n + n*K) in typed arrays, so 1M points fit easily. Deterministic: ordered by distance,
 * then by index. Non-finite coordinates throw `InputError` naming `source` and the atom.
 */
export function cellListNeighbors(
  coords: Float64Array | Float32Array,
  cutoff: number,
  maxNeighbors: number,
  source = 'coordinates',
): NeighborList {
  if (coords.length % 3 !== 0) throw new RangeError(`cellListNeighbors: coordinate array length ${coords.length} is not a multiple of 3`);
  if (!(cutoff > 0) || !Number.isFinite(cutoff)) throw new RangeError(`cellListNeighbors: cutoff must be a positive number, got ${cutoff}`);
  if (!Number.isInteger(maxNeighbors) || maxNeighbors < 0) throw new RangeError(`cellListNeighbors: maxNeighbors must be a non-negative integer, got ${maxNeighbors}`);
  const n = coords.length / 3;
  const K = maxNeighbors;
  const index = new Int32Array(n * K).fill(-1);
  const count = new Int32Array(n);
  if (n === 0 || K === 0) return { index, count, maxNeighbors: K };

  let minX = Infinity, minY = Infinity, minZ = Infinity, maxX = -Infinity, maxY = -Infinity, maxZ = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = coords[3 * i], y = coords[3 * i + 1], z = coords[3 * i + 2];
    if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z))
      throw new InputError(`atom/bead ${i + 1} has a non-finite coordinate (${x}, ${y}, ${z})`, source);
    if (x < minX) minX = x; if (x > maxX) maxX = x;
    if (y < minY) minY = y; if (y > maxY) maxY = y;
    if (z < minZ) minZ = z; if (z > maxZ) maxZ = z;
  }
  // Cells at least `cutoff` wide so the 27 surrounding cells hold every neighbour; widened when a
  // sparse system would otherwise need far more cells than points (memory stays O(n)).
  let cell = cutoff;
  let nx: number, ny: number, nz: number;
  const maxCells = 2 * n + 64;
  for (;;) {
    nx = Math.floor((maxX - minX) / cell) + 1;
    ny = Math.floor((maxY - minY) / cell) + 1;
    nz = Math.floor((maxZ - minZ) / cell) + 1;
    if (nx * ny * nz <= maxCells) break;
    cell *= Math.max(1.05, Math.cbrt((nx * ny * nz) / maxCells));
  }
  const ncells = nx * ny * nz;
  const inv = 1 / cell;
  const cellOf = new Int32Array(n);
  const start = new Int32Array(ncells + 1);
  for (let i = 0; i < n; i++) {
    const cx = Math.min(nx - 1, Math.floor((coords[3 * i] - minX) * inv));
    const cy = Math.min(ny - 1, Math.floor((coords[3 * i + 1] - minY) * inv));
    const cz = Math.min(nz - 1, Math.floor((coords[3 * i + 2] - minZ) * inv));
    const c = (cz * ny + cy) * nx + cx;
    cellOf[i] = c;
    start[c + 1]++;
  }
  for (let c = 0; c < ncells; c++) start[c + 1] += start[c];
  // Counting sort by cell (stable, so within a cell points keep index order); sorted copy of coords
  // keeps the inner loop on contiguous memory.
  const order = new Int32Array(n);
  const fill = start.slice(0, ncells);
  for (let i = 0; i < n; i++) order[fill[cellOf[i]]++] = i;
  const sx = new Float64Array(n), sy = new Float64Array(n), sz = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    const i = order[s];
    sx[s] = coords[3 * i]; sy[s] = coords[3 * i + 1]; sz[s] = coords[3 * i + 2];
  }

  const c2 = cutoff * cutoff;
  const bestD = new Float64Array(K);
  const bestI = new Int32Array(K);
  for (let s = 0; s < n; s++) {
    const i = order[s];
    const x = sx[s], y = sy[s], z = sz[s];
    const c = cellOf[i];
    const cx = c % nx, cy = Math.floor(c / nx) % ny, cz = Math.floor(c / (nx * ny));
    const x0 = Math.max(0, cx - 1), x1 = Math.min(nx - 1, cx + 1);
    let m = 0;
    for (let zz = Math.max(0, cz - 1); zz <= Math.min(nz - 1, cz + 1); zz++)
      for (let yy = Math.max(0, cy - 1); yy <= Math.min(ny - 1, cy + 1); yy++) {
        // cells x0..x1 of one row are adjacent in the sorted order: one contiguous span
        const row = (zz * ny + yy) * nx;
        const a = start[row + x0], b = start[row + x1 + 1];
        for (let t = a; t < b; t++) {
          if (t === s) continue;
          const dx = sx[t] - x, dy = sy[t] - y, dz = sz[t] - z;
          const d2 = dx * dx + dy * dy + dz * dz;
          if (d2 > c2) continue;
          const j = order[t];
          if (m === K && (d2 > bestD[K - 1] || (d2 === bestD[K - 1] && j > bestI[K - 1]))) continue;
          // insertion into the sorted top-K list
          let p = m < K ? m++ : K - 1;
          while (p > 0 && (bestD[p - 1] > d2 || (bestD[p - 1] === d2 && bestI[p - 1] > j))) {
            bestD[p] = bestD[p - 1];
            bestI[p] = bestI[p - 1];
            p--;
          }
          bestD[p] = d2;
          bestI[p] = j;
        }
      }
    count[i] = m;
    const o = i * K;
    for (let k = 0; k < m; k++) index[o + k] = bestI[k];
  }
  return { index, count, maxNeighbors: K };
}

/** Brute-force O(n²) reference with the same contract (for tests and tiny inputs). */
export function bruteForceNeighbors(coords: ArrayLike<number>, cutoff: number, maxNeighbors: number): NeighborList {
  const n = coords.length / 3, K = maxNeighbors;
  const index = new Int32Array(n * K).fill(-1);
  const count = new Int32Array(n);
  const c2 = cutoff * cutoff;
  for (let i = 0; i < n; i++) {
    const cand: [number, number][] = [];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const dx = coords[3 * j] - coords[3 * i], dy = coords[3 * j + 1] - coords[3 * i + 1], dz = coords[3 * j + 2] - coords[3 * i + 2];
      const d2 = dx * dx + dy * dy + dz * dz;
      if (d2 <= c2) cand.push([d2, j]);
    }
    cand.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const m = Math.min(K, cand.length);
    count[i] = m;
    for (let k = 0; k < m; k++) index[i * K + k] = cand[k][1];
  }
  return { index, count, maxNeighbors: K };
}
