/**
 * `backmap slurm`: one trajectory run split into shards (contiguous `--frames` ranges of the selected frames, as
 * even as whole frames allow) run as a SLURM array job, one shard per task, then put together by `backmap merge`.
 * This file holds the plan and the text of the scripts (pure: no file is read or written here).
 *
 * The job folder `<out>.slurm/` holds `backmap.sbatch` (the array job), `merge.sh`, `plan.json` (what the shards
 * are, so a changed plan is not mixed with shards of an earlier one), `shard-<k>.<ext>` and the tasks' logs.
 * Resumable: outputs appear only when complete (written beside and renamed), so a task whose shard exists (with
 * its topology, for binary outputs) has nothing to do and exits at once.
 */
import { join } from 'node:path';
import { UsageError } from '../errors';
import { formatFrameRange, type FrameRange } from '../trajectory/frames';
import { topologyPathOf, type FramesFormat } from './trajectory';

export interface ShardRange {
  /** 0-based shard number (= SLURM_ARRAY_TASK_ID). */
  index: number;
  /** The shard's `--frames` (input indices, stop exclusive, the selection's step). */
  frames: FrameRange;
  /** Frames in the shard. */
  count: number;
}

/**
 * The selection (a resolved range: start ≥ 0, the step with any stride folded in) of `total` frames split into `n`
 * contiguous shards: shard j holds selected frames ⌊j·total/n⌋ to ⌊(j+1)·total/n⌋ - 1, so sizes differ by at most
 * one and the shards hold every selected frame exactly once.
 */
export function planShards(range: FrameRange, total: number, n: number): ShardRange[] {
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--shards expects a whole number ≥ 1 (got ${n})`);
  if (!Number.isSafeInteger(total) || total < 1) throw new UsageError('the selection holds no frame to shard');
  if (n > total) throw new UsageError(`--shards ${n} is more than the ${total} selected frame${total > 1 ? 's' : ''}: use at most ${total}`);
  if (range.start < 0 || range.step < 1) throw new Error('planShards: the range must be resolved (start ≥ 0, step ≥ 1)');
  const shards: ShardRange[] = [];
  for (let j = 0; j < n; j++) {
    const k0 = Math.floor((j * total) / n);
    const k1 = Math.floor(((j + 1) * total) / n);
    const start = range.start + k0 * range.step;
    const last = range.start + (k1 - 1) * range.step;
    // The stop right after the shard's last frame: the next shard starts at the next selected frame.
    shards.push({ index: j, frames: { start, stop: last + 1, step: range.step }, count: k1 - k0 });
  }
  return shards;
}

export interface SlurmSettings {
  partition?: string;
  /** Wall-time limit per task (SLURM's forms: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM:SS…). */
  time?: string;
  cpusPerTask?: number;
  jobName: string;
}

export interface SlurmPlan {
  /** The job folder (absolute): `<out>.slurm`. */
  dir: string;
  /** The merged output (absolute). */
  out: string;
  /** Format of the shards and of the merged output. */
  format: FramesFormat;
  /** How a task starts the CLI: node and the entry (the bundle, or the TypeScript entry with its loader), absolute. */
  cli: string[];
  /** The `backmap` arguments every shard shares (command, input, trajectory, model and flags), without --frames and -o. */
  args: string[];
  /** The folder the scripts run in (relative paths in `args` are relative to it). */
  cwd: string;
  /** The frames selected (resolved) and their number. */
  range: FrameRange;
  total: number;
  shards: ShardRange[];
  slurm: SlurmSettings;
  /** `merge.sh` overwrites an existing merged output. */
  force?: boolean;
}

export const SBATCH_FILE = 'backmap.sbatch';
export const MERGE_FILE = 'merge.sh';
export const PLAN_FILE = 'plan.json';

/** The output of shard `k`. */
export const shardOutput = (plan: Pick<SlurmPlan, 'dir' | 'format'>, k: number) => join(plan.dir, `shard-${k}.${plan.format}`);

/** The files a finished shard has: its output, and the topology beside a binary one. */
export function shardFiles(plan: Pick<SlurmPlan, 'dir' | 'format'>, k: number): string[] {
  const out = shardOutput(plan, k);
  return plan.format === 'pdb' ? [out] : [out, topologyPathOf(out)];
}

/** What defines the shards (not how the CLI is started): an earlier plan.json must equal it to be resumed. */
export function planRecord(plan: SlurmPlan): string {
  return `${JSON.stringify(
    {
      out: plan.out,
      format: plan.format,
      args: plan.args,
      frames: formatFrameRange(plan.range),
      total: plan.total,
      shards: plan.shards.map((s) => formatFrameRange(s.frames)),
    },
    null,
    1,
  )}\n`;
}

/** A word for bash, in single quotes unless it needs none. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

const shellLine = (argv: string[]) => argv.map(shellQuote).join(' ');

/** Checks the SLURM settings and the folder (an #SBATCH line takes no quotes: no blank or % in its paths). */
export function checkSlurmSettings(plan: SlurmPlan): void {
  const s = plan.slurm;
  if (/[\s%]/.test(plan.dir)) throw new UsageError(`the job folder '${plan.dir}' holds a blank or a %, which #SBATCH lines cannot take: choose another -o`);
  if (s.partition !== undefined && !/^[\w.,-]+$/.test(s.partition)) throw new UsageError(`--partition expects a partition name (or names, comma-separated), got '${s.partition}'`);
  if (s.time !== undefined && !/^(\d+-)?\d+(:\d{1,2}){0,2}$/.test(s.time))
    throw new UsageError(`--time expects SLURM's wall-time form, e.g. 30, 02:00:00 or 1-12:00:00 (got '${s.time}')`);
  if (s.cpusPerTask !== undefined && !(Number.isSafeInteger(s.cpusPerTask) && s.cpusPerTask >= 1))
    throw new UsageError(`--cpus-per-task expects a whole number ≥ 1 (got ${s.cpusPerTask})`);
}

/** The argv of task `k`: the CLI on the shard's frames into the shard's output (--force: a task only runs when its shard is not complete). */
export function taskArgv(plan: SlurmPlan, k: number): string[] {
  const s = plan.shards[k];
  return [...plan.cli, ...plan.args, '--frames', formatFrameRange(s.frames), '-o', shardOutput(plan, k), '--force'];
}

/** The sbatch array script: task k backmaps shard k, unless its output is already there. */
export function sbatchScript(plan: SlurmPlan): string {
  checkSlurmSettings(plan);
  const s = plan.slurm;
  const n = plan.shards.length;
  const head = [
    '#!/bin/bash',
    `# Backmap Studio: ${plan.total} frame${plan.total > 1 ? 's' : ''} (--frames ${formatFrameRange(plan.range)}) in ${n} shard${n > 1 ? 's' : ''}, one per array task.`,
    `# Submit: sbatch ${shellQuote(join(plan.dir, SBATCH_FILE))}   then, when every task is done: bash ${shellQuote(join(plan.dir, MERGE_FILE))}`,
    '# Resumable: a shard whose output exists is complete (outputs appear only when written through), so its task',
    '# exits at once; submitting again redoes only the missing shards. Run one shard by hand: SLURM_ARRAY_TASK_ID=k bash this-file',
    `#SBATCH --job-name=${s.jobName}`,
    `#SBATCH --array=0-${n - 1}`,
    '#SBATCH --ntasks=1',
    `#SBATCH --output=${join(plan.dir, 'slurm-%A_%a.out')}`,
    ...(s.partition ? [`#SBATCH --partition=${s.partition}`] : []),
    ...(s.time ? [`#SBATCH --time=${s.time}`] : []),
    ...(s.cpusPerTask ? [`#SBATCH --cpus-per-task=${s.cpusPerTask}`] : []),
    'set -euo pipefail',
    `task="\${SLURM_ARRAY_TASK_ID:?not set: submit with sbatch, or set it to a shard number (0 to ${n - 1})}"`,
    'case "$task" in',
    ...plan.shards.map((sh) => `  ${sh.index}) frames=${formatFrameRange(sh.frames)} ;; # ${sh.count} frame${sh.count > 1 ? 's' : ''}`),
    `  *) echo "backmap shard: no shard '$task' (0 to ${n - 1})" >&2; exit 1 ;;`,
    'esac',
    `out=${shellQuote(join(plan.dir, 'shard-'))}"$task"${shellQuote(`.${plan.format}`)}`,
  ];
  const complete = plan.format === 'pdb' ? '[ -e "$out" ]' : `[ -e "$out" ] && [ -e "\${out%.*}.topology.pdb" ]`;
  const body = [
    `if ${complete}; then`,
    '  echo "shard $task (frames $frames): $out is complete, nothing to do"',
    '  exit 0',
    'fi',
    '# Leftovers of a task that was stopped part-way (written beside the output, never renamed into place).',
    `rm -f -- "$out".tmp-*${plan.format === 'pdb' ? '' : ' "${out%.*}".topology.pdb.tmp-*'}`,
    `cd ${shellQuote(plan.cwd)}`,
    `exec ${shellLine([...plan.cli, ...plan.args])} --frames "$frames" -o "$out" --force`,
  ];
  return `${[...head, ...body].join('\n')}\n`;
}

/** merge.sh: checks every shard is there (naming the missing ones and how to redo them), then `backmap merge`. */
export function mergeScript(plan: SlurmPlan): string {
  const shards = plan.shards.map((sh) => shardOutput(plan, sh.index));
  const missingCheck = plan.format === 'pdb' ? '[ -e "$f" ]' : '[ -e "$f" ] && [ -e "${f%.*}.topology.pdb" ]';
  return `${[
    '#!/bin/bash',
    `# Backmap Studio: puts the ${plan.shards.length} shards of ${SBATCH_FILE} together into ${plan.out}`,
    'set -euo pipefail',
    'missing=()',
    `for f in ${shards.map(shellQuote).join(' ')}; do`,
    `  ${missingCheck} || missing+=("$f")`,
    'done',
    'if [ ${#missing[@]} -gt 0 ]; then',
    `  echo "backmap merge: \${#missing[@]} shard(s) not complete: \${missing[*]}" >&2`,
    `  echo "  submit again to redo only those: sbatch ${shellQuote(join(plan.dir, SBATCH_FILE)).replace(/"/g, '\\"')}" >&2`,
    '  exit 1',
    'fi',
    `cd ${shellQuote(plan.cwd)}`,
    `exec ${shellLine([...plan.cli, 'merge', ...shards, '-o', plan.out, ...(plan.force ? ['--force'] : [])])}`,
  ].join('\n')}\n`;
}

/** Task ids as SLURM's --array list: runs of consecutive ids as a-b ("0-2,5,7-9"). */
export function arrayList(ids: number[]): string {
  const parts: string[] = [];
  const sorted = [...ids].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`);
    i = j + 1;
  }
  return parts.join(',');
}
