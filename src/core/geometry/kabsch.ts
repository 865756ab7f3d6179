
export interface RigidTransform {
  /** 3x3 rotation, row-major; det = +1 (never a reflection). */
  R: number[];
  t: [number, number, number];
}
export interface KabschResult extends RigidTransform {
  /** Weighted RMSD between R·P + t and Q. */
  rmsd: number;
}

/**
 * Weighted least-squares superposition of P onto Q (flat xyz arrays of equal length): returns R, t
 * minimising Σ w_i |R p_i + t - q_i|². Horn's quaternion method: the optimal rotation is the
 * eigenvector of the largest eigenvalue of a symmetric 4x4 matrix, so the result is always a proper
 * rotation and degenerate inputs (one point, two points, colinear sets) still give a valid optimum.
 */
export function kabsch(P: ArrayLike<number>, Q: ArrayLike<number>, w?: ArrayLike<number>): KabschResult {
  if (P.length !== Q.length || P.length % 3 !== 0) throw new RangeError(`kabsch: P (${P.length}) and Q (${Q.length}) must be equal-length xyz arrays`);
  const n = P.length / 3;
  if (w && w.length !== n) throw new RangeError(`kabsch: ${w.length} weights for ${n} points`);
  if (n === 0) return { R: [1, 0, 0, 0, 1, 0, 0, 0, 1], t: [0, 0, 0], rmsd: 0 };
  let pcx = 0, pcy = 0, pcz = 0, qcx = 0, qcy = 0, qcz = 0, wsum = 0;
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i] : 1;
    pcx += wi * P[3 * i]; pcy += wi * P[3 * i + 1]; pcz += wi * P[3 * i + 2];
    qcx += wi * Q[3 * i]; qcy += wi * Q[3 * i + 1]; qcz += wi * Q[3 * i + 2];
    wsum += wi;
  }
  if (wsum > 0) { pcx /= wsum; pcy /= wsum; pcz /= wsum; qcx /= wsum; qcy /= wsum; qcz /= wsum; }
  const pc = [pcx, pcy, pcz], qc = [qcx, qcy, qcz];
  let Sxx = 0, Sxy = 0, Sxz = 0, Syx = 0, Syy = 0, Syz = 0, Szx = 0, Szy = 0, Szz = 0, G = 0;
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i] : 1;
    const px = P[3 * i] - pcx, py = P[3 * i + 1] - pcy, pz = P[3 * i + 2] - pcz;
    const qx = Q[3 * i] - qcx, qy = Q[3 * i + 1] - qcy, qz = Q[3 * i + 2] - qcz;
    G += wi * (px * px + py * py + pz * pz + qx * qx + qy * qy + qz * qz);
    Sxx += wi * px * qx; Sxy += wi * px * qy; Sxz += wi * px * qz;
    Syx += wi * py * qx; Syy += wi * py * qy; Syz += wi * py * qz;
    Szx += wi * pz * qx; Szy += wi * pz * qy; Szz += wi * pz * qz;
  }
  // Horn's symmetric 4x4 matrix (row-major into the scratch)
  const A = A4;
  A[0] = Sxx + Syy + Szz; A[1] = Syz - Szy; A[2] = Szx - Sxz; A[3] = Sxy - Syx;
  A[5] = Sxx - Syy - Szz; A[6] = Sxy + Syx; A[7] = Szx + Sxz;
  A[10] = -Sxx + Syy - Szz; A[11] = Syz + Szy;
  A[15] = -Sxx - Syy + Szz;
  A[4] = A[1]; A[8] = A[2]; A[12] = A[3]; A[9] = A[6]; A[13] = A[7]; A[14] = A[11];
  // Fast path (Theobald's QCP idea): Newton on the characteristic polynomial from the upper bound
  // E0 = (G_P + G_Q)/2, eigenvector from the adjugate; Jacobi when the top eigenvalue is (nearly) degenerate.
  const detS = Sxx * (Syy * Szz - Syz * Szy) - Sxy * (Syx * Szz - Syz * Szx) + Sxz * (Syx * Szy - Syy * Szx);
  const sumS2 = Sxx * Sxx + Sxy * Sxy + Sxz * Sxz + Syx * Syx + Syy * Syy + Syz * Syz + Szx * Szx + Szy * Szy + Szz * Szz;
  const q = topEigenvectorNewton(G / 2, -2 * sumS2, -8 * detS) ?? largestEigenvector4();
  const R = quaternionToMatrix(q);
  const t: [number, number, number] = [
    qc[0] - (R[0] * pc[0] + R[1] * pc[1] + R[2] * pc[2]),
    qc[1] - (R[3] * pc[0] + R[4] * pc[1] + R[5] * pc[2]),
    qc[2] - (R[6] * pc[0] + R[7] * pc[1] + R[8] * pc[2]),
  ];
  // RMSD from the transformed coordinates (exact, unlike the eigenvalue shortcut which cancels badly).
  let s = 0, sw = 0;
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i] : 1;
    const x = P[3 * i], y = P[3 * i + 1], z = P[3 * i + 2];
    const dx = R[0] * x + R[1] * y + R[2] * z + t[0] - Q[3 * i];
    const dy = R[3] * x + R[4] * y + R[5] * z + t[1] - Q[3 * i + 1];
    const dz = R[6] * x + R[7] * y + R[8] * z + t[2] - Q[3 * i + 2];
    s += wi * (dx * dx + dy * dy + dz * dz);
    sw += wi;
  }
  return { R, t, rmsd: sw > 0 ? Math.sqrt(s / sw) : 0 };
}

/** out = R·x + t for every point of a flat xyz array (in place when `out` is omitted or === coords). */
export function applyTransform<T extends Float64Array | Float32Array>(coords: T, tr: RigidTransform, out?: T): T {
  const o = out ?? coords;
  const { R, t } = tr;
  for (let i = 0; i < coords.length; i += 3) {
    const x = coords[i], y = coords[i + 1], z = coords[i + 2];
    o[i] = R[0] * x + R[1] * y + R[2] * z + t[0];
    o[i + 1] = R[3] * x + R[4] * y + R[5] * z + t[1];
    o[i + 2] = R[6] * x + R[7] * y + R[8] * z + t[2];
  }
  return o;
}

/** Rotation matrix (row-major) of a quaternion (w, x, y, z); normalised first. */
export function quaternionToMatrix(q: ArrayLike<number>): number[] {
  const n = Math.hypot(q[0], q[1], q[2], q[3]) || 1;
  const w = q[0] / n, x = q[1] / n, y = q[2] / n, z = q[3] / n;
  return [
    w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z,
  ];
}

// Scratch for the 4x4 eigenproblem (module-level: kabsch is called millions of times by the template backmapper).
const A4 = new Float64Array(16);
const V4 = new Float64Array(16);
const PAIRS = [0, 1, 0, 2, 0, 3, 1, 2, 1, 3, 2, 3];

/**
 * Largest eigenpair of the traceless symmetric 4x4 in A4 (not modified), characteristic polynomial
 * λ⁴ + c2 λ² + c1 λ + det: Newton from e0 ≥ λmax converges monotonically; the eigenvector is the
 * largest row of adj(A - λI). Returns null when that row is too small (degenerate top eigenvalue).
 */
function topEigenvectorNewton(e0: number, c2: number, c1: number): number[] | null {
  const a = A4;
  const c0 = det4(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]);
  let l = e0;
  for (let it = 0; it < 60; it++) {
    const l2 = l * l;
    const f = (l2 + c2) * l2 + c1 * l + c0;
    const fp = 4 * l2 * l + 2 * c2 * l + c1;
    if (fp === 0 || !Number.isFinite(fp)) break;
    const d = f / fp;
    l -= d;
    if (Math.abs(d) <= 1e-15 * Math.abs(l)) break;
  }
  const m00 = a[0] - l, m11 = a[5] - l, m22 = a[10] - l, m33 = a[15] - l;
  const m01 = a[1], m02 = a[2], m03 = a[3], m12 = a[6], m13 = a[7], m23 = a[11];
  // rows of the adjugate (symmetric matrix: cofactor rows), each ∝ the eigenvector
  const rows = [
    [
      det3(m11, m12, m13, m12, m22, m23, m13, m23, m33), -det3(m01, m12, m13, m02, m22, m23, m03, m23, m33),
      det3(m01, m11, m13, m02, m12, m23, m03, m13, m33), -det3(m01, m11, m12, m02, m12, m22, m03, m13, m23),
    ],
    [
      -det3(m01, m02, m03, m12, m22, m23, m13, m23, m33), det3(m00, m02, m03, m02, m22, m23, m03, m23, m33),
      -det3(m00, m01, m03, m02, m12, m23, m03, m13, m33), det3(m00, m01, m02, m02, m12, m22, m03, m13, m23),
    ],
    [
      det3(m01, m02, m03, m11, m12, m13, m13, m23, m33), -det3(m00, m02, m03, m01, m12, m13, m03, m23, m33),
      det3(m00, m01, m03, m01, m11, m13, m03, m13, m33), -det3(m00, m01, m02, m01, m11, m12, m03, m13, m23),
    ],
    [
      -det3(m01, m02, m03, m11, m12, m13, m12, m22, m23), det3(m00, m02, m03, m01, m12, m13, m02, m22, m23),
      -det3(m00, m01, m03, m01, m11, m13, m02, m12, m23), det3(m00, m01, m02, m01, m11, m12, m02, m12, m22),
    ],
  ];
  let best = rows[0], bn = 0;
  for (const r of rows) {
    const nn = r[0] * r[0] + r[1] * r[1] + r[2] * r[2] + r[3] * r[3];
    if (nn > bn) { bn = nn; best = r; }
  }
  const scale = 2 * e0;
  if (!(Math.sqrt(bn) > 1e-6 * scale * scale * scale) || !Number.isFinite(bn)) return null;
  return best;
}

const det3 = (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number) =>
  a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);

function det4(
  a00: number, a01: number, a02: number, a03: number, a10: number, a11: number, a12: number, a13: number,
  a20: number, a21: number, a22: number, a23: number, a30: number, a31: number, a32: number, a33: number,
): number {
  const s0 = a00 * a11 - a10 * a01, s1 = a00 * a12 - a10 * a02, s2 = a00 * a13 - a10 * a03;
  const s3 = a01 * a12 - a11 * a02, s4 = a01 * a13 - a11 * a03, s5 = a02 * a13 - a12 * a03;
  const c5 = a22 * a33 - a32 * a23, c4 = a21 * a33 - a31 * a23, c3 = a21 * a32 - a31 * a22;
  const c2 = a20 * a33 - a30 * a23, c1 = a20 * a32 - a30 * a22, c0 = a20 * a31 - a30 * a21;
  return s0 * c5 - s1 * c4 + s2 * c3 + s3 * c2 - s4 * c1 + s5 * c0;
}

/** Eigenvector of the largest eigenvalue of the symmetric 4x4 matrix in A4 (cyclic Jacobi; always converges). */
function largestEigenvector4(): number[] {
  const A = A4, V = V4;
  V.fill(0);
  V[0] = V[5] = V[10] = V[15] = 1;
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = Math.abs(A[1]) + Math.abs(A[2]) + Math.abs(A[3]) + Math.abs(A[6]) + Math.abs(A[7]) + Math.abs(A[11]);
    const diag = Math.abs(A[0]) + Math.abs(A[5]) + Math.abs(A[10]) + Math.abs(A[15]);
    if (off <= 1e-15 * diag || off < 1e-300) break;
    for (let q = 0; q < 12; q += 2) {
      const p = PAIRS[q], r = PAIRS[q + 1];
      const apr = A[4 * p + r];
      if (apr === 0) continue;
      const theta = (A[5 * r] - A[5 * p]) / (2 * apr);
      const tt = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(tt * tt + 1), s = tt * c;
      for (let k = 0; k < 4; k++) {
        const akp = A[4 * k + p], akr = A[4 * k + r];
        A[4 * k + p] = c * akp - s * akr;
        A[4 * k + r] = s * akp + c * akr;
      }
      for (let k = 0; k < 4; k++) {
        const apk = A[4 * p + k], ark = A[4 * r + k];
        A[4 * p + k] = c * apk - s * ark;
        A[4 * r + k] = s * apk + c * ark;
      }
      for (let k = 0; k < 4; k++) {
        const vkp = V[4 * k + p], vkr = V[4 * k + r];
        V[4 * k + p] = c * vkp - s * vkr;
        V[4 * k + r] = s * vkp + c * vkr;
      }
    }
  }
  let best = 0;
  for (let i = 1; i < 4; i++) if (A[5 * i] > A[5 * best]) best = i;
  return [V[best], V[4 + best], V[8 + best], V[12 + best]];
}
