/**
 * A training dataset from the user's own all-atom frames (`backmap train`), made by the same mapping code as
 * everything else: the topology is mapped once (`mapToCg`: which atoms make which bead, which atom each slot
 * rebuilds), every selected frame is made whole in its box and mapped through that plan (`mapCoords`), and its
 * target vectors computed (`targetVectors`). One sample per frame. Validation is the LAST frames in time (MD frames
 * next to each other are nearly the same structure, so a random split would score memory, not generalisation).
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { CancelledError, InputError, type InputWarning } from '../errors';
import type { MappingSet } from '../mapping/types';
import type { Structure } from '../structure/types';
import { mapCoords, mapToCg, type ForwardResult } from '../forward';
import { targetVectors } from '../reconstruct';
import { wholeFrames } from '../pipeline/pbc';
import { describeForwardReport } from '../pipeline/map';
import { checkInputStructure, refuseCg } from '../pipeline/plan';
import { datasetMeta, packSamples, sampleFromSystem, type Sample } from '../dataset/build';
import { writeDataset } from '../dataset/format';
import { formatFrameRange, noFrameSelected, selectInputFrames, type FrameRange } from '../trajectory/frames';
import * as trajectoryIo from '../trajectory/index';
import { soluteClass } from '../pipeline/molecules';
import type { HydrogenTemplate } from '../model/contract';
import { HydrogenTemplateCollector, templateTargets } from './hydrogen-templates';

/** Fewer frames than this train a model that has seen too little motion: warned, not refused. */
export const FEW_FRAMES = 20;

export interface FrameDataset {
  samples: Sample[];
  /** Frame index (0-based, in the file) of each sample. */
  frames: number[];
  train: number[];
  validation: number[];
  /** The mapping as planned on the topology (bead and slot tables). */
  forward: ForwardResult;
  meta: Record<string, unknown>;
  /** Residue names mapped, and the classes the model will be declared for. */
  molecules: string[];
  moleculeKinds: string[];
  beadsPerFrame: number;
  range: string;
  /** Hydrogen templates per molecule, measured on the selected frames (for the card; `hydrogen-templates.ts`). */
  hydrogens: Record<string, HydrogenTemplate[]>;
}

export interface FrameDatasetOptions {
  topology: Structure;
  trajectory?: string;
  range: FrameRange;
  set: MappingSet;
  /** Share of the selected frames held out for validation (the last ones); default 0.1. */
  validationFraction?: number;
  warn?: (w: InputWarning) => void;
  signal?: AbortSignal;
  progress?: (fraction: number, detail: string) => void;
}

/** Plans the mapping on the topology and refuses what would train on wrong or missing targets. */
export function planTrainingMapping(top: Structure, set: MappingSet, warn?: (w: InputWarning) => void): ForwardResult {
  checkInputStructure(top, 'all-atom', warn);
  refuseCg(top, 'training needs the all-atom topology the trajectory belongs to');
  const fw = mapToCg(top, set);
  if (!fw.system.beads.length) {
    const names = [...new Set(Array.from({ length: Math.min(top.atoms.count, 5000) }, (_, i) => top.atoms.resName[i]))].slice(0, 8);
    throw new InputError(
      `mapping '${set.id}' knows no residue of this structure (its residues: ${names.join(', ')}; the mapping has ${[...set.molecules.keys()].slice(0, 8).join(', ')})`,
      top.source,
    );
  }
  // A slot whose atom the topology lacks has no target: the network would learn nothing for it, and a renamed atom
  // (another force field's naming) would silently never be rebuilt. Refused, naming the atoms.
  const missing = fw.report.missingAtoms; // rule-bearing atoms only, OXT not expected
  if (missing.length) {
    const m = missing[0];
    const list = missing.slice(0, 6).map((x) => `${x.resName} ${x.chainId}${x.resSeq} ${x.atom}`).join(', ');
    throw new InputError(
      `${missing.length} atom(s) the mapping rebuilds are missing from the topology: ${list}${missing.length > 6 ? ', …' : ''} (atom names must be the mapping's; see its file)`,
      m.file,
      m.line,
    );
  }
  for (const line of describeForwardReport({ ...fw.report, missingAtoms: [] })) warn?.({ message: line, file: top.source });
  return fw;
}

/** Builds the samples (one per selected frame) and the split. */
export function buildFrameDataset(opts: FrameDatasetOptions): FrameDataset {
  const top = opts.topology;
  const set = opts.set;
  const fw = planTrainingMapping(top, set, opts.warn);
  const sys0 = fw.system;
  const nB = sys0.beads.length;
  // Frames in the file (counted where cheap), negative indices resolved; an empty selection is refused here.
  const selection = selectInputFrames(top, opts.trajectory, trajectoryIo, { frames: opts.range });
  const range = selection.range;
  const expected = selection.total;
  const samples: Sample[] = [];
  const frames: number[] = [];
  const src = opts.trajectory ?? top.source;
  // The hydrogens the model does not rebuild are measured on the same frames, for the card's templates.
  const hydrogens = new HydrogenTemplateCollector(templateTargets(top, fw));
  for (const frame of wholeFrames(top, opts.trajectory, range)) {
    if (opts.signal?.aborted) throw new CancelledError('training cancelled');
    const beadXyz = mapCoords(fw, frame.coords);
    const system = { ...sys0, coords: beadXyz };
    const target = targetVectors(system, frame.coords, fw.slotAtoms);
    samples.push(sampleFromSystem(system, target, fw.slotAtoms, frame.coords));
    frames.push(frame.index);
    hydrogens.add(frame.coords);
    if (samples.length % 25 === 0) opts.progress?.(expected ? samples.length / expected : 0, `frame ${frame.index}${expected ? ` (${samples.length} of ${expected})` : ''}`);
  }
  if (!samples.length) throw noFrameSelected(opts.range, selection.available, src);
  const templates = hydrogens.finish();
  for (const p of templates.problems) opts.warn?.({ message: `hydrogen template: ${p.message}`, file: top.source, line: top.atoms.sourceLine[p.atom] || undefined });
  if (samples.length < FEW_FRAMES)
    opts.warn?.({ message: `only ${samples.length} frame(s) selected: a model trained on fewer than ${FEW_FRAMES} frames has seen too little motion to generalise (use more frames of the trajectory)`, file: src });
  const n = samples.length;
  const fraction = opts.validationFraction ?? 0.1;
  const nVal = n < 2 ? 0 : Math.max(1, Math.round(n * fraction));
  const train = Array.from({ length: n - nVal }, (_, i) => i);
  const validation = Array.from({ length: nVal }, (_, i) => n - nVal + i);
  const molecules = [...new Set(sys0.residues.map((r) => r.molecule.name))];
  const classes = [...new Set(molecules.map(soluteClass))];
  const moleculeKinds = classes.map((c) => (c === 'protein' ? 'amino-acid' : c));
  const arrays = packSamples(samples, set.maxSlots);
  const rangeText = range.start === 0 && range.stop === null && range.step === 1 ? 'all' : formatFrameRange(range);
  const listHash = createHash('sha256')
    .update(`${top.source}\n${opts.trajectory ?? ''}\n${rangeText}\n${frames.join(',')}`)
    .digest('hex')
    .slice(0, 16);
  const meta = {
    ...datasetMeta(set, arrays),
    list: `${basename(top.source)}${opts.trajectory ? ` + ${basename(opts.trajectory)}` : ''} frames ${rangeText}`,
    listHash,
    // One entry per sample (train.py reads per-sample entries here).
    chains: frames.map((f) => ({ path: basename(src), chain: '', cluster: '', frame: f, beads: nB })),
    split: { train, validation, rule: `the last ${nVal} of ${n} frames in time are validation` },
    createdBy: 'src/core/training/dataset.ts',
  };
  return { samples, frames, train, validation, forward: fw, meta, molecules, moleculeKinds, beadsPerFrame: nB, range: rangeText, hydrogens: templates.templates };
}

/** Writes the dataset (all samples) and the one-sample reference input export.py checks the ONNX file against. */
export function writeFrameDataset(ds: FrameDataset, set: MappingSet, dataPath: string, referencePath: string): void {
  writeDataset(dataPath, packSamples(ds.samples, set.maxSlots), ds.meta);
  const ref = ds.validation.length ? ds.validation[0] : 0;
  writeDataset(referencePath, packSamples([ds.samples[ref]], set.maxSlots), { ...ds.meta, chains: [(ds.meta.chains as unknown[])[ref]], split: undefined });
}
