/** The CLI's option table, parsed-option type, output channel and usage error (shared by main.ts and commands.ts). */
import type { ParseArgsConfig } from 'node:util';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal: progress lines are shown. */
  tty?: boolean;
}

export const options = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  mapping: { type: 'string', short: 'm' },
  chain: { type: 'string' },
  model: { type: 'string' },
  device: { type: 'string' },
  trajectory: { type: 'string', short: 't' },
  reference: { type: 'string', short: 'r' },
  refine: { type: 'boolean' },
  'no-refine': { type: 'boolean' },
  'refine-sidechains': { type: 'boolean' },
  report: { type: 'string' },
  force: { type: 'boolean', short: 'f' },
  json: { type: 'boolean' },
  symmetric: { type: 'boolean' },
  superpose: { type: 'boolean' },
  'data-root': { type: 'string' },
  limit: { type: 'string' },
  'residue-map': { type: 'string' },
  'chunk-size': { type: 'string' },
  format: { type: 'string' },
  partial: { type: 'boolean' },
  strict: { type: 'boolean' },
  'allow-warnings': { type: 'boolean' },
  stride: { type: 'string' },
  'max-frames': { type: 'string' },
  frames: { type: 'string' },
  minutes: { type: 'string' },
  init: { type: 'string' },
  target: { type: 'string' },
  then: { type: 'string', multiple: true },
  samples: { type: 'string' },
  noise: { type: 'string' },
  seed: { type: 'string' },
  python: { type: 'string' },
  models: { type: 'string' },
  solvent: { type: 'boolean' },
  hydrogens: { type: 'boolean' },
  'no-hydrogens': { type: 'boolean' },
  ph: { type: 'string' },
  names: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  shards: { type: 'string' },
  partition: { type: 'string' },
  time: { type: 'string' },
  'cpus-per-task': { type: 'string' },
  submit: { type: 'boolean' },
  beads: { type: 'string' },
  method: { type: 'string' },
  engine: { type: 'string' },
  ff: { type: 'string' },
  restrain: { type: 'string' },
  steps: { type: 'string' },
  emtol: { type: 'string' },
  threads: { type: 'string' },
  gmx: { type: 'string' },
  solvate: { type: 'boolean' },
  minimise: { type: 'boolean' },
  'minimise-tether': { type: 'string' },
} satisfies ParseArgsConfig['options'];

export type CliOptions = {
  [K in keyof typeof options]?: (typeof options)[K] extends { multiple: true } ? string[] : (typeof options)[K]['type'] extends 'boolean' ? boolean : string;
};

/** Wrong or missing arguments (exit 1, like bad input); core code throws it too. */
export { UsageError } from '../core/errors';
