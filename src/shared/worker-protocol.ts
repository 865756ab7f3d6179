/**
 * Typed messages between a host (extension, CLI, tests) and the inference worker (`dist/worker.js`,
 * a `child_process.fork` child). The channel uses Node's 'advanced' serialization (structured clone),
 * so typed arrays inside `Structure` travel as-is.
 */
import type { Structure } from '../core/structure/types';

export type Device = 'auto' | 'cpu' | 'cuda' | 'webgpu' | 'dml' | 'coreml';
export const DEVICES: readonly Device[] = ['auto', 'cpu', 'cuda', 'webgpu', 'dml', 'coreml'];

/** Stages reported through progress events, in pipeline order. */
export type Stage = 'parse' | 'assign' | 'model' | 'graph' | 'inference' | 'rebuild' | 'refine' | 'metrics' | 'write' | 'frames';

export interface RefineSettings {
  /** Backbone steepest descent (bonds, angles, ω, predicted φ/ψ; N, C, carbonyl O tethered, Cα fixed). */
  backbone: boolean;
  /** Heavy-atom clash relief (side-chain atoms move, Cα fixed). */
  clashes: boolean;
  /** Side-chain bonds and angles toward ideal values; off unless named (it costs side-chain accuracy). */
  sidechains: boolean;
}

/** Options that can cross the process boundary (plain data only). */
export interface BackmapSettings {
  /** Model id or .onnx path, 'template' (model-free) or 'auto' (default). */
  model?: string;
  /** Mapping set id or folder; default: the model's mapping, or detected from the input's residue/bead names. */
  mapping?: string;
  device?: Device;
  /** Renamed residues, e.g. { HSD: 'HIS' }. */
  residueNameMap?: Record<string, string>;
  /** Backmap what the mapping knows and report the rest (default true). */
  partial?: boolean;
  /**
   * true/false for backbone and clashes, or per part; default: off for single structures, on for trajectories.
   * `sidechains` is on only when named.
   */
  refine?: boolean | Partial<RefineSettings>;
  /** Target number of beads per inference chunk (default 20,000); 0 disables chunking. */
  chunkSize?: number;
}

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
}

export interface MapToCgRequest {
  id: number;
  type: 'mapToCg';
  input: StructureInput;
  mapping: string;
  chain?: string;
  residueNameMap?: Record<string, string>;
  out?: string;
  force?: boolean;
}

export interface CancelRequest {
  id: number;
  type: 'cancel';
  target: number;
}

/** Test-only: makes the worker misbehave so that hosts can prove they survive it. */
export interface DebugRequest {
  id: number;
  type: 'debug';
  action: 'exit' | 'abort' | 'throw' | 'hang' | 'pid';
  code?: number;
}

export type WorkerRequest = BackmapStructureRequest | BackmapTrajectoryRequest | MapToCgRequest | CancelRequest | DebugRequest;

export interface ProgressEvent {
  type: 'progress';
  id: number;
  stage: string;
  /** In [0, 1]. */
  fraction: number;
  /** e.g. "frame 12 of 89". */
  detail?: string;
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
