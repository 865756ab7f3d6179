/**
 * Trajectories: every frame of a multi-model topology or of an XTC/TRR/DCD (or a selection of them, by file index)
 * backmapped with one plan and one model session, streamed to a multi-model PDB or a binary trajectory (+ its
 * all-atom topology PDB). `FrameOutput` is the one writer of frames (backmap and map).
 */
import { unlinkSync } from 'node:fs';
import { InputError } from '../errors';
import type { Frame, Structure } from '../structure/types';
import type { HydrogenTemplate } from '../model/contract';
import { unwrapSystem } from '../cg';
import { readStructureFile } from '../structure/read';
import { fileFormatOf } from '../io/formats';
import { writePdb } from '../structure/pdb';
import { assertWritable } from '../structure/write';
import { OutputFile } from '../io/output-file';
import { ByteWriter } from '../io/bytes';
import { DEFAULT_CHUNK_SIZE } from '../model/chunking';
import { firstGroupOf, planBackmap, type BackmapPlan, type ModelChoice } from './plan';
import { checkFrameFinite, countInputFrames, frameSource, noFrameSelected, selectFrames, selectInputFrames, type FrameRange, type FrameSelection } from '../trajectory/frames';
import type { TrajectoryWriter } from '../trajectory/types';
import { backmapSystem, backmapWhole, checkAbort, emptyReport, hydrogensApply, hydrogenStep, metricsOf, MINIMISE_NEEDS_HYDROGENS, minimiseApplies, minimiseSettings, planHydrogenTemplates, putBackInBox, residueAtomRanges, openChosen, wholeReport, yieldToLoop } from './run';
import { hydrogenSummary, type HydrogenReport, type ProtonationPlan } from '../hydrogens';
import { minimiseSummary, minimiseWithForceField, type ForceFieldMinimiseReport } from '../refine/forcefield';
import { keptOpen, type Backmapper } from '../model/backmapper';
import type { CgSystem } from '../cg';
import { refineSettings, type BackmapOptions, type BackmapReport, type Hooks } from './options';

const now = () => performance.now();

export type FramesFormat = 'pdb' | 'xtc' | 'trr' | 'dcd';

export interface TrajectoryOptions extends BackmapOptions {
  /** CG topology (PDB/GRO/CIF); its models are the frames when `trajectory` is absent. */
  topology: string | Structure;
  /** XTC/TRR/DCD of the CG system (natoms must equal the topology's). */
  trajectory?: string;
  /** Output: .pdb → multi-model PDB; .xtc/.trr/.dcd → binary trajectory plus `<out>.topology.pdb`. */
  out: string;
  format?: FramesFormat;
  force?: boolean;
  /**
   * Frames by index in the input (`--frames start:stop[:step]`, 0-based, stop exclusive, negative from the end):
   * shards 0:40 and 40:89 give exactly the frames of 0:89. Default: every frame.
   */
  frames?: string | FrameRange;
  /** At most this many frames (of the selection). */
  maxFrames?: number;
  /** Every stride-th frame of the selection. */
  stride?: number;
  /** Multi-model PDB output: keep every frame's coordinates as the models of `firstFrame` (for a viewer's frame slider). */
  keepFrames?: boolean;
  /**
   * Whole systems: also place water and ions in every frame (off by default: water placement dominates the time of
   * large systems, and most analyses strip it). Every solute class is backmapped either way.
   */
  solvent?: boolean;
}

export interface TrajectoryResult {
  frames: number;
  framesPerSecond: number;
  seconds: number;
  out: string;
  topologyOut?: string;
  /** Report of the first frame (with metrics); timings summed over all frames, `trajectory` the frame count and wall time. */
  report: BackmapReport;
  /** The CG topology as read, and the first frame backmapped (what the comparison view shows). */
  topology: Structure;
  firstFrame: Structure;
}

/** The output format: `format`, else from the extension (.pdb, .xtc, .trr, .dcd). */
export function framesFormatOf(path: string, format?: FramesFormat): FramesFormat {
  if (format) return format;
  const f = fileFormatOf(path);
  if (f && !f.gzip && (f.kind === 'trajectory' || f.format === 'pdb') && !/\.ent$/i.test(path)) return f.format as FramesFormat;
  throw new InputError(`cannot tell the trajectory output format from '${path}' (use .pdb, .xtc, .trr or .dcd)`, path);
}

/** `<out>.topology.pdb`: the topology written beside a binary trajectory output. */
export const topologyPathOf = (out: string) => out.replace(/\.[^./\\]+$/, '') + '.topology.pdb';

type TrajectoryModule = typeof import('../trajectory/index');

/**
 * Where a run's frames go: a multi-model PDB (MODEL n+1 for frame index n of the input), or a binary trajectory
 * (each frame's own time, step and box) plus `<out>.topology.pdb` (the atoms, at the first frame written). Both
 * paths are checked before any work (no overwrite without `force`, never an input); nothing appears under either
 * name before `commit`, and `discard` (a failure, a cancel) removes what was written.
 */
export class FrameOutput {
  readonly topologyOut?: string;
  /** Frames written. */
  count = 0;
  private pdb: { file: OutputFile; w: ByteWriter } | null = null;
  private traj: TrajectoryWriter | null = null;
  private topo: OutputFile | null = null;

  constructor(
    readonly out: string,
    readonly format: FramesFormat,
    private readonly io: TrajectoryModule | null,
    private readonly opts: { force?: boolean; protect: string[] },
  ) {
    assertWritable(out, opts);
    if (format !== 'pdb') {
      this.topologyOut = topologyPathOf(out);
      // The two outputs must not be one file either.
      assertWritable(this.topologyOut, { force: opts.force, protect: [...opts.protect, out] });
    }
  }

  /** Appends a frame: the atoms of `s` at `coords`; `frame` gives its index in the input, time, step and box. */
  write(s: Structure, coords: Float64Array, frame: Pick<Frame, 'index' | 'time' | 'step' | 'box'>): void {
    if (this.format === 'pdb') {
      if (!this.pdb) {
        const file = new OutputFile(this.out);
        this.pdb = { file, w: new ByteWriter(1 << 22, file.sink) };
      }
      writePdb(this.pdb.w, s, { models: [coords], model: frame.index + 1 });
    } else {
      if (!this.traj) {
        this.topo = new OutputFile(this.topologyOut!);
        const w = new ByteWriter(1 << 22, this.topo.sink);
        writePdb(w, { ...s, coords, models: [coords], box: frame.box ?? s.box });
        w.flush();
        this.traj = this.io!.createTrajectoryWriter(this.out, s.atoms.count, this.format, { force: this.opts.force, protect: this.opts.protect });
      }
      this.traj.write({ index: this.count, time: frame.time, step: frame.step, coords, box: frame.box });
    }
    this.count++;
  }

  /** Moves the outputs into place (the topology last: a trajectory whose topology failed is removed again). */
  /**
   * Commits the frames of a selection; one that gave no frame (its start past the end of an input whose length was
   * not known up front) is refused, naming the input and its frame count.
   */
  commitSelected(selection: FrameSelection, top: Structure, trajectory: string | undefined, io: TrajectoryModule | null): void {
    if (!this.count) throw noFrameSelected(selection.given, countInputFrames(top, trajectory, io, true), trajectory ?? top.source);
    this.commit();
  }

  commit(): void {
    if (this.pdb) {
      this.pdb.w.str('END\n');
      this.pdb.w.flush();
      this.pdb.file.commit();
    }
    if (this.traj) {
      this.traj.close();
      try {
        this.topo!.commit();
      } catch (e) {
        try {
          unlinkSync(this.out);
        } catch {
          /* the first error is the one reported */
        }
        throw e;
      }
    }
  }

  /** Removes whatever was written (best effort: it runs while another error is reported). */
  discard(): void {
    this.pdb?.file.discard();
    this.traj?.abort();
    this.topo?.discard();
  }
}

/** The run's input files, never to be written. */
export function protectedPaths(opts: { topology: string | Structure; trajectory?: string }): string[] {
  return [typeof opts.topology === 'string' ? opts.topology : '', opts.trajectory ?? ''].filter(Boolean);
}

/**
 * The hydrogen step of a run's frames (`hydrogenStep`): one protonation plan for every frame, decided on the input's
 * first frame (frame index 0, also when the selection starts later, so shards of a run agree), so every frame has the
 * same atoms in the same order; rotatable groups and waters are turned per frame.
 */
class FrameHydrogens {
  readonly on: boolean;
  plan: ProtonationPlan | undefined;
  /** The first frame written: its report, and its atom count every later frame must have. */
  first: HydrogenReport | null = null;
  private atoms = -1;
  constructor(
    private readonly opts: BackmapOptions,
    private readonly file: string,
    private readonly timings: Record<string, number>,
    /** Hydrogen templates of the run's user-trained models (`planHydrogenTemplates`). */
    private readonly templates: Record<string, HydrogenTemplate[]>,
  ) {
    this.on = hydrogensApply(opts);
    this.plan = opts.protonation;
  }

  /**
   * Before the first selected frame: when it is not the input's frame 0, frame 0 is backmapped (`heavy`, the same
   * path as every frame) to decide the plan on.
   */
  async decideFirst(selection: FrameSelection, frames: Iterable<Frame>, heavy: (frame: Frame) => Promise<Structure>): Promise<void> {
    if (!this.on || this.plan || selection.range.start === 0) return;
    for (const frame of frames) {
      const t = now();
      const s = await heavy(frame);
      this.plan = hydrogenStep(s, this.opts, undefined, this.templates)!.plan;
      this.timings.protonation = now() - t;
      return;
    }
  }

  /** The frame with its hydrogens (names); refused when its atoms are not the first frame's. */
  apply(s: Structure, frameIndex: number): Structure {
    if (!this.on) return s;
    const t = now();
    const r = hydrogenStep(s, this.opts, this.plan, this.templates)!;
    this.plan ??= r.plan;
    if (this.atoms < 0) {
      this.atoms = r.structure.atoms.count;
      this.first = r.report;
    } else if (r.structure.atoms.count !== this.atoms)
      throw new InputError(
        `frame index ${frameIndex} (0-based): ${r.structure.atoms.count} atoms after the hydrogen step, but the first frame written has ${this.atoms} (a heavy atom missing in one of them): every frame of a trajectory must have the same atoms`,
        this.file,
      );
    this.timings.hydrogens = (this.timings.hydrogens ?? 0) + now() - t;
    return r.structure;
  }

  /** The report of the run: the first frame's hydrogen step, said once (its decisions are every frame's). */
  describe(report: BackmapReport, atoms: number): void {
    if (!this.first) return;
    report.hydrogens = { ...this.first, fromPlan: true };
    report.counts.atoms = atoms;
    report.notes.push(hydrogenSummary(report.hydrogens));
  }
}

/**
 * `minimise` for frames: each frame (with its hydrogens) minimised on its own, as one structure is. The report keeps
 * the first frame's minimisation and says what it did over every frame.
 */
class FrameMinimiser {
  readonly on: boolean;
  private first: ForceFieldMinimiseReport | null = null;
  private frames = 0;
  private before = 0;
  private after = 0;
  private moved = 0;
  private steps = 0;
  private unconverged = 0;
  constructor(
    private readonly opts: BackmapOptions,
    private readonly timings: Record<string, number>,
  ) {
    this.on = minimiseApplies(opts);
  }

  apply(s: Structure): Structure {
    if (!this.on) return s;
    const t = now();
    const { structure, report } = minimiseWithForceField(s, minimiseSettings(this.opts));
    this.first ??= report;
    this.frames++;
    this.before += report.perResidueBefore;
    this.after += report.perResidueAfter;
    this.moved = Math.max(this.moved, report.heavyMoved.rms);
    this.steps += report.steps;
    if (!report.converged) this.unconverged++;
    this.timings.minimise = (this.timings.minimise ?? 0) + now() - t;
    return structure;
  }

  /** After the last frame: the first frame's report, and a note over all frames. */
  describe(report: BackmapReport): void {
    if (!this.opts.minimise) return;
    if (!this.first) {
      report.notes.push(MINIMISE_NEEDS_HYDROGENS);
      return;
    }
    report.forcefield = this.first;
    if (this.frames === 1) report.notes.push(minimiseSummary(this.first));
    else
      report.notes.push(
        `minimised each of ${this.frames} frames with AMBER99SB-ILDN (ε = 4r, heavy atoms tethered): ${Math.round(this.steps / this.frames)} steps on average` +
          `${this.unconverged ? ` (${this.unconverged} at the step limit)` : ''}, ${(this.before / this.frames).toFixed(1)} → ${(this.after / this.frames).toFixed(1)} kJ/mol per residue on average, ` +
          `heavy atoms moved at most ${this.moved.toFixed(2)} Å rms in a frame; metrics describe the first frame before minimisation`,
      );
  }
}

/**
 * Backmaps every selected frame (reusing the model session and the CG assignment) and streams the result to a
 * multi-model PDB or a binary trajectory (+ topology PDB). Refinement is on by default (real simulation frames).
 * Each frame is backmapped on its own (nothing carries over from the frame before), so a frame's output does not
 * depend on the selection it was read in.
 */
export async function backmapTrajectory(opts: TrajectoryOptions, hooks: Hooks = {}): Promise<TrajectoryResult> {
  const t0 = now();
  const timings: Record<string, number> = {};
  let t = now();
  const top = typeof opts.topology === 'string' ? readStructureFile(opts.topology) : opts.topology;
  timings.parse = now() - t;
  const format = framesFormatOf(opts.out, opts.format);
  // Loaded on use: multi-model PDB in and out never needs the binary trajectory codecs.
  const io: TrajectoryModule | null = opts.trajectory || format !== 'pdb' ? await import('../trajectory/index') : null;
  // The same checks as structure outputs (an input reached through a symlink or another spelling is caught too),
  // for both outputs, and the frame selection, before the model is loaded.
  const output = new FrameOutput(opts.out, format, io, { force: opts.force, protect: protectedPaths(opts) });
  const selection = selectInputFrames(top, opts.trajectory, io, opts);
  const total = selection.total;
  t = now();
  const plan = planBackmap(top, opts);
  timings.assign = now() - t;
  // More than one backmapper (protein, lipids, a ligand model of another mapping set), or solvent asked for: every
  // frame goes through the whole-system path, with each group's backmapper opened once.
  const withSolvent = !!opts.solvent && (plan.solvent.waters.length > 0 || plan.solvent.ions.length > 0);
  if (plan.groups.length > 1 || plan.groups.some((g) => g.system) || withSolvent)
    return wholeTrajectory(top, plan, opts, hooks, { output, selection, io, timings, t0 });
  const { choice, system, unknown } = firstGroupOf(plan, top.source, opts.warn);
  t = now();
  const bm = await openChosen(choice, opts);
  timings.model = now() - t;
  const refine = refineSettings(opts.refine, true);
  let firstReport: BackmapReport | null = null;
  let firstFrame: Structure | null = null;
  const keptFrames: Float64Array[] = [];
  let failed = true;
  let chunks = 0;
  const sources = system.beads.map((b) => b.source);
  const src = opts.trajectory ?? top.source;
  const hydrogens = new FrameHydrogens(opts, src, timings, planHydrogenTemplates(plan));
  const minimiser = new FrameMinimiser(opts, timings);
  /** One frame's heavy atoms: the frame's beads through the backmapper, rebuilt and refined. */
  const heavy = async (frame: Frame) => {
    const fc = frame.coords;
    checkFrameFinite(top, fc, frame.index, src, sources);
    for (let b = 0; b < sources.length; b++) {
      const s = sources[b];
      system.coords[3 * b] = fc[3 * s];
      system.coords[3 * b + 1] = fc[3 * s + 1];
      system.coords[3 * b + 2] = fc[3 * s + 2];
    }
    // Molecules broken across the box in this frame are made whole, backmapped, and put back in the box (as for one
    // structure: without it a lipid split by the boundary came back spanning the box).
    const box = frame.box ?? top.box;
    unwrapSystem(system, box);
    const res = await backmapSystem(bm, system, refine, opts.chunkSize ?? DEFAULT_CHUNK_SIZE, timings, {});
    putBackInBox({ coords: fc, box }, system, res.structure, residueAtomRanges(res.structure, system));
    return res;
  };
  try {
    await hydrogens.decideFirst(selection, frameSource(top, opts.trajectory, io), async (f) => (await heavy(f)).structure);
    for (const frame of selectFrames(frameSource(top, opts.trajectory, io), selection.range)) {
      checkAbort(hooks.signal);
      const res = await heavy(frame);
      chunks = Math.max(chunks, res.chunks);
      if (!firstReport) {
        firstReport = emptyReport(top, choice, bm, unknown, refine);
        firstReport.refine = { ...res.refine, enabled: refine };
        if (!opts.skipMetrics) {
          t = now();
          metricsOf(res.structure, opts.reference, firstReport);
          timings.metrics = now() - t;
        }
        firstReport.counts = { beads: system.beads.length, residues: system.residues.length, atoms: res.structure.atoms.count, inputParticles: top.atoms.count, chunks };
      }
      const structure = minimiser.apply(hydrogens.apply(res.structure, frame.index));
      if (!firstFrame) {
        firstFrame = structure;
        hydrogens.describe(firstReport, structure.atoms.count);
      }
      t = now();
      output.write(structure, structure.coords, frame);
      if (format === 'pdb' && opts.keepFrames) keptFrames.push(structure.coords);
      timings.write = (timings.write ?? 0) + now() - t;
      frameProgress(hooks, output.count, total);
      await yieldToLoop();
    }
    output.commitSelected(selection, top, opts.trajectory, io);
    minimiser.describe(firstReport!);
    failed = false;
  } finally {
    // A failed or cancelled run leaves no half-written PDB or binary trajectory (or topology) behind.
    if (failed) output.discard();
    await bm.release();
  }
  return trajectoryResult(opts, output, top, firstReport!, firstFrame!, keptFrames, timings, t0);
}

/** The run's result: the report's throughput and scope are every frame over the whole run (its metrics stay the first frame's). */
function trajectoryResult(
  opts: TrajectoryOptions,
  output: FrameOutput,
  top: Structure,
  report: BackmapReport,
  firstFrame: Structure,
  keptFrames: Float64Array[],
  timings: Record<string, number>,
  t0: number,
): TrajectoryResult {
  const frames = output.count;
  const seconds = (now() - t0) / 1000;
  report.timings = timings;
  report.trajectory = { frames, seconds };
  return {
    frames,
    framesPerSecond: frames / seconds,
    seconds,
    out: opts.out,
    topologyOut: output.topologyOut,
    report,
    topology: top,
    firstFrame: keptFrames.length > 1 ? { ...firstFrame, models: keptFrames } : firstFrame,
  };
}

/** Progress after `n` frames of `total` (unknown length: a fraction that approaches 1 without reaching it). */
export function frameProgress(hooks: Hooks, n: number, total: number | null): void {
  hooks.progress?.('frames', total !== null ? n / total : n / (n + 100), `frame ${n}${total !== null ? ` of ${total}` : ''}`);
}

/** Bead coordinates of a system from a frame of its input (`source` indices). */
function frameBeads(system: CgSystem, coords: ArrayLike<number>): void {
  system.beads.forEach((b, k) => {
    system.coords[3 * k] = coords[3 * b.source];
    system.coords[3 * k + 1] = coords[3 * b.source + 1];
    system.coords[3 * k + 2] = coords[3 * b.source + 2];
  });
}

/**
 * Whole-system frames: every group of the plan (each backmapper opened once for the run), water and ions placed
 * only with `solvent` (else skipped, said once); the same merge in input order as one structure gets, frame by frame.
 */
async function wholeTrajectory(
  top: Structure,
  planned: BackmapPlan,
  opts: TrajectoryOptions,
  hooks: Hooks,
  run: { output: FrameOutput; selection: FrameSelection; io: TrajectoryModule | null; timings: Record<string, number>; t0: number },
): Promise<TrajectoryResult> {
  const { output, selection, io, timings } = run;
  const src = opts.trajectory ?? top.source;
  const skipped = opts.solvent ? 0 : planned.solvent.waters.length + planned.solvent.ions.length;
  const plan: BackmapPlan = opts.solvent ? planned : { ...planned, solvent: { ...planned.solvent, waters: [], ions: [] } };
  if (skipped) opts.warn?.({ message: `frame by frame, ${planned.solvent.waters.length} water bead(s) and ${planned.solvent.ions.length} ion(s) are skipped (solvent: place them in every frame)`, file: src });
  const refine = refineSettings(opts.refine, true);
  // backmapWhole releases after each group: the run's backmappers stay open until the last frame.
  const opened = new Map<string, { bm: Backmapper; view: Backmapper }>();
  const open = async (choice: ModelChoice): Promise<Backmapper> => {
    let o = opened.get(choice.modelId);
    if (!o) {
      const bm = await openChosen(choice, opts);
      opened.set(choice.modelId, (o = { bm, view: keptOpen(bm) }));
    }
    return o.view;
  };
  let firstReport: BackmapReport | null = null;
  let firstFrame: Structure | null = null;
  const keptFrames: Float64Array[] = [];
  let failed = true;
  const hydrogens = new FrameHydrogens(opts, src, timings, planHydrogenTemplates(plan));
  const minimiser = new FrameMinimiser(opts, timings);
  /** One frame through every group (and the solvent when asked), merged in input order: heavy atoms. */
  const heavy = async (frame: Frame) => {
    const fc = frame.coords;
    checkFrameFinite(top, fc, frame.index, src);
    const input: Structure = { ...top, coords: Float64Array.from(fc), models: [], box: frame.box ?? top.box };
    input.models = [input.coords];
    frameBeads(plan.system, input.coords);
    unwrapSystem(plan.system, input.box);
    for (const g of plan.groups)
      if (g.system) {
        frameBeads(g.system, input.coords);
        unwrapSystem(g.system, input.box);
      }
    return { input, whole: await backmapWhole(input, plan, opts, refine, timings, { signal: hooks.signal }, open) };
  };
  try {
    await hydrogens.decideFirst(selection, frameSource(top, opts.trajectory, io), async (f) => (await heavy(f)).whole.structure);
    for (const frame of selectFrames(frameSource(top, opts.trajectory, io), selection.range)) {
      checkAbort(hooks.signal);
      const { input, whole } = await heavy(frame);
      if (!firstReport) {
        firstReport = wholeReport(input, plan, whole, refine, { ...timings });
        if (!opts.skipMetrics) {
          const t = now();
          metricsOf(whole.structure, opts.reference, firstReport);
          timings.metrics = now() - t;
        }
        if (skipped) firstReport.notes.push(`water and ions skipped frame by frame (${skipped} particle(s)); solvent: true places them`);
      }
      const structure = minimiser.apply(hydrogens.apply(whole.structure, frame.index));
      if (!firstFrame) {
        firstFrame = structure;
        hydrogens.describe(firstReport, structure.atoms.count);
      }
      const t = now();
      output.write(structure, structure.coords, frame);
      if (opts.keepFrames) keptFrames.push(structure.coords);
      timings.write = (timings.write ?? 0) + now() - t;
      frameProgress(hooks, output.count, selection.total);
      await yieldToLoop();
    }
    output.commitSelected(selection, top, opts.trajectory, io);
    minimiser.describe(firstReport!);
    failed = false;
  } finally {
    if (failed) output.discard();
    for (const { bm } of opened.values()) await bm.release();
  }
  return trajectoryResult(opts, output, top, firstReport!, firstFrame!, keptFrames, timings, run.t0);
}
