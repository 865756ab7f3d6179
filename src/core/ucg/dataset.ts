/**
 * The training dataset of a UCG stage (`backmap train --mapping x.ucg.yaml [--target ca]`), made by the same code
 * that maps and rebuilds at run time (map.ts, stage.ts): the mapping is planned on the topology once, every selected
 * frame is made whole and mapped to bead positions, and the true positions of every slot's atom are its targets.
 * Validation is the last frames in time, as for every other trained model (src/core/training/dataset.ts).
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { CancelledError, InputError, type InputWarning } from '../errors';
import type { MappingSet } from '../mapping/types';
import type { Structure } from '../structure/types';
import { wholeFrames } from '../pipeline/pbc';
import { packSamples, type Sample } from '../dataset/build';
import { writeDataset } from '../dataset/format';
import { formatFrameRange, noFrameSelected, selectInputFrames, type FrameRange } from '../trajectory/frames';
import * as trajectoryIo from '../trajectory/index';
import { FEW_FRAMES } from '../training/dataset';
import type { UcgMapping } from './format';
import { planUcg, ucgBeadCoords, type UcgPlan, type UcgResidue } from './map';
import { beadChainIndex, ucgSample, ucgSlotTable, type UcgSlotTable, type UcgTarget } from './stage';

export interface UcgDataset {
  samples: Sample[];
  frames: number[];
  train: number[];
  validation: number[];
  plan: UcgPlan;
  table: UcgSlotTable;
  residues: UcgResidue[];
  meta: Record<string, unknown>;
  beadsPerFrame: number;
  /** Largest distance (Å) between two beads in any training frame (the model's cutoff must span it). */
  maxBeadDistance: number;
  range: string;
}

export interface UcgDatasetOptions {
  topology: Structure;
  trajectory?: string;
  range: FrameRange;
  mapping: UcgMapping;
  target: UcgTarget;
  /** The bundled C-alpha set: heavy-atom hierarchy per residue (target `atoms`). */
  caSet?: MappingSet;
  validationFraction?: number;
  warn?: (w: InputWarning) => void;
  signal?: AbortSignal;
  progress?: (fraction: number, detail: string) => void;
}

/** The mapping id a UCG model's card and dataset give (`ucg:<name>`; the file name when the mapping has none). */
export const ucgMappingId = (m: UcgMapping): string => `ucg:${m.name || basename(m.file)}`;

export function buildUcgDataset(opts: UcgDatasetOptions): UcgDataset {
  const top = opts.topology;
  const plan = planUcg(top, opts.mapping, opts.warn);
  const residues = plan.residues;
  const nB = opts.mapping.beads.length;
  const table = ucgSlotTable(residues, nB, opts.target, opts.caSet);
  // Where each slot's atom sits in the topology (atoms the topology lacks: no target, refused below).
  const atomIndex = plan.structureResidue.map((r) => {
    const m = new Map<string, number>();
    for (let i = r.start; i < r.end; i++) if (!m.has(top.atoms.name[i])) m.set(top.atoms.name[i], i);
    return m;
  });
  const missing: string[] = [];
  for (const slots of table.beads)
    for (const s of slots)
      if (!atomIndex[s.residue].has(s.atom)) missing.push(`${residues[s.residue].resName} ${residues[s.residue].chainId}${residues[s.residue].resSeq} ${s.atom}`);
  if (missing.length) {
    const caOnly = opts.target === 'atoms' && plan.structureResidue.every((r) => r.end - r.start === 1);
    throw new InputError(
      caOnly
        ? `the topology holds only CA atoms: a UCG → atoms model needs all-atom frames (train --target ca for the C-alpha stage)`
        : `${missing.length} atom(s) the UCG stage rebuilds are missing from the topology: ${missing.slice(0, 6).join(', ')}${missing.length > 6 ? ', …' : ''}`,
      top.source,
    );
  }
  const chains = beadChainIndex(residues, nB);
  const selection = selectInputFrames(top, opts.trajectory, trajectoryIo, { frames: opts.range });
  const src = opts.trajectory ?? top.source;
  const samples: Sample[] = [];
  const frames: number[] = [];
  let maxD2 = 0;
  for (const frame of wholeFrames(top, opts.trajectory, selection.range)) {
    if (opts.signal?.aborted) throw new CancelledError('training cancelled');
    const beads = ucgBeadCoords(plan, frame.coords);
    for (let i = 0; i < nB; i++)
      for (let j = i + 1; j < nB; j++) {
        let d = 0;
        for (let c = 0; c < 3; c++) d += (beads[3 * i + c] - beads[3 * j + c]) ** 2;
        if (d > maxD2) maxD2 = d;
      }
    const xyz = frame.coords;
    samples.push(
      ucgSample(table, residues, chains, beads, (r, atom) => {
        const i = atomIndex[r].get(atom);
        return i === undefined ? null : xyz.subarray(3 * i, 3 * i + 3);
      }),
    );
    frames.push(frame.index);
    if (samples.length % 50 === 0) opts.progress?.(selection.total ? samples.length / selection.total : 0, `frame ${frame.index}`);
  }
  if (!samples.length) throw noFrameSelected(opts.range, selection.available, src);
  if (samples.length < FEW_FRAMES)
    opts.warn?.({ message: `only ${samples.length} frame(s) selected: a model trained on fewer than ${FEW_FRAMES} frames has seen too little motion to generalise (use more frames)`, file: src });
  const n = samples.length;
  const nVal = n < 2 ? 0 : Math.max(1, Math.round(n * (opts.validationFraction ?? 0.1)));
  const train = Array.from({ length: n - nVal }, (_, i) => i);
  const validation = Array.from({ length: nVal }, (_, i) => n - nVal + i);
  const range = selection.range;
  const rangeText = range.start === 0 && range.stop === null && range.step === 1 ? 'all' : formatFrameRange(range);
  const listHash = createHash('sha256').update(`${top.source}\n${opts.trajectory ?? ''}\n${rangeText}\n${frames.join(',')}\n${opts.target}`).digest('hex').slice(0, 16);
  const meta = {
    mapping: ucgMappingId(opts.mapping),
    mappingHash: opts.mapping.hash,
    R: table.R,
    numTypes: nB,
    typeNames: opts.mapping.beads.map((b) => b.name),
    maxLevel: table.maxLevel,
    list: `${basename(top.source)}${opts.trajectory ? ` + ${basename(opts.trajectory)}` : ''} frames ${rangeText}`,
    listHash,
    chains: frames.map((f) => ({ path: basename(src), chain: '', cluster: '', frame: f, beads: nB })),
    split: { train, validation, rule: `the last ${nVal} of ${n} frames in time are validation` },
    ucgTarget: opts.target,
    createdBy: 'src/core/ucg/dataset.ts',
  };
  return { samples, frames, train, validation, plan, table, residues, meta, beadsPerFrame: nB, maxBeadDistance: Math.sqrt(maxD2), range: rangeText };
}

/** Writes the dataset and the one-sample reference input export.py checks the ONNX file against. */
export function writeUcgDataset(ds: UcgDataset, dataPath: string, referencePath: string): void {
  writeDataset(dataPath, packSamples(ds.samples, ds.table.R), ds.meta);
  const ref = ds.validation.length ? ds.validation[0] : 0;
  writeDataset(referencePath, packSamples([ds.samples[ref]], ds.table.R), { ...ds.meta, chains: [(ds.meta.chains as unknown[])[ref]], split: undefined });
}

/**
 * Most neighbours of a bead in a UCG stage. The message sums of the network grow with the neighbours inside a cutoff
 * that spans the protein (every envelope near 1): with 31 neighbours (32 beads) a fresh network's outputs reached
 * 3e9 Å and training went to NaN at once; 11 trained well. Three layers of 12 nearest neighbours still reach far.
 */
export const UCG_MAX_NEIGHBOURS = 12;

/** Network size for a UCG stage: the 12 nearest beads (all of them in a small model), cutoff over the largest distance seen. */
export function ucgArchitecture(ds: UcgDataset): { features: number; layers: number; cutoff: number; kMax: number; batchBeads: number } {
  const cutoff = Math.max(20, Math.ceil(ds.maxBeadDistance * 1.25 + 5));
  return { features: 64, layers: 3, cutoff, kMax: Math.max(1, Math.min(UCG_MAX_NEIGHBOURS, ds.beadsPerFrame - 1)), batchBeads: Math.max(64, ds.beadsPerFrame * 16) };
}
