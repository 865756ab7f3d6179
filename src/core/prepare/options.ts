/** Options of `backmap prepare` (CLI, editor) and what each engine's route gets and gives back. */
import type { Structure } from '../structure/types';
import type { Engine, EngineChoice } from './engines';
import type { Displacement, EnergyRecord } from './result';

export const PREPARE_DEFAULTS = {
  /** kJ/mol/Å² on the solute's heavy atoms (0.5 k d²): the protocol; 0 turns the restraint off. */
  restrain: 50,
  /** Largest force on an atom at convergence, kJ/mol/nm (GROMACS's emtol). */
  emtol: 10,
  /** Most minimisation steps (GROMACS nsteps; OpenMM L-BFGS iterations). */
  steps: 5000,
} as const;

export interface PrepareOptions {
  /** The structure to minimise (PDB, GRO, mmCIF; optionally .gz). */
  input: string;
  /** Output folder; default `<input folder>/<stem>.prepared`. */
  out?: string;
  /** Replace an existing output folder. */
  force?: boolean;
  engine?: EngineChoice;
  /** Force field: a GROMACS `<name>.ff` or OpenMM's amber14 / charmm36; default from the file's names. */
  ff?: string;
  restrain?: number;
  emtol?: number;
  steps?: number;
  /** CPU threads for the engine; default up to 4. */
  threads?: number;
  /** GROMACS only: fill the box with water and 0.15 M NaCl (neutralised) before minimising. */
  solvate?: boolean;
  /** The `gmx` to run (else found: engines.ts). */
  gmx?: string;
  /** The Python with OpenMM (else found like training's). */
  python?: string;
  env?: NodeJS.ProcessEnv;
}

export interface PrepareHooks {
  /** A step began: `fraction` of the whole run, 0–1. */
  progress?(step: string, fraction: number): void;
  /** The engine's output, line by line, and our own notes. */
  log?(line: string): void;
  signal?: AbortSignal;
}

/** What a route (gromacs.ts, openmm.ts) is given: the engine, the input read, a scratch folder to work in. */
export interface RouteContext {
  engine: Engine;
  input: Structure;
  inputPath: string;
  dir: string;
  ff: string;
  restrain: number;
  emtol: number;
  steps: number;
  threads: number;
  solvate: boolean;
  /** Solute residues (energies per residue are over these). */
  residues: number;
  hasHydrogens: boolean;
  hasWater: boolean;
  env: NodeJS.ProcessEnv;
  hooks: PrepareHooks;
}

/** What a route found; index.ts adds the common fields and writes prepare.json. */
export interface RouteOutcome {
  solvent: string;
  atoms: number;
  hydrogensAddedByEngine: boolean;
  restrainedAtoms: number;
  steps: number;
  converged: boolean;
  before: EnergyRecord;
  after: EnergyRecord & { restraint: number };
  maxForce: { before?: number; after: number; atom?: number };
  heavyAtoms: Displacement;
  warnings: string[];
  commands: string[];
}
