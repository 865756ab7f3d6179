/**
 * Energy terms of the refinement (harmonic bonds and angles, cosine dihedrals, a repulsive wall between
 * non-bonded pairs, a positional tether) with analytic gradients, and the adaptive steepest descent over them.
 */

export interface Terms {
  bonds: number[]; // i, j
  bondRef: number[]; // d0, k
  angles: number[]; // i, j, k (j = vertex)
  angleRef: number[]; // theta0 (rad), k
  dihedrals: number[]; // i, j, k, l
  dihedralRef: number[]; // phi0 (rad), k   (E = k (1 - cos(phi - phi0)))
  repulsive: number[]; // i, j
  repulsion: number; // E = repulsionK (d - repulsion)² below `repulsion`
  repulsionK: number;
  tether: Float64Array | null;
  tetherK: number;
  packed?: Packed;
}

/** Terms in typed arrays (built once per descent) plus every atom they touch. */
interface Packed {
  b: Int32Array;
  bRef: Float64Array;
  a: Int32Array;
  aRef: Float64Array;
  d: Int32Array;
  dRef: Float64Array;
  r: Int32Array;
  touched: Int32Array;
}

export const newTerms = (): Terms => ({ bonds: [], bondRef: [], angles: [], angleRef: [], dihedrals: [], dihedralRef: [], repulsive: [], repulsion: 0, repulsionK: 0, tether: null, tetherK: 0 });

function pack(t: Terms, active: Int32Array): Packed {
  if (t.packed) return t.packed;
  const touched = new Set<number>(active);
  for (const list of [t.bonds, t.angles, t.dihedrals, t.repulsive]) for (const i of list) touched.add(i);
  t.packed = {
    b: Int32Array.from(t.bonds),
    bRef: Float64Array.from(t.bondRef),
    a: Int32Array.from(t.angles),
    aRef: Float64Array.from(t.angleRef),
    d: Int32Array.from(t.dihedrals),
    dRef: Float64Array.from(t.dihedralRef),
    r: Int32Array.from(t.repulsive),
    touched: Int32Array.from(touched),
  };
  return t.packed;
}

/**
 * Energy and, when `g` is given, its gradient. Gradients are accumulated for every atom the terms touch; only
 * `active` (movable) atoms are ever moved, so entries of fixed atoms are simply not used.
 */
function energy(x: Float64Array, t: Terms, g: Float64Array | null, _movable: Uint8Array, active: Int32Array): number {
  const P = pack(t, active);
  let e = 0;
  if (g) for (const i of P.touched) g[3 * i] = g[3 * i + 1] = g[3 * i + 2] = 0;
  const b = P.b;
  for (let q = 0, p = 0; q < b.length; q += 2, p += 2) {
    const i = 3 * b[q];
    const j = 3 * b[q + 1];
    const dx = x[i] - x[j];
    const dy = x[i + 1] - x[j + 1];
    const dz = x[i + 2] - x[j + 2];
    const d = Math.sqrt(dx * dx + dy * dy + dz * dz) || 1e-9;
    const k = P.bRef[p + 1];
    const diff = d - P.bRef[p];
    e += k * diff * diff;
    if (!g) continue;
    const f = (2 * k * diff) / d;
    g[i] += f * dx;
    g[i + 1] += f * dy;
    g[i + 2] += f * dz;
    g[j] -= f * dx;
    g[j + 1] -= f * dy;
    g[j + 2] -= f * dz;
  }
  const r = P.r;
  const r0 = t.repulsion;
  const kr = t.repulsionK;
  for (let q = 0; q < r.length; q += 2) {
    const i = 3 * r[q];
    const j = 3 * r[q + 1];
    const dx = x[i] - x[j];
    const dy = x[i + 1] - x[j + 1];
    const dz = x[i + 2] - x[j + 2];
    const d2 = dx * dx + dy * dy + dz * dz;
    if (d2 >= r0 * r0) continue;
    const d = Math.sqrt(d2) || 1e-6;
    const diff = d - r0;
    e += kr * diff * diff;
    if (!g) continue;
    const f = (2 * kr * diff) / d;
    g[i] += f * dx;
    g[i + 1] += f * dy;
    g[i + 2] += f * dz;
    g[j] -= f * dx;
    g[j + 1] -= f * dy;
    g[j + 2] -= f * dz;
  }
  const a = P.a;
  for (let q = 0, p = 0; q < a.length; q += 3, p += 2) {
    const i = 3 * a[q];
    const j = 3 * a[q + 1];
    const k = 3 * a[q + 2];
    const ux = x[i] - x[j];
    const uy = x[i + 1] - x[j + 1];
    const uz = x[i + 2] - x[j + 2];
    const vx = x[k] - x[j];
    const vy = x[k + 1] - x[j + 1];
    const vz = x[k + 2] - x[j + 2];
    const lu = Math.sqrt(ux * ux + uy * uy + uz * uz) || 1e-9;
    const lv = Math.sqrt(vx * vx + vy * vy + vz * vz) || 1e-9;
    let c = (ux * vx + uy * vy + uz * vz) / (lu * lv);
    c = c > 0.999999 ? 0.999999 : c < -0.999999 ? -0.999999 : c;
    const diff = Math.acos(c) - P.aRef[p];
    const kk = P.aRef[p + 1];
    e += kk * diff * diff;
    if (!g) continue;
    const sn = Math.sqrt(1 - c * c);
    const dE = 2 * kk * diff;
    // dθ/di = -(v̂ - c û)/(|u| sinθ); dθ/dk = -(û - c v̂)/(|v| sinθ)
    const fi = -dE / (lu * sn);
    const fk = -dE / (lv * sn);
    const aix = (vx / lv - (c * ux) / lu) * fi;
    const aiy = (vy / lv - (c * uy) / lu) * fi;
    const aiz = (vz / lv - (c * uz) / lu) * fi;
    const akx = (ux / lu - (c * vx) / lv) * fk;
    const aky = (uy / lu - (c * vy) / lv) * fk;
    const akz = (uz / lu - (c * vz) / lv) * fk;
    g[i] += aix;
    g[i + 1] += aiy;
    g[i + 2] += aiz;
    g[k] += akx;
    g[k + 1] += aky;
    g[k + 2] += akz;
    g[j] -= aix + akx;
    g[j + 1] -= aiy + aky;
    g[j + 2] -= aiz + akz;
  }
  const dh = P.d;
  for (let q = 0, p = 0; q < dh.length; q += 4, p += 2) {
    const i = 3 * dh[q];
    const j = 3 * dh[q + 1];
    const k = 3 * dh[q + 2];
    const l = 3 * dh[q + 3];
    // F = xi - xj, G = xj - xk, H = xl - xk (Blondel & Karplus 1996)
    const Fx = x[i] - x[j];
    const Fy = x[i + 1] - x[j + 1];
    const Fz = x[i + 2] - x[j + 2];
    const Gx = x[j] - x[k];
    const Gy = x[j + 1] - x[k + 1];
    const Gz = x[j + 2] - x[k + 2];
    const Hx = x[l] - x[k];
    const Hy = x[l + 1] - x[k + 1];
    const Hz = x[l + 2] - x[k + 2];
    const Ax = Fy * Gz - Fz * Gy;
    const Ay = Fz * Gx - Fx * Gz;
    const Az = Fx * Gy - Fy * Gx;
    const Bx = Hy * Gz - Hz * Gy;
    const By = Hz * Gx - Hx * Gz;
    const Bz = Hx * Gy - Hy * Gx;
    const A2 = Ax * Ax + Ay * Ay + Az * Az || 1e-12;
    const B2 = Bx * Bx + By * By + Bz * Bz || 1e-12;
    const Gl = Math.sqrt(Gx * Gx + Gy * Gy + Gz * Gz) || 1e-9;
    // IUPAC sign (as backboneTorsions): φ = -atan2((A×B)·Ĝ, A·B) for these F, G, H; gradients are Blondel & Karplus'
    const cx = Ay * Bz - Az * By;
    const cy = Az * Bx - Ax * Bz;
    const cz = Ax * By - Ay * Bx;
    const phi = -Math.atan2((cx * Gx + cy * Gy + cz * Gz) / Gl, Ax * Bx + Ay * By + Az * Bz);
    const kk = P.dRef[p + 1];
    const dphi = phi - P.dRef[p];
    e += kk * (1 - Math.cos(dphi));
    if (!g) continue;
    const dE = kk * Math.sin(dphi);
    const FG = Fx * Gx + Fy * Gy + Fz * Gz;
    const HG = Hx * Gx + Hy * Gy + Hz * Gz;
    const ca = (-Gl / A2) * dE;
    const cb = (Gl / B2) * dE;
    const fa = (FG / (A2 * Gl)) * dE;
    const fb = (HG / (B2 * Gl)) * dE;
    const gix = ca * Ax;
    const giy = ca * Ay;
    const giz = ca * Az;
    const glx = cb * Bx;
    const gly = cb * By;
    const glz = cb * Bz;
    g[i] += gix;
    g[i + 1] += giy;
    g[i + 2] += giz;
    g[l] += glx;
    g[l + 1] += gly;
    g[l + 2] += glz;
    g[j] += -gix + fa * Ax - fb * Bx;
    g[j + 1] += -giy + fa * Ay - fb * By;
    g[j + 2] += -giz + fa * Az - fb * Bz;
    g[k] += -glx - fa * Ax + fb * Bx;
    g[k + 1] += -gly - fa * Ay + fb * By;
    g[k + 2] += -glz - fa * Az + fb * Bz;
  }
  if (t.tether && t.tetherK > 0) {
    const x0 = t.tether;
    const kt = t.tetherK;
    for (const a0 of active) {
      const i = 3 * a0;
      const dx = x[i] - x0[i];
      const dy = x[i + 1] - x0[i + 1];
      const dz = x[i + 2] - x0[i + 2];
      e += kt * (dx * dx + dy * dy + dz * dz);
      if (!g) continue;
      g[i] += 2 * kt * dx;
      g[i + 1] += 2 * kt * dy;
      g[i + 2] += 2 * kt * dz;
    }
  }
  return e;
}

/** Exposed for the gradient test. */
export const _internal = { energy, newTerms };

/** Adaptive steepest descent over the `active` atoms. Returns [iterations, e0, e1]. */
export function steepestDescent(
  x: Float64Array,
  t: Terms,
  movable: Uint8Array,
  active: Int32Array,
  maxIter: number,
  g: Float64Array = new Float64Array(x.length),
): [number, number, number] {
  const saved = new Float64Array(active.length * 3);
  let e = energy(x, t, g, movable, active);
  const e0 = e;
  let step = 0.05; // Å, the largest single-atom move of a step
  let it = 0;
  let eCheck = e;
  for (; it < maxIter; it++) {
    // Converged: less than 0.5 % further decrease over the last 10 steps.
    if (it > 0 && it % 10 === 0) {
      if (eCheck - e < 5e-3 * eCheck) break;
      eCheck = e;
    }
    let gmax2 = 0;
    for (const i of active) {
      const q = g[3 * i] * g[3 * i] + g[3 * i + 1] * g[3 * i + 1] + g[3 * i + 2] * g[3 * i + 2];
      if (q > gmax2) gmax2 = q;
    }
    if (gmax2 < 1e-8) break;
    const scale = step / Math.sqrt(gmax2);
    for (let q = 0; q < active.length; q++) {
      const i = 3 * active[q];
      saved[3 * q] = x[i];
      saved[3 * q + 1] = x[i + 1];
      saved[3 * q + 2] = x[i + 2];
      x[i] -= scale * g[i];
      x[i + 1] -= scale * g[i + 1];
      x[i + 2] -= scale * g[i + 2];
    }
    const eNew = energy(x, t, g, movable, active);
    if (eNew < e) {
      e = eNew;
      step = Math.min(step * 1.2, 0.3);
    } else {
      for (let q = 0; q < active.length; q++) {
        const i = 3 * active[q];
        x[i] = saved[3 * q];
        x[i + 1] = saved[3 * q + 1];
        x[i + 2] = saved[3 * q + 2];
      }
      energy(x, t, g, movable, active);
      step *= 0.5;
      if (step < 1e-5) break;
    }
  }
  return [it, e0, e];
}
