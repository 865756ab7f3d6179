import { type Vec3Like } from './vec';

const DEG = 180 / Math.PI;

export function distance(a: Vec3Like, b: Vec3Like): number {
  const x = a[0] - b[0], y = a[1] - b[1], z = a[2] - b[2];
  return Math.sqrt(x * x + y * y + z * z);
}

/** Angle a-b-c in degrees (b is the vertex); NaN when a point coincides with b. */
export function angle(a: Vec3Like, b: Vec3Like, c: Vec3Like): number {
  const ux = a[0] - b[0], uy = a[1] - b[1], uz = a[2] - b[2];
  const vx = c[0] - b[0], vy = c[1] - b[1], vz = c[2] - b[2];
  const nu = Math.hypot(ux, uy, uz), nv = Math.hypot(vx, vy, vz);
  if (nu === 0 || nv === 0) return NaN;
  // atan2 of |u×v| and u·v is accurate near 0° and 180°, unlike acos.
  const cx = uy * vz - uz * vy, cy = uz * vx - ux * vz, cz = ux * vy - uy * vx;
  return Math.atan2(Math.hypot(cx, cy, cz), ux * vx + uy * vy + uz * vz) * DEG;
}

/**
 * Dihedral a-b-c-d in degrees in (-180, 180], IUPAC sign convention (positive = clockwise looking
 * from b to c). NaN when undefined (colinear triples).
 */
export function dihedral(a: Vec3Like, b: Vec3Like, c: Vec3Like, d: Vec3Like): number {
  const b1x = b[0] - a[0], b1y = b[1] - a[1], b1z = b[2] - a[2];
  const b2x = c[0] - b[0], b2y = c[1] - b[1], b2z = c[2] - b[2];
  const b3x = d[0] - c[0], b3y = d[1] - c[1], b3z = d[2] - c[2];
  const n1x = b1y * b2z - b1z * b2y, n1y = b1z * b2x - b1x * b2z, n1z = b1x * b2y - b1y * b2x;
  const n2x = b2y * b3z - b2z * b3y, n2y = b2z * b3x - b2x * b3z, n2z = b2x * b3y - b2y * b3x;
  const b2n = Math.hypot(b2x, b2y, b2z);
  if (b2n === 0) return NaN;
  // atan2(|b2| b1·(b2×b3), (b1×b2)·(b2×b3))
  const x = n1x * n2x + n1y * n2y + n1z * n2z;
  const y = b2n * (b1x * n2x + b1y * n2y + b1z * n2z);
  if (x === 0 && y === 0) return NaN;
  const r = Math.atan2(y, x) * DEG;
  return r === -180 ? 180 : r;
}

const p = (c: ArrayLike<number>, i: number): [number, number, number] => [c[3 * i], c[3 * i + 1], c[3 * i + 2]];
/** Same as the functions above on atom indices of a flat xyz array. */
export const distanceAt = (c: ArrayLike<number>, i: number, j: number): number => distance(p(c, i), p(c, j));
export const angleAt = (c: ArrayLike<number>, i: number, j: number, k: number): number => angle(p(c, i), p(c, j), p(c, k));
export const dihedralAt = (c: ArrayLike<number>, i: number, j: number, k: number, l: number): number =>
  dihedral(p(c, i), p(c, j), p(c, k), p(c, l));

/** Smallest signed difference a-b of two angles in degrees, in [-180, 180). */
export function angleDiff(a: number, b: number): number {
  let d = (a - b) % 360;
  if (d < -180) d += 360;
  if (d >= 180) d -= 360;
  return d;
}
