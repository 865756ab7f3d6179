/**
 * `backmap` command-line interface. The contract (subcommands, options, exit codes) is relied upon by
 * scripts and CI: extend it, don't break it.
 *   exit 0 success, 1 bad input or usage (message names file and line), 2 internal error, 130 cancelled (Ctrl-C).
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { CancelledError, isInputError, InputError, SetupError } from '../core/errors';
import { commands } from './commands';
import { options, UsageError, type CliIO, type CliOptions } from './options';

export { UsageError, type CliIO, type CliOptions } from './options';

export const USAGE = `backmap — coarse-grained ⇄ all-atom for molecular modelers (Backmap Studio)

Usage:
  backmap map <all-atom> --mapping <set|folder> [--chain X] [--residue-map A=B,…] [--allow-warnings]
                  [--trajectory <xtc|dcd|trr>] [--frames start:stop[:step]] -o <cg.pdb|cg.xtc> [--force]
  backmap backmap <cg> [--model <id|path|template|auto>] [--then <model>]… [--models <folder>] [--mapping <set|folder>]
                  [--device auto|cpu|webgpu|cuda|dml|coreml] [--trajectory <xtc|dcd|trr>]
                  [--reference <all-atom>] [--refine|--no-refine] [--refine-sidechains] [--report <file.md>]
                  -o <out> [--force]
                  [--partial] [--strict] [--allow-warnings] [--residue-map A=B,…] [--chunk-size N]
                  [--hydrogens|--no-hydrogens] [--ph 7] [--names charmm|amber|gromacs] [--minimise [--minimise-tether 3]]
                  [--frames start:stop[:step]] [--stride N] [--max-frames N] [--format pdb|xtc|trr|dcd] [--solvent]
                  [--samples N] [--seed S] [--verbose]
  backmap evaluate <model> <reference> [--chain X] [--symmetric] [--superpose] [--json]
  backmap validate <mapping file|folder> [--strict] [--verbose] [--json]
  backmap train <all-atom> [--trajectory <xtc|dcd|trr>] [--frames start:stop[:step]] --mapping <set|folder>
                  -o <model.onnx> [--minutes 5] [--device cpu|cuda] [--init <model id|onnx>] [--python <exe>]
                  [--target ca|atoms] (a UCG mapping: beads → C-alpha trace, or → heavy atoms) [--noise 0.03]
                  [--allow-warnings] [--force] [--verbose]
  backmap merge <shard> <shard> … -o <merged.pdb|xtc|trr|dcd> [--force]
  backmap slurm <cg> [--trajectory <xtc|dcd|trr>] -o <out.pdb|xtc|trr|dcd> --shards N
                  [--frames start:stop[:step]] [--stride N] [--max-frames N] [--partition P]
                  [--time HH:MM:SS] [--cpus-per-task C] [--submit] [--force] [backmap flags: --model, --no-refine, …]
  backmap coarsen <structure> --beads N [--method segments|spatial] -o <mapping.ucg.yaml> [--force]
  backmap prepare <structure> [--engine auto|gromacs|openmm] [--ff charmm27|amber99sb-ildn|oplsaa|amber14|charmm36]
                  [--restrain 50] [--steps 5000] [--emtol 10] [--threads N] [--solvate] [--gmx <exe>]
                  [--python <exe>] [-o <folder>] [--force] [--verbose]
  backmap models [--models <folder>] [--json]
  backmap dataset <list.tsv> --mapping <set> -o <file> [--data-root <dir>] [--limit N] [--force]
  backmap --help | --version

Structures: PDB, GRO, mmCIF (optionally .gz). Trajectories: XTC, DCD, TRR, with the CG file as topology; a
  multi-model PDB is a trajectory too. --frames selects frames by index (0-based, stop excluded, negative from
  the end: --frames=-10: for the last ten), so shards 0:40 and 40:89 give exactly the frames of one 0:89 run.
Models: the trained model for the input's mapping when one is installed in models/ (ids martini3-protein,
  ca-protein, martini3-lipids) or in a --models folder (yours, from backmap train; also BACKMAP_MODEL_PATH),
  else the template backmapper (no trained model) — the output says which was used. In a whole system each
  molecule goes to a model whose card knows it (a protein, lipid and your ligand model in one run).
Devices: auto tries CUDA, WebGPU, DirectML/CoreML, then the CPU; the providers skipped and why are listed in the
  --report (and on stderr with --verbose); a --device that cannot run falls back to the CPU with a warning.
Hydrogens: on by default (--no-hydrogens omits them): proteins (ideal geometry, protonation at --ph, HIS tautomers
  from the hydrogen-bond network, termini with OXT, disulfides), lipids, sterols, TIP3P waters and molecules of your
  own trained models (from the card); a trajectory takes frame 0's protonation for every frame. --names writes
  residue and atom names that gmx pdb2gmx (charmm27, amber99sb-ildn, oplsaa) and OpenMM (amber) accept without -ignh.
  --minimise: a restrained minimisation with the AMBER99SB-ILDN energy in the product (no engine needed; heavy atoms
  tethered at --minimise-tether kJ/mol/Å², default 3), for frames of real CG simulations, which come out strained;
  every frame of a trajectory is minimised on its own (about 1 s per frame for 76 residues).
Prepare: energy minimisation with your own GROMACS (gmx, gmx_mpi, gmx_d; --gmx, BACKMAP_GMX, GMX) or OpenMM (a
  Python with openmm), force field from the file's names, heavy atoms restrained (kJ/mol/Å², 0 = none), into
  <stem>.prepared/ (minimised.pdb, prepare.md, prepare.json with the energies before and after).
Sharding: backmap slurm writes <out>.slurm/backmap.sbatch (a SLURM array job, one --frames shard per task; a shard
  whose output exists is complete and skipped, so submitting again redoes only the missing ones) and merge.sh;
  --submit runs sbatch for the missing shards. backmap merge puts shard outputs together in frame order (PDB by
  MODEL, XTC/TRR/DCD by step then time, with <out>.topology.pdb), refusing overlaps and shards of other atoms and
  warning about gaps; XTC/TRR frames and PDB models are copied byte for byte.
Training: maps the frames with the mapping, holds the last 10 % out for validation, trains the equivariant
  network with PyTorch (Python 3 + torch + numpy, found automatically or named with --python; inference never
  needs Python) for --minutes, and writes the ONNX model with its card (mapping embedded) only when complete.
  --init fine-tunes an installed model on new frames of its own mapping. A multi-model PDB is a trajectory.
UCG proteins: coarsen groups residues into N beads (contiguous segments, or --method spatial: compact groups) and
  writes a UCG mapping (docs/ucg-mapping.md); map --mapping <file.ucg.yaml> maps frames to UCG beads; train
  --mapping <file.ucg.yaml> --target ca trains the UCG → C-alpha stage on the protein's frames, train --mapping ca
  --init ca-protein fine-tunes the C-alpha → atoms stage; backmap --model s1.onnx --then s2.onnx runs the chain
  (any length; a stage must take what the one before gives), and a UCG file without --model runs the installed
  chain that takes its beads. --samples N draws N structures per frame (the first deterministic).
Evaluate: residues are matched by chain and number, or by sequence alignment per chain when those differ
  (martinize2 renumbering, GRO files without chain IDs); the output says which. Different sequences are refused.
Refinement: backbone (bonds, angles, ω, predicted φ/ψ, tethered to the prediction) and clash relief, on by
  default for trajectories (--refine / --no-refine); --refine-sidechains also brings side-chain bonds and angles to
  ideal values (before simulation; costs about 0.03 Å of side-chain RMSD).
Safety: an output path equal to an input (structure, trajectory, reference) is always refused, even with
  --force; an existing output needs --force. Coordinates in the wrong unit (nm in a .pdb) are refused.
Mappings: a mapping folder of yours whose files would silently mis-map (validator warnings, see
  backmap validate) is refused by map/backmap unless --allow-warnings (then every warning is printed);
  errors (CGmap/HEroBM would crash) are always refused.
Unknown CG particles: whole unknown residues (water, ions) are skipped with a warning (--strict: error);
  an unknown bead in a known residue is an error (--partial: skipped with a warning).
Exit codes: 0 success, 1 bad input, usage or setup (message names file and line, or what to install),
  2 internal error, 130 cancelled (Ctrl-C).`;

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    io.err(`backmap: ${(e as Error).message}\n\n${USAGE}\n`);
    return 1;
  }
  const [command, ...positionals] = parsed.positionals;
  const opts = parsed.values as CliOptions;
  if (opts.version) {
    io.out(`${VERSION}\n`);
    return 0;
  }
  if (opts.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  if (!command) {
    io.err(`backmap: missing command\n\n${USAGE}\n`);
    return 1;
  }
  const handler = commands[command];
  if (!handler) {
    io.err(`backmap: unknown command '${command}'\n\n${USAGE}\n`);
    return 1;
  }
  try {
    await handler(positionals.map((p) => resolve(p)), opts, io);
    return 0;
  } catch (e) {
    if (isInputError(e)) {
      io.err(`backmap ${command}: ${(e as Error).message}\n`);
      return 1;
    }
    if (e instanceof SetupError) {
      io.err(`backmap ${command}: ${(e as Error).message}\n`);
      return 1;
    }
    if (e instanceof CancelledError) {
      io.err(`backmap ${command}: ${(e as Error).message}\n`);
      return 130;
    }
    if (e instanceof UsageError) {
      io.err(`backmap ${command}: ${(e as Error).message} (see backmap --help)\n`);
      return 1;
    }
    // File-system refusals (permission denied, disk full, a folder where a file was expected) are the
    // user's to fix, not bugs: name the path.
    const sys = e as NodeJS.ErrnoException;
    if (sys && typeof sys.code === 'string' && typeof sys.path === 'string' && /^E[A-Z]+$/.test(sys.code)) {
      io.err(`backmap ${command}: ${sys.path}: ${sys.code}: ${sys.message}\n`);
      return 1;
    }
    io.err(`backmap ${command}: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 2;
  }
}

declare const __BACKMAP_VERSION__: string | undefined;
const VERSION = typeof __BACKMAP_VERSION__ === 'string' ? __BACKMAP_VERSION__ : '0.1.0';

export { InputError };

if (require.main === module) {
  runCli(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    tty: !!process.stderr.isTTY,
  }).then((code) => {
    process.exitCode = code;
  });
}
