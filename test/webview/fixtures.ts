// Project-made structures for the webview tests: a reference peptide, a "backmapped" one with different
// side-chain rotamers and backbone noise (moved away rigidly, so superposition matters), and its CG beads.
import { buildPeptide } from '../../src/core/chemistry/peptide';
import { LIPIDS } from '../../src/core/chemistry/lipids';
import { LIPID_CONFORMATIONS } from '../../src/core/chemistry/lipid-conformations';
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

export interface MixedCounts {
  residues: number;
  /** POPC per leaflet side (side² lipids per leaflet, minus the cholesterols). */
  side: number;
  /** CHL1 per leaflet. */
  sterols: number;
  waters: number;
  /** NA and CL pairs. */
  ions: number;
}

/**
 * A whole system as the engine writes one (heavy atoms, CHARMM names, blank chain ids but the protein's): a helix
 * (chain A) above a POPC/CHL1 bilayer (CHARMM36 conformations of the chemistry table), TIP3 water oxygens above and
 * below, SOD and CLA among the waters. `noise` (Å) jitters every atom, for a "backmapped" copy of a reference.
 */
export function makeMixedSystem(c: MixedCounts, noise = 0, seed = 3): Structure {
  const rand = rng(seed);
  const jitter = () => (rand() - 0.5) * 2 * noise;
  const sb = new StructureBuilder();
  const add = (name: string, resName: string, resSeq: number, element: string, x: number, y: number, z: number, chainId = '') =>
    sb.addAtom({ name, resName, chainId, resSeq, element, x: x + jitter(), y: y + jitter(), z: z + jitter(), hetero: chainId === '' });
  const helix = buildPeptide(SEQUENCE.slice(0, c.residues), { phi: -60, psi: -45, chainId: 'A' });
  for (let i = 0; i < helix.atoms.count; i++)
    add(helix.atoms.name[i], helix.atoms.resName[i], helix.atoms.resSeq[i], helix.atoms.element[i], helix.coords[3 * i], helix.coords[3 * i + 1], helix.coords[3 * i + 2] + 40, 'A');
  let resSeq = 0;
  // Lipids on an 8 Å grid, heads out (the conformations have the head at -z); cholesterols spread over the grid.
  const sterolAt = new Set(Array.from({ length: c.sterols }, (_, k) => Math.floor(((k + 0.5) * c.side * c.side) / c.sterols)));
  for (const leaflet of [1, -1])
    for (let g = 0; g < c.side * c.side; g++) {
      const name = sterolAt.has(g) ? 'CHL1' : 'POPC';
      const topo = LIPIDS[name];
      const conf = LIPID_CONFORMATIONS[name][(g + (leaflet > 0 ? 0 : 5)) % LIPID_CONFORMATIONS[name].length];
      const x0 = (g % c.side) * 8 - (c.side * 8) / 2, y0 = Math.floor(g / c.side) * 8 - (c.side * 8) / 2;
      resSeq++;
      topo.atoms.forEach((atom, k) => add(atom, name, resSeq, topo.elements[k], x0 + conf[3 * k], y0 + conf[3 * k + 1], leaflet * (15 - conf[3 * k + 2])));
    }
  // Water on a 3.1 Å grid beyond |z| > 30 Å, alternately above and below; every tenth site an ion while ions last.
  const L = c.side * 8, n = Math.floor(L / 3.1);
  let ions = 0;
  for (let w = 0, site = 0; w < c.waters; site++) {
    const layer = Math.floor(site / (2 * n * n)), k = site % (n * n), sign = Math.floor(site / (n * n)) % 2 ? -1 : 1;
    const x = (k % n) * 3.1 - L / 2, y = Math.floor(k / n) * 3.1 - L / 2, z = sign * (30 + layer * 3.1);
    if (site % 10 === 5 && ions < 2 * c.ions) {
      const na = ions++ % 2 === 0;
      add(na ? 'SOD' : 'CLA', na ? 'SOD' : 'CLA', ++resSeq, na ? 'NA' : 'CL', x, y, z);
      continue;
    }
    add('OH2', 'TIP3', ++resSeq, 'O', x, y, z);
    w++;
  }
  return sb.build('system.pdb', 'protein + POPC/CHL1 bilayer + water + ions');
}

/**
 * Martini-like beads of a mixed system: the protein as `beadsOf` makes them, lipids and sterols in beads of up to
 * 4 atoms (sterols under Martini's name CHOL), four TIP3 waters to a W bead, SOD/CLA as Martini NA/CL.
 */
export function mixedBeadsOf(aa: Structure): Structure {
  const sb = new StructureBuilder();
  const a = aa.atoms, xyz = aa.coords;
  const bead = (name: string, resName: string, resSeq: number, atoms: number[], chainId = '') => {
    const m = [0, 1, 2].map((d) => atoms.reduce((t, i) => t + xyz[3 * i + d], 0) / atoms.length);
    sb.addAtom({ name, resName, resSeq, chainId, element: '', x: m[0], y: m[1], z: m[2] });
  };
  let waters: number[] = [];
  for (const r of residuesOf(a)) {
    const atoms = Array.from({ length: r.end - r.start }, (_, k) => r.start + k);
    if (r.chainId === 'A') {
      const bb = atoms.filter((i) => ['N', 'CA', 'C', 'O', 'OXT'].includes(a.name[i])), sc = atoms.filter((i) => !bb.includes(i));
      bead('BB', r.resName, r.resSeq, bb, 'A');
      for (let k = 0; k < sc.length; k += 4) bead(`SC${k / 4 + 1}`, r.resName, r.resSeq, sc.slice(k, k + 4), 'A');
    } else if (r.resName === 'TIP3') {
      waters.push(...atoms);
      if (waters.length === 4) {
        bead('W', 'W', r.resSeq, waters);
        waters = [];
      }
    } else if (r.resName === 'SOD' || r.resName === 'CLA') {
      const ion = r.resName === 'SOD' ? 'NA' : 'CL';
      bead(ion, ion, r.resSeq, atoms);
    } else {
      const resName = r.resName === 'CHL1' ? 'CHOL' : r.resName;
      for (let k = 0; k < atoms.length; k += 4) bead(`B${k / 4 + 1}`, resName, r.resSeq, atoms.slice(k, k + 4));
    }
  }
  return sb.build('system-cg.pdb', 'CG beads of a mixed system');
}
