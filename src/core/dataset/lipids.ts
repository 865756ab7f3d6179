/**
 * Lipid and sterol data from the CHARMM36 bilayers in ../shared/data/raw/membranes, for the `martini3-lipids`
 * dataset (training/build-lipid-dataset.ts) and the held-out benchmark (bench/accuracy.ts `lipids`).
 *
 * Split, by leaflet: in every membrane the leaflet whose lipids point their head groups to +z is held out; the
 * other leaflet trains. Training samples are square patches of the bilayer, both leaflets as model input (the
 * network sees the whole membrane at inference), with targets only on the training leaflet: the held-out
 * lipids' beads are present as neighbours in training, their atoms never are.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadMappingSet } from '../mapping/load';
import { writeDataset } from './format';
import { mapToCg, type ForwardResult } from '../forward';
import { reconstructCoords, reconstructionTopology, targetVectors } from '../reconstruct';
import { lipidTopology } from '../chemistry/lipids';
import { readStructureFile } from '../structure/read';
import type { Structure } from '../structure/types';
import type { MappingSet } from '../mapping/types';
import type { CgResidue, CgSystem } from '../cg';
import { datasetMeta, packSamples, sampleFromSystem, type Sample } from './build';

export interface MembraneSource {
  /** Short id used in reports. */
  id: string;
  /** Path under the shared data root. */
  path: string;
  /** Residue names of the file that are not the CHARMM36 ones (OpenMM's PDBs cut them to three letters). */
  residueNameMap?: Record<string, string>;
}

/** The CHARMM36 bilayers of ../shared/data/raw/membranes (one frame each). */
export const CHARMM36_MEMBRANES: readonly MembraneSource[] = [
  { id: 'openmm-POPC', path: 'raw/membranes/openmm_lipids/POPC.pdb.gz', residueNameMap: { POP: 'POPC' } },
  { id: 'openmm-POPE', path: 'raw/membranes/openmm_lipids/POPE.pdb.gz', residueNameMap: { POP: 'POPE' } },
  { id: 'openmm-DOPC', path: 'raw/membranes/openmm_lipids/DOPC.pdb.gz', residueNameMap: { DOP: 'DOPC' } },
  { id: 'openmm-DPPC', path: 'raw/membranes/openmm_lipids/DPPC.pdb.gz', residueNameMap: { DPP: 'DPPC' } },
  { id: 'openmm-DMPC', path: 'raw/membranes/openmm_lipids/DMPC.pdb.gz', residueNameMap: { DMP: 'DMPC' } },
  { id: 'openmm-DLPC', path: 'raw/membranes/openmm_lipids/DLPC.pdb.gz', residueNameMap: { DLP: 'DLPC' } },
  { id: 'openmm-DLPE', path: 'raw/membranes/openmm_lipids/DLPE.pdb.gz', residueNameMap: { DLP: 'DLPE' } },
  { id: 'nmrlipids-POPC', path: 'raw/membranes/nmrlipids_charmm36_popc_chol/POPCpure/popcRUN3.gro.gz' },
  { id: 'nmrlipids-POPC-0chol', path: 'raw/membranes/nmrlipids_charmm36_popc_chol/POPCchol/chol0pct/POPC_0CHL.gro.gz' },
  { id: 'nmrlipids-POPC-20chol', path: 'raw/membranes/nmrlipids_charmm36_popc_chol/POPCchol/chol20pct/POPC_20CHOL.gro.gz', residueNameMap: { CHL: 'CHL1' } },
  { id: 'nmrlipids-POPC-50chol', path: 'raw/membranes/nmrlipids_charmm36_popc_chol/POPCchol/chol50pct/POPC_50CHOL.gro.gz' },
];

/**
 * Makes every residue whole in place: each atom is moved by whole box lengths to its minimum image next to the
 * residue's previous atom (a rectangular box; files without a box are left as they are).
 */
export function makeResiduesWhole(aa: Structure): void {
  const box = aa.box;
  if (!box) return;
  const L = [box.a, box.b, box.c];
  const X = aa.coords;
  const A = aa.atoms;
  for (let i = 1; i < A.count; i++) {
    if (A.resSeq[i] !== A.resSeq[i - 1] || A.resName[i] !== A.resName[i - 1] || A.chainId[i] !== A.chainId[i - 1]) continue;
    for (let d = 0; d < 3; d++) {
      if (!(L[d] > 0)) continue;
      const delta = X[3 * i + d] - X[3 * (i - 1) + d];
      X[3 * i + d] -= L[d] * Math.round(delta / L[d]);
    }
  }
}

export interface Membrane {
  source: MembraneSource;
  aa: Structure;
  forward: ForwardResult;
  /** Per CG residue: true for the held-out (+z) leaflet. */
  heldOut: boolean[];
  /** Per CG residue: centre of its beads. */
  centre: Float64Array;
}

/** Reads, makes whole and maps one membrane; lipids only (water and ions are left out by the mapping). */
export function loadMembrane(dataRoot: string, source: MembraneSource, set: MappingSet): Membrane {
  const aa = readStructureFile(join(dataRoot, source.path));
  makeResiduesWhole(aa);
  const forward = mapToCg(aa, set, { residueNameMap: source.residueNameMap });
  const sys = forward.system;
  const nRes = sys.residues.length;
  const centre = new Float64Array(3 * nRes);
  const heldOut: boolean[] = [];
  for (let r = 0; r < nRes; r++) {
    const res = sys.residues[r];
    for (const b of res.beads) for (let d = 0; d < 3; d++) centre[3 * r + d] += sys.coords[3 * b + d] / res.beads.length;
    // Head bead (first in Martini order: NC3/NH3/CNO/GL0 or ROH) above the molecule's centre: the +z leaflet.
    const head = res.beads[0];
    heldOut.push(sys.coords[3 * head + 2] > centre[3 * r + 2]);
  }
  return { source, aa, forward, heldOut, centre };
}

/** Whether a CG residue is a lipid or sterol of the chemistry table. */
export function isLipidResidue(res: CgResidue): boolean {
  return lipidTopology(res.molecule.name) !== undefined;
}

/**
 * Training samples of one membrane: a grid of `patch` Å squares in x/y; each sample holds the lipids whose centre
 * lies within `halo` Å of its square (periodic images, shifted next to it) as input, and targets for the
 * training-leaflet lipids whose centre lies inside the square. Every molecule is its own chain (residue offsets
 * between molecules mean nothing).
 */
export function membraneSamples(m: Membrane, patch = 30, halo = 10): Sample[] {
  const sys = m.forward.system;
  const box = m.aa.box;
  const R = sys.set.maxSlots;
  const Lx = box?.a ?? 0;
  const Ly = box?.b ?? 0;
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let r = 0; r < sys.residues.length; r++) {
    minX = Math.min(minX, m.centre[3 * r]); maxX = Math.max(maxX, m.centre[3 * r]);
    minY = Math.min(minY, m.centre[3 * r + 1]); maxY = Math.max(maxY, m.centre[3 * r + 1]);
  }
  const spanX = Lx > 0 ? Lx : maxX - minX + 1e-6;
  const spanY = Ly > 0 ? Ly : maxY - minY + 1e-6;
  const x0 = Lx > 0 ? 0 : minX;
  const y0 = Ly > 0 ? 0 : minY;
  const nx = Math.max(1, Math.round(spanX / patch));
  const ny = Math.max(1, Math.round(spanY / patch));
  const target = targetVectors(sys, m.aa.coords, m.forward.slotAtoms);
  const samples: Sample[] = [];
  const image = (d: number, L: number) => (L > 0 ? d - L * Math.round(d / L) : d);
  for (let ix = 0; ix < nx; ix++) for (let iy = 0; iy < ny; iy++) {
    const cx = x0 + ((ix + 0.5) * spanX) / nx;
    const cy = y0 + ((iy + 0.5) * spanY) / ny;
    const hx = spanX / nx / 2;
    const hy = spanY / ny / 2;
    const picked: { r: number; shift: [number, number]; core: boolean }[] = [];
    for (let r = 0; r < sys.residues.length; r++) {
      if (!isLipidResidue(sys.residues[r])) continue;
      const dx = image(m.centre[3 * r] - cx, Lx);
      const dy = image(m.centre[3 * r + 1] - cy, Ly);
      if (Math.abs(dx) > hx + halo || Math.abs(dy) > hy + halo) continue;
      const core = Math.abs(dx) <= hx && Math.abs(dy) <= hy;
      picked.push({ r, shift: [cx + dx - m.centre[3 * r], cy + dy - m.centre[3 * r + 1]], core });
    }
    if (!picked.some((p) => p.core && !m.heldOut[p.r])) continue;
    samples.push(subSample(m, picked, target, R));
  }
  return samples;
}

function subSample(m: Membrane, picked: { r: number; shift: [number, number]; core: boolean }[], target: Float32Array, R: number): Sample {
  const sys = m.forward.system;
  const beads: CgSystem['beads'] = [];
  const residues: CgResidue[] = [];
  const coords: number[] = [];
  const tgt: number[] = [];
  const slots: number[] = [];
  const aaCoords = Float64Array.from(m.aa.coords);
  for (const p of picked) {
    const res = sys.residues[p.r];
    const keep = p.core && !m.heldOut[p.r];
    const idx: number[] = [];
    for (const b of res.beads) {
      idx.push(beads.length);
      beads.push({ ...sys.beads[b], residue: residues.length });
      coords.push(sys.coords[3 * b] + p.shift[0], sys.coords[3 * b + 1] + p.shift[1], sys.coords[3 * b + 2]);
      for (let s = 0; s < R; s++) {
        const a = m.forward.slotAtoms[b * R + s];
        slots.push(keep ? a : -1);
        for (let d = 0; d < 3; d++) tgt.push(keep ? target[3 * (b * R + s) + d] : NaN);
        if (keep && a >= 0) {
          aaCoords[3 * a] = m.aa.coords[3 * a] + p.shift[0];
          aaCoords[3 * a + 1] = m.aa.coords[3 * a + 1] + p.shift[1];
        }
      }
    }
    residues.push({ ...res, beads: idx, chainIndex: residues.length });
  }
  const sub: CgSystem = { set: sys.set, beads, residues, coords: Float64Array.from(coords), box: null };
  return sampleFromSystem(sub, Float32Array.from(tgt), Int32Array.from(slots), aaCoords);
}

export interface LipidDatasetSummary {
  out: string;
  samples: number;
  beads: number;
  trainLipids: Record<string, number>;
  heldOutLipids: Record<string, number>;
  bytes: number;
}

/** Builds the `martini3-lipids` training file from the CHARMM36 membranes (training leaflets only as targets). */
export function buildLipidDataset(opts: { dataRoot: string; mapping: string; out: string; patch?: number; halo?: number; log?: (m: string) => void }): LipidDatasetSummary {
  const set = loadMappingSet(opts.mapping);
  const samples: Sample[] = [];
  const chains: { path: string; chain: string; cluster: string; beads: number; atoms: number }[] = [];
  const trainLipids: Record<string, number> = {};
  const heldOutLipids: Record<string, number> = {};
  for (const source of CHARMM36_MEMBRANES) {
    const m = loadMembrane(opts.dataRoot, source, set);
    m.forward.system.residues.forEach((res, r) => {
      if (!isLipidResidue(res)) return;
      const t = m.heldOut[r] ? heldOutLipids : trainLipids;
      t[res.molecule.name] = (t[res.molecule.name] ?? 0) + 1;
    });
    const ss = membraneSamples(m, opts.patch, opts.halo);
    ss.forEach((s, k) => {
      samples.push(s);
      // The membrane is the "cluster": patches of one frame are near-neighbours of each other.
      chains.push({ path: source.path, chain: `patch${k}`, cluster: source.id, beads: s.nBeads, atoms: s.nAtoms });
    });
    opts.log?.(`${source.id}: ${ss.length} patches, ${m.forward.system.residues.length} molecules`);
  }
  const R = set.maxSlots;
  const arrays = packSamples(samples, R);
  const meta = {
    ...datasetMeta(set, arrays),
    list: 'charmm36-membranes',
    listHash: createHash('sha256').update(CHARMM36_MEMBRANES.map((s) => s.path).join('\n')).digest('hex').slice(0, 16),
    split: 'held out: the +z leaflet (head groups up) of every membrane; targets only on the other leaflet',
    chains,
    trainLipids,
    heldOutLipids,
    createdBy: 'src/core/dataset/lipids.ts',
  };
  mkdirSync(dirname(resolve(opts.out)), { recursive: true });
  const bytes = writeDataset(opts.out, arrays, meta);
  return { out: opts.out, samples: samples.length, beads: arrays.pos.shape[0], trainLipids, heldOutLipids, bytes };
}

export interface LipidAccuracy {
  /** Per molecule name: heavy-atom RMSD (Å, no superposition) of each held-out molecule. */
  rmsd: Map<string, number[]>;
  /** Acyl-chain C–C bonds of held-out lipids: count, and how many lie within 1.28–1.70 Å; also per molecule. */
  tailBonds: { total: number; within: number };
  tailBondsByMolecule: Map<string, { total: number; within: number }>;
}

export const TAIL_BOND_RANGE: readonly [number, number] = [1.28, 1.7];
const TAIL_CARBON = /^C[23]\d+$/;

/**
 * Accuracy on the held-out leaflet of `m` for slot vectors predicted for its system (`m.forward.system` order):
 * the atoms are rebuilt with `reconstruct`'s coordinates and compared by name with the all-atom input.
 */
export function lipidAccuracy(m: Membrane, vectors: Float32Array, centres?: Float64Array): LipidAccuracy {
  const sys = m.forward.system;
  const R = sys.set.maxSlots;
  const topo = reconstructionTopology(sys);
  // Centred where the backmapper says (the template's rigid sterol rings), as the pipeline rebuilds them.
  const xyz = reconstructCoords(sys, vectors, centres ?? sys.coords);
  const rmsd = new Map<string, number[]>();
  let total = 0;
  let within = 0;
  const tailBondsByMolecule = new Map<string, { total: number; within: number }>();
  const X = m.aa.coords;
  for (let ri = 0; ri < sys.residues.length; ri++) {
    const res = sys.residues[ri];
    if (!m.heldOut[ri] || !isLipidResidue(res)) continue;
    const truth = new Map<string, number>();
    for (const b of res.beads) {
      const cb = sys.beads[b].molecule.beads[sys.beads[b].bead];
      cb.slots.forEach((s, j) => {
        const a = m.forward.slotAtoms[b * R + j];
        if (a >= 0) truth.set(res.molecule.atoms[s.atom].names[0], a);
      });
    }
    const built = new Map<string, number>();
    let sq = 0;
    let n = 0;
    for (let o = topo.residueOffset[ri]; o < topo.count && topo.residue[o] === ri; o++) {
      built.set(topo.names[o], o);
      const a = truth.get(topo.names[o]);
      if (a === undefined || !Number.isFinite(xyz[3 * o])) continue;
      for (let d = 0; d < 3; d++) sq += (xyz[3 * o + d] - X[3 * a + d]) ** 2;
      n++;
    }
    const name = res.molecule.name;
    const list = rmsd.get(name) ?? [];
    list.push(n ? Math.sqrt(sq / n) : NaN);
    rmsd.set(name, list);
    const topoL = lipidTopology(name);
    if (topoL?.kind !== 'lipid') continue;
    const mine = tailBondsByMolecule.get(name) ?? { total: 0, within: 0 };
    tailBondsByMolecule.set(name, mine);
    for (const [x, y] of topoL.bonds) {
      if (!TAIL_CARBON.test(x) || !TAIL_CARBON.test(y)) continue;
      const ox = built.get(x);
      const oy = built.get(y);
      if (ox === undefined || oy === undefined) continue;
      const dd = Math.hypot(xyz[3 * ox] - xyz[3 * oy], xyz[3 * ox + 1] - xyz[3 * oy + 1], xyz[3 * ox + 2] - xyz[3 * oy + 2]);
      total++;
      mine.total++;
      if (dd >= TAIL_BOND_RANGE[0] && dd <= TAIL_BOND_RANGE[1]) { within++; mine.within++; }
    }
  }
  return { rmsd, tailBonds: { total, within }, tailBondsByMolecule };
}
