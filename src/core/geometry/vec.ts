/**
 * Small 3-vector helpers on plain tuples and on flat xyz typed arrays (atom i at [3i, 3i+2]).
 * Kept allocation-light: hot loops should use the `*At` forms that index into flat arrays.
 */
export type Vec3 = [number, number, number];
export type Vec3Like = ArrayLike<number>;
export type Coords = Float64Array | Float32Array;

export const vec3 = (x = 0, y = 0, z = 0): Vec3 => [x, y, z];
export const getAt = (c: ArrayLike<number>, i: number): Vec3 => [c[3 * i], c[3 * i + 1], c[3 * i + 2]];
export function setAt(c: { [k: number]: number }, i: number, v: Vec3Like): void {
  c[3 * i] = v[0];
  c[3 * i + 1] = v[1];
  c[3 * i + 2] = v[2];
}
export const add = (a: Vec3Like, b: Vec3Like): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
export const sub = (a: Vec3Like, b: Vec3Like): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const scale = (a: Vec3Like, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
export const dot = (a: Vec3Like, b: Vec3Like): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const cross = (a: Vec3Like, b: Vec3Like): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
export const norm = (a: Vec3Like): number => Math.sqrt(dot(a, a));
export function normalize(a: Vec3Like): Vec3 {
  const n = norm(a);
  return n > 0 ? [a[0] / n, a[1] / n, a[2] / n] : [0, 0, 0];
}
export const dist2 = (a: Vec3Like, b: Vec3Like): number => {
  const x = a[0] - b[0], y = a[1] - b[1], z = a[2] - b[2];
  return x * x + y * y + z * z;
};
/** Squared distance between atoms i and j of flat coordinate arrays (may be different arrays). */
export function dist2At(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number): number {
  const x = a[3 * i] - b[3 * j], y = a[3 * i + 1] - b[3 * j + 1], z = a[3 * i + 2] - b[3 * j + 2];
  return x * x + y * y + z * z;
}
/** 3x3 row-major matrix times vector. */
export const matVec = (R: ArrayLike<number>, v: Vec3Like): Vec3 => [
  R[0] * v[0] + R[1] * v[1] + R[2] * v[2],
  R[3] * v[0] + R[4] * v[1] + R[5] * v[2],
  R[6] * v[0] + R[7] * v[1] + R[8] * v[2],
];
/** Weighted centroid of flat coordinates (all weights 1 when `w` is omitted). */
export function centroid(c: ArrayLike<number>, w?: ArrayLike<number>): Vec3 {
  const n = c.length / 3;
  let sx = 0, sy = 0, sz = 0, sw = 0;
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i] : 1;
    sx += wi * c[3 * i];
    sy += wi * c[3 * i + 1];
    sz += wi * c[3 * i + 2];
    sw += wi;
  }
  return sw > 0 ? [sx / sw, sy / sw, sz / sw] : [0, 0, 0];
}
/** Rotation matrix (row-major) of angle `deg` about unit-normalised `axis` (right-hand rule). */
export function rotationAbout(axis: Vec3Like, deg: number): number[] {
  const [x, y, z] = normalize(axis);
  const t = (deg * Math.PI) / 180, c = Math.cos(t), s = Math.sin(t), C = 1 - c;
  return [
    c + x * x * C, x * y * C - z * s, x * z * C + y * s,
    y * x * C + z * s, c + y * y * C, y * z * C - x * s,
    z * x * C - y * s, z * y * C + x * s, c + z * z * C,
  ];
}
/** True when every coordinate is finite. */
export function allFinite(c: ArrayLike<number>): boolean {
  for (let i = 0; i < c.length; i++) if (!Number.isFinite(c[i])) return false;
  return true;
}
