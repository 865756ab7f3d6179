/**
 * Trajectories: streaming readers (one frame in memory at a time) and writers for XTC, TRR and DCD.
 * Coordinates are in Å and times in ps in memory, whatever the file uses.
 */
import { InputError } from '../errors';
import { XtcReader, XtcWriter, countXtcFrames } from './xtc';
import { TrrReader, TrrWriter } from './trr';
import { DcdReader, DcdWriter } from './dcd';
import { OutputFile } from '../io/output-file';
import { assertWritable } from '../structure/write';
import { trajectoryFormatOf } from '../io/formats';
import type { Frame, TrajectoryFormat, TrajectoryReader, TrajectoryWriter } from './types';

export type { Frame, TrajectoryFormat, TrajectoryReader, TrajectoryWriter } from './types';
export { XtcReader, XtcWriter, countXtcFrames } from './xtc';
export { TrrReader, TrrWriter } from './trr';
export { DcdReader, DcdWriter, AKMA_PS } from './dcd';
export { trajectoryFormatOf } from '../io/formats';
export { compressCoords, decompressCoords, sizeofint, sizeofints, MAGICINTS } from './xtc-codec';

export function openTrajectory(path: string, format?: TrajectoryFormat): TrajectoryReader {
  const fmt = format ?? trajectoryFormatOf(path);
  switch (fmt) {
    case 'xtc':
      return new XtcReader(path);
    case 'trr':
      return new TrrReader(path);
    case 'dcd':
      return new DcdReader(path);
    default:
      throw new InputError('unknown trajectory type: expected .xtc, .trr or .dcd', path);
  }
}

export interface TrajectoryWriterOptions {
  /** Overwrite an existing file (never one listed in `protect`). Default false. */
  force?: boolean;
  /** Paths that must never be written (the run's inputs). */
  protect?: string[];
  /** XTC precision (default 1000 = 0.001 nm); TRR: write doubles when `double` is set. */
  precision?: number;
  double?: boolean;
}

/**
 * Streaming writer; the file appears under `path` only when `close()` is called (a temporary file is used
 * until then, removed by `abort()`).
 */
export function createTrajectoryWriter(path: string, natoms: number, format?: TrajectoryFormat, opts: TrajectoryWriterOptions = {}): TrajectoryWriter {
  const fmt = format ?? trajectoryFormatOf(path);
  if (!fmt) throw new InputError('unknown trajectory type: expected .xtc, .trr or .dcd', path);
  if (!(natoms > 0)) throw new Error(`createTrajectoryWriter: natoms must be positive (got ${natoms})`);
  assertWritable(path, opts);
  const out = new OutputFile(path);
  switch (fmt) {
    case 'xtc':
      return new XtcWriter(path, natoms, out, opts.precision ?? 1000);
    case 'trr':
      return new TrrWriter(path, natoms, out, opts.double ?? false);
    case 'dcd':
      return new DcdWriter(path, natoms, out);
  }
}

/** Number of frames, cheaply: XTC by walking frame headers, DCD from the file size, TRR by headers. */
export function countFrames(path: string, format?: TrajectoryFormat): number {
  const fmt = format ?? trajectoryFormatOf(path);
  if (fmt === 'xtc') return countXtcFrames(path);
  if (fmt === 'dcd') {
    const r = new DcdReader(path);
    try {
      return r.frameCount;
    } finally {
      r.close();
    }
  }
  const r = openTrajectory(path, fmt ?? undefined);
  let n = 0;
  try {
    while (r.next()) n++;
  } finally {
    r.close();
  }
  return n;
}

/** Iterates over all frames, closing the file at the end (or on break/throw). */
export function* readFrames(path: string, format?: TrajectoryFormat): Generator<Frame> {
  const r = openTrajectory(path, format);
  try {
    for (let f = r.next(); f; f = r.next()) yield f;
  } finally {
    r.close();
  }
}
