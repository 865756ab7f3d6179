/** Options, progress and result of `trainModel` (CLI `backmap train`, the editor's *Train model for this mapping…*). */
import type { InputWarning } from '../errors';
import type { ModelCard } from '../model/contract';
import type { InputPolicy } from '../pipeline/options';

export interface TrainOptions {
  /** All-atom topology (PDB/GRO/CIF); its models are the frames when `trajectory` is absent (a multi-model PDB). */
  topology: string;
  /** XTC/TRR/DCD of the all-atom system (its particle count must equal the topology's). */
  trajectory?: string;
  /** "start:stop[:step]" over the trajectory's frames (default every frame). */
  frames?: string;
  /** Mapping set id or folder (the user's folder is checked under `policy`, as for `map`). */
  mapping: string;
  /**
   * What a model of a UCG mapping gives: `ca` (UCG → C-alpha trace, the first of two stages) or `atoms` (UCG → heavy
   * atoms in one step; the default). Per-residue mappings always give atoms.
   */
  target?: 'ca' | 'atoms';
  /**
   * Largest Gaussian noise (Å) added to the bead positions of a training sample (each sample draws its sigma in
   * [0, noise]); default 0.03. Larger values teach a model inputs that are not exact mappings, e.g. a C-alpha stage
   * that follows a UCG → C-alpha stage.
   */
  noise?: number;
  /** Output model; its card is written beside it (`<out>.json`). Written only when training completed. */
  out: string;
  /** Training wall-clock budget in minutes (default 5). */
  minutes?: number;
  /** Torch device for training (default cpu; inference stays onnxruntime). */
  device?: 'cpu' | 'cuda';
  /** Fine-tune from a model: a shipped id or a .onnx path (same mapping set; the architecture is the model's). */
  init?: string;
  /** Python interpreter with PyTorch (default: found, see `findPython`). */
  python?: string;
  /** Share of the selected frames held out for validation, the last ones in time (default 0.1). */
  validationFraction?: number;
  /** Overwrite an existing output (default: refuse). */
  force?: boolean;
  policy?: InputPolicy;
  warn?: (warning: InputWarning) => void;
  /** Every line the trainer prints (Python's log included), for a log channel or --verbose. */
  log?: (line: string) => void;
}

export type TrainPhase = 'check' | 'dataset' | 'train' | 'export';

export interface TrainProgress {
  phase: TrainPhase;
  /** Whole run, 0..1 (training time dominates). */
  fraction: number;
  /** One line for a status bar or terminal, e.g. "epoch 12 · validation 0.142 Å · 2.1 min left". */
  message: string;
  epoch?: number;
  step?: number;
  /** Minutes of training done and left. */
  minutes?: number;
  minutesLeft?: number;
  /** Latest validation heavy-atom RMSD (median over validation frames, Å). */
  validationRmsd?: number;
}

export interface TrainResult {
  onnxPath: string;
  cardPath: string;
  card: ModelCard;
  /** Frames used: the selection, and how it was split. */
  frames: { selected: number; train: number; validation: number; range: string };
  /** Final validation heavy-atom RMSD (median and mean over validation frames, Å). */
  validation: { median: number; mean: number } | null;
  seconds: number;
  python: string;
}
