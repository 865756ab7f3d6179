/**
 * Typed messages between a host (extension, CLI, tests) and the inference worker (`dist/worker.js`,
 * a `child_process.fork` child). The channel uses Node's 'advanced' serialization (structured clone),
 * so typed arrays inside `Structure` travel as-is. Cancelling is killing the worker (src/engine/client.ts), except for
 * training, which is asked to stop (`cancel`) so that its Python child ends with it.
 */
import type { Structure } from '../core/structure/types';
import type { BackmapOutput, BackmapSettings, InputPolicy } from '../core/pipeline/options';
import type { TrajectoryResult } from '../core/pipeline/trajectory';
import type { ForwardReport } from '../core/forward';
import type { TrainOptions, TrainProgress, TrainResult } from '../core/training/options';

export { DEVICES } from '../core/model/providers';
export type { Device } from '../core/model/providers';
export type { BackmapSettings, InputPolicy, RefineSettings } from '../core/pipeline/options';
export type { TrainOptions, TrainProgress, TrainResult } from '../core/training/options';

/** Stages reported through progress events, in pipeline order. */
export type Stage = 'parse' | 'assign' | 'model' | 'graph' | 'inference' | 'rebuild' | 'refine' | 'metrics' | 'write' | 'frames';

export type StructureInput =
  | { path: string }
  | { text: string; source: string; format?: 'pdb' | 'gro' | 'cif' }
  | { structure: Structure };

export interface BackmapStructureRequest {
  id: number;
  type: 'backmapStructure';
  input: StructureInput;
  settings: BackmapSettings;
  /** Reference all-atom structure for per-residue RMSD. */
  reference?: StructureInput;
  /** When set, the worker writes the result there (never over an existing file unless force). */
  out?: string;
  force?: boolean;
  /**
   * Models (ids or .onnx paths) of a chain of stages to run in order, as the host offered it and the user chose it
   * (UCG beads → C-alpha trace → atoms, or the first stage alone). Absent: the worker decides (UCG beads with model
   * `auto`: the installed chain that takes them; a UCG model: that stage).
   */
  chain?: string[];
}

export interface BackmapTrajectoryRequest {
  id: number;
  type: 'backmapTrajectory';
  topology: string;
  /** XTC/TRR/DCD; absent → the topology's own models (multi-model PDB). */
  trajectory?: string;
  out: string;
  format?: 'pdb' | 'xtc' | 'trr' | 'dcd';
  settings: BackmapSettings;
  force?: boolean;
  maxFrames?: number;
  stride?: number;
  /** Multi-model PDB output: the result's first frame carries every frame as a model (the comparison view's slider). */
  keepFrames?: boolean;
  /** As for `backmapStructure`: the models of a chain of stages, in order. */
  chain?: string[];
  /** Whole systems: water and ions placed in every frame (else left out frame by frame; the CLI's --solvent). */
  solvent?: boolean;
}

export interface MapToCgRequest {
  id: number;
  type: 'mapToCg';
  input: StructureInput;
  mapping: string;
  chain?: string;
  residueNameMap?: Record<string, string>;
  /** The mapping-warning policy for a mapping folder of the user's. */
  policy?: InputPolicy;
  out?: string;
  force?: boolean;
}

/** Options of `trainModel` that cross the process boundary (the callbacks become log events). */
export type TrainSettings = Omit<TrainOptions, 'warn' | 'log'>;

/**
 * Trains a model (src/core/training) in the worker; `progress` events carry the trainer's `TrainProgress` in `train`.
 * Cancelled with a `cancel` message, never by killing the worker first: the worker must abort the run so that the
 * Python child is killed too (a killed worker would leave it training on).
 */
export interface TrainModelRequest {
  id: number;
  type: 'trainModel';
  options: TrainSettings;
}

/** Test-only: makes the worker misbehave so that hosts can prove they survive it. */
export interface DebugRequest {
  id: number;
  type: 'debug';
  action: 'exit' | 'abort' | 'throw' | 'hang' | 'pid';
  code?: number;
}

export type WorkerRequest = BackmapStructureRequest | BackmapTrajectoryRequest | MapToCgRequest | TrainModelRequest | DebugRequest;

/**
 * Asks the worker to abort request `id` (its AbortSignal fires): the request then ends with an `error` event
 * (CancelledError), or with its `result` when it had already completed. Not a request of its own (no answer).
 */
export interface CancelMessage {
  id: number;
  type: 'cancel';
}

/** Everything a host sends to the worker. */
export type HostMessage = WorkerRequest | CancelMessage;

export interface ProgressEvent {
  type: 'progress';
  id: number;
  stage: string;
  /** In [0, 1]. */
  fraction: number;
  /** e.g. "frame 12 of 89". */
  detail?: string;
  /** trainModel: the trainer's own progress (stage = its phase, detail = its message). */
  train?: TrainProgress;
}

export interface LogEvent {
  type: 'log';
  id: number;
  level: 'info' | 'warning' | 'error';
  message: string;
}

export interface ResultEvent {
  type: 'result';
  id: number;
  result: unknown;
}

export interface SerializedError {
  name: string;
  message: string;
  /** Set for InputError: the user's file and 1-based line. */
  file?: string;
  line?: number;
  column?: number;
  stack?: string;
}

export interface ErrorEvent {
  type: 'error';
  id: number;
  error: SerializedError;
}

export interface ReadyEvent {
  type: 'ready';
  id: 0;
  pid: number;
}

export type WorkerEvent = ProgressEvent | LogEvent | ResultEvent | ErrorEvent | ReadyEvent;

// ------------------------------------------------------------------------------------------ results

/** Result of `backmapStructure`: everything the host shows, so it never reads or parses the files again. */
export interface BackmapStructureResult {
  output: BackmapOutput;
  /** The CG input as the worker read it. */
  input: Structure;
  written?: string;
  markdown: string;
}

/** Result of `mapToCg`: the CG structure, the all-atom input as read, and what the mapping met. */
export interface MapToCgResultMessage {
  cg: Structure;
  input: Structure;
  report: ForwardReport;
  problems: string[];
  summary: string;
  residues: number;
  beads: number;
  mappingId: string;
  ms: number;
  written?: string;
}

export type BackmapTrajectoryResult = TrajectoryResult;

/** Result of `trainModel`. */
export type TrainModelResult = TrainResult;
