/**
 * `backmap train`: a model for the user's own mapping from the user's own all-atom frames, in one call. The
 * TypeScript core maps the frames and writes the dataset (one mapping implementation); Python (training/train.py,
 * PyTorch) trains the same equivariant network as the shipped models and training/export.py writes ONNX + card;
 * inference stays Python-free. Everything is written into a scratch folder beside the output and moved into place
 * only when complete, so a failure, Ctrl-C or Cancel leaves no half-written model.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { CancelledError, InputError, SetupError, UsageError } from '../errors';
import type { MappingSet } from '../mapping/types';
import { resolveMappingFolder } from '../mapping/load';
import { readStructureFile } from '../structure/read';
import { assertWritable } from '../structure/write';
import { loadMappingChecked } from '../pipeline/plan';
import { resolveModel } from '../model/registry';
import type { ModelCard, StageOutput } from '../model/contract';
import type { Structure } from '../structure/types';
import { isUcgMappingPath, loadUcgMapping, type UcgMapping } from '../ucg/format';
import { buildUcgDataset, ucgArchitecture, ucgMappingId, writeUcgDataset } from '../ucg/dataset';
import { ALL_FRAMES, parseFrameRange, type FrameRange } from '../trajectory/frames';
import { buildFrameDataset, writeFrameDataset } from './dataset';
import { findPython } from './python';
import { runProcess } from '../process';
import type { TrainOptions, TrainProgress, TrainResult } from './options';

export interface TrainHooks {
  progress?(p: TrainProgress): void;
  signal?: AbortSignal;
}

/** Network size and batch for the data at hand (an `--init` model brings its own architecture). */
export interface TrainArchitecture {
  features: number;
  layers: number;
  cutoff: number;
  kMax: number;
  batchBeads: number;
}

/**
 * Chosen from the beads per frame: a ligand (tens of beads) gets a cutoff that spans the molecule, so every bead
 * sees every other, and batches of many frames; a protein or membrane gets the shipped protein model's size.
 */
export function chooseArchitecture(beadsPerFrame: number): TrainArchitecture {
  if (beadsPerFrame <= 64)
    return { features: 48, layers: 3, cutoff: 10, kMax: Math.max(1, Math.min(24, beadsPerFrame - 1)), batchBeads: Math.max(256, Math.min(2048, beadsPerFrame * 64)) };
  return { features: 64, layers: 3, cutoff: 8, kMax: 28, batchBeads: Math.max(800, beadsPerFrame) };
}

/** The folder holding train.py and export.py (the repository's or the installed extension's `training/`). */
export function trainingScriptsRoot(from: string = __dirname): string | null {
  let d = resolve(from);
  for (;;) {
    if (existsSync(join(d, 'training', 'train.py')) && existsSync(join(d, 'package.json'))) return join(d, 'training');
    const up = dirname(d);
    if (up === d) return null;
    d = up;
  }
}

/** The output model's sibling files (card, stored reference). */
export function modelFiles(onnxPath: string): { onnx: string; card: string; reference: string; stem: string } {
  const onnx = resolve(onnxPath);
  const stem = basename(onnx).replace(/\.onnx$/i, '');
  return { onnx, card: join(dirname(onnx), `${stem}.json`), reference: join(dirname(onnx), `${stem}.reference.bin`), stem };
}

/** A mapping folder's files, embedded in the card so the model carries its mapping (bundled sets are named only). */
function embeddedMappingFiles(mapping: string, set: MappingSet): Record<string, string> | undefined {
  if (resolveMappingFolder(mapping).bundled) return undefined;
  const files: Record<string, string> = {};
  for (const f of set.files ?? []) files[basename(f)] = readFileSync(f, 'utf8');
  return files;
}

/** A dataset ready for train.py, whatever mapping made it: what the run needs, and how it describes the model's card. */
interface PreparedDataset {
  count: number;
  train: number;
  validation: number;
  range: string;
  splitRule: string;
  list: string;
  beadsPerFrame: number;
  molecules: string[];
  moleculeKinds: string[];
  architecture: TrainArchitecture;
  /** Graphs of tens of beads (UCG stages): one single-threaded process trains fastest. */
  smallGraphs?: boolean;
  write(dataPath: string, referencePath: string): void;
  /** Card fields that say what the model reads and gives (mapping, molecules, stage, description). */
  describe(card: ModelCard): void;
}

const source = (opts: TrainOptions) => `${basename(opts.topology)}${opts.trajectory ? ` + ${basename(opts.trajectory)}` : ''}`;

/** What either dataset says of its frames (both builders keep the same fields and split record). */
function framesOf(ds: { samples: unknown[]; train: number[]; validation: number[]; range: string; meta: Record<string, unknown>; beadsPerFrame: number }) {
  return {
    count: ds.samples.length,
    train: ds.train.length,
    validation: ds.validation.length,
    range: ds.range,
    splitRule: (ds.meta.split as { rule: string }).rule,
    list: String(ds.meta.list),
    beadsPerFrame: ds.beadsPerFrame,
  };
}

/** A per-residue mapping set (bundled id or folder): the frames mapped by `mapToCg`; the model gives all atoms. */
function prepareResidueMapping(opts: TrainOptions, set: MappingSet, topology: Structure, range: FrameRange, signal: AbortSignal | undefined, progress: (f: number, d: string) => void): PreparedDataset {
  const ds = buildFrameDataset({ topology, trajectory: opts.trajectory, range, set, validationFraction: opts.validationFraction, warn: opts.warn, signal, progress });
  return {
    ...framesOf(ds),
    molecules: ds.molecules,
    moleculeKinds: ds.moleculeKinds,
    architecture: chooseArchitecture(ds.beadsPerFrame),
    write: (data, ref) => writeFrameDataset(ds, set, data, ref),
    describe(card) {
      const embedded = embeddedMappingFiles(opts.mapping, set);
      const templates = Object.values(ds.hydrogens).reduce((n, list) => n + list.length, 0);
      card.description =
        `Trained with backmap train on ${source(opts)} (frames ${ds.range}), mapping '${set.id}'; ` +
        (templates ? `heavy atoms, and templates for ${templates} hydrogen(s) measured on the frames.` : 'heavy atoms only.');
      card.mapping = { ...card.mapping, id: set.id, hash: set.hash, ...(embedded ? { files: embedded } : {}) };
      card.molecules = ds.molecules;
      // What the training topology's hydrogens look like from the rebuilt heavy atoms (src/core/ligand-hydrogens.ts).
      if (templates) card.hydrogens = ds.hydrogens;
      else delete card.hydrogens;
    },
  };
}

/** A UCG mapping file: beads of several residues → C-alpha trace (`--target ca`) or heavy atoms (src/core/ucg). */
function prepareUcg(opts: TrainOptions, mapping: UcgMapping, target: StageOutput, topology: Structure, range: FrameRange, signal: AbortSignal | undefined, progress: (f: number, d: string) => void): PreparedDataset {
  const caSet = target === 'atoms' ? loadMappingChecked('ca') : undefined;
  const ds = buildUcgDataset({ topology, trajectory: opts.trajectory, range, mapping, target, caSet, validationFraction: opts.validationFraction, warn: opts.warn, signal, progress });
  const molecules = [...new Set(ds.residues.map((r) => r.resName))];
  return {
    ...framesOf(ds),
    molecules,
    moleculeKinds: ['ucg-protein'],
    architecture: ucgArchitecture(ds),
    smallGraphs: true,
    write: (data, ref) => writeUcgDataset(ds, data, ref),
    describe(card) {
      card.description =
        `UCG stage trained with backmap train on ${source(opts)} (frames ${ds.range}): ${mapping.beads.length} UCG beads of ${basename(mapping.file)} → ` +
        `${target === 'ca' ? `the C-alpha trace of ${ds.residues.length} residues` : `the heavy atoms of ${ds.residues.length} residues`}.`;
      card.mapping = { id: ucgMappingId(mapping), hash: mapping.hash };
      card.molecules = molecules;
      card.stage = { takes: 'ucg', gives: target };
      card.ucg = { file: basename(mapping.file), text: mapping.text, target, residues: ds.residues.map((r) => ({ ...r })) };
    },
  };
}

/** Trains, exports and moves the model into place. Throws InputError/UsageError/SetupError for the user's to fix. */
export async function trainModel(opts: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const say = (p: TrainProgress) => hooks.progress?.(p);
  const check = () => {
    if (hooks.signal?.aborted) throw new CancelledError('training cancelled');
  };
  // ---- check: options, output, Python, mapping, inputs (before any long work)
  say({ phase: 'check', fraction: 0, message: 'checking inputs and Python' });
  const minutes = opts.minutes ?? 5;
  if (!(minutes > 0 && minutes <= 7 * 24 * 60)) throw new UsageError(`--minutes must be a positive number of minutes (got ${opts.minutes})`);
  if (!/\.onnx$/i.test(opts.out)) throw new UsageError(`the output model must be a .onnx file (got '${opts.out}'); its card is written beside it as .json`);
  const files = modelFiles(opts.out);
  const protect = [opts.topology, opts.trajectory ?? ''].filter(Boolean);
  for (const f of [files.onnx, files.card, files.reference]) assertWritable(f, { force: opts.force, protect });
  const range = opts.frames ? parseFrameRange(opts.frames) : ALL_FRAMES;
  const ucg = isUcgMappingPath(opts.mapping);
  if (opts.target && opts.target !== 'atoms' && !ucg)
    throw new UsageError(`--target ${opts.target} needs a UCG mapping (a .ucg.yaml file made by 'backmap coarsen'); '${opts.mapping}' is a per-residue mapping, whose models give all atoms`);
  const device = opts.device ?? 'cpu';
  const noise = opts.noise ?? 0.03;
  if (!(noise >= 0 && noise <= 5)) throw new UsageError(`--noise must be between 0 and 5 Å (got ${opts.noise})`);
  const py = findPython({ configured: opts.python, needCuda: device === 'cuda' });
  if (!py.ok || !py.python) throw new SetupError(py.message ?? 'no Python with PyTorch found');
  const scripts = trainingScriptsRoot();
  if (!scripts) throw new SetupError('training scripts (training/train.py, export.py) not found beside this installation');
  // The mapping (cheap) and --init are checked before the frames are read and mapped.
  const target: StageOutput = opts.target ?? 'atoms';
  const ucgMapping = ucg ? loadUcgMapping(opts.mapping) : undefined;
  const set = ucgMapping ? undefined : loadMappingChecked(opts.mapping, opts.policy, opts.warn);
  const mappingId = ucgMapping ? ucgMappingId(ucgMapping) : set!.id;
  let init: { onnxPath: string; card: ModelCard } | undefined;
  if (opts.init) {
    init = resolveModel(opts.init);
    const hashes = [init.card.mapping.hash, init.card.mapping.trainedWithHash].filter(Boolean);
    if (!hashes.includes(ucgMapping ? ucgMapping.hash : set!.hash))
      throw new InputError(
        `--init ${opts.init} reads mapping '${init.card.mapping.id}' but the data are mapped with '${mappingId}' (content hashes differ): fine-tuning needs the model's own mapping`,
        init.onnxPath,
      );
    if (ucgMapping && init.card.ucg?.target !== target)
      throw new InputError(`--init ${opts.init} gives ${init.card.ucg?.target ?? 'atoms'} but --target is ${target}: fine-tuning keeps the model's outputs`, init.onnxPath);
  }
  const topology = readStructureFile(opts.topology);
  check();
  log(`python: ${py.python} (Python ${py.probe?.version}, torch ${py.probe?.torch}${py.probe?.cuda ? ', CUDA' : ''})`);
  say({ phase: 'dataset', fraction: 0.01, message: 'mapping frames' });
  const progress = (f: number, detail: string) => say({ phase: 'dataset', fraction: 0.01 + 0.03 * f, message: `mapping ${detail}` });
  const ds = ucgMapping
    ? prepareUcg(opts, ucgMapping, target, topology, range, hooks.signal, progress)
    : prepareResidueMapping(opts, set!, topology, range, hooks.signal, progress);
  log(`dataset: ${ds.count} frame(s) (${ds.train} train, ${ds.validation} validation: the last in time), ${ds.beadsPerFrame} beads per frame, molecules ${ds.molecules.join(', ')}`);
  check();
  mkdirSync(dirname(files.onnx), { recursive: true });
  // Scratch beside the output: the final renames stay on one file system.
  const scratch = mkdtempSync(join(dirname(files.onnx), `.${files.stem}.training-`));
  // Python runs in its own process group, stopped with it on Cancel (src/core/process.ts).
  const exe = py.python;
  const python = (args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void) =>
    runProcess(exe, args, { cwd: scripts, env, signal: hooks.signal, onLine, cancelled: 'training cancelled' });
  try {
    const data = join(scratch, 'data.bmds');
    const ref = join(scratch, 'reference-input.bmds');
    ds.write(data, ref);
    const arch = init
      ? { features: Number(init.card.architecture?.features), layers: Number(init.card.architecture?.layers), cutoff: init.card.cutoff, kMax: init.card.K, batchBeads: ds.architecture.batchBeads }
      : ds.architecture;
    const cores = typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
    // Two 1-thread processes train 1.75x faster than one 2-thread process on small edge tensors (training/README.md);
    // a ligand's batches are too small for data parallelism to pay, so it gets one process with every core.
    const procs = device === 'cpu' && cores >= 2 && ds.beadsPerFrame > 64 ? 2 : 1;
    // A UCG stage's graphs are tens of beads: one thread runs 30 steps/s where two threads on a busy machine ran 2
    // (thread hand-offs cost more than the arithmetic; docs/experiments.md).
    const threads = device === 'cpu' && !ds.smallGraphs ? Math.max(1, Math.floor(Math.min(cores, 8) / procs)) : 1;
    const evalEvery = Math.max(0.2, Math.min(5, minutes / 8));
    const args = [
      join(scripts, 'train.py'),
      '--model-id', files.stem, '--data', data, '--out-dir', scratch, '--budget-min', String(minutes),
      '--features', String(arch.features), '--layers', String(arch.layers), '--cutoff', String(arch.cutoff), '--k-max', String(arch.kMax),
      '--batch-beads', String(arch.batchBeads), '--lr', init ? '5e-4' : '3e-3', '--noise', String(noise), '--outward', '0', '--split-chain', '0',
      '--eval-every-min', evalEvery.toFixed(2), '--procs', String(procs), '--threads', String(threads), '--device', device, '--progress-json',
      ...(init ? ['--init', init.onnxPath, '--finetune'] : []),
    ];
    log(`$ ${py.python} ${args.join(' ')}`);
    let lastVal: number | undefined;
    const env = { ...process.env, PYTHONUNBUFFERED: '1', OMP_NUM_THREADS: String(threads) };
    say({ phase: 'train', fraction: 0.05, message: 'starting PyTorch', minutes: 0, minutesLeft: minutes });
    const trained = await python(args, env, (line) => {
      if (!line.startsWith('@progress ')) return log(line);
      let p: Record<string, number | boolean>;
      try {
        p = JSON.parse(line.slice(10));
      } catch {
        return log(line);
      }
      const tMin = Number(p.t_min);
      if (typeof p.val_median === 'number') lastVal = p.val_median;
      const left = Math.max(0, minutes - tMin);
      const parts = [`epoch ${p.epoch}`, ...(lastVal !== undefined ? [`validation ${lastVal.toFixed(3)} Å`] : []), `${left.toFixed(1)} min left`];
      say({ phase: 'train', fraction: 0.05 + 0.9 * Math.min(1, tMin / minutes), message: parts.join(' · '), epoch: Number(p.epoch), step: Number(p.step), minutes: tMin, minutesLeft: left, validationRmsd: lastVal });
      if (typeof p.val_median === 'number') log(`validation after ${tMin.toFixed(1)} min (epoch ${p.epoch}): median heavy-atom RMSD ${p.val_median.toFixed(3)} Å`);
    });
    check();
    if (trained.code !== 0) throw new Error(`training failed (train.py exited ${trained.code ?? trained.signal}):\n${trained.tail.slice(-15).join('\n')}`);

    // ---- export: ONNX + card + stored reference, checked against PyTorch
    say({ phase: 'export', fraction: 0.96, message: 'exporting ONNX' });
    const outDir = join(scratch, 'model');
    const kinds = ds.moleculeKinds.join(',');
    const exportArgs = [
      join(scripts, 'export.py'), '--model-id', files.stem, '--checkpoint', join(scratch, 'checkpoint.pt'), '--data', data,
      '--models-dir', outDir, '--reference-input', ref, '--note', `backmap train: ${ds.list}`,
      // A model trained from scratch knows only the bead types it saw; a fine-tuned one keeps its model's table.
      ...(init ? [] : ['--molecule-kinds', kinds]),
    ];
    log(`$ ${py.python} ${exportArgs.join(' ')}`);
    const exported = await python(exportArgs, env, log);
    check();
    if (exported.code !== 0) throw new Error(`export failed (export.py exited ${exported.code ?? exported.signal}):\n${exported.tail.slice(-15).join('\n')}`);
    const cardTmp = join(outDir, `${files.stem}.json`);
    const card = JSON.parse(readFileSync(cardTmp, 'utf8')) as ModelCard & { training: Record<string, unknown> };
    ds.describe(card);
    card.moleculeKinds = init ? (init.card.moleculeKinds ?? ds.moleculeKinds) : ds.moleculeKinds;
    const val = card.training.validation as { all?: [number, number] } | undefined;
    // A run that diverged exports weights that give NaN: nothing is written, the user is told.
    if (ds.validation > 0 && !(typeof val?.all?.[0] === 'number' && Number.isFinite(val.all[0])))
      throw new Error(`training diverged: the validation RMSD is not a number after ${String(card.training.steps ?? '?')} steps, so no model was written (a smaller --noise or another --frames selection may help; please report it with the command)`);
    card.training = {
      ...card.training,
      frames: {
        topology: basename(opts.topology),
        trajectory: opts.trajectory ? basename(opts.trajectory) : null,
        range: ds.range,
        selected: ds.count,
        train: ds.train,
        validation: ds.validation,
        split: ds.splitRule,
      },
      python: `${py.python} (Python ${py.probe?.version}, torch ${py.probe?.torch})`,
      ...(init ? { initFrom: `${init.card.id} (${basename(init.onnxPath)})` } : {}),
    };
    writeFileSync(cardTmp, JSON.stringify(card, null, 2) + '\n');
    check();
    // Into place: the reference and card first, the model last (the model's presence means the run completed).
    renameSync(join(outDir, `${files.stem}.reference.bin`), files.reference);
    renameSync(cardTmp, files.card);
    renameSync(join(outDir, `${files.stem}.onnx`), files.onnx);
    say({ phase: 'export', fraction: 1, message: `model written: ${files.onnx}` });
    const validation = val?.all && Number.isFinite(val.all[0]) ? { median: val.all[0], mean: val.all[1] } : null;
    return {
      onnxPath: files.onnx,
      cardPath: files.card,
      card,
      frames: { selected: ds.count, train: ds.train, validation: ds.validation, range: ds.range },
      validation,
      seconds: (performance.now() - t0) / 1000,
      python: py.python,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
