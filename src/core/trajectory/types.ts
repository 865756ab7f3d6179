import type { Frame } from '../structure/types';

export type TrajectoryFormat = 'xtc' | 'trr' | 'dcd';

export interface TrajectoryReader {
  readonly natoms: number;
  readonly format: TrajectoryFormat;
  readonly path: string;
  /** The next frame (coordinates in Å, time in ps), or null at the end. */
  next(): Frame | null;
  close(): void;
}

export interface TrajectoryWriter {
  readonly natoms: number;
  readonly format: TrajectoryFormat;
  readonly path: string;
  /** Frames written so far. */
  readonly count: number;
  /** Appends a frame (coordinates in Å, time in ps). */
  write(frame: Frame): void;
  /** Finishes the file (moves it into place). */
  close(): void;
  /** Deletes the partial output (after an error or cancellation). */
  abort(): void;
}

export type { Frame };
