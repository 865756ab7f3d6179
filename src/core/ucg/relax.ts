/**
 * Makes a predicted C-alpha trace a valid one before the next stage reads it. A UCG → C-alpha model predicts each
 * CA from beads 10–20 Å apart; its errors are of the order of ångströms, and two CA atoms can land on top of each
 * other, which the C-alpha → atoms model was never trained on (it then predicts nothing usable). The trace is
 * relaxed by iterated projection onto the constraints every real trace obeys: consecutive CA atoms of a chain 3.80 Å
 * apart (trans peptides), CA(i)–CA(i+2) at least 4.8 Å (the CA–CA–CA angle is 80–150° in proteins), and other CA
 * pairs at least 4.0 Å apart. Moves are as small as the projections make them, so a good prediction barely moves.
 */
import { cellListNeighbors } from '../geometry/neighbors';
import type { Structure } from '../structure/types';

export const CA_TRACE = { bond: 3.8, i2: 4.8, contact: 4.0 } as const;

export interface CaRelaxReport {
  /** Largest and rms displacement (Å). */
  maxMove: number;
  rmsMove: number;
  /** Constraint violations before and after (bond off by > 0.1 Å, pairs closer than their minimum by > 0.1 Å). */
  violationsBefore: number;
  violationsAfter: number;
}

/** Relaxes the CA atoms of `s` in place (every other atom is left); returns what moved. */
export function relaxCaTrace(s: Structure, iterations = 200): CaRelaxReport {
  const ca: number[] = [];
  for (let i = 0; i < s.atoms.count; i++) if (s.atoms.name[i] === 'CA') ca.push(i);
  const n = ca.length;
  const x = new Float64Array(3 * n);
  ca.forEach((a, k) => x.set(s.coords.subarray(3 * a, 3 * a + 3), 3 * k));
  const start = Float64Array.from(x);
  // Chain links: consecutive CA atoms of one chain without a gap in the numbering.
  const linked = new Uint8Array(n);
  for (let k = 0; k + 1 < n; k++) {
    const a = ca[k], b = ca[k + 1];
    linked[k] = s.atoms.chainId[a] === s.atoms.chainId[b] && s.atoms.resSeq[b] - s.atoms.resSeq[a] <= 1 ? 1 : 0;
  }
  const seqSep = (i: number, j: number): number => {
    if (j < i) [i, j] = [j, i];
    let d = 0;
    for (let k = i; k < j; k++) {
      if (!linked[k]) return Infinity;
      if (++d > 2) return d;
    }
    return d;
  };
  const project = (i: number, j: number, target: number, mode: 'eq' | 'min'): boolean => {
    const dx = x[3 * j] - x[3 * i], dy = x[3 * j + 1] - x[3 * i + 1], dz = x[3 * j + 2] - x[3 * i + 2];
    let d = Math.sqrt(dx * dx + dy * dy + dz * dz);
    if (mode === 'min' && d >= target) return false;
    let ux = dx, uy = dy, uz = dz;
    if (d < 1e-6) {
      // On top of each other: split along a fixed direction (deterministic).
      ux = 1; uy = 0; uz = 0; d = 1e-6;
    } else {
      ux /= d; uy /= d; uz /= d;
    }
    const h = (target - d) / 2;
    x[3 * i] -= ux * h; x[3 * i + 1] -= uy * h; x[3 * i + 2] -= uz * h;
    x[3 * j] += ux * h; x[3 * j + 1] += uy * h; x[3 * j + 2] += uz * h;
    return Math.abs(target - d) > 0.1;
  };
  const K = 48;
  const sweep = (): number => {
    let bad = 0;
    for (let k = 0; k + 1 < n; k++) if (linked[k] && project(k, k + 1, CA_TRACE.bond, 'eq')) bad++;
    const nl = cellListNeighbors(x, CA_TRACE.i2, K);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < nl.count[i]; c++) {
        const j = nl.index[i * K + c];
        if (j <= i) continue;
        const sep = seqSep(i, j);
        if (sep === 1) continue;
        if (project(i, j, sep === 2 ? CA_TRACE.i2 : CA_TRACE.contact, 'min')) bad++;
      }
    return bad;
  };
  const count = (): number => {
    const saved = Float64Array.from(x);
    const v = sweep();
    x.set(saved);
    return v;
  };
  const violationsBefore = count();
  for (let it = 0; it < iterations; it++) if (!sweep()) break;
  const violationsAfter = count();
  let maxMove = 0, sum = 0;
  for (let k = 0; k < n; k++) {
    const d2 = (x[3 * k] - start[3 * k]) ** 2 + (x[3 * k + 1] - start[3 * k + 1]) ** 2 + (x[3 * k + 2] - start[3 * k + 2]) ** 2;
    sum += d2;
    if (d2 > maxMove) maxMove = d2;
    s.coords.set(x.subarray(3 * k, 3 * k + 3), 3 * ca[k]);
  }
  return { maxMove: Math.sqrt(maxMove), rmsMove: n ? Math.sqrt(sum / n) : 0, violationsBefore, violationsAfter };
}
