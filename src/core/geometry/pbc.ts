/**
 * Periodic boxes: which boxes count as periodic, and whether a molecule is already in one piece (so that making
 * molecules whole never folds a molecule that is larger than half its box).
 */
import type { Box } from '../structure/types';

/**
 * Box lengths when the box is rectangular (angles 90°) and not a placeholder, else null. A box under 10 Å on any
 * side (a vacuum run's GRO box, a CRYST1 of 1 Å) cannot hold a periodic simulation: no force field's cut-off fits.
 */
export function rectangularBoxLengths(box: Box | null | undefined): [number, number, number] | null {
  if (!box) return null;
  const right = (x: number) => Math.abs(x - 90) < 1e-3;
  if (!(box.a >= 10 && box.b >= 10 && box.c >= 10) || !right(box.alpha) || !right(box.beta) || !right(box.gamma)) return null;
  return [box.a, box.b, box.c];
}

/**
 * True when the points `idx` (indices into xyz `coords`) are one cluster by single linkage at `reach` Å: every
 * point is reachable from the first through hops of at most `reach`. O(n²) in the points; meant for one residue.
 */
export function connectedWithin(coords: ArrayLike<number>, idx: ArrayLike<number>, reach: number): boolean {
  const n = idx.length;
  if (n <= 1) return true;
  const r2 = reach * reach;
  const seen = new Uint8Array(n);
  const stack = [0];
  seen[0] = 1;
  let reached = 1;
  while (stack.length) {
    const i = idx[stack.pop()!];
    for (let k = 0; k < n; k++) {
      if (seen[k]) continue;
      const j = idx[k];
      const dx = coords[3 * i] - coords[3 * j], dy = coords[3 * i + 1] - coords[3 * j + 1], dz = coords[3 * i + 2] - coords[3 * j + 2];
      if (dx * dx + dy * dy + dz * dz <= r2) {
        seen[k] = 1;
        reached++;
        stack.push(k);
      }
    }
  }
  return reached === n;
}

/**
 * Makes the points `idx` one piece in a rectangular box of lengths `L`, in place: from the first point, every point
 * within `reach` Å (minimum-image distance) of a placed point moves to that image of itself, as GROMACS follows
 * bonds; so a molecule larger than half its box is joined correctly. Points never reached (a missing atom cut the
 * molecule) go to the image nearest the first point. `reach` must be below half the shortest side. Returns how
 * many coordinates moved.
 */
export function joinByImages(coords: Float64Array, idx: ArrayLike<number>, L: readonly [number, number, number], reach: number): number {
  const n = idx.length;
  if (n <= 1) return 0;
  const r2 = reach * reach;
  const placed = new Uint8Array(n);
  const d = [0, 0, 0];
  let moved = 0;
  const moveNear = (j: number, i: number) => {
    for (let k = 0; k < 3; k++) {
      const s = Math.round((coords[3 * j + k] - coords[3 * i + k]) / L[k]) * L[k];
      if (s !== 0) {
        coords[3 * j + k] -= s;
        moved++;
      }
    }
  };
  const stack = [0];
  placed[0] = 1;
  while (stack.length) {
    const i = idx[stack.pop()!];
    for (let k = 0; k < n; k++) {
      if (placed[k]) continue;
      const j = idx[k];
      for (let a = 0; a < 3; a++) {
        const x = coords[3 * j + a] - coords[3 * i + a];
        d[a] = x - Math.round(x / L[a]) * L[a];
      }
      if (d[0] * d[0] + d[1] * d[1] + d[2] * d[2] <= r2) {
        moveNear(j, i);
        placed[k] = 1;
        stack.push(k);
      }
    }
  }
  for (let k = 1; k < n; k++) if (!placed[k]) moveNear(idx[k], idx[0]);
  return moved;
}

/**
 * True when the points `idx` extend over more than half the box on some axis: the only way a molecule can be broken
 * across the box (a broken piece sits almost a box length from the rest), so a cheap test before `connectedWithin`.
 */
export function spansHalfBox(coords: ArrayLike<number>, idx: ArrayLike<number>, L: readonly [number, number, number]): boolean {
  for (let k = 0; k < 3; k++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let m = 0; m < idx.length; m++) {
      const x = coords[3 * idx[m] + k];
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    if (hi - lo > L[k] / 2) return true;
  }
  return false;
}
