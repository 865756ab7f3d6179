// Project-made structures for the webview tests: a reference peptide, a "backmapped" one with different
// side-chain rotamers and backbone noise (moved away rigidly, so superposition matters), and its CG beads.
import { buildPeptide } from '../../src/core/chemistry/peptide';
import { residuesOf, StructureBuilder } from '../../src/core/structure/builder';
import type { Structure } from '../../src/core/structure/types';
import { rng } from '../helpers/rng';
export { rng };

export const SEQUENCE = 'MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQFEVVHSLAKWKRQTLGQHDFSAGEGLYTHMKALRPDEDRLSPLHSVYVDQWDWERVMGDGERQFSTLKSTVEAIWAGIKATEAAVSEEFGLAPFLPDQIHFVHSQELLSRYPDLDAKGRERAIAKDLGAVFLVGIGGKLSDGHRHDVRAPDYDDWSTPSELGHAGLNGDILVWNPVLEDAFELSSMGIRVDADTLKHQLALTGDEDRLELEWHQALLRGEMPQTIGGGIGQSRLTMLLLQLPHIGQVQCGVWPAACRESVPALL';

/** φ/ψ per residue: a helix, a strand and loops, so the Ramachandran plot has points in every region. */
function backbone(n: number): { phi: number[]; psi: number[] } {
  const phi: number[] = [], psi: number[] = [];
  for (let i = 0; i < n; i++) {
    const seg = Math.floor(i / 12) % 3;
    if (seg === 0) {
      phi.push(-60); psi.push(-45);
    } else if (seg === 1) {
      phi.push(-120); psi.push(130);
    } else {
      phi.push(i % 5 === 0 ? 60 : -75); psi.push(i % 5 === 0 ? 40 : 150);
    }
  }
  return { phi, psi };
}

export interface Fixture {
  reference: Structure;
  backmapped: Structure;
  cg: Structure;
}

/** Rigid rotation about z by `deg` and a shift, applied to every model. */
export function moved(s: Structure, deg: number, shift: [number, number, number]): Structure {
  const c = Math.cos((deg * Math.PI) / 180), si = Math.sin((deg * Math.PI) / 180);
  const models = s.models.map((m) => {
    const o = new Float64Array(m.length);
    for (let i = 0; i < m.length; i += 3) {
      o[i] = c * m[i] - si * m[i + 1] + shift[0];
      o[i + 1] = si * m[i] + c * m[i + 1] + shift[1];
      o[i + 2] = m[i + 2] + shift[2];
    }
    return o;
  });
  return { ...s, coords: models[0], models };
}

/** Martini-like beads: BB = centroid of N, CA, C, O; side chain split into SC1… of up to 4 heavy atoms. */
export function beadsOf(aa: Structure): Structure {
  const sb = new StructureBuilder();
  const models: Float64Array[] = [];
  const groups: number[][] = [];
  const meta: { name: string; resName: string; chainId: string; resSeq: number }[] = [];
  for (const r of residuesOf(aa.atoms)) {
    const bb: number[] = [], sc: number[] = [];
    for (let i = r.start; i < r.end; i++) (['N', 'CA', 'C', 'O', 'OXT'].includes(aa.atoms.name[i]) ? bb : sc).push(i);
    groups.push(bb);
    meta.push({ name: 'BB', resName: r.resName, chainId: r.chainId, resSeq: r.resSeq });
    for (let k = 0; k < sc.length; k += 4) {
      groups.push(sc.slice(k, k + 4));
      meta.push({ name: `SC${k / 4 + 1}`, resName: r.resName, chainId: r.chainId, resSeq: r.resSeq });
    }
  }
  for (const m of aa.models) {
    const o = new Float64Array(groups.length * 3);
    groups.forEach((g, b) => {
      for (const i of g) for (let d = 0; d < 3; d++) o[3 * b + d] += m[3 * i + d] / g.length;
    });
    models.push(o);
  }
  meta.forEach((m, b) => sb.addAtom({ ...m, element: 'C', x: models[0][3 * b], y: models[0][3 * b + 1], z: models[0][3 * b + 2] }));
  const s = sb.build('cg.pdb', 'CG beads');
  return { ...s, coords: models[0], models };
}

/**
 * `n` residues; the backmapped copy gets every 5th side chain in another χ1 rotamer, a little backbone
 * noise, and `frames` models (a trajectory) of small fluctuations.
 */
export function makeFixture(n = 40, frames = 1): Fixture {
  const seq = SEQUENCE.slice(0, n);
  const { phi, psi } = backbone(n);
  const reference = { ...buildPeptide(seq, { phi, psi, source: 'reference.pdb' }), source: 'reference.pdb' };
  const rand = rng(7);
  const noisyPhi = phi.map((p) => p + (rand() - 0.5) * 12);
  const noisyPsi = psi.map((p) => p + (rand() - 0.5) * 12);
  const chi = phi.map((_, i) => (i % 5 === 2 ? [180, 60] : undefined));
  const bm0 = buildPeptide(seq, { phi: noisyPhi, psi: noisyPsi, chi, source: 'backmapped.pdb' });
  const models: Float64Array[] = [bm0.coords];
  for (let f = 1; f < frames; f++) {
    const m = new Float64Array(bm0.coords.length);
    for (let i = 0; i < m.length; i++) m[i] = bm0.coords[i] + (rand() - 0.5) * 0.6 * Math.min(f, 4);
    models.push(m);
  }
  const backmapped = moved({ ...bm0, source: 'backmapped.pdb', models, coords: models[0] }, 35, [6, -4, 3]);
  return { reference, backmapped, cg: beadsOf(backmapped) };
}

/** A large system for the load-time measurement: `copies` helices of `n` residues side by side. */
export function makeLarge(targetAtoms: number): Structure {
  const one = buildPeptide(SEQUENCE.slice(0, 100), { phi: -60, psi: -45, chainId: 'A' });
  const copies = Math.ceil(targetAtoms / one.atoms.count);
  const sb = new StructureBuilder(copies * one.atoms.count);
  const chains = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  for (let c = 0; c < copies; c++) {
    const dx = (c % 12) * 22, dy = Math.floor(c / 12) * 22;
    for (let i = 0; i < one.atoms.count; i++)
      sb.addAtom({
        name: one.atoms.name[i],
        resName: one.atoms.resName[i],
        chainId: chains[c % chains.length],
        resSeq: one.atoms.resSeq[i] + 100 * Math.floor(c / chains.length),
        element: one.atoms.element[i],
        x: one.coords[3 * i] + dx,
        y: one.coords[3 * i + 1] + dy,
        z: one.coords[3 * i + 2],
      });
  }
  return sb.build('large.pdb', `${copies} helices`);
}
