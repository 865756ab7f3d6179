import type { Vec3 } from '../geometry/vec';

const RAD = Math.PI / 180;

/**
 * Natural Extension Reference Frame: the position of atom d bonded to c with |cd| = bond,
 * angle b-c-d = angle (degrees) and dihedral a-b-c-d = torsion (degrees, IUPAC sign).
 */
export function placeAtom(a: ArrayLike<number>, b: ArrayLike<number>, c: ArrayLike<number>, bond: number, angle: number, torsion: number): Vec3 {
  const t = angle * RAD, p = torsion * RAD;
  // bc unit vector
  let bx = c[0] - b[0], by = c[1] - b[1], bz = c[2] - b[2];
  const bn = Math.hypot(bx, by, bz);
  bx /= bn; by /= bn; bz /= bn;
  const abx = b[0] - a[0], aby = b[1] - a[1], abz = b[2] - a[2];
  // n = ab × bc (normal of the a-b-c plane)
  let nx = aby * bz - abz * by, ny = abz * bx - abx * bz, nz = abx * by - aby * bx;
  let nn = Math.hypot(nx, ny, nz);
  if (nn < 1e-12) {
    // a, b, c colinear: any perpendicular defines the torsion origin
    const alt = Math.abs(bx) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    nx = alt[1] * bz - alt[2] * by; ny = alt[2] * bx - alt[0] * bz; nz = alt[0] * by - alt[1] * bx;
    nn = Math.hypot(nx, ny, nz);
  }
  nx /= nn; ny /= nn; nz /= nn;
  // m = n × bc
  const mx = ny * bz - nz * by, my = nz * bx - nx * bz, mz = nx * by - ny * bx;
  const d0 = -bond * Math.cos(t), d1 = bond * Math.sin(t) * Math.cos(p), d2 = bond * Math.sin(t) * Math.sin(p);
  return [c[0] + bx * d0 + mx * d1 + nx * d2, c[1] + by * d0 + my * d1 + ny * d2, c[2] + bz * d0 + mz * d1 + nz * d2];
}

/**
 * Position of CB from N, CA, C with the two ideal angles N-CA-CB and C-CA-CB, on the side that gives
 * L-chirality (dihedral C-N-CA-CB ≈ -122°).
 */
export function placeCb(n: ArrayLike<number>, ca: ArrayLike<number>, c: ArrayLike<number>, bond: number, nCaCb: number, cCaCb: number): Vec3 {
  const u = unit([n[0] - ca[0], n[1] - ca[1], n[2] - ca[2]]);
  const v = unit([c[0] - ca[0], c[1] - ca[1], c[2] - ca[2]]);
  const w = unit([u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]]);
  // d = α u + β v + γ w with d·u = cos A, d·v = cos B, |d| = 1
  const cu = Math.cos(nCaCb * RAD), cv = Math.cos(cCaCb * RAD), uv = u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
  const det = 1 - uv * uv;
  const alpha = (cu - uv * cv) / det, beta = (cv - uv * cu) / det;
  const rest = 1 - (alpha * alpha + beta * beta + 2 * alpha * beta * uv);
  // w = u×v (CA→N × CA→C) points to the L side (checked: C-N-CA-CB ≈ -122°).
  const gamma = Math.sqrt(Math.max(0, rest));
  return [
    ca[0] + bond * (alpha * u[0] + beta * v[0] + gamma * w[0]),
    ca[1] + bond * (alpha * u[1] + beta * v[1] + gamma * w[1]),
    ca[2] + bond * (alpha * u[2] + beta * v[2] + gamma * w[2]),
  ];
}

function unit(a: number[]): number[] {
  const n = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / n, a[1] / n, a[2] / n];
}
