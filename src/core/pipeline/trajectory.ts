/**
 * Trajectories: every frame of a multi-model topology or of an XTC/TRR/DCD backmapped with one plan and one model
 * session, streamed to a multi-model PDB or a binary trajectory (+ its all-atom topology PDB).
 */
import { InputError } from '../errors';
import type { Frame, Structure } from '../structure/types';
import { readStructureFile } from '../structure/read';
import { fileFormatOf, trajectoryFormatOf } from '../io/formats';
import { writePdb } from '../structure/pdb';
import { assertWritable, writeStructureFile } from '../structure/write';
import { OutputFile } from '../io/output-file';
import { ByteWriter } from '../io/bytes';
import { DEFAULT_CHUNK_SIZE } from '../model/chunking';
import { firstGroupOf, planBackmap } from './plan';
import { backmapSystem, checkAbort, emptyReport, metricsOf, openChosen, yieldToLoop } from './run';
import { refineSettings, type BackmapOptions, type BackmapReport, type Hooks } from './options';

const now = () => performance.now();

export interface TrajectoryOptions extends BackmapOptions {
  /** CG topology (PDB/GRO/CIF); its models are the frames when `trajectory` is absent. */
  topology: string | Structure;
  /** XTC/TRR/DCD of the CG system (natoms must equal the topology's). */
  trajectory?: string;
  /** Output: .pdb → multi-model PDB; .xtc/.trr/.dcd → binary trajectory plus `<out>.topology.pdb`. */
  out: string;
  format?: 'pdb' | 'xtc' | 'trr' | 'dcd';
  force?: boolean;
  maxFrames?: number;
  stride?: number;
  /** Multi-model PDB output: keep every frame's coordinates as the models of `firstFrame` (for a viewer's frame slider). */
  keepFrames?: boolean;
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

function outFormatOf(path: string, format?: TrajectoryOptions['format']): 'pdb' | 'xtc' | 'trr' | 'dcd' {
  if (format) return format;
  const f = fileFormatOf(path);
  if (f && !f.gzip && (f.kind === 'trajectory' || f.format === 'pdb') && !/\.ent$/i.test(path)) return f.format as 'pdb' | 'xtc' | 'trr' | 'dcd';
  throw new InputError(`cannot tell the trajectory output format from '${path}' (use .pdb, .xtc, .trr or .dcd)`, path);
}

type TrajectoryModule = typeof import('../trajectory/index');

/** Number of frames when it is cheap to know (multi-model input, or the XTC frame index), else null. */
function frameCount(top: Structure, trajectory: string | undefined, io: TrajectoryModule | null): number | null {
  if (!trajectory) return top.models.length;
  try {
    if (io && trajectoryFormatOf(trajectory) === 'xtc') return io.countXtcFrames(trajectory);
  } catch {
    // counting is only for progress; the reader reports real problems
  }
  return null;
}

/** Frames of a multi-model topology or of a binary trajectory, one at a time. */
function* frameSource(top: Structure, trajectory: string | undefined, io: TrajectoryModule | null): Generator<Frame> {
  if (!trajectory) {
    for (let m = 0; m < top.models.length; m++) yield { index: m, time: 0, step: m, coords: top.models[m], box: top.box };
    return;
  }
  const reader = io!.openTrajectory(trajectory);
  try {
    if (reader.natoms !== top.atoms.count)
      throw new InputError(`trajectory has ${reader.natoms} particles but the topology ${top.source} has ${top.atoms.count}`, trajectory);
    for (let f = reader.next(); f; f = reader.next()) yield f;
  } finally {
    reader.close();
  }
}

function protectedPaths(opts: TrajectoryOptions): string[] {
  return [typeof opts.topology === 'string' ? opts.topology : '', opts.trajectory ?? ''].filter(Boolean);
}

/**
 * Backmaps every frame (reusing the model session and the CG assignment) and streams the result to a
 * multi-model PDB or a binary trajectory (+ topology PDB). Refinement is on by default (real simulation frames).
 */
export async function backmapTrajectory(opts: TrajectoryOptions, hooks: Hooks = {}): Promise<TrajectoryResult> {
  const t0 = now();
  const timings: Record<string, number> = {};
  let t = now();
  const top = typeof opts.topology === 'string' ? readStructureFile(opts.topology) : opts.topology;
  timings.parse = now() - t;
  const format = outFormatOf(opts.out, opts.format);
  // Loaded on use: multi-model PDB in and out never needs the binary trajectory codecs.
  const io: TrajectoryModule | null = opts.trajectory || format !== 'pdb' ? await import('../trajectory/index') : null;
  const protect = protectedPaths(opts);
  // The same checks as structure outputs: an input reached through a symlink or another spelling is caught too.
  assertWritable(opts.out, { force: opts.force, protect });
  t = now();
  const { choice, system, unknown } = firstGroupOf(planBackmap(top, opts), top.source, opts.warn);
  timings.assign = now() - t;
  t = now();
  const bm = await openChosen(choice, opts);
  timings.model = now() - t;
  const refine = refineSettings(opts.refine, true);
  const stride = Math.max(1, opts.stride ?? 1);
  const maxFrames = opts.maxFrames ?? Infinity;
  let frames = 0;
  let firstReport: BackmapReport | null = null;
  let firstFrame: Structure | null = null;
  const keptFrames: Float64Array[] = [];
  let topologyOut: string | undefined;
  // Multi-model PDB output: streamed through a fixed buffer into a file renamed into place at the end.
  let pdbOut: { file: OutputFile; w: ByteWriter } | null = null;
  let writer: { write(frame: Frame): void; close(): void; abort?(): void } | null = null;
  let failed = true;
  const stride0 = Math.max(1, opts.stride ?? 1);
  const available = frameCount(top, opts.trajectory, io);
  const total = Math.min(opts.maxFrames ?? Infinity, available === null ? Infinity : Math.ceil(available / stride0));
  let chunks = 0;
  const sources = system.beads.map((b) => b.source);
  try {
    let seen = 0;
    for (const frame of frameSource(top, opts.trajectory, io)) {
      if (frames >= maxFrames) break;
      if (seen++ % stride) continue;
      checkAbort(hooks.signal);
      const fc = frame.coords;
      for (let b = 0; b < sources.length; b++) {
        const s = sources[b];
        const x = fc[3 * s];
        const y = fc[3 * s + 1];
        const z = fc[3 * s + 2];
        if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z))
          throw new InputError(`frame ${frame.index + 1}: particle ${s + 1} has non-finite coordinates`, opts.trajectory ?? top.source);
        system.coords[3 * b] = x;
        system.coords[3 * b + 1] = y;
        system.coords[3 * b + 2] = z;
      }
      const res = await backmapSystem(bm, system, refine, opts.chunkSize ?? DEFAULT_CHUNK_SIZE, timings, {});
      chunks = Math.max(chunks, res.chunks);
      if (!firstReport) {
        firstFrame = res.structure;
        firstReport = emptyReport(top, choice, bm, unknown, refine);
        firstReport.refine = { ...res.refine, enabled: refine };
        if (!opts.skipMetrics) {
          t = now();
          metricsOf(res.structure, opts.reference, firstReport);
          timings.metrics = now() - t;
        }
        firstReport.counts = { beads: system.beads.length, residues: system.residues.length, atoms: res.structure.atoms.count, inputParticles: top.atoms.count, chunks };
      }
      t = now();
      if (format === 'pdb') {
        if (!pdbOut) {
          const file = new OutputFile(opts.out);
          pdbOut = { file, w: new ByteWriter(1 << 22, file.sink) };
        }
        writePdb(pdbOut.w, res.structure, { models: [res.structure.coords], model: frames + 1 });
        if (opts.keepFrames) keptFrames.push(res.structure.coords);
      } else {
        if (!writer) {
          writer = io!.createTrajectoryWriter(opts.out, res.structure.atoms.count, format, { force: opts.force, protect });
          topologyOut = opts.out.replace(/\.[^.]+$/, '') + '.topology.pdb';
          writeStructureFile(topologyOut, res.structure, { force: opts.force, protect });
        }
        writer!.write({ index: frames, time: frame.time, step: frame.step, coords: res.structure.coords, box: frame.box });
      }
      timings.write = (timings.write ?? 0) + now() - t;
      frames++;
      // Unknown length: a fraction that approaches 1 without reaching it.
      const fraction = Number.isFinite(total) ? frames / total : frames / (frames + 100);
      hooks.progress?.('frames', fraction, `frame ${frames}${Number.isFinite(total) ? ` of ${total}` : ''}`);
      await yieldToLoop();
    }
    if (pdbOut) {
      pdbOut.w.str('END\n');
      pdbOut.w.flush();
      pdbOut.file.commit();
    }
    failed = false;
  } finally {
    // A failed or cancelled run leaves no half-written PDB or binary trajectory behind.
    if (pdbOut && failed) pdbOut.file.discard();
    if (writer) {
      if (failed && writer.abort) writer.abort();
      else writer.close();
    }
    await bm.release();
  }
  if (!frames || !firstReport || !firstFrame) throw new InputError('no frames to backmap', opts.trajectory ?? top.source);
  const seconds = (now() - t0) / 1000;
  firstReport.timings = timings;
  // The report's throughput and scope: every frame over the whole run (its metrics stay the first frame's).
  firstReport.trajectory = { frames, seconds };
  return { frames, framesPerSecond: frames / seconds, seconds, out: opts.out, topologyOut, report: firstReport, topology: top, firstFrame: keptFrames.length > 1 ? { ...firstFrame, models: keptFrames } : firstFrame };
}
