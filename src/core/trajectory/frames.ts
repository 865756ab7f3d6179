/**
 * Frame selection shared by every front end that reads frames (backmap, map, train): `--frames start:stop[:step]`
 * in Python slice terms (0-based, stop exclusive, either end may be left out, negative counts from the end), and
 * the one frame source (the models of a multi-model structure, or a binary trajectory checked against its topology).
 * A selection is deterministic: frames 0:40 and 40:89 of a run are exactly frames 0:89 split in two.
 */
import { InputError, UsageError } from '../errors';
import type { Frame, Structure } from '../structure/types';
import type { TrajectoryReader } from './types';

export interface FrameRange {
  start: number;
  /** Exclusive; null = to the end. */
  stop: number | null;
  step: number;
}

export const ALL_FRAMES: FrameRange = { start: 0, stop: null, step: 1 };

/**
 * Parses "start:stop[:step]" (also "start:", ":stop", "::step", or one index "n" for that frame alone). A range that
 * is empty whatever the trajectory (stop at or before start, both counted from the same end) is refused here.
 */
export function parseFrameRange(text: string, what = '--frames'): FrameRange {
  const t = text.trim();
  const bad = () => new UsageError(`${what} must be start:stop[:step] with whole numbers, e.g. 0:800 or 100::10 (got '${text}')`);
  const parts = t.split(':');
  if (!t || parts.length > 3) throw bad();
  const num = (s: string, dflt: number | null): number | null => {
    if (s.trim() === '') return dflt;
    if (!/^[-+]?\d+$/.test(s.trim())) throw bad();
    const n = Number(s.trim());
    if (!Number.isSafeInteger(n)) throw bad();
    return n === 0 ? 0 : n; // -0 is 0
  };
  if (parts.length === 1) {
    const i = num(parts[0], null)!;
    return { start: i, stop: i === -1 ? null : i + 1, step: 1 };
  }
  const start = num(parts[0], 0)!;
  const stop = num(parts[1], null);
  const step = num(parts[2] ?? '', 1)!;
  if (step <= 0) throw new UsageError(`${what}: the step must be a positive whole number (got ${step} in '${text}')`);
  if (stop !== null && start < 0 === stop < 0 && stop <= start)
    throw new UsageError(`${what}: the stop (${stop}) must come after the start (${start}): the stop is exclusive, so '${text}' selects no frame`);
  return { start, stop, step };
}

/** A `frames` option as a range: a string is parsed as `--frames`, nothing means every frame. */
export function frameRangeOf(frames: string | FrameRange | undefined, what = '--frames'): FrameRange {
  if (frames === undefined) return ALL_FRAMES;
  if (typeof frames === 'string') return parseFrameRange(frames, what);
  const whole = (x: number) => Number.isSafeInteger(x);
  if (!whole(frames.start) || (frames.stop !== null && !whole(frames.stop)) || !whole(frames.step) || frames.step <= 0)
    throw new UsageError(`${what}: start and stop must be whole numbers and the step a positive one (got ${JSON.stringify(frames)})`);
  return frames;
}

/** The range with negative ends resolved against a known frame count (null when the count is unknown). */
export function resolveFrameRange(range: FrameRange, count: number | null): FrameRange {
  const fix = (i: number | null): number | null => {
    if (i === null || i >= 0) return i;
    if (count === null) throw new UsageError(`--frames: a negative index (${i}) needs a trajectory whose frame count is known (an XTC or a multi-model file)`);
    return Math.max(0, count + i);
  };
  return { start: fix(range.start)!, stop: fix(range.stop), step: range.step };
}

/** True when frame `index` (0-based, in file order) is selected. */
export function frameSelected(range: FrameRange, index: number): boolean {
  if (index < range.start) return false;
  if (range.stop !== null && index >= range.stop) return false;
  return (index - range.start) % range.step === 0;
}

/** Frames a resolved range selects out of `count` (null when unknown). */
export function selectedCount(range: FrameRange, count: number | null): number | null {
  if (count === null) return range.stop === null ? null : Math.max(0, Math.ceil((range.stop - range.start) / range.step));
  const stop = Math.min(count, range.stop ?? count);
  return stop <= range.start ? 0 : Math.ceil((stop - range.start) / range.step);
}

export const formatFrameRange = (r: FrameRange) => `${r.start}:${r.stop ?? ''}${r.step !== 1 ? `:${r.step}` : ''}`;

const hasNegative = (r: FrameRange) => r.start < 0 || (r.stop !== null && r.stop < 0);

type TrajectoryModule = typeof import('./index');

/**
 * Frames in the input: the models of a multi-model structure, else the trajectory's count when it is cheap to know
 * (XTC by its frame headers, DCD from its size; with `exact` a TRR is read through too). null when unknown, or when
 * counting fails (the reader then reports the damaged file with its own message).
 */
export function countInputFrames(top: Structure, trajectory: string | undefined, io: TrajectoryModule | null, exact = false): number | null {
  if (!trajectory) return top.models.length;
  if (!io) return null;
  const format = io.trajectoryFormatOf(trajectory);
  if (!exact && format !== 'xtc' && format !== 'dcd') return null;
  try {
    return io.countFrames(trajectory);
  } catch (e) {
    if (exact) throw e;
    return null;
  }
}

export interface FrameSelection {
  /** The frames read, in file indices: `frames` resolved, `stride` and `maxFrames` folded in. */
  range: FrameRange;
  /** The range as given (for messages). */
  given: FrameRange;
  /** Frames in the input (null when unknown). */
  available: number | null;
  /** Frames the run will write (null when unknown): the progress total. */
  total: number | null;
}

/**
 * The frames a run reads: `frames` (a --frames string or a range, default all) resolved against the input's frame
 * count, then every `stride`-th selected frame, at most `maxFrames` of them. By file index only, so shards of one
 * run (0:40 and 40:89) hold exactly its frames. A selection that is empty for a known count is refused naming the
 * input and its frame count.
 */
export function selectInputFrames(
  top: Structure,
  trajectory: string | undefined,
  io: TrajectoryModule | null,
  opts: { frames?: string | FrameRange; stride?: number; maxFrames?: number },
): FrameSelection {
  const given = frameRangeOf(opts.frames);
  const stride = opts.stride ?? 1;
  if (!Number.isSafeInteger(stride) || stride < 1) throw new UsageError(`the stride must be a positive whole number (got ${stride})`);
  const maxFrames = opts.maxFrames ?? Infinity;
  if (!(maxFrames >= 1)) throw new UsageError(`the most frames to read must be 1 or more (got ${maxFrames})`);
  // Negative ends need the count: read a TRR through for it (XTC and DCD are cheap).
  const available = countInputFrames(top, trajectory, io, hasNegative(given));
  const r = resolveFrameRange(given, available);
  const step = r.step * stride;
  let stop = r.stop;
  if (Number.isFinite(maxFrames)) {
    const last = r.start + Math.floor(maxFrames) * step;
    stop = stop === null ? last : Math.min(stop, last);
  }
  const range: FrameRange = { start: r.start, stop, step };
  const total = selectedCount(range, available);
  if (total === 0) throw noFrameSelected(given, available, trajectory ?? top.source);
  return { range, given, available, total };
}

/** The error for a selection that selected nothing (`count`: the frames the input has, when known). */
export function noFrameSelected(given: FrameRange, count: number | null, file: string): InputError {
  const has = count === null ? 'an unknown number of frames' : count === 0 ? 'no frame' : `${count} frame${count === 1 ? '' : 's'} (indices 0 to ${count - 1})`;
  return new InputError(`frames ${formatFrameRange(given)} select no frame: the input has ${has}`, file);
}

/**
 * Every frame of a multi-model topology (no `trajectory`), or of an XTC/TRR/DCD whose particle count must equal the
 * topology's (refused naming both files). Frames carry their 0-based index in the file.
 */
export function* frameSource(top: Structure, trajectory: string | undefined, io: TrajectoryModule | null): Generator<Frame> {
  if (!trajectory) {
    for (let m = 0; m < top.models.length; m++) yield { index: m, time: 0, step: m, coords: top.models[m], box: top.box };
    return;
  }
  const reader: TrajectoryReader = io!.openTrajectory(trajectory);
  try {
    if (reader.natoms !== top.atoms.count)
      throw new InputError(`trajectory has ${reader.natoms} particles but the topology ${top.source} has ${top.atoms.count}: they do not belong together`, trajectory);
    for (let f = reader.next(); f; f = reader.next()) yield f;
  } finally {
    reader.close();
  }
}

/**
 * Refuses a frame with a non-finite coordinate, naming the frame as `--frames` counts it (0-based index in the input)
 * and the particle with its residue. `particles`: only these (default every particle of the topology).
 */
export function checkFrameFinite(top: Structure, coords: ArrayLike<number>, frameIndex: number, file: string, particles?: ArrayLike<number>): void {
  const n = particles ? particles.length : coords.length / 3;
  for (let k = 0; k < n; k++) {
    const i = particles ? particles[k] : k;
    if (Number.isFinite(coords[3 * i]) && Number.isFinite(coords[3 * i + 1]) && Number.isFinite(coords[3 * i + 2])) continue;
    const a = top.atoms;
    throw new InputError(`frame index ${frameIndex} (0-based): particle ${i + 1} (${a.name[i]} ${a.resName[i]} ${a.chainId[i]}${a.resSeq[i]}) has non-finite coordinates`, file);
  }
}

/** The selected frames of `frameSource` (a resolved range), stopping at the range's end without reading past it. */
export function* selectFrames(frames: Iterable<Frame>, range: FrameRange): Generator<Frame> {
  if (range.stop !== null && range.stop <= range.start) return;
  let i = 0;
  for (const f of frames) {
    if (frameSelected(range, i)) yield f;
    i++;
    if (range.stop !== null && i >= range.stop) return;
  }
}
