// Trajectory frames for the comparison view, read lazily in the extension host: a binary trajectory (XTC, TRR,
// DCD) per layer, one frame in memory at a time, random access through byte offsets recorded while reading.
// No `vscode` here (unit-tested with the core's readers and writers).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../core/errors';
import { fileFormatOf, fileStem } from '../../core/io/formats';
import { countFrames, openTrajectory, type Frame, type TrajectoryReader } from '../../core/trajectory';
import type { Structure } from '../../core/structure/types';

const isTrajectoryFileName = (f: string): boolean => fileFormatOf(f)?.kind === 'trajectory';

/** The core readers are sequential; this reaches their file cursor to jump to a recorded frame offset. */
interface Seekable {
  f?: { pos: number };
  index?: number;
}

/** One trajectory file with random access by frame index (offsets recorded on the way, so going back is a seek). */
export class TrajectoryFile {
  private reader: TrajectoryReader;
  /** Byte offset where frame i starts, for the frames read so far. */
  private readonly offsets: number[] = [];
  /** Index of the frame the reader returns next. */
  private nextIndex = 0;
  readonly count: number;

  constructor(readonly file: string) {
    this.reader = openTrajectory(file);
    this.count = countFrames(file);
    if (this.count < 1) {
      this.reader.close();
      throw new InputError('trajectory has no frames', file);
    }
  }

  get natoms(): number {
    return this.reader.natoms;
  }

  private position(): number | undefined {
    return (this.reader as unknown as Seekable).f?.pos;
  }

  private seek(index: number): void {
    const r = this.reader as unknown as Seekable;
    const offset = index >= 0 ? this.offsets[index] : undefined;
    if (offset !== undefined && r.f && typeof r.f.pos === 'number') {
      r.f.pos = offset;
      // DCD derives a frame's step/time from its index; keep it in step with the jump.
      if (typeof r.index === 'number') r.index = index;
      this.nextIndex = index;
      return;
    }
    // No recorded offset before `index` (or a reader without a cursor): start again from the beginning.
    this.reader.close();
    this.reader = openTrajectory(this.file);
    this.nextIndex = 0;
  }

  /** Frame `index` (0-based); throws an InputError naming the file when it is out of range or unreadable. */
  frame(index: number): Frame {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) throw new InputError(`frame ${index + 1} is out of range (the trajectory has ${this.count} frames)`, this.file);
    // Offsets are recorded from frame 0 on without gaps: jump to the nearest one at or before `index`
    // (backwards, or forwards past frames read before), then read on.
    const k = Math.min(index, this.offsets.length - 1);
    if (index < this.nextIndex || k > this.nextIndex) this.seek(k);
    for (;;) {
      const pos = this.position();
      if (pos !== undefined && this.offsets[this.nextIndex] === undefined) this.offsets[this.nextIndex] = pos;
      const f = this.reader.next();
      if (!f) throw new InputError(`trajectory ended after ${this.nextIndex} frames, before frame ${index + 1}`, this.file);
      if (this.nextIndex++ === index) return f;
    }
  }

  close(): void {
    this.reader.close();
  }
}

export type TrajectoryLayerId = 'cg' | 'backmapped';

export interface TrajectoryLayer {
  /** The layer's topology (its atoms in trajectory order). */
  topology: Structure;
  /** Its trajectory file. */
  trajectory: string;
}

export interface CoordinateFrame {
  /** Interleaved x,y,z in Å per layer. */
  coords: Partial<Record<TrajectoryLayerId, Float32Array>>;
  /** e.g. "120 ps". */
  label: string;
}

const timeLabel = (ps: number): string => (Math.abs(ps) >= 1e4 ? `${(ps / 1000).toFixed(ps % 1000 === 0 ? 0 : 1)} ns` : `${Number(ps.toFixed(3))} ps`);

/**
 * Frames of one or two layers (CG and/or backmapped) from their trajectories; frame i of each is shown together.
 * The number of frames is the smaller count when the two differ (a partly backmapped run).
 */
export class TrajectoryFrames {
  private readonly files: Partial<Record<TrajectoryLayerId, TrajectoryFile>> = {};
  readonly count: number;

  constructor(readonly layers: Partial<Record<TrajectoryLayerId, TrajectoryLayer>>) {
    const opened: TrajectoryFile[] = [];
    try {
      for (const id of ['cg', 'backmapped'] as const) {
        const l = layers[id];
        if (!l) continue;
        const t = new TrajectoryFile(l.trajectory);
        opened.push(t);
        if (t.natoms !== l.topology.atoms.count)
          throw new InputError(`trajectory has ${t.natoms} particles but the topology ${path.basename(l.topology.source)} has ${l.topology.atoms.count}`, l.trajectory);
        this.files[id] = t;
      }
    } catch (e) {
      for (const t of opened) t.close();
      throw e;
    }
    if (!opened.length) throw new Error('TrajectoryFrames: no trajectory given');
    this.count = Math.min(...opened.map((t) => t.count));
  }

  frame(index: number): CoordinateFrame {
    const coords: CoordinateFrame['coords'] = {};
    let time: number | undefined;
    for (const id of ['cg', 'backmapped'] as const) {
      const t = this.files[id];
      if (!t) continue;
      const f = t.frame(index);
      coords[id] = f.coords instanceof Float32Array ? f.coords : Float32Array.from(f.coords);
      time ??= f.time;
    }
    return { coords, label: time === undefined ? '' : timeLabel(time) };
  }

  /** The layers of frame `index` as structures (for the per-frame analysis). */
  structures(frame: CoordinateFrame): Partial<Record<TrajectoryLayerId, Structure>> {
    const out: Partial<Record<TrajectoryLayerId, Structure>> = {};
    for (const id of ['cg', 'backmapped'] as const) {
      const l = this.layers[id], c = frame.coords[id];
      if (!l || !c) continue;
      const coords = Float64Array.from(c);
      out[id] = { ...l.topology, coords, models: [coords] };
    }
    return out;
  }

  close(): void {
    for (const t of Object.values(this.files)) t?.close();
  }
}

/**
 * Structure files that could be the topology of `trajectory`, best first: the same stem beside it
 * (`run.pdb` for `run.xtc`), the backmapping's own `<stem>.topology.pdb`, then the other structures of the folder.
 */
export function topologyCandidates(trajectory: string, isStructure: (file: string) => boolean): string[] {
  const dir = path.dirname(trajectory);
  const stem = fileStem(trajectory);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((f) => isStructure(f) && !isTrajectoryFileName(f)).sort();
  } catch {
    return [];
  }
  const rank = (f: string): number => {
    const s = fileStem(f);
    if (s === `${stem}.topology`) return 0;
    if (s === stem) return 1;
    if (stem.startsWith(s) || s.startsWith(stem)) return 2;
    return 3;
  };
  return names.map((f) => ({ f, r: rank(f) })).sort((a, b) => a.r - b.r || a.f.localeCompare(b.f)).map((x) => path.join(dir, x.f));
}
