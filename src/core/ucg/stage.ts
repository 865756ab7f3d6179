/**
 * A UCG model stage (issue #28, the iterative backmapping of Kementzidis et al.): UCG beads → C-alpha trace
 * (`target: 'ca'`, the first of two steps) or UCG beads → heavy atoms directly (`target: 'atoms'`, the one-step
 * baseline). The network is the shipped equivariant one (training/model.py) under the same ONNX contract: every bead
 * is its own bead type (a model is trained per protein), the graph spans every bead pair within the card's cutoff,
 * and the residue-offset feature counts beads along the mapping. Each bead's output slots rebuild its residues:
 * one CA per residue (level 1, from the bead), or for `atoms` every heavy atom of the residue in the hierarchy of the
 * C-alpha mapping (`mappings/ca`: CA from the bead, then N, C, CB, … from the CA). The bead is the mean of its CA
 * atoms, so the recentring weights are 1/n on the CA slots. The slot table is a pure function of the residue list
 * and the target, so training (`ucgSamples`) and inference (`reconstructUcg`) use the same one.
 */
import { InputError } from '../errors';
import type { MappingSet } from '../mapping/types';
import { resolveMolecule } from '../cg';
import { isTerminalOnly } from '../forward';
import { StructureBuilder } from '../structure/builder';
import type { Structure } from '../structure/types';
import type { Sample } from '../dataset/build';
import type { UcgResidue } from './map';

export type UcgTarget = 'ca' | 'atoms';

export interface UcgSlot {
  /** Covered-residue index. */
  residue: number;
  atom: string;
  level: number;
  /** Slot index (within the bead) of the anchor; the slot's own index = the bead. */
  anchor: number;
  weight: number;
}

export interface UcgSlotTable {
  target: UcgTarget;
  /** Slots of each bead. */
  beads: UcgSlot[][];
  /** Model output slots per bead (the largest bead). */
  R: number;
  maxLevel: number;
}

const BACKBONE_NAMES = new Set(['N', 'CA', 'C', 'O']);

/** Slot table of a residue list; `caSet` (the bundled `ca` mapping set) gives each residue's heavy-atom hierarchy for `atoms`. */
export function ucgSlotTable(residues: UcgResidue[], nBeads: number, target: UcgTarget, caSet?: MappingSet): UcgSlotTable {
  const beads: UcgSlot[][] = Array.from({ length: nBeads }, () => []);
  const members: number[][] = Array.from({ length: nBeads }, () => []);
  residues.forEach((r, i) => members[r.bead].push(i));
  let maxLevel = 1;
  members.forEach((list, b) => {
    const w = 1 / Math.max(1, list.length);
    for (const i of list) {
      if (target === 'ca') {
        beads[b].push({ residue: i, atom: 'CA', level: 1, anchor: beads[b].length, weight: w });
        continue;
      }
      const mol = caSet ? resolveMolecule(caSet, residues[i].resName) : null;
      if (!mol)
        throw new InputError(`residue ${residues[i].resName} ${residues[i].chainId}${residues[i].resSeq} has no heavy-atom hierarchy in the C-alpha mapping: a UCG → atoms model covers the 20 amino acids`, caSet?.folder ?? 'mappings/ca');
      const slots = mol.beads[0].slots;
      // OXT exists only at chain ends: the UCG stage leaves it to the C-alpha stage (or to refinement).
      const keep = slots.map((s) => !isTerminalOnly(mol.atoms[s.atom].names[0]) && !/^H/.test(mol.atoms[s.atom].element));
      const newIndex: number[] = [];
      const base = beads[b].length;
      slots.forEach((_, k) => newIndex.push(keep[k] ? base + newIndex.filter((x) => x >= 0).length : -1));
      slots.forEach((s, k) => {
        if (!keep[k]) return;
        const name = mol.atoms[s.atom].names[0];
        const anchor = s.anchor === k ? newIndex[k] : newIndex[s.anchor];
        if (anchor < 0) throw new Error(`C-alpha mapping: ${mol.name} ${name} is anchored on a dropped slot`);
        beads[b].push({ residue: i, atom: name, level: s.level, anchor, weight: name === 'CA' ? w : 0 });
        if (s.level > maxLevel) maxLevel = s.level;
      });
    }
  });
  const R = Math.max(1, ...beads.map((s) => s.length));
  return { target, beads, R, maxLevel };
}

/** Output atoms of a slot table in residue order (CA first for `ca`; the mapping's atom order for `atoms`). */
function outputAtoms(table: UcgSlotTable, nResidues: number): { residue: number; atom: string; bead: number; slot: number }[] {
  const perResidue: { residue: number; atom: string; bead: number; slot: number }[][] = Array.from({ length: nResidues }, () => []);
  table.beads.forEach((slots, b) => slots.forEach((s, k) => perResidue[s.residue].push({ residue: s.residue, atom: s.atom, bead: b, slot: k })));
  return perResidue.flat();
}

/**
 * One training sample: bead positions of a frame and the true positions of every slot's atom (`atomXyz(residue,
 * atom)` → [x,y,z] or null when the frame lacks it). Bonds and angles for the loss: consecutive CA atoms of a chain
 * (3.8 Å) for `ca`; covalent pairs (< 1.9 Å) within and between sequence neighbours for `atoms`.
 */
export function ucgSample(
  table: UcgSlotTable,
  residues: UcgResidue[],
  beadChain: Int32Array,
  beadXyz: Float64Array,
  atomXyz: (residue: number, atom: string) => ArrayLike<number> | null,
): Sample {
  const nB = table.beads.length;
  const R = table.R;
  const atoms = outputAtoms(table, residues.length);
  const nA = atoms.length;
  const atomPos = new Float32Array(3 * nA).fill(NaN);
  const atomIndex = new Map<string, number>();
  atoms.forEach((a, i) => {
    atomIndex.set(`${a.bead}:${a.slot}`, i);
    const p = atomXyz(a.residue, a.atom);
    if (p) for (let c = 0; c < 3; c++) atomPos[3 * i + c] = p[c];
  });
  const slotExists = new Uint8Array(nB * R);
  const slotMask = new Uint8Array(nB * R);
  const slotAnchor = new Int32Array(nB * R).fill(-1);
  const slotLevel = new Int32Array(nB * R);
  const slotWeight = new Float32Array(nB * R);
  const slotAtom = new Int32Array(nB * R).fill(-1);
  const target = new Float32Array(nB * R * 3).fill(NaN);
  table.beads.forEach((slots, b) =>
    slots.forEach((s, k) => {
      const o = b * R + k;
      const a = atomIndex.get(`${b}:${k}`)!;
      slotExists[o] = 1;
      slotAnchor[o] = s.anchor;
      slotLevel[o] = s.level;
      slotWeight[o] = s.weight;
      slotAtom[o] = a;
      const anchorAtom = s.anchor === k ? -1 : atomIndex.get(`${b}:${s.anchor}`)!;
      const from = anchorAtom < 0 ? beadXyz.subarray(3 * b, 3 * b + 3) : atomPos.subarray(3 * anchorAtom, 3 * anchorAtom + 3);
      for (let c = 0; c < 3; c++) target[3 * o + c] = atomPos[3 * a + c] - from[c];
      slotMask[o] = Number.isFinite(target[3 * o]) && Number.isFinite(target[3 * o + 1]) && Number.isFinite(target[3 * o + 2]) ? 1 : 0;
    }),
  );
  const d2 = (i: number, j: number) => {
    let s = 0;
    for (let c = 0; c < 3; c++) s += (atomPos[3 * i + c] - atomPos[3 * j + c]) ** 2;
    return s;
  };
  const bonds: number[] = [];
  const adj: number[][] = Array.from({ length: nA }, () => []);
  const bond = (i: number, j: number) => {
    bonds.push(i, j);
    adj[i].push(j);
    adj[j].push(i);
  };
  const sameChainNext = (r: number) => r + 1 < residues.length && residues[r + 1].chainId === residues[r].chainId;
  const byResidue: number[][] = Array.from({ length: residues.length }, () => []);
  atoms.forEach((a, i) => byResidue[a.residue].push(i));
  for (let r = 0; r < residues.length; r++) {
    const mine = byResidue[r];
    const next = sameChainNext(r) ? byResidue[r + 1] : [];
    if (table.target === 'ca') {
      // Consecutive CA atoms of a chain are 3.8 Å apart (3.0 for a cis peptide); a longer gap is a chain break.
      for (const i of mine) for (const j of next) if (d2(i, j) < 4.3 * 4.3) bond(i, j);
      continue;
    }
    for (let x = 0; x < mine.length; x++) for (let y = x + 1; y < mine.length; y++) if (d2(mine[x], mine[y]) < 1.9 * 1.9) bond(mine[x], mine[y]);
    for (const i of mine) for (const j of next) if (d2(i, j) < 1.9 * 1.9) bond(i, j);
  }
  const angles: number[] = [];
  for (let j = 0; j < nA; j++) for (let x = 0; x < adj[j].length; x++) for (let y = x + 1; y < adj[j].length; y++) angles.push(adj[j][x], j, adj[j][y]);
  return {
    nBeads: nB,
    nAtoms: nA,
    pos: Float32Array.from(beadXyz),
    beadType: Int32Array.from({ length: nB }, (_, b) => b),
    resIndex: Int32Array.from({ length: nB }, (_, b) => b),
    chainIndex: Int32Array.from(beadChain),
    parentBead: new Int32Array(nB).fill(-1),
    beadInRes: new Int32Array(nB),
    target,
    slotMask,
    slotExists,
    slotAnchor,
    slotLevel,
    slotWeight,
    slotAtom,
    atomPos,
    atomBackbone: Uint8Array.from(atoms.map((a) => (BACKBONE_NAMES.has(a.atom) ? 1 : 0))),
    atomResidue: Int32Array.from(atoms.map((a) => a.residue)),
    bonds: Int32Array.from(bonds),
    angles: Int32Array.from(angles),
    torsions: new Float32Array(nB * 4),
    torsionMask: new Uint8Array(nB * 2),
  };
}

/** Chain index of each bead (its first residue's chain, numbered in order of appearance). */
export function beadChainIndex(residues: UcgResidue[], nBeads: number): Int32Array {
  const ids = new Map<string, number>();
  const out = new Int32Array(nBeads);
  const seen = new Uint8Array(nBeads);
  for (const r of residues) {
    if (!ids.has(r.chainId)) ids.set(r.chainId, ids.size);
    if (!seen[r.bead]) {
      seen[r.bead] = 1;
      out[r.bead] = ids.get(r.chainId)!;
    }
  }
  return out;
}

/**
 * The hierarchical reconstruction of training/model.py `reconstruct` for a UCG slot table: every slot starts on its
 * bead, level by level a slot moves to its anchor's position before that level plus its vector, then the bead's
 * atoms are shifted so that their weighted centre (the CA centroid) is the bead. Returns the atoms in residue order.
 */
export function reconstructUcg(
  table: UcgSlotTable,
  residues: UcgResidue[],
  beadXyz: ArrayLike<number>,
  vectors: Float32Array,
  source: string,
  title = '',
): Structure {
  const R = table.R;
  const atoms = outputAtoms(table, residues.length);
  const placed = new Map<string, [number, number, number]>();
  table.beads.forEach((slots, b) => {
    const n = slots.length;
    const p = new Float64Array(3 * n);
    for (let k = 0; k < n; k++) for (let c = 0; c < 3; c++) p[3 * k + c] = beadXyz[3 * b + c];
    for (let level = 1; level <= Math.min(table.maxLevel, R); level++) {
      const before = Float64Array.from(p);
      slots.forEach((s, k) => {
        if (s.level !== level) return;
        for (let c = 0; c < 3; c++) p[3 * k + c] = before[3 * s.anchor + c] + vectors[(b * R + k) * 3 + c];
      });
    }
    let ws = 0;
    const cm = [0, 0, 0];
    slots.forEach((s, k) => {
      ws += s.weight;
      for (let c = 0; c < 3; c++) cm[c] += s.weight * p[3 * k + c];
    });
    const shift = [0, 0, 0];
    if (ws > 0) for (let c = 0; c < 3; c++) shift[c] = beadXyz[3 * b + c] - cm[c] / ws;
    slots.forEach((_, k) => placed.set(`${b}:${k}`, [p[3 * k] + shift[0], p[3 * k + 1] + shift[1], p[3 * k + 2] + shift[2]]));
  });
  const out = new StructureBuilder(atoms.length);
  for (const a of atoms) {
    const r = residues[a.residue];
    const [x, y, z] = placed.get(`${a.bead}:${a.slot}`)!;
    out.addAtom({ name: a.atom, resName: r.resName, chainId: r.chainId, resSeq: r.resSeq, iCode: r.iCode, element: a.atom[0], x, y, z });
  }
  return out.build(source, title);
}
