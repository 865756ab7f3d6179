import type { Box } from '../structure/types';

const DEG = 180 / Math.PI;

/**
 * Box from three box vectors (row-major v1x v1y v1z v2x … v3z, any length unit; the result keeps it).
 * Returns null for an all-zero box (GROMACS writes zeros when there is no box).
 */
export function boxFromVectors(m: ArrayLike<number>, scale = 1): Box | null {
  const a = Math.hypot(m[0], m[1], m[2]);
  const b = Math.hypot(m[3], m[4], m[5]);
  const c = Math.hypot(m[6], m[7], m[8]);
  if (!(a > 0 && b > 0 && c > 0)) return null;
  const ang = (i: number, j: number, li: number, lj: number) => {
    const cos = (m[i] * m[j] + m[i + 1] * m[j + 1] + m[i + 2] * m[j + 2]) / (li * lj);
    const d = Math.acos(Math.max(-1, Math.min(1, cos))) * DEG;
    // Files store few digits: round so that a 60° GRO box reads back as 60, not 59.999996.
    return Math.round(d * 1e4) / 1e4;
  };
  const r = (v: number) => Math.round(v * scale * 1e6) / 1e6;
  return { a: r(a), b: r(b), c: r(c), alpha: ang(3, 6, b, c), beta: ang(0, 6, a, c), gamma: ang(0, 3, a, b) };
}

/** Box vectors in GROMACS' lower-triangular convention (v1 along x, v2 in the xy plane), row-major. */
export function boxToVectors(box: Box, scale = 1): number[] {
  const { a, b, c } = box;
  const ca = Math.cos(box.alpha / DEG), cb = Math.cos(box.beta / DEG), cg = Math.cos(box.gamma / DEG);
  const sg = Math.sin(box.gamma / DEG);
  const rect = box.alpha === 90 && box.beta === 90 && box.gamma === 90;
  const v2x = rect ? 0 : b * cg, v2y = rect ? b : b * sg;
  const v3x = rect ? 0 : c * cb;
  const v3y = rect ? 0 : (c * (ca - cb * cg)) / sg;
  const v3z = rect ? c : Math.sqrt(Math.max(0, c * c - v3x * v3x - v3y * v3y));
  return [a * scale, 0, 0, v2x * scale, v2y * scale, 0, v3x * scale, v3y * scale, v3z * scale];
}

export function isRectangular(box: Box): boolean {
  return box.alpha === 90 && box.beta === 90 && box.gamma === 90;
}
