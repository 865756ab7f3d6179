/**
 * `backmap slurm`: writes (and with --submit, submits) a SLURM array job over shards of one trajectory run, plus
 * the merge.sh that puts the shards together (plan and script text: src/core/pipeline/shards.ts).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError, SetupError } from '../core/errors';
import { readStructureFile } from '../core/structure/read';
import { assertWritable, writeFileAtomic } from '../core/structure/write';
import { countInputFrames, formatFrameRange, selectedCount, selectInputFrames } from '../core/trajectory/frames';
import { framesFormatOf, topologyPathOf } from '../core/pipeline/trajectory';
import {
  arrayList,
  MERGE_FILE,
  mergeScript,
  PLAN_FILE,
  planRecord,
  planShards,
  SBATCH_FILE,
  sbatchScript,
  shardFiles,
  type SlurmPlan,
} from '../core/pipeline/shards';
import { options, UsageError, type CliIO, type CliOptions } from './options';

/**
 * Flags that are not passed on to the shards: the frames and outputs (each task has its own), per-run files, and
 * slurm's own. Every other flag set (--model, --no-refine, …, and flags backmap gains later) goes to every task.
 */
const NOT_PASSED = new Set(['help', 'version', 'output', 'trajectory', 'frames', 'stride', 'max-frames', 'force', 'shards', 'partition', 'time', 'cpus-per-task', 'submit']);

const intOpt = (value: string | undefined, name: string, min = 1): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} expects an integer ≥ ${min}, got '${value}'`);
  return n;
};

/** A value that names an existing file or folder is passed absolute (a task may start elsewhere); an id stays. */
const pathOrId = (v: string) => (existsSync(v) ? resolve(v) : v);

function passedFlags(opts: CliOptions): string[] {
  const args: string[] = [];
  for (const [k, spec] of Object.entries(options)) {
    const v = opts[k as keyof CliOptions];
    if (NOT_PASSED.has(k) || v === undefined || v === false) continue;
    if (spec.type === 'boolean') args.push(`--${k}`);
    else if (k === 'models') args.push(`--${k}`, String(v).split(',').map(pathOrId).join(','));
    else if (k === 'model' || k === 'mapping') args.push(`--${k}`, pathOrId(String(v)));
    else args.push(`--${k}`, String(v));
  }
  return args;
}

/**
 * How a task starts this CLI: the bundle (dist/cli.js) when this code runs from it, else the TypeScript entry
 * through tsx (a source checkout), with absolute paths so the task's working folder does not matter.
 */
export function cliCommand(): string[] {
  const tsEntry = join(__dirname, 'main.ts');
  // tsx by its absolute URL: `--import tsx` would be looked up from the task's working folder. (createRequire: the
  // bundle never takes this branch, and esbuild leaves it alone.)
  if (existsSync(tsEntry)) return [process.execPath, '--import', pathToFileURL(createRequire(__filename).resolve('tsx')).href, tsEntry];
  const bundle = join(__dirname, 'cli.js');
  if (existsSync(bundle)) return [process.execPath, bundle];
  throw new SetupError(`cannot find the backmap CLI beside ${__dirname} (dist/cli.js or src/cli/main.ts) for the SLURM tasks to run`);
}

export async function slurm([topology]: string[], opts: CliOptions, io: CliIO): Promise<void> {
  if (!topology) throw new UsageError('missing the CG topology: backmap slurm <cg> --trajectory <xtc|trr|dcd> -o <out> --shards N');
  if (!opts.output) throw new UsageError('missing -o <out.xtc|trr|dcd|pdb>: the merged output (the shards go to <out>.slurm/)');
  const n = intOpt(opts.shards, 'shards');
  if (n === undefined) throw new UsageError('missing --shards N: how many array tasks share the frames');
  for (const k of ['report', 'reference', 'format'] as const)
    if (opts[k] !== undefined)
      throw new UsageError(`--${k} is not available with slurm${k === 'format' ? ': the format comes from the extension of -o' : ' (every shard would make its own)'}`);
  const out = resolve(opts.output);
  const format = framesFormatOf(out);
  const trajectory = opts.trajectory ? resolve(opts.trajectory) : undefined;
  const inputs = [topology, trajectory].filter((p): p is string => !!p);
  // The merged output: checked now, so a job is not run for an output merge.sh may not write.
  assertWritable(out, { force: opts.force, protect: inputs });
  if (format !== 'pdb') assertWritable(topologyPathOf(out), { force: opts.force, protect: [...inputs, out] });

  // The frames: the same selection a whole run makes (--frames, --stride, --max-frames), counted from the input.
  const top = readStructureFile(topology);
  const tio = await import('../core/trajectory/index');
  if (trajectory) {
    if (!existsSync(trajectory)) throw new InputError('file not found', trajectory);
    const r = tio.openTrajectory(trajectory);
    const natoms = r.natoms;
    r.close();
    if (natoms !== top.atoms.count)
      throw new InputError(`trajectory has ${natoms} particles but the topology ${topology} has ${top.atoms.count}: they do not belong together`, trajectory);
  } else if (top.models.length < 2) {
    throw new UsageError(`nothing to shard: ${topology} holds one model and no --trajectory was given`);
  }
  const count = countInputFrames(top, trajectory, tio, true);
  const selection = selectInputFrames(top, trajectory, tio, { frames: opts.frames, stride: intOpt(opts.stride, 'stride'), maxFrames: intOpt(opts['max-frames'], 'max-frames') });
  const total = selectedCount(selection.range, count)!;
  const shards = planShards(selection.range, total, n);
  const dir = `${out}.slurm`;
  const plan: SlurmPlan = {
    dir,
    out,
    format,
    cli: cliCommand(),
    args: ['backmap', topology, ...(trajectory ? ['--trajectory', trajectory] : []), ...passedFlags(opts)],
    cwd: process.cwd(),
    range: { ...selection.range, stop: Math.min(selection.range.stop ?? count!, count!) },
    total,
    shards,
    slurm: {
      partition: opts.partition,
      time: opts.time,
      cpusPerTask: intOpt(opts['cpus-per-task'], 'cpus-per-task'),
      jobName: `backmap-${basename(out).replace(/[^\w.-]+/g, '_')}`,
    },
    force: opts.force,
  };
  const sbatch = sbatchScript(plan);
  const merge = mergeScript(plan);
  const record = planRecord(plan);
  prepareFolder(dir, record, opts.force, io);
  for (const [name, text, mode] of [
    [PLAN_FILE, record, 0o644],
    [SBATCH_FILE, sbatch, 0o755],
    [MERGE_FILE, merge, 0o755],
  ] as const) {
    writeFileAtomic(join(dir, name), text);
    chmodSync(join(dir, name), mode);
  }

  const done = shards.filter((s) => shardFiles(plan, s.index).every((f) => existsSync(f))).map((s) => s.index);
  const todo = shards.map((s) => s.index).filter((k) => !done.includes(k));
  const sizes = [...new Set([Math.min(...shards.map((s) => s.count)), Math.max(...shards.map((s) => s.count))])].join('–');
  io.out(
    `wrote ${join(dir, SBATCH_FILE)}: ${total} frame(s) (--frames ${formatFrameRange(plan.range)}) in ${n} shard(s) of ${sizes} frames, ` +
      `array 0-${n - 1}${done.length ? ` (${done.length} already complete)` : ''}, and ${join(dir, MERGE_FILE)}\n`,
  );
  for (const s of shards) io.out(`  shard ${s.index}: --frames ${formatFrameRange(s.frames)} (${s.count} frames)${done.includes(s.index) ? ' complete' : ''}\n`);
  if (!opts.submit) {
    io.out(`submit: sbatch ${join(dir, SBATCH_FILE)}; when every task is done: bash ${join(dir, MERGE_FILE)}\n`);
    return;
  }
  if (!todo.length) {
    io.out(`every shard is complete: nothing to submit; merge them with: bash ${join(dir, MERGE_FILE)}\n`);
    return;
  }
  // Only the shards still missing (the script itself would skip the others, but without a queue slot each).
  const array = arrayList(todo);
  const r = spawnSync('sbatch', ['--parsable', `--array=${array}`, join(dir, SBATCH_FILE)], { encoding: 'utf8' });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
    throw new SetupError(`sbatch is not installed here (SLURM's client): the job is written; submit it where SLURM runs: sbatch ${join(dir, SBATCH_FILE)}`);
  if (r.error) throw new SetupError(`sbatch could not run: ${r.error.message}`);
  if (r.status !== 0) throw new SetupError(`sbatch failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
  const id = r.stdout.trim().split(';')[0];
  io.out(`submitted job ${id} (array ${array}: ${todo.length} task(s)); when it is done: bash ${join(dir, MERGE_FILE)} (or: sbatch --dependency=afterok:${id} ${join(dir, MERGE_FILE)})\n`);
}

/**
 * The job folder: new, or one of the same plan (resumed: its complete shards stay). One of another plan (other
 * frames, shard count or flags) is refused, since its shards would be mixed in; --force starts it over.
 */
function prepareFolder(dir: string, record: string, force: boolean | undefined, io: CliIO): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    return;
  }
  if (!statSync(dir).isDirectory()) throw new InputError('exists and is not a folder: choose another -o', dir);
  const planPath = join(dir, PLAN_FILE);
  const old = existsSync(planPath) ? readFileSync(planPath, 'utf8') : null;
  if (old === record) return;
  const entries = readdirSync(dir);
  if (old === null && !entries.length) return;
  if (!force)
    throw new InputError(
      old === null
        ? `exists and has no ${PLAN_FILE}: not a backmap slurm folder (--force writes into it, or choose another -o)`
        : `holds the shards of another plan (other frames, shard count or flags than ${PLAN_FILE} records): --force starts over, removing its shard outputs, or choose another -o`,
      dir,
    );
  const stale = entries.filter((e) => /^shard-\d+\.(pdb|xtc|trr|dcd|topology\.pdb)$/.test(e));
  for (const e of stale) unlinkSync(join(dir, e));
  if (stale.length) io.err(`note: ${dir}: removed ${stale.length} shard file(s) of the earlier plan\n`);
}
