import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, delimiter, resolve } from 'node:path';
import { InputError, type InputWarning } from '../core/errors';
import { engineHeavyNames } from '../core/hydrogens';
import { readStructureFile } from '../core/structure/read';
import { structureFormatOf, trajectoryFormatOf } from '../core/io/formats';
import { assertWritable, writeFileAtomic, writeStructureFile } from '../core/structure/write';
import { validateMappingFolder } from '../core/mapping/load';
import { parseMappingText } from '../core/mapping/parse';
import type { MappingDiagnostic } from '../core/mapping/parse';
import {
  bondGraphEditDistance,
  caRmsd,
  compareStructures,
  clashPercent,
  describeMatching,
  hasPeptideBackbone,
  isCaTrace,
  matchStructureResidues,
  ramachandranAgreement,
  residueEntries,
  SAME_SEQUENCE_IDENTITY,
  type ResidueMatching,
} from '../core/metrics';
import { sequencePreview } from '../core/residue-match';
import type { Structure } from '../core/structure/types';
import { accuracySummary, formatAccuracy, listModelEntries, listModels, type ModelProblem } from '../core/model/registry';
import { DEVICES, type Device } from '../core/model/providers';
import { buildDataset } from '../core/dataset/build';
import {
  backmapStructure,
  backmapTrajectory,
  loadMappingChecked,
  mapStructureToCg,
  mapTrajectory,
  checkInputStructure,
  topologyPathOf,
  refuseCg,
  FrameOutput,
  framesFormatOf,
  type FramesFormat,
  renderReport,
  type BackmapReport,
  type BackmapSettings,
  type InputPolicy,
} from '../core/pipeline';
import { UsageError, type CliIO, type CliOptions } from './options';
import { isUcgMappingPath, loadUcgMapping } from '../core/ucg/format';
import { isUcgStructureFile, mapUcgFrames } from '../core/ucg/map';
import { backmapChain, chainForInput, chainInput, needsChain } from '../core/pipeline/chain';
import { cardStage, describeStageEnd } from '../core/model/contract';
import { train } from './train';
import { merge } from './merge';
import { slurm } from './slurm';
import { coarsen } from './coarsen';
import { prepare } from './prepare';

type Handler = (args: string[], opts: CliOptions, io: CliIO) => Promise<void>;

const need = (value: string | undefined, what: string): string => {
  if (!value) throw new UsageError(`missing ${what}`);
  return value;
};

const residueMapOf = (opts: CliOptions): Record<string, string> | undefined => {
  if (!opts['residue-map']) return undefined;
  // "HSD=HIS,CYX=CYS"
  const map: Record<string, string> = {};
  for (const pair of opts['residue-map'].split(',')) {
    const [from, to] = pair.split('=').map((s) => s.trim());
    if (!from || !to) throw new UsageError(`--residue-map expects FROM=TO[,FROM=TO…], got '${pair}'`);
    map[from] = to;
  }
  return map;
};

const intOpt = (value: string | undefined, name: string, min = 1): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} expects an integer ≥ ${min}, got '${value}'`);
  return n;
};

const where = (file: string, line?: number) => (line ? `${file}:${line}` : file);

/** Non-fatal input problems the pipeline finds, on stderr naming file:line. */
const warnTo = (io: CliIO) => (w: InputWarning) => io.err(`warning: ${where(w.file, w.line)}: ${w.message}\n`);

/**
 * The pipeline's input policy as the flags set it (documented in the usage text): unknown whole residues are
 * skipped unless --strict, unknown beads refused unless --partial, a mapping folder with warnings refused unless
 * --allow-warnings.
 */
function policyOf(opts: CliOptions): InputPolicy {
  return {
    unknownResidues: opts.strict ? 'error' : 'skip',
    unknownBeads: opts.partial ? 'skip' : 'error',
    mappingWarnings: opts['allow-warnings'] ? 'allow' : 'refuse',
    hints: { unknownBeads: 'use --mapping, or --partial to skip them', unknownResidues: 'without --strict they are skipped; --residue-map renames residues' },
  };
}

/** `map --mapping x.ucg.yaml`: every selected frame to UCG beads (one model per frame, PDB/GRO/CIF). */
async function mapUcg(inputPath: string, output: string, mappingPath: string, opts: CliOptions, io: CliIO): Promise<void> {
  if (trajectoryFormatOf(output) || (opts.format && opts.format !== 'pdb'))
    throw new UsageError('UCG beads are written as a structure file (.pdb, .gro or .cif; a multi-model PDB for several frames)');
  const mapping = loadUcgMapping(mappingPath);
  const aa = readStructureFile(inputPath);
  const r = mapUcgFrames(aa, mapping, { trajectory: opts.trajectory, frames: opts.frames, stride: intOpt(opts.stride, 'stride'), maxFrames: intOpt(opts['max-frames'], 'max-frames'), warn: warnTo(io) });
  writeStructureFile(output, r.cg, { force: opts.force, protect: [inputPath, opts.trajectory ?? ''].filter(Boolean), models: r.cg.models });
  io.out(`mapped ${r.plan.residues.length} residues to ${mapping.beads.length} UCG beads${r.frames > 1 ? ` in ${r.frames} frames` : ''} with ${basename(mappingPath)} → ${output}\n`);
}

const map: Handler = async ([input], opts, io) => {
  const inputPath = need(input, 'the all-atom structure');
  const output = need(opts.output, '-o <cg.pdb>');
  const mappingArg = need(opts.mapping, '--mapping <set|folder>');
  // Refuse before doing any work: the input is never written, an existing output needs --force.
  assertWritable(output, { force: opts.force, protect: [inputPath, opts.trajectory ?? ''].filter(Boolean) });
  if (opts.trajectory && !existsSync(opts.trajectory)) throw new InputError('file not found', opts.trajectory);
  const warn = warnTo(io);
  if (isUcgMappingPath(mappingArg)) return mapUcg(inputPath, output, mappingArg, opts, io);
  const set = loadMappingChecked(mappingArg, policyOf(opts), warn);
  const aa = readStructureFile(inputPath);
  // A trajectory, or a multi-model all-atom file (frames as MODEL records): every selected frame is mapped.
  if (opts.trajectory || aa.models.length > 1 || opts.frames) {
    if (!opts.trajectory && aa.models.length > 1) io.err(`note: ${inputPath} has ${aa.models.length} models: mapping each as a frame\n`);
    const progress = (stage: string, fraction: number, detail?: string) => {
      if (io.tty) io.err(`\r${stage} ${(fraction * 100).toFixed(0)}% ${detail ?? ''}   `);
    };
    const r = await mapTrajectory(
      {
        topology: inputPath,
        trajectory: opts.trajectory,
        mapping: set,
        out: output,
        format: opts.format as 'pdb' | 'xtc' | 'trr' | 'dcd' | undefined,
        force: opts.force,
        frames: opts.frames,
        stride: intOpt(opts.stride, 'stride'),
        maxFrames: intOpt(opts['max-frames'], 'max-frames'),
        chain: opts.chain,
        residueNameMap: residueMapOf(opts),
        warn,
      },
      { progress },
    );
    if (io.tty) io.err('\n');
    for (const line of r.mapped.problems) io.err(`warning: ${line}\n`);
    io.out(`mapped ${r.frames} frame(s) of ${r.beads} particles with '${r.mapped.mappingId}' → ${r.out}${r.topologyOut ? ` (+ topology ${r.topologyOut})` : ''}\n`);
    return;
  }
  const result = mapStructureToCg(aa, set, { chain: opts.chain, residueNameMap: residueMapOf(opts), warn });
  for (const line of result.problems) io.err(`warning: ${line}\n`);
  writeStructureFile(output, result.cg, { force: opts.force, protect: [inputPath] });
  const solvent = result.molecules.filter((m) => m.kind === 'water' || m.kind === 'ion').map((m) => `${m.out} ${m.kind === 'water' ? 'waters' : 'ions'}`);
  io.out(`mapped ${result.system.residues.length} residues to ${result.system.beads.length} beads${solvent.length ? ` (+ ${solvent.join(', ')}: ${result.beads} particles in all)` : ''} with '${result.mappingId}' → ${output}\n`);
};

/**
 * --hydrogens / --no-hydrogens, --ph, --names (hydrogens are on by default; a trajectory or multi-model input takes
 * its first frame's protonation for every frame).
 */
function hydrogenOptions(opts: CliOptions): { hydrogens?: boolean; ph?: number; names?: 'charmm' | 'amber' | 'gromacs' } {
  if (opts.hydrogens && opts['no-hydrogens']) throw new UsageError('--hydrogens and --no-hydrogens contradict each other');
  const ph = opts.ph === undefined ? undefined : Number(opts.ph);
  if (ph !== undefined && !(Number.isFinite(ph) && ph >= 0 && ph <= 14)) throw new UsageError(`--ph expects a number from 0 to 14, got '${opts.ph}'`);
  if (opts.names !== undefined && !['charmm', 'amber', 'gromacs'].includes(opts.names)) throw new UsageError(`--names must be charmm, amber or gromacs (got '${opts.names}')`);
  return {
    hydrogens: opts.hydrogens ? true : opts['no-hydrogens'] ? false : undefined,
    ph,
    names: opts.names as 'charmm' | 'amber' | 'gromacs' | undefined,
  };
}

/** --minimise [--minimise-tether K]: the force-field minimisation after hydrogens (every frame of a trajectory). */
function minimiseOptions(opts: CliOptions): { minimise?: { tether?: number } } {
  const tether = opts['minimise-tether'] === undefined ? undefined : Number(opts['minimise-tether']);
  if (tether !== undefined && !(Number.isFinite(tether) && tether >= 0)) throw new UsageError(`--minimise-tether expects kJ/mol/Å² ≥ 0, got '${opts['minimise-tether']}'`);
  if (!opts.minimise) {
    if (tether !== undefined) throw new UsageError('--minimise-tether goes with --minimise');
    return {};
  }
  if (opts['no-hydrogens']) throw new UsageError('--minimise needs the hydrogens (a force field without them holds every residue): drop --no-hydrogens');
  return { minimise: { tether } };
}

/**
 * --refine / --no-refine, else `byDefault` (undefined: the pipeline's default); --refine-sidechains adds the opt-in
 * part to whatever that gives the others.
 */
function refineOf(opts: CliOptions, byDefault?: boolean): BackmapSettings['refine'] {
  const all = opts['no-refine'] ? false : opts.refine ? true : byDefault;
  return opts['refine-sidechains'] ? { backbone: all, clashes: all, sidechains: true } : all;
}

/** Folders of user models (--models a,b: the path delimiter also works), each checked to exist. */
function modelDirsOf(opts: CliOptions): string[] | undefined {
  if (!opts.models) return undefined;
  const dirs = opts.models.split(/[,]/).flatMap((d) => d.split(delimiter)).filter(Boolean).map((d) => resolve(d));
  for (const d of dirs) if (!existsSync(d) || !statSync(d).isDirectory()) throw new InputError('--models: not a folder of models', d);
  return dirs;
}

/** Model ids the project ships (issue contract); asked for while not installed → template, said loudly. */
const SHIPPED_MODELS: Record<string, string> = { 'martini3-protein': 'martini3', 'ca-protein': 'ca' };

const TEMPLATE_SAYS = 'template backmapper (no trained model)';

function modelArg(opts: CliOptions, io: CliIO): { model: string; mapping?: string } {
  const want = opts.model ?? 'auto';
  const shippedSet = SHIPPED_MODELS[want];
  if (shippedSet && !listModels().some((c) => c.id === want)) {
    io.err(`warning: model '${want}' is not installed in models/: using the ${TEMPLATE_SAYS}\n`);
    return { model: 'template', mapping: opts.mapping ?? shippedSet };
  }
  return { model: want, mapping: opts.mapping };
}

/** Notes on stderr: why this model/mapping, and a device asked for that did not run (the template, a fallback). */
function noteChoice(report: BackmapReport, opts: CliOptions, io: CliIO): void {
  io.err(`note: ${report.modelNote}\n`);
  const asked = opts.device && opts.device !== 'auto' && opts.device !== 'cpu' ? opts.device : undefined;
  if (!asked) return;
  if (report.modelId === 'template') io.err(`note: --device ${asked} is not used: the template backmapper runs in JavaScript on the CPU\n`);
  else if (report.provider !== asked) {
    const why = report.providerAttempts.find((a) => a.device === asked && !a.ok)?.reason;
    io.err(`warning: --device ${asked} is unavailable${why ? ` (${why})` : ''}: ran on ${report.provider}\n`);
  }
}

function describeChoice(report: BackmapReport): string {
  return report.modelId === 'template' ? TEMPLATE_SAYS : `model ${report.modelId} on ${report.provider}`;
}

/**
 * `backmap --model a.onnx --then b.onnx …`: a chain of stages (src/core/pipeline/chain.ts), or a UCG stage alone
 * (writes its C-alpha trace). Every model of a multi-model input, or the selected frames of --trajectory, runs
 * through the chain; the output is one structure, or a multi-model PDB.
 */
async function backmapChained(inputPath: string, output: string, inputs: string[], opts: CliOptions, io: CliIO): Promise<void> {
  if ((!opts.model || opts.model === 'auto' || opts.model === 'template') && opts.then?.length) throw new UsageError('--then needs --model: the first stage of the chain (e.g. the UCG → C-alpha model)');
  if (opts.format !== undefined && !['pdb', 'xtc', 'trr', 'dcd'].includes(opts.format)) throw new UsageError(`--format must be pdb, xtc, trr or dcd (got '${opts.format}')`);
  // Frames go to a binary trajectory (+ <out>.topology.pdb) when asked; otherwise one structure or a multi-model PDB.
  const trajectoryOut = !!trajectoryFormatOf(output) || (!!opts.format && opts.format !== 'pdb');
  if (trajectoryOut) assertWritable(topologyPathOf(output), { force: opts.force, protect: inputs });
  const warn = warnTo(io);
  const top = readStructureFile(inputPath);
  // UCG beads without --model: the installed chain that takes them (a UCG stage, then a C-alpha model).
  const stages = chainForInput(top, { models: opts.then?.length ? [opts.model!, ...opts.then] : undefined, model: opts.model, modelDirs: modelDirsOf(opts) }, (note) => io.err(`note: ${note}\n`));
  if (!stages) throw new InputError('its first residue is a UCG bead but not every particle is: a file of UCG beads holds nothing else (backmap map --mapping <file.ucg.yaml> writes one)', inputPath);
  const samples = intOpt(opts.samples, 'samples') ?? 1;
  if (samples > 1 && !stages.some((s) => s.takes === 'ucg' && s.gives === 'ca'))
    throw new UsageError('--samples draws C-alpha traces of a UCG → C-alpha stage, and this chain has none');
  const many = !!opts.trajectory || top.models.length > 1 || !!opts.frames;
  const input = chainInput(top, opts.trajectory, { frames: opts.frames, stride: intOpt(opts.stride, 'stride'), maxFrames: intOpt(opts['max-frames'], 'max-frames') });
  const result = await backmapChain(
    input,
    stages,
    {
      device: (opts.device ?? 'auto') as Device,
      // Refinement as for any run: on for frames of a trajectory, off for one structure, unless asked.
      refine: refineOf(opts, many ? true : undefined),
      reference: opts.reference ? readStructureFile(opts.reference) : undefined,
      policy: policyOf(opts),
      residueNameMap: residueMapOf(opts),
      ...hydrogenOptions(opts),
      skipMetrics: !opts.report && !opts.reference,
      samples,
      seed: intOpt(opts.seed, 'seed', 0),
      log: (m: string) => {
        if (opts.verbose) io.err(`${m}\n`);
      },
      warn,
    },
    {
      progress: (stage, fraction, detail) => {
        if (io.tty) io.err(`\r${stage} ${(fraction * 100).toFixed(0)}% ${detail ?? ''}   `);
      },
    },
  );
  if (io.tty) io.err('\n');
  if (trajectoryOut) {
    const format = framesFormatOf(output, opts.format as FramesFormat | undefined);
    const frames = new FrameOutput(output, format, await import('../core/trajectory/index'), { force: opts.force, protect: inputs });
    try {
      result.frames.forEach((f, k) => frames.write(f, f.coords, { index: k, time: k, step: k, box: null }));
      frames.commit();
    } catch (e) {
      frames.discard();
      throw e;
    }
  } else writeStructureFile(output, result.structure, { force: opts.force, protect: inputs, models: result.frames.map((f) => f.coords) });
  if (opts.report) writeTextFile(opts.report, renderReport({ report: result.report }), opts.force, [...inputs, output]);
  const steps = result.stages.map((s) => `${s.model} (${describeStageEnd(s.takes)} → ${describeStageEnd(s.gives)}, ${s.seconds.toFixed(2)} s)`).join(', then ');
  const counted = samples > 1 ? `${result.frames.length / samples} frame(s) × ${samples} samples` : `${result.frames.length} frame(s)`;
  io.out(`backmapped ${counted} by ${steps}: ${result.structure.atoms.count} atoms → ${output}\n`);
}

const backmap: Handler = async ([input], opts, io) => {
  const inputPath = need(input, 'the CG structure');
  const output = need(opts.output, '-o <out>');
  const device = (opts.device ?? 'auto') as Device;
  if (!DEVICES.includes(device)) throw new UsageError(`--device must be auto, cpu, webgpu, cuda, dml or coreml (got '${opts.device}')`);
  const refine = refineOf(opts);
  const inputs = [inputPath, opts.trajectory, opts.reference].filter((p): p is string => !!p);
  const binaryOut = trajectoryFormatOf(output) !== null;
  // Every refusal that does not need the computation comes first (no wasted minutes, nothing half-written).
  if (!opts.trajectory && !binaryOut && !structureFormatOf(output))
    throw new UsageError(`cannot tell the output format from '${basename(output)}' (use .pdb, .gro or .cif)`);
  assertWritable(output, { force: opts.force, protect: inputs });
  if (opts.report) {
    if (resolve(opts.report) === resolve(output)) throw new UsageError('--report and -o name the same file');
    assertWritable(opts.report, { force: opts.force, protect: inputs });
  }
  // Binary trajectory output comes with <out>.topology.pdb: never over an input either.
  if (binaryOut || (opts.format && opts.format !== 'pdb'))
    assertWritable(topologyPathOf(output), { force: opts.force, protect: inputs });
  if (opts.trajectory && !existsSync(opts.trajectory)) throw new InputError('file not found', opts.trajectory);
  const warn = warnTo(io);
  const policy = policyOf(opts);
  if (opts.then?.length || needsChain([opts.model ?? 'auto']) || (opts.model !== 'template' && isUcgStructureFile(inputPath))) {
    if (opts.minimise) throw new UsageError('--minimise applies to a one-stage backmap (run backmap prepare on the chain\'s output)');
    return backmapChained(inputPath, output, inputs, opts, io);
  }
  if (opts.samples !== undefined) throw new UsageError('--samples draws C-alpha traces of a UCG stage: it applies to a chain that starts with a UCG model (--model ucg-ca.onnx --then …)');
  const { model, mapping } = modelArg(opts, io);
  const mappingSet = mapping ? loadMappingChecked(mapping, policy, warn) : undefined;
  const modelDirs = modelDirsOf(opts);
  const common = {
    model,
    modelDirs,
    mapping: mappingSet?.id,
    mappingSet,
    device,
    residueNameMap: residueMapOf(opts),
    chunkSize: intOpt(opts['chunk-size'], 'chunk-size', 0),
    ...hydrogenOptions(opts),
    partial: true,
    policy,
    refine,
    // Which execution providers were tried and why the others were skipped: in the report's provider list, and on
    // stderr only with --verbose (it is the same on every run of a machine).
    log: (m: string) => {
      if (opts.verbose) io.err(`${m}\n`);
    },
    warn,
  };
  const progress = (stage: string, fraction: number, detail?: string) => {
    if (io.tty) io.err(`\r${stage} ${(fraction * 100).toFixed(0)}% ${detail ?? ''}   `);
  };
  if (opts.format !== undefined && !['pdb', 'xtc', 'trr', 'dcd'].includes(opts.format))
    throw new UsageError(`--format must be pdb, xtc, trr or dcd (got '${opts.format}')`);
  // Units, an all-atom file given as CG, the mapping policy and unknown residues/beads are checked by the pipeline
  // before any computation or output.
  const cg = readStructureFile(inputPath);
  const minimise = minimiseOptions(opts);
  const reference = opts.reference ? readStructureFile(opts.reference) : undefined;
  // A multi-model CG file (frames as MODEL records) is a trajectory of its own: every model is backmapped.
  if (opts.trajectory || cg.models.length > 1 || opts.frames) {
    if (!opts.trajectory) io.err(`note: ${inputPath} has ${cg.models.length} models: backmapping each as a frame\n`);
    const result = await backmapTrajectory(
      {
        ...common,
        ...minimise,
        topology: cg,
        trajectory: opts.trajectory || undefined,
        out: output,
        format: opts.format as 'pdb' | 'xtc' | 'trr' | 'dcd' | undefined,
        force: opts.force,
        reference,
        stride: intOpt(opts.stride, 'stride'),
        maxFrames: intOpt(opts['max-frames'], 'max-frames'),
        frames: opts.frames,
        solvent: opts.solvent,
      },
      { progress },
    );
    if (io.tty) io.err('\n');
    noteChoice(result.report, opts, io);
    if (opts.report) writeTextFile(opts.report, renderReport({ report: result.report }), opts.force, [...inputs, output]);
    io.out(
      `backmapped ${result.frames} frame(s) with the ${describeChoice(result.report)} (${result.framesPerSecond.toFixed(2)} frames/s) → ${result.out}` +
        `${result.topologyOut ? ` (+ topology ${result.topologyOut})` : ''}\n`,
    );
    return;
  }
  // The quality metrics are for the report and the reference RMSD; a plain backmap does not compute them.
  const result = await backmapStructure(cg, { ...common, ...minimise, reference, skipMetrics: !opts.report && !reference }, { progress });
  if (io.tty) io.err('\n');
  noteChoice(result.report, opts, io);
  writeStructureFile(output, result.structure, { force: opts.force, protect: inputs });
  if (opts.report) writeTextFile(opts.report, renderReport(result), opts.force, [...inputs, output]);
  const r = result.report;
  const acc = r.rmsd ? `; vs reference RMSD all ${r.rmsd.all.toFixed(3)} Å, backbone ${r.rmsd.bb.toFixed(3)} Å (${r.rmsd.matched} atoms)` : '';
  io.out(`backmapped ${r.counts.residues} residues (${r.counts.beads} beads) to ${r.counts.atoms} atoms with the ${describeChoice(r)}${acc} → ${output}\n`);
};

/** Text output (report): same no-clobber rules as structures, written beside and renamed. */
function writeTextFile(path: string, text: string, force: boolean | undefined, protect: string[]): void {
  assertWritable(path, { force, protect });
  writeFileAtomic(path, text);
}

const evaluate: Handler = async ([modelPath, referencePath], opts, io) => {
  const warn = warnTo(io);
  // A C-alpha trace (the first stage of an iterative backmapping, UCG → Cα) is compared by its Cα atoms; its units
  // are checked as a CG structure's (consecutive Cα 3.8 Å apart: it has no atoms within a residue).
  const readChecked = (path: string) => {
    const s = readStructureFile(path);
    return checkInputStructure(s, isCaTrace(s) ? 'cg' : 'all-atom', warn);
  };
  // Heavy atoms compared under one set of names: a model written under CHARMM names (the default with hydrogens: OT1,
  // OT2, ILE CD) against a PDB-named reference matches atom by atom (hydrogens are ignored by every metric).
  const model = engineHeavyNames(readChecked(need(modelPath, 'the backmapped structure')));
  const reference = engineHeavyNames(readChecked(need(referencePath, 'the reference structure')));
  // Beads are not atoms: an RMSD or clash score over them would be meaningless numbers.
  for (const s of [model, reference]) refuseCg(s, 'evaluate compares all-atom structures or C-alpha traces (backmap it first)');
  const traces = [model, reference].filter((s) => isCaTrace(s));
  const caOnly = traces.length > 0;
  // Residues by chain and number when they agree, else by sequence alignment per chain (martinize2 renumbering,
  // GRO files without chain IDs); two different molecules are refused rather than scored.
  const matching = matchStructureResidues(model, reference, { chain: opts.chain });
  assertSameMolecule(matching, model, reference, opts.chain);
  const ca = caRmsd(model, reference, { matching });
  const noMatch = (what: string) =>
    new InputError(
      `no ${what} of ${modelPath} matches one of the reference ${referencePath}${opts.chain !== undefined ? ` (chain '${opts.chain}')` : ''}`,
      modelPath,
      model.atoms.sourceLine[0] || undefined,
    );
  const matchingJson = {
    method: matching.method,
    matched_residues: matching.matched,
    identical_residues: matching.identical,
    model_residues: matching.modelResidues,
    reference_residues: matching.referenceResidues,
    chains: matching.chains.map((c) => ({
      model_chain: c.modelChain,
      reference_chain: c.referenceChain,
      residues: c.matched,
      model_range: c.modelRange,
      reference_range: c.referenceRange,
      numbering_offset: c.offset,
    })),
  };
  const clash_pct = clashPercent(model);
  // --superpose: every RMSD after the fit (the Cα one as well), as said in the text output.
  const rmsd_ca = opts.superpose ? ca.superposed ?? NaN : ca.rmsd;
  const num = (x: number, digits: number, unit = '') => (Number.isFinite(x) ? `${x.toFixed(digits)}${unit}` : 'n/a');
  const caLine = `RMSD Cα ${num(rmsd_ca, 3, ' Å')} (${ca.matched} Cα atoms${opts.superpose ? ', after superposition' : ca.superposed !== undefined ? `; ${ca.superposed.toFixed(3)} Å after superposition` : ''})\n`;
  if (caOnly) {
    if (!ca.matched) throw noMatch('Cα atom');
    const which = traces.map((s) => s.source).join(' and ');
    const note = `${which} ${traces.length > 1 ? 'are C-alpha traces' : 'is a C-alpha trace'}: only the Cα metrics apply (Cα RMSD, clashes); the heavy-atom RMSDs, graph edit distance and Ramachandran agreement need all atoms`;
    const result = {
      ca_only: true,
      rmsd_ca,
      matched_ca: ca.matched,
      ...(ca.superposed !== undefined ? { rmsd_ca_superposed: ca.superposed } : {}),
      rmsd_bb: null,
      rmsd_sc: null,
      rmsd_all: null,
      ged_normalized: null,
      rama_agreement: null,
      clash_pct,
      residue_matching: matchingJson,
    };
    if (opts.json) {
      io.err(`note: ${note}\n`);
      io.out(`${JSON.stringify(result, null, 1)}\n`);
    } else
      io.out(
        describeMatching(matching).map((l) => `${l}\n`).join('') + `${note}\n` + caLine +
          (opts.superpose ? '' : '(as placed, no superposition: --superpose fits the model onto the reference first)\n') +
          `clashes ${clash_pct.toFixed(2)} % of residues\n`,
      );
    return;
  }
  const m = compareStructures(model, reference, { chain: opts.chain, symmetric: opts.symmetric, superpose: opts.superpose, matching });
  if (!m.matched) throw noMatch('heavy atom');
  // The bond graph and the torsions need N, CA and C: a structure without them gets n/a, not a number of nothing.
  const graph = hasPeptideBackbone(model) && hasPeptideBackbone(reference) ? bondGraphEditDistance(model, reference, { matching, chain: opts.chain }) : null;
  const rama = ramachandranAgreement(model, reference, { matching });
  const ged_normalized = graph ? graph.normalized : NaN;
  const result = {
    rmsd_bb: m.rmsd_bb,
    rmsd_sc: m.rmsd_sc,
    rmsd_all: m.rmsd_all,
    rmsd_ca,
    matched_ca: ca.matched,
    ged_normalized,
    rama_agreement: rama.agreement,
    rama_residues: rama.residues,
    clash_pct,
    matched_atoms: m.matched,
    missing_in_model: m.missingInModel,
    extra_in_model: m.extraInModel,
    ...(m.superposition ? { superposition_rmsd_ca: m.superposition.rmsd_ca } : {}),
    residue_matching: matchingJson,
  };
  if (opts.json) io.out(`${JSON.stringify({ ...result, per_residue: m.perResidue }, null, 1)}\n`);
  else
    io.out(
      describeMatching(matching).map((l) => `${l}\n`).join('') +
        `matched heavy atoms ${m.matched} (missing in model ${m.missingInModel}, extra ${m.extraInModel})\n` +
        `RMSD backbone ${m.rmsd_bb.toFixed(3)} Å\nRMSD side chain ${m.rmsd_sc.toFixed(3)} Å\nRMSD all ${m.rmsd_all.toFixed(3)} Å\n` +
        caLine +
        (m.superposition
          ? `(after superposing the model's ${m.superposition.nCa} Cα atoms onto the reference: Cα RMSD ${m.superposition.rmsd_ca.toFixed(3)} Å)\n`
          : '(as placed, no superposition: --superpose fits the model onto the reference first)\n') +
        `graph edit distance (bond graph, normalised) ${num(ged_normalized, 4)}${graph ? ` (${graph.ged} edits over ${graph.refNodes} atoms + ${graph.refEdges} bonds)` : ''}\n` +
        `Ramachandran agreement ${num(100 * rama.agreement, 1, ' %')} of ${rama.residues} residues (same region: αR, β/PPII, αL, other)\n` +
        `clashes ${clash_pct.toFixed(2)} % of residues\n`,
    );
};

/** Refuses two structures of different molecules (naming both files and their sequences): their RMSD means nothing. */
function assertSameMolecule(matching: ResidueMatching, model: Structure, reference: Structure, chain: string | undefined): void {
  const shorter = Math.min(matching.modelResidues, matching.referenceResidues);
  if (!shorter || matching.identity >= SAME_SEQUENCE_IDENTITY) return;
  const seq = (s: Structure) => sequencePreview(residueEntries(s, chain));
  throw new InputError(
    `not the same molecule as the reference ${reference.source}: ${matching.identical} of ${shorter} residues align ` +
      `(${(100 * matching.identity).toFixed(0)} %, ${(100 * SAME_SEQUENCE_IDENTITY).toFixed(0)} % needed). ` +
      `model ${seq(model)}, reference ${seq(reference)}`,
    model.source,
  );
}

const validate: Handler = async ([target], opts, io) => {
  const path = need(target, 'a mapping file or folder');
  if (!existsSync(path)) throw new InputError('no such file or folder', path);
  const files: { file: string; diagnostics: MappingDiagnostic[] }[] = [];
  if (statSync(path).isDirectory()) {
    const report = validateMappingFolder(path);
    files.push(...report.files);
    if (report.folderDiagnostics.length) files.push({ file: path, diagnostics: report.folderDiagnostics });
  } else {
    files.push({ file: path, diagnostics: parseMappingText(readFileSync(path, 'utf8'), path).diagnostics });
  }
  const all = files.flatMap((f) => f.diagnostics.map((d) => ({ ...d, file: d.span?.file || f.file })));
  const errors = all.filter((d) => d.severity === 'error');
  const warnings = all.filter((d) => d.severity === 'warning');
  if (opts.json) {
    io.out(
      `${JSON.stringify(
        {
          files: files.length,
          errors: errors.length,
          warnings: warnings.length,
          diagnostics: all.map((d) => ({
            file: d.file,
            line: d.span?.line,
            code: d.code,
            severity: d.severity,
            message: d.message,
          })),
        },
        null,
        1,
      )}\n`,
    );
  } else {
    // Errors and warnings in full; informational notes (W10, W13, W14, …) only with --verbose, else counted.
    const notes = all.filter((d) => d.severity !== 'error' && d.severity !== 'warning');
    for (const d of opts.verbose ? all : [...errors, ...warnings]) io.out(`${where(d.file, d.span?.line)}: ${d.severity} ${d.code}: ${d.message}\n`);
    if (notes.length && !opts.verbose) {
      const byCode = new Map<string, number>();
      for (const d of notes) byCode.set(d.code, (byCode.get(d.code) ?? 0) + 1);
      io.out(`notes: ${[...byCode].map(([c, n]) => `${n}× ${c}`).join(', ')} (--verbose lists them)\n`);
    }
    io.out(`${files.length} file(s): ${errors.length} error(s), ${warnings.length} warning(s), ${all.length - errors.length - warnings.length} note(s)\n`);
  }
  // Exit 1 on errors (CGmap would crash), and on warnings with --strict (silent mis-mapping).
  const bad = opts.strict ? [...errors, ...warnings] : errors;
  if (bad.length) {
    const f = bad[0];
    throw new InputError(`${f.code} ${f.message} (${errors.length} error(s), ${warnings.length} warning(s) in total)`, f.file, f.span?.line);
  }
};

const models: Handler = async (_args, opts, io) => {
  const problems: ModelProblem[] = [];
  const entries = listModelEntries(modelDirsOf(opts), problems);
  for (const p of problems) io.err(`warning: ${p.file}: ${p.message}\n`);
  const cards = entries.map((e) => e.card);
  if (opts.json) {
    io.out(`${JSON.stringify(entries.map((e) => ({ ...e.card, path: e.onnxPath, source: e.source })), null, 1)}\n`);
    return;
  }
  if (!cards.length) io.out(`no trained models found in models/: backmap uses the ${TEMPLATE_SAYS}\n`);
  for (const e of entries) {
    const c = e.card;
    io.out(`${c.id}\tmapping ${c.mapping.id}${e.source === 'folder' ? `\t${e.onnxPath}` : ''}${c.description ? `\t${c.description}` : ''}\n`);
    const stage = cardStage(c);
    io.out(`\ttakes ${describeStageEnd(stage.takes)}, gives ${describeStageEnd(stage.gives)}\n`);
    const acc = accuracySummary(c);
    // A model of the user's was scored on its own held-out frames when it was trained (the card's training record).
    const val = (c.training?.validation as { all?: [number, number] } | undefined)?.all?.[0];
    if (acc.length) io.out(`\theld-out median RMSD BB/SC/ALL: ${formatAccuracy(acc)}\n`);
    else if (e.source === 'folder' && typeof val === 'number') io.out(`\tvalidation median ${stage.gives === 'ca' ? 'Cα' : 'heavy-atom'} RMSD ${val.toFixed(3)} Å (its last frames in time, at training)\n`);
    else io.out('\tnot benchmarked (npm run bench:accuracy -- --update-cards)\n');
  }
  io.out('template\tmodel-free backmapper (any mapping)\n');
};

const dataset: Handler = async ([list], opts, io) => {
  const listPath = need(list, 'a list (.tsv with path and chain columns)');
  const out = need(opts.output, '-o <file>');
  assertWritable(out, { force: opts.force, protect: [listPath] });
  const summary = await buildDataset({
    list: listPath,
    mapping: need(opts.mapping, '--mapping <set>'),
    out,
    dataRoot: opts['data-root'],
    limit: intOpt(opts.limit, 'limit'),
    log: (m) => io.err(`${m}\n`),
  });
  io.out(`${JSON.stringify(summary)}\n`);
};

export const commands: Record<string, Handler> = { map, backmap, evaluate, validate, models, dataset, train, merge, slurm, coarsen, prepare };
