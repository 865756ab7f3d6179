/**
 * Training datasets, made by the same TypeScript mapping code the product runs (one mapping implementation):
 * each chain is read (io), mapped (`mapToCg`), and its target slot vectors computed (`targetVectors`); the
 * per-bead slot tables (anchor, level, recentring weight, atom) are written too, so Python reconstructs
 * exactly as docs/mapping-format.md "Hierarchy rules" / `reconstruct` without knowing anything about mapping files.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, basename } from 'node:path';
import { InputError } from '../errors';
import type { MappingSet } from '../mapping/types';
import { loadMappingSet } from '../mapping/load';
import { readStructureFile } from '../structure/read';
import { applyIupacNaming } from '../structure/nomenclature';
import { isTerminalOnly, mapToCg } from '../forward';
import { targetVectors } from '../reconstruct';
import type { CgSystem } from '../cg';
import { writeDataset, type NamedArray } from './format';
import { benchmarkClusters, readTsv, sharedDataRoot } from './tsv';

export interface DatasetSummary {
  out: string;
  mapping: string;
  mappingHash: string;
  R: number;
  numTypes: number;
  samples: number;
  beads: number;
  atoms: number;
  bonds: number;
  angles: number;
  skipped: { path: string; chain: string; reason: string }[];
  droppedBenchmarkClusters: number;
  /** Per residue type: residues checked and swapped to the IUPAC naming rule (false when renaming was off). */
  iupacNaming: Record<string, { checked: number; swapped: number }> | false;
  bytes: number;
  seconds: number;
}

/** One mapped chain in dataset form (also used for the model's stored reference input). */
export interface Sample {
  nBeads: number;
  nAtoms: number;
  pos: Float32Array; // nBeads*3
  beadType: Int32Array;
  resIndex: Int32Array;
  chainIndex: Int32Array;
  parentBead: Int32Array; // previous bead of the same residue (local index), -1 for the first
  beadInRes: Int32Array;
  target: Float32Array; // nBeads*R*3, NaN absent
  slotMask: Uint8Array; // slot exists and its target is finite
  slotExists: Uint8Array;
  slotAnchor: Int32Array; // slot index of the anchor, -1 for no slot
  slotLevel: Int32Array;
  slotWeight: Float32Array;
  slotAtom: Int32Array; // local atom index, -1 for no slot
  atomPos: Float32Array; // nAtoms*3, NaN when missing in the all-atom input
  atomBackbone: Uint8Array;
  atomResidue: Int32Array;
  bonds: Int32Array; // pairs of local atom indices
  angles: Int32Array; // triples
  torsions: Float32Array; // nBeads*4: cos phi, sin phi, cos psi, sin psi
  torsionMask: Uint8Array; // nBeads*2
}

const BACKBONE = new Set(['N', 'CA', 'C', 'O', 'OXT']);

function dihedral(p: number[][]): number {
  const [a, b, c, d] = p;
  const b0 = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  const b1 = [c[0] - b[0], c[1] - b[1], c[2] - b[2]];
  const b2 = [d[0] - c[0], d[1] - c[1], d[2] - c[2]];
  const n1 = Math.hypot(b1[0], b1[1], b1[2]);
  const u = b1.map((x) => x / n1);
  const dot = (x: number[], y: number[]) => x[0] * y[0] + x[1] * y[1] + x[2] * y[2];
  const v = b0.map((x, i) => x - dot(b0, u) * u[i]);
  const w = b2.map((x, i) => x - dot(b2, u) * u[i]);
  const cross = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
  return Math.atan2(dot(cross, w), dot(v, w));
}

/**
 * Converts a mapped system into dataset arrays. `aaCoords`/`slotAtoms` give the true atoms (from `mapToCg`);
 * pass `slotAtoms` all -1 and `target` all NaN for CG-only input (the reference fixture).
 */
export function sampleFromSystem(system: CgSystem, target: Float32Array, slotAtoms: Int32Array, aaCoords: Float64Array): Sample {
  const set = system.set;
  const R = set.maxSlots;
  const nB = system.beads.length;
  if (target.length !== nB * R * 3) throw new Error(`targetVectors length ${target.length} != ${nB}*${R}*3`);
  if (slotAtoms.length !== nB * R) throw new Error(`slotAtoms length ${slotAtoms.length} != ${nB}*${R}`);
  const pos = Float32Array.from(system.coords.subarray(0, nB * 3));
  const beadType = new Int32Array(nB);
  const resIndex = new Int32Array(nB);
  const chainIndex = new Int32Array(nB);
  const parentBead = new Int32Array(nB).fill(-1);
  const beadInRes = new Int32Array(nB);
  const slotMask = new Uint8Array(nB * R);
  const slotExists = new Uint8Array(nB * R);
  const slotAnchor = new Int32Array(nB * R).fill(-1);
  const slotLevel = new Int32Array(nB * R);
  const slotWeight = new Float32Array(nB * R);
  const slotAtom = new Int32Array(nB * R).fill(-1);
  // Output atoms: one per (residue, mapping atom), shared slots of several beads point to the same one.
  const atomKey = new Map<string, number>();
  const atomXyz: number[] = [];
  const atomBb: number[] = [];
  const atomRes: number[] = [];
  const atomName: string[] = [];
  // Terminal-only atoms (OXT) exist only at the end of a chain segment, exactly as `reconstruct` emits them.
  const nRes0 = system.residues.length;
  const cTerm = (r: number) => r === nRes0 - 1 || system.residues[r + 1].chainIndex !== system.residues[r].chainIndex;
  for (let b = 0; b < nB; b++) {
    const bead = system.beads[b];
    const res = system.residues[bead.residue];
    const cb = bead.molecule.beads[bead.bead];
    beadType[b] = bead.typeId;
    resIndex[b] = bead.residue;
    chainIndex[b] = res.chainIndex;
    const k = res.beads.indexOf(b);
    beadInRes[b] = k;
    parentBead[b] = k > 0 ? res.beads[k - 1] : -1;
    cb.slots.forEach((slot, s) => {
      if (s >= R) return;
      const i = b * R + s;
      if (isTerminalOnly(bead.molecule.atoms[slot.atom].names[0]) && !cTerm(bead.residue)) return;
      slotExists[i] = 1;
      slotAnchor[i] = slot.anchor;
      slotLevel[i] = slot.level;
      slotWeight[i] = slot.recenterWeight;
      const key = `${bead.residue}:${slot.atom}`;
      let a = atomKey.get(key);
      if (a === undefined) {
        a = atomRes.length;
        atomKey.set(key, a);
        const src = slotAtoms[i];
        if (src >= 0) atomXyz.push(aaCoords[3 * src], aaCoords[3 * src + 1], aaCoords[3 * src + 2]);
        else atomXyz.push(NaN, NaN, NaN);
        const name = bead.molecule.atoms[slot.atom].names[0];
        atomName.push(name);
        atomBb.push(BACKBONE.has(name) ? 1 : 0);
        atomRes.push(bead.residue);
      }
      slotAtom[i] = a;
      const t = target.subarray(3 * i, 3 * i + 3);
      slotMask[i] = Number.isFinite(t[0]) && Number.isFinite(t[1]) && Number.isFinite(t[2]) ? 1 : 0;
    });
  }
  const nA = atomRes.length;
  const atomPos = Float32Array.from(atomXyz);
  // Bonds: true distance < 1.9 Å within a residue or between sequence-adjacent residues of one chain.
  const byRes = new Map<number, number[]>();
  for (let a = 0; a < nA; a++) {
    const l = byRes.get(atomRes[a]) ?? [];
    l.push(a);
    byRes.set(atomRes[a], l);
  }
  const bonds: number[] = [];
  const adj: number[][] = Array.from({ length: nA }, () => []);
  const d2 = (i: number, j: number) => {
    const dx = atomPos[3 * i] - atomPos[3 * j];
    const dy = atomPos[3 * i + 1] - atomPos[3 * j + 1];
    const dz = atomPos[3 * i + 2] - atomPos[3 * j + 2];
    return dx * dx + dy * dy + dz * dz;
  };
  const tryBond = (i: number, j: number) => {
    const d = d2(i, j);
    if (Number.isFinite(d) && d < 1.9 * 1.9 && d > 0.01) {
      bonds.push(i, j);
      adj[i].push(j);
      adj[j].push(i);
    }
  };
  for (let r = 0; r < system.residues.length; r++) {
    const mine = byRes.get(r) ?? [];
    for (let x = 0; x < mine.length; x++) for (let y = x + 1; y < mine.length; y++) tryBond(mine[x], mine[y]);
    const next = byRes.get(r + 1);
    if (next && r + 1 < system.residues.length && system.residues[r + 1].chainIndex === system.residues[r].chainIndex)
      for (const i of mine) for (const j of next) tryBond(i, j);
  }
  const angles: number[] = [];
  for (let j = 0; j < nA; j++) {
    const n = adj[j];
    for (let x = 0; x < n.length; x++) for (let y = x + 1; y < n.length; y++) angles.push(n[x], j, n[y]);
  }
  // Backbone torsions of each bead's residue, from the true N/CA/C atoms.
  const nRes = system.residues.length;
  const bbAtom = (r: number, name: string): number[] | null => {
    const l = byRes.get(r);
    if (!l) return null;
    for (const a of l)
      if (atomName[a] === name && Number.isFinite(atomPos[3 * a])) return [atomPos[3 * a], atomPos[3 * a + 1], atomPos[3 * a + 2]];
    return null;
  };
  const phi = new Float64Array(nRes).fill(NaN);
  const psi = new Float64Array(nRes).fill(NaN);
  const linked = (r: number) => {
    if (r < 0 || r + 1 >= nRes || system.residues[r].chainIndex !== system.residues[r + 1].chainIndex) return false;
    const c = bbAtom(r, 'C');
    const n = bbAtom(r + 1, 'N');
    return !!c && !!n && Math.hypot(c[0] - n[0], c[1] - n[1], c[2] - n[2]) < 2.0;
  };
  for (let r = 0; r < nRes; r++) {
    const n = bbAtom(r, 'N');
    const ca = bbAtom(r, 'CA');
    const c = bbAtom(r, 'C');
    if (!n || !ca || !c) continue;
    if (linked(r - 1)) phi[r] = dihedral([bbAtom(r - 1, 'C')!, n, ca, c]);
    if (linked(r)) psi[r] = dihedral([n, ca, c, bbAtom(r + 1, 'N')!]);
  }
  const torsions = new Float32Array(nB * 4);
  const torsionMask = new Uint8Array(nB * 2);
  for (let b = 0; b < nB; b++) {
    const r = resIndex[b];
    if (Number.isFinite(phi[r])) {
      torsions[4 * b] = Math.cos(phi[r]);
      torsions[4 * b + 1] = Math.sin(phi[r]);
      torsionMask[2 * b] = 1;
    }
    if (Number.isFinite(psi[r])) {
      torsions[4 * b + 2] = Math.cos(psi[r]);
      torsions[4 * b + 3] = Math.sin(psi[r]);
      torsionMask[2 * b + 1] = 1;
    }
  }
  return {
    nBeads: nB,
    nAtoms: nA,
    pos,
    beadType,
    resIndex,
    chainIndex,
    parentBead,
    beadInRes,
    target: Float32Array.from(target),
    slotMask,
    slotExists,
    slotAnchor,
    slotLevel,
    slotWeight,
    slotAtom,
    atomPos,
    atomBackbone: Uint8Array.from(atomBb),
    atomResidue: Int32Array.from(atomRes),
    bonds: Int32Array.from(bonds),
    angles: Int32Array.from(angles),
    torsions,
    torsionMask,
  };
}

/** Concatenates samples; per-sample local indices become global (offset by the sample's first bead/atom). */
export function packSamples(samples: Sample[], R: number): Record<string, NamedArray> {
  const B = samples.reduce((s, x) => s + x.nBeads, 0);
  const A = samples.reduce((s, x) => s + x.nAtoms, 0);
  const NB = samples.reduce((s, x) => s + x.bonds.length / 2, 0);
  const NA = samples.reduce((s, x) => s + x.angles.length / 3, 0);
  const beadOff = new BigInt64Array(samples.length + 1);
  const atomOff = new BigInt64Array(samples.length + 1);
  const pos = new Float32Array(B * 3);
  const beadType = new BigInt64Array(B);
  const resIndex = new Int32Array(B);
  const chainIndex = new Int32Array(B);
  const parentBead = new Int32Array(B);
  const beadInRes = new Int32Array(B);
  const target = new Float32Array(B * R * 3);
  const slotMask = new Uint8Array(B * R);
  const slotExists = new Uint8Array(B * R);
  const slotAnchor = new Int32Array(B * R);
  const slotLevel = new Int32Array(B * R);
  const slotWeight = new Float32Array(B * R);
  const slotAtom = new Int32Array(B * R);
  const atomPos = new Float32Array(A * 3);
  const atomBackbone = new Uint8Array(A);
  const atomResidue = new Int32Array(A);
  const bonds = new Int32Array(NB * 2);
  const angles = new Int32Array(NA * 3);
  const torsions = new Float32Array(B * 4);
  const torsionMask = new Uint8Array(B * 2);
  let b0 = 0;
  let a0 = 0;
  let nb0 = 0;
  let na0 = 0;
  samples.forEach((s, k) => {
    beadOff[k] = BigInt(b0);
    atomOff[k] = BigInt(a0);
    pos.set(s.pos, b0 * 3);
    for (let i = 0; i < s.nBeads; i++) {
      beadType[b0 + i] = BigInt(s.beadType[i]);
      parentBead[b0 + i] = s.parentBead[i] >= 0 ? s.parentBead[i] + b0 : -1;
    }
    resIndex.set(s.resIndex, b0);
    chainIndex.set(s.chainIndex, b0);
    beadInRes.set(s.beadInRes, b0);
    target.set(s.target, b0 * R * 3);
    slotMask.set(s.slotMask, b0 * R);
    slotExists.set(s.slotExists, b0 * R);
    slotAnchor.set(s.slotAnchor, b0 * R);
    slotLevel.set(s.slotLevel, b0 * R);
    slotWeight.set(s.slotWeight, b0 * R);
    for (let i = 0; i < s.slotAtom.length; i++) slotAtom[b0 * R + i] = s.slotAtom[i] >= 0 ? s.slotAtom[i] + a0 : -1;
    atomPos.set(s.atomPos, a0 * 3);
    atomBackbone.set(s.atomBackbone, a0);
    atomResidue.set(s.atomResidue, a0);
    for (let i = 0; i < s.bonds.length; i++) bonds[nb0 * 2 + i] = s.bonds[i] + a0;
    for (let i = 0; i < s.angles.length; i++) angles[na0 * 3 + i] = s.angles[i] + a0;
    torsions.set(s.torsions, b0 * 4);
    torsionMask.set(s.torsionMask, b0 * 2);
    b0 += s.nBeads;
    a0 += s.nAtoms;
    nb0 += s.bonds.length / 2;
    na0 += s.angles.length / 3;
  });
  beadOff[samples.length] = BigInt(b0);
  atomOff[samples.length] = BigInt(a0);
  return {
    sample_bead_offset: { data: beadOff, shape: [samples.length + 1] },
    sample_atom_offset: { data: atomOff, shape: [samples.length + 1] },
    pos: { data: pos, shape: [B, 3] },
    bead_type: { data: beadType, shape: [B] },
    res_index: { data: resIndex, shape: [B] },
    chain_index: { data: chainIndex, shape: [B] },
    parent_bead: { data: parentBead, shape: [B] },
    bead_in_res: { data: beadInRes, shape: [B] },
    target: { data: target, shape: [B, R, 3] },
    slot_mask: { data: slotMask, shape: [B, R] },
    slot_exists: { data: slotExists, shape: [B, R] },
    slot_anchor: { data: slotAnchor, shape: [B, R] },
    slot_level: { data: slotLevel, shape: [B, R] },
    slot_weight: { data: slotWeight, shape: [B, R] },
    slot_atom: { data: slotAtom, shape: [B, R] },
    atom_pos: { data: atomPos, shape: [A, 3] },
    atom_backbone: { data: atomBackbone, shape: [A] },
    atom_residue: { data: atomResidue, shape: [A] },
    bonds: { data: bonds, shape: [NB, 2] },
    angles: { data: angles, shape: [NA, 3] },
    torsions: { data: torsions, shape: [B, 4] },
    torsion_mask: { data: torsionMask, shape: [B, 2] },
  };
}

/** Bead-type table of a set, ordered by id (several idnames may share one id). */
export function beadTypeNames(set: MappingSet): string[] {
  const names: string[] = new Array(set.numTypes).fill('');
  for (const [idname, id] of set.beadTypes) if (id >= 0 && id < set.numTypes) names[id] = names[id] ? `${names[id]}|${idname}` : idname;
  return names;
}

/** The mapping fields every dataset's meta starts with (train.py and export.py read them). */
export function datasetMeta(set: MappingSet, arrays: Record<string, NamedArray>) {
  return {
    mapping: set.id,
    mappingHash: set.hash,
    R: set.maxSlots,
    numTypes: set.numTypes,
    typeNames: beadTypeNames(set),
    maxLevel: (arrays.slot_level.data as Int32Array).reduce((m, x) => Math.max(m, x), 0),
  };
}

/** Builds a dataset file from a chain list. Benchmark clusters are dropped (and asserted absent). */
export async function buildDataset(opts: {
  list: string;
  mapping: string;
  out: string;
  dataRoot?: string;
  limit?: number;
  /** Rename equivalent side-chain atoms to the IUPAC rule before mapping (default true; see nomenclature.ts). */
  iupacNaming?: boolean;
  log?: (msg: string) => void;
}): Promise<DatasetSummary> {
  const t0 = Date.now();
  const dataRoot = opts.dataRoot ?? sharedDataRoot();
  if (!dataRoot) throw new InputError('shared data folder not found (set BACKMAP_SHARED_DATA or pass dataRoot)', opts.list);
  const listPath = isAbsolute(opts.list) ? opts.list : resolve(opts.list);
  const { columns, rows } = readTsv(listPath);
  if (!columns.includes('path') || !columns.includes('chain')) throw new InputError('list needs columns "path" and "chain"', listPath, 1);
  const bench = benchmarkClusters(dataRoot);
  const set = loadMappingSet(opts.mapping);
  const R = set.maxSlots;
  const samples: Sample[] = [];
  const chains: { path: string; chain: string; cluster: string; beads: number; atoms: number }[] = [];
  const skipped: DatasetSummary['skipped'] = [];
  let dropped = 0;
  const iupacNaming = opts.iupacNaming ?? true;
  const naming: Record<string, { checked: number; swapped: number }> = {};
  for (const row of rows) {
    if (opts.limit !== undefined && samples.length >= opts.limit) break;
    const rel = String(row.path);
    const chain = String(row.chain) === '_' ? '' : String(row.chain); // '_' marks a blank chain id in the lists
    const cluster = String(row.cluster ?? '');
    if (cluster && bench.has(cluster)) {
      dropped++;
      continue;
    }
    try {
      const aa = readStructureFile(join(dataRoot, rel));
      if (iupacNaming) {
        // Whole file, not only the chain: cheap, and the counts below are per file read.
        for (const [res, n] of Object.entries(applyIupacNaming(aa).byResidue)) {
          const t = (naming[res] ??= { checked: 0, swapped: 0 });
          t.checked += n.checked;
          t.swapped += n.swapped;
        }
      }
      const fr = mapToCg(aa, set, { chain });
      const sys = fr.system;
      if (sys.beads.length === 0) throw new Error('no mapped beads');
      const target = targetVectors(sys, aa.coords, fr.slotAtoms);
      const s = sampleFromSystem(sys, target, fr.slotAtoms, aa.coords);
      let missing = 0;
      for (let i = 0; i < s.slotExists.length; i++) if (s.slotExists[i] && !s.slotMask[i]) missing++;
      if (missing > 0.05 * s.slotExists.reduce((a, b) => a + b, 0)) throw new Error(`${missing} slot targets missing`);
      samples.push(s);
      chains.push({ path: rel, chain, cluster, beads: s.nBeads, atoms: s.nAtoms });
      opts.log?.(`${rel}:${chain} ${s.nBeads} beads ${s.nAtoms} atoms`);
    } catch (e) {
      skipped.push({ path: rel, chain, reason: (e as Error).message.split('\n')[0] });
      opts.log?.(`skip ${rel}:${chain}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  // The promise to the benchmark: not one of its clusters may reach a training file.
  for (const c of chains) if (c.cluster && bench.has(c.cluster)) throw new Error(`benchmark cluster ${c.cluster} in training set`);
  const arrays = packSamples(samples, R);
  const namingReport = iupacNaming ? naming : false;
  const listHash = createHash('sha256').update(rows.map((r) => `${r.path}\t${r.chain}`).join('\n')).digest('hex').slice(0, 16);
  const meta = {
    ...datasetMeta(set, arrays),
    list: basename(listPath),
    listHash,
    chains,
    skipped,
    droppedBenchmarkClusters: dropped,
    iupacNaming: namingReport,
    createdBy: 'src/core/dataset/build.ts',
  };
  mkdirSync(dirname(resolve(opts.out)), { recursive: true });
  const bytes = writeDataset(opts.out, arrays, meta);
  return {
    out: opts.out,
    mapping: set.id,
    mappingHash: set.hash,
    R,
    numTypes: set.numTypes,
    samples: samples.length,
    beads: arrays.pos.shape[0],
    atoms: arrays.atom_pos.shape[0],
    bonds: arrays.bonds.shape[0],
    angles: arrays.angles.shape[0],
    skipped,
    droppedBenchmarkClusters: dropped,
    iupacNaming: namingReport,
    bytes,
    seconds: (Date.now() - t0) / 1000,
  };
}
