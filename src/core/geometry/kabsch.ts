import { centroid } from './vec';

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
  const pc = centroid(P, w), qc = centroid(Q, w);
  let Sxx = 0, Sxy = 0, Sxz = 0, Syx = 0, Syy = 0, Syz = 0, Szx = 0, Szy = 0, Szz = 0;
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i] : 1;
    const px = P[3 * i] - pc[0], py = P[3 * i + 1] - pc[1], pz = P[3 * i + 2] - pc[2];
    const qx = Q[3 * i] - qc[0], qy = Q[3 * i + 1] - qc[1], qz = Q[3 * i + 2] - qc[2];
    Sxx += wi * px * qx; Sxy += wi * px * qy; Sxz += wi * px * qz;
    Syx += wi * py * qx; Syy += wi * py * qy; Syz += wi * py * qz;
    Szx += wi * pz * qx; Szy += wi * pz * qy; Szz += wi * pz * qz;
  }
  const N = [
    [Sxx + Syy + Szz, Syz - Szy, Szx - Sxz, Sxy - Syx],
    [Syz - Szy, Sxx - Syy - Szz, Sxy + Syx, Szx + Sxz],
    [Szx - Sxz, Sxy + Syx, -Sxx + Syy - Szz, Syz + Szy],
    [Sxy - Syx, Szx + Sxz, Syz + Szy, -Sxx - Syy + Szz],
  ];
  const q = largestEigenvector4(N);
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

/** Eigenvector of the largest eigenvalue of a symmetric 4x4 matrix (cyclic Jacobi; always converges). */
function largestEigenvector4(A0: number[][]): number[] {
  const A = A0.map((r) => r.slice());
  const V = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
  for (let sweep = 0; sweep < 64; sweep++) {
    let off = 0, diag = 0;
    for (let i = 0; i < 4; i++) {
      diag += Math.abs(A[i][i]);
      for (let j = i + 1; j < 4; j++) off += Math.abs(A[i][j]);
    }
    if (off <= 1e-15 * (diag + 1e-300) || off === 0) break;
    for (let p = 0; p < 3; p++)
      for (let r = p + 1; r < 4; r++) {
        const apr = A[p][r];
        if (apr === 0) continue;
        const theta = (A[r][r] - A[p][p]) / (2 * apr);
        const tt = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(tt * tt + 1), s = tt * c;
        for (let k = 0; k < 4; k++) {
          const akp = A[k][p], akr = A[k][r];
          A[k][p] = c * akp - s * akr;
          A[k][r] = s * akp + c * akr;
        }
        for (let k = 0; k < 4; k++) {
          const apk = A[p][k], ark = A[r][k];
          A[p][k] = c * apk - s * ark;
          A[r][k] = s * apk + c * ark;
        }
        for (let k = 0; k < 4; k++) {
          const vkp = V[k][p], vkr = V[k][r];
          V[k][p] = c * vkp - s * vkr;
          V[k][r] = s * vkp + c * vkr;
        }
      }
  }
  let best = 0;
  for (let i = 1; i < 4; i++) if (A[i][i] > A[best][best]) best = i;
  return [V[0][best], V[1][best], V[2][best], V[3][best]];
}
