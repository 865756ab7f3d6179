/** Options and result types of the backmapping pipeline (in process, and over the worker protocol). */
import type { InputWarning } from '../errors';
import type { MappingSet } from '../mapping/types';
import type { Structure } from '../structure/types';
import type { BondAngleStats, ClashReport, RamaResult, ResidueMatching } from '../metrics';
import type { Device, ProviderAttempt } from '../model/providers';
import type { RefineReport } from '../refine';
import type { ForceFieldNaming } from '../ffnames';
import type { HydrogenReport, ProtonationPlan } from '../hydrogens';
import type { ForceFieldMinimiseReport } from '../refine/forcefield';
import type { WorkspaceMappingContext } from './workspace-mapping';

export type { Device, ProviderAttempt } from '../model/providers';
export { DEFAULT_CHUNK_SIZE } from '../model/chunking';

export interface RefineSettings {
  /** Backbone steepest descent (bonds, angles, ω, predicted φ/ψ; N, C, carbonyl O tethered, Cα fixed). */
  backbone: boolean;
  /** Heavy-atom clash relief (side-chain atoms move, Cα fixed). */
  clashes: boolean;
  /** Side-chain bonds and angles toward ideal values; off unless named (it costs side-chain accuracy). */
  sidechains: boolean;
}

/**
 * What the pipeline refuses and what it lets through with a warning. The defaults are the documented policy
 * (README "Command line"), the same for the CLI and the editor.
 */
export interface InputPolicy {
  /** Whole residues the mapping does not know (water, ions, ligands): skipped with a warning, or refused. Default 'skip'. */
  unknownResidues?: 'skip' | 'error';
  /** A bead the mapping of its (known) residue lacks: the input was made with another mapping. Default 'error'. */
  unknownBeads?: 'skip' | 'error';
  /**
   * A mapping folder of the user's with validator warnings (it would silently mis-map): refused naming file:line,
   * or used with every warning reported. Errors are always refused. Default 'refuse'.
   */
  mappingWarnings?: 'refuse' | 'allow';
  /** How the front end lets the user change each refusal, appended to its message (e.g. "--partial to skip them"). */
  hints?: { unknownResidues?: string; unknownBeads?: string };
}

/** Options that can cross the process boundary (plain data only). */
export interface BackmapSettings {
  /** Model id or .onnx path, 'template' (model-free) or 'auto' (default). */
  model?: string;
  /**
   * Folders of the user's holding models (`<name>.onnx` + `<name>.json`, e.g. from `backmap train`), considered
   * after the shipped ones, as is every folder of BACKMAP_MODEL_PATH: the editor passes the workspace's
   * `.backmap/models/` and its setting, the CLI `--models`.
   */
  modelDirs?: string[];
  /** Mapping set id or folder; default: the model's mapping, or detected from the input's residue/bead names. */
  mapping?: string;
  device?: Device;
  /** Renamed residues, e.g. { HSD: 'HIS' }. */
  residueNameMap?: Record<string, string>;
  /**
   * Backmap what the mapping knows (default true); false refuses any unknown residue or bead, whatever `policy`
   * says.
   */
  partial?: boolean;
  /**
   * true/false for backbone and clashes, or per part; default: off for single structures, on for trajectories.
   * `sidechains` is on only when named.
   */
  refine?: boolean | Partial<RefineSettings>;
  /** Most beads per inference chunk (default DEFAULT_CHUNK_SIZE, 8,000); 0 disables chunking. */
  chunkSize?: number;
  /** Input checks (unknown residues/beads, mapping warnings). */
  policy?: InputPolicy;
  /**
   * The editor's workspace (folders, open mapping documents): with no `mapping` named, the worker picks a mapping
   * folder of the workspace that knows the input (workspace-mapping.ts).
   */
  workspaceMappings?: WorkspaceMappingContext;
  /**
   * Hydrogens on protein, lipid, sterol and water residues (src/core/hydrogens.ts), placed after refinement and the
   * metrics; default HYDROGENS_DEFAULT (on). Trajectories decide the protonation on the input's first frame and
   * apply it to every frame.
   */
  hydrogens?: boolean;
  /**
   * After hydrogens, a restrained minimisation with the AMBER99SB-ILDN energy (`refine/forcefield`, ε = 4r, heavy atoms
   * tethered to the prediction; `tether` kJ/mol/Å², default 3), each frame of a trajectory on its own; off by default
   * (docs/experiments.md, "Force-field minimisation": it lowers the energy gap of real-simulation frames but moves heavy
   * atoms off the reference on direct mappings).
   */
  minimise?: boolean | { tether?: number; maxSteps?: number };
  /** pH of the protonation states (ASP/GLU/HIS/LYS), default 7. */
  ph?: number;
  /** Residue and atom names for a force field (default 'charmm'): applied with hydrogens, or alone when named. */
  names?: ForceFieldNaming;
}

/** Whether `hydrogens` is on when not given (issue 30: on; `hydrogens: false` / `--no-hydrogens` leaves them out). */
export const HYDROGENS_DEFAULT = true;

export interface BackmapOptions extends BackmapSettings {
  /** All-atom reference for per-residue RMSD. */
  reference?: Structure;
  /** A pre-loaded mapping set (overrides `mapping`; the caller has applied the mapping-warning policy). */
  mappingSet?: MappingSet;
  /** Unavailable explicit device → error instead of the documented CPU fallback. */
  strictDevice?: boolean;
  /** Time already spent reading the input (reported as the parse stage). */
  parseMs?: number;
  /** Keep the model session for later calls (the worker caches one per model + device). */
  cacheSession?: boolean;
  /** Skip the quality metrics (trajectories compute them for the first frame only). */
  skipMetrics?: boolean;
  /**
   * Protonation decided before (`decideProtonation`, or `BackmapOutput.protonation` of an earlier frame): applied
   * instead of deciding on this structure, so frames of one run get the same atoms.
   */
  protonation?: ProtonationPlan;
  log?: (message: string) => void;
  /** Non-fatal input problems (reader warnings, skipped particles, allowed mapping warnings), as they are found. */
  warn?: (warning: InputWarning) => void;
}

export interface Hooks {
  /** fraction in [0, 1]; `detail` e.g. "frame 12 of 89" for trajectories. */
  progress?(stage: string, fraction: number, detail?: string): void;
  signal?: AbortSignal;
}

export interface UnknownResidue {
  resName: string;
  bead?: string;
  chainId?: string;
  resSeq?: number;
  file: string;
  line: number;
}

/** Classes a whole system is split into (src/core/pipeline/molecules.ts). */
export type MoleculeClass = 'protein' | 'lipid' | 'sterol' | 'ligand' | 'water' | 'ion' | 'go-site' | 'unknown';

/**
 * Molecules of one class in the input and in the output: protein chains, lipid/sterol/ligand residues, water
 * molecules (a Martini W bead stands for 4), ions, Go-Martini virtual sites (particles, never output) and unknown
 * residues (kept out, listed under `unknown`).
 */
export interface MoleculeCount {
  kind: MoleculeClass;
  in: number;
  out: number;
  /** What was counted or done, e.g. "waters (412 CG beads)". */
  note?: string;
}

export interface ResidueRmsd {
  chainId: string;
  resSeq: number;
  iCode: string;
  resName: string;
  rmsd: number;
  rmsd_bb: number;
  rmsd_sc: number;
  /** The model residue matched to this reference residue (when its chain or number differs, see `rmsd.residueMatch`). */
  model?: { chainId: string; resSeq: number; iCode: string; resName: string };
}

/** One backmapper of a run and what it did. */
export interface ModelUse {
  /** Card id, or 'template'. */
  model: string;
  /** A model of the user's: its .onnx file. */
  path?: string;
  source: 'shipped' | 'folder' | 'template';
  mapping: string;
  residues: number;
}

export interface BackmapReport {
  input: string;
  /** 'cpu', 'cuda', 'webgpu', … for a model; 'js' for the template backmapper. */
  provider: string;
  providerAttempts: ProviderAttempt[];
  /** The model's card id, or 'template' (whole systems: every backmapper that ran, joined with ' + '). */
  modelId: string;
  /** The mapping set (whole systems with models of other sets: each, joined with ' + '). */
  mappingId: string;
  /** Why this model/mapping was chosen (auto mode), or why the template was used. */
  modelNote: string;
  /** Every backmapper that ran, with the residues it backmapped (whole systems: one per class or mapping set). */
  models?: ModelUse[];
  timings: Record<string, number>;
  counts: { beads: number; residues: number; atoms: number; inputParticles: number; chunks: number };
  unknown: UnknownResidue[];
  /** Molecules per class, in → out (whole systems: protein, lipids, sterols, ligands, water, ions, …). */
  molecules?: MoleculeCount[];
  /** % of residues with a heavy atom < 1.2 Å from another residue's (metrics' definition). */
  clashPercent: number;
  clash: ClashReport | null;
  bondOutliers: number;
  angleOutliers: number;
  bondAngle: BondAngleStats | null;
  ramachandranOutliers: number;
  ramachandran: RamaResult | null;
  refine: RefineReport & { enabled: RefineSettings };
  /** Trajectories: frames backmapped and the wall time of the whole run; the metrics are the first frame's. */
  trajectory?: { frames: number; seconds: number };
  /** Hydrogens added and names used (when `hydrogens` or `names` applied). */
  hydrogens?: HydrogenReport;
  /** The force-field minimisation (when `minimise`); the metrics above describe the structure before it. */
  forcefield?: ForceFieldMinimiseReport;
  rmsd?: { bb: number; sc: number; all: number; matched: number; perResidue: ResidueRmsd[]; /** How residues were matched to the reference. */ residueMatch?: ResidueMatching };
  /**
   * With a reference, the other comparisons of the iterative-backmapping paper (metrics.ts `caRmsd`,
   * `bondGraphEditDistance`, `ramachandranAgreement`), residues matched as for `rmsd`; NaN where one does not apply
   * (a C-alpha trace has no bond graph or φ/ψ).
   */
  comparison?: ReferenceComparison;
  /** A chain of models (`--model a.onnx --then b.onnx`): each stage in the order run. */
  stages?: BackmapStage[];
  notes: string[];
}

/** Comparison metrics against the reference beyond the RMSDs (see `BackmapReport.comparison`). */
export interface ReferenceComparison {
  /** Cα RMSD (Å) as placed, over `caMatched` matched Cα pairs; after Kabsch superposition when 3 or more pairs. */
  rmsdCa: number;
  rmsdCaSuperposed?: number;
  caMatched: number;
  /** Normalised graph edit distance of the heavy-atom bond graphs (0 = same connectivity). */
  gedNormalized: number;
  /** Share (0…1) of `ramaResidues` residues in the same Ramachandran region as in the reference. */
  ramaAgreement: number;
  ramaResidues: number;
}

/** One model of a chain: what it takes and gives (e.g. 'UCG' → 'C-alpha'), its particles in and atoms out, its wall time. */
export interface BackmapStage {
  model: string;
  takes: string;
  gives: string;
  seconds: number;
  beads: number;
  atoms: number;
}

export interface BackmapOutput {
  structure: Structure;
  report: BackmapReport;
  /** Per output residue (cos φ, sin φ, cos ψ, sin ψ) predicted by the model; null for the template. */
  torsions: Float32Array | null;
  /** The protonation decisions applied (when hydrogens or names were), to give the other frames of the same system. */
  protonation?: ProtonationPlan;
}

/** The refinement parts a run does: `value` as given, else on for trajectories and off for one structure. */
export function refineSettings(value: BackmapSettings['refine'], defaultOn: boolean): RefineSettings {
  if (value === undefined) return { backbone: defaultOn, clashes: defaultOn, sidechains: false };
  if (typeof value === 'boolean') return { backbone: value, clashes: value, sidechains: false };
  return { backbone: value.backbone ?? defaultOn, clashes: value.clashes ?? defaultOn, sidechains: value.sidechains ?? false };
}
