/**
 * `backmap prepare <structure>`: energy minimisation with the user's GROMACS or OpenMM (src/core/prepare), into
 * `<stem>.prepared/` (or -o). Steps go to stderr as they start, the engine's own output too with --verbose; the
 * energies before and after and the heavy-atom displacement go to stdout.
 */
import { prepareStructure, type PrepareOptions } from '../core/prepare';
import type { EngineChoice } from '../core/prepare/engines';
import { UsageError, type CliIO, type CliOptions } from './options';

/** The options of this command (entries of the CLI's option table, src/cli/options.ts). */
export type PrepareCliOptions = CliOptions & {
  engine?: string;
  ff?: string;
  restrain?: string;
  steps?: string;
  emtol?: string;
  threads?: string;
  gmx?: string;
  solvate?: boolean;
};

const numberOpt = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} expects a number, got '${value}'`);
  return n;
};

/** The core's options from the command line (numbers checked by the core, which names the flag). */
export function prepareOptionsOf(input: string, opts: PrepareCliOptions): PrepareOptions {
  return {
    input,
    out: opts.output,
    force: opts.force,
    engine: (opts.engine ?? 'auto') as EngineChoice,
    ff: opts.ff,
    restrain: numberOpt(opts.restrain, 'restrain'),
    emtol: numberOpt(opts.emtol, 'emtol'),
    steps: numberOpt(opts.steps, 'steps'),
    threads: numberOpt(opts.threads, 'threads'),
    solvate: opts.solvate,
    gmx: opts.gmx,
    python: opts.python,
  };
}

const f1 = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(1));

export async function prepare(args: string[], opts: PrepareCliOptions, io: CliIO): Promise<void> {
  const [input, extra] = args;
  if (!input) throw new UsageError('missing the structure to prepare (backmap prepare <structure.pdb|gro>)');
  if (extra) throw new UsageError(`prepare takes one structure (got also '${extra}')`);
  // Ctrl-C: the engine's process group is stopped and the scratch folder removed (main.ts exits 130)
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  // `on`, not `once`: a second Ctrl-C must not kill Node by default and leave the engine's process group running.
  process.on('SIGINT', onSigint);
  try {
    const r = await prepareStructure(prepareOptionsOf(input, opts), {
      signal: controller.signal,
      progress: (step, fraction) => io.err(`[${String(Math.round(fraction * 100)).padStart(3)}%] ${step}\n`),
      log: (line) => {
        if (opts.verbose || line.startsWith('engine:') || line.startsWith('force field:') || line.startsWith('note:')) io.err(`${line}\n`);
      },
    });
    for (const w of r.warnings) io.err(`warning: ${w}\n`);
    const e = r.energy;
    io.out(
      `${r.engine === 'gromacs' ? 'GROMACS' : 'OpenMM'} ${r.version}, ${r.forceField}, ${r.solvent}: ${r.atoms} atoms, ${r.residues} residues\n` +
        `potential energy ${f1(e.before.total)} → ${f1(e.after.total)} kJ/mol (${f1(e.before.perResidue)} → ${f1(e.after.perResidue)} per residue; restraint ${f1(e.after.restraint)})\n` +
        `largest force ${f1(r.maxForce.before)} → ${f1(r.maxForce.after)} kJ/mol/nm; ${r.converged ? 'converged' : 'stopped'} after ${r.steps} steps in ${r.seconds.toFixed(1)} s\n` +
        `heavy atoms moved ${r.heavyAtoms.rmsd.toFixed(3)} Å RMS, most ${r.heavyAtoms.max.toFixed(3)} Å (${r.heavyAtoms.maxAtom})\n` +
        `→ ${r.folder}/ (minimised.pdb, prepare.md, prepare.json)\n`,
    );
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
