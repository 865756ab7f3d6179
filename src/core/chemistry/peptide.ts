import { InputError } from '../errors';
import { StructureBuilder } from '../structure/builder';
import type { Structure } from '../structure/types';
import type { Vec3 } from '../geometry/vec';
import { ONE_TO_THREE, RESIDUES, backboneIdeal, OXT_BOND, OXT_ANGLE, OMEGA, PRO_CD_N, type ResidueTopology } from './amino-acids';
import { placeAtom, placeCb } from '../geometry/nerf';

export interface BuildPeptideOptions {
  /** φ per residue in degrees (a single number applies to all); default α-helix -57. φ of residue 1 is unused. */
  phi?: number | number[];
  /** ψ per residue in degrees; default α-helix -47. ψ of the last residue orients O/OXT. */
  psi?: number | number[];
  /** ω per residue (the peptide bond C(i-1)-N(i)); default 180 (trans). */
  omega?: number | number[];
  /** χ angles per residue (χ1, χ2, …); missing or NaN entries take the residue's most common rotamer. PRO takes only χ1 (χ2 closes the ring). */
  chi?: (number[] | undefined)[];
  chainId?: string;
  /** Number of the first residue (default 1). */
  firstResSeq?: number;
  /** Label used as `Structure.source` and in error messages (default 'sequence'). */
  source?: string;
}

export const HELIX_PHI = -57;
export const HELIX_PSI = -47;

const pick = (v: number | number[] | undefined, i: number, def: number): number => {
  const x = typeof v === 'number' ? v : v?.[i];
  return x === undefined || Number.isNaN(x) ? def : x;
};

/**
 * Heavy-atom peptide from a one-letter sequence with ideal (Engh & Huber) bond lengths and angles,
 * built by internal coordinates (NeRF) from the requested φ/ψ/ω/χ; L-amino acids; OXT on the last
 * residue. Whitespace in the sequence is ignored; an unknown letter throws `InputError`.
 */
export function buildPeptide(sequence: string, opts: BuildPeptideOptions = {}): Structure {
  const source = opts.source ?? 'sequence';
  const seq = sequence.replace(/\s+/g, '').toUpperCase();
  if (!seq.length) throw new InputError('empty sequence', source);
  const residues: ResidueTopology[] = [];
  for (let i = 0; i < seq.length; i++) {
    const t = RESIDUES[ONE_TO_THREE[seq[i]] ?? ''];
    if (!t) throw new InputError(`unknown one-letter amino-acid code '${seq[i]}' at position ${i + 1}`, source, 1, i + 1);
    residues.push(t);
  }
  for (const [name, v] of [['phi', opts.phi], ['psi', opts.psi], ['omega', opts.omega]] as const)
    if (Array.isArray(v) && v.length !== 0 && v.length !== seq.length)
      throw new InputError(`${name} has ${v.length} values for ${seq.length} residues`, source);
  const chainId = opts.chainId ?? 'A';
  const first = opts.firstResSeq ?? 1;
  const sb = new StructureBuilder(seq.length * 12);

  let prevN: Vec3 | null = null, prevCA: Vec3 | null = null, prevC: Vec3 | null = null;
  let prevPsi = 0;
  let prevBb = backboneIdeal(residues[0].name3);
  for (let i = 0; i < residues.length; i++) {
    const r = residues[i];
    const bb = backboneIdeal(r.name3);
    const phi = pick(opts.phi, i, HELIX_PHI);
    const psi = pick(opts.psi, i, HELIX_PSI);
    const omega = pick(opts.omega, i, OMEGA);
    let N: Vec3, CA: Vec3, C: Vec3;
    if (!prevN || !prevCA || !prevC) {
      N = [0, 0, 0];
      CA = [bb.nCa, 0, 0];
      const t = (bb.nCaC * Math.PI) / 180;
      C = [bb.nCa - bb.caC * Math.cos(t), bb.caC * Math.sin(t), 0];
    } else {
      N = placeAtom(prevN, prevCA, prevC, bb.cN, prevBb.caCN, prevPsi);
      CA = placeAtom(prevCA, prevC, N, bb.nCa, bb.cNCa, omega);
      C = placeAtom(prevC, N, CA, bb.caC, bb.nCaC, phi);
    }
    const O = placeAtom(N, CA, C, bb.cO, bb.caCO, psi + 180);
    const pos = new Map<string, Vec3>([['N', N], ['CA', CA], ['C', C], ['O', O]]);
    if (r.name3 !== 'GLY') pos.set('CB', placeCb(N, CA, C, bb.caCb, bb.nCaCb, bb.cCaCb));
    const chis = r.defaultChi.slice();
    const req = opts.chi?.[i];
    if (req) for (let k = 0; k < chis.length; k++) if (req[k] !== undefined && !Number.isNaN(req[k])) chis[k] = req[k];
    if (r.name3 === 'PRO') chis[1] = solveProlineChi2(pos, r, chis[0]);
    buildSidechain(r, pos, chis);
    const resSeq = first + i;
    const add = (name: string, element: string) => {
      const p = pos.get(name)!;
      sb.addAtom({ name, resName: r.name3, chainId, resSeq, element, x: p[0], y: p[1], z: p[2] });
    };
    for (let k = 0; k < r.atoms.length; k++) add(r.atoms[k], r.elements[k]);
    if (i === residues.length - 1) {
      pos.set('OXT', placeAtom(N, CA, C, OXT_BOND, OXT_ANGLE, psi));
      add('OXT', 'O');
    }
    prevN = N; prevCA = CA; prevC = C; prevPsi = psi; prevBb = bb;
  }
  return sb.build(source, `ideal peptide ${seq.length > 40 ? seq.slice(0, 40) + '…' : seq}`);
}

function buildSidechain(r: ResidueTopology, pos: Map<string, Vec3>, chis: number[]): void {
  for (const a of r.sidechain) {
    const t = typeof a.torsion === 'number' ? a.torsion : chis[a.torsion.chi - 1] + (a.torsion.offset ?? 0);
    pos.set(a.name, placeAtom(pos.get(a.a)!, pos.get(a.b)!, pos.get(a.c)!, a.bond, a.angle, t));
  }
}

/** χ2 that puts CD at the ideal distance from N for the given χ1 (the ring pucker). */
function solveProlineChi2(pos: Map<string, Vec3>, r: ResidueTopology, chi1: number): number {
  const [cgIc, cdIc] = r.sidechain;
  const N = pos.get('N')!, CA = pos.get('CA')!, CB = pos.get('CB')!;
  const CG = placeAtom(N, CA, CB, cgIc.bond, cgIc.angle, chi1);
  const err = (chi2: number) => {
    const CD = placeAtom(CA, CB, CG, cdIc.bond, cdIc.angle, chi2);
    return Math.hypot(CD[0] - N[0], CD[1] - N[1], CD[2] - N[2]) - PRO_CD_N;
  };
  // Two χ2 values close the ring for a given χ1; the real ring takes the more puckered one
  // (|χ2| ≈ 1.3 |χ1|, opposite sign), so scan outward from 0 and bisect the outermost root.
  const dir = chi1 >= 0 ? -1 : 1;
  let best = dir * 35;
  let found = false;
  for (let x = 0; x < 90; x += 0.5) {
    const lo = dir * x, hi = dir * (x + 0.5);
    if (Math.sign(err(lo)) !== Math.sign(err(hi))) {
      let a = lo, b = hi;
      for (let k = 0; k < 60; k++) {
        const mid = (a + b) / 2;
        if (Math.sign(err(mid)) === Math.sign(err(a))) a = mid; else b = mid;
      }
      best = (a + b) / 2;
      found = true;
    }
  }
  if (!found) {
    // no exact closure (extreme χ1): take the χ2 with the smallest closure error
    let bestE = Infinity;
    for (let x = -90; x <= 90; x += 0.5) {
      const e = Math.abs(err(x));
      if (e < bestE) { bestE = e; best = x; }
    }
  }
  return best;
}
