/**
 * `backmap merge` and `backmap slurm` through the CLI, on the project-made ligand fixture (lig-tiny.onnx): merges of
 * real shard runs equal the whole run; the array script's text (range, per-task frames, resume skip); its tasks run
 * here without SLURM (SLURM_ARRAY_TASK_ID set by hand, real processes) and merge.sh give the whole run byte for
 * byte; --submit without sbatch, and with a stand-in sbatch that records what it was asked.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { cli, ROOT, tempDir } from './helpers';
import { arrayList, planShards } from '../../src/core/pipeline/shards';
import { formatFrameRange } from '../../src/core/trajectory/frames';

const FIX = join(ROOT, 'test', 'fixtures', 'ligand');
const MODEL = join(FIX, 'lig-tiny.onnx');
const t = tempDir('merge-slurm');
const p = (n: string) => join(t.dir, n);
after(() => t.cleanup());

const ok = async (...argv: string[]) => {
  const r = await cli(...argv);
  assert.equal(r.code, 0, r.err);
  return r;
};
const bytes = (f: string) => readFileSync(f);

before(async () => {
  await ok('map', join(FIX, 'frames.pdb'), '--mapping', join(FIX, 'lig'), '--frames', '0:12', '-o', p('cg12.pdb'));
  // The same 12 CG frames as an XTC with its topology: the input a SLURM job shards.
  await ok('map', join(FIX, 'frames.pdb'), '--mapping', join(FIX, 'lig'), '--frames', '0:12', '-o', p('cg.xtc'));
  await ok('backmap', p('cg.topology.pdb'), '--trajectory', p('cg.xtc'), '--model', MODEL, '--no-refine', '--frames', '0:12', '-o', p('whole.xtc'));
  await ok('backmap', p('cg12.pdb'), '--model', MODEL, '--no-refine', '--frames', '0:12', '-o', p('whole.pdb'));
});

test('merge: PDB shards of real runs equal the whole run; an overlap exits 1 naming both; a gap warns', async () => {
  for (const r of ['0:5', '5:12', '4:12', '8:12']) await ok('backmap', p('cg12.pdb'), '--model', MODEL, '--no-refine', '--frames', r, '-o', p(`s${r.replace(':', '_')}.pdb`));
  const m = await ok('merge', p('s5_12.pdb'), p('s0_5.pdb'), '-o', p('m.pdb'));
  assert.match(m.out, /merged 12 frame\(s\) of 2 shard\(s\) → .*m\.pdb/);
  assert.ok(bytes(p('m.pdb')).equals(bytes(p('whole.pdb'))));
  const again = await cli('merge', p('s5_12.pdb'), p('s0_5.pdb'), '-o', p('m.pdb'));
  assert.equal(again.code, 1);
  assert.match(again.err, /m\.pdb: output file already exists \(use --force/);
  const o = await cli('merge', p('s0_5.pdb'), p('s4_12.pdb'), '-o', p('o.pdb'));
  assert.equal(o.code, 1);
  assert.match(o.err, /s4_12\.pdb:\d+: MODEL 5 \(input frame 4\) is also in .*s0_5\.pdb: the shards overlap/);
  assert.equal(existsSync(p('o.pdb')), false);
  const g = await ok('merge', p('s0_5.pdb'), p('s8_12.pdb'), '-o', p('g.pdb'));
  assert.match(g.err, /warning: 3 frames missing between .*s0_5\.pdb .* no shard holds input frames 5:8 \(backmap them with --frames 5:8\)/);
  assert.match(g.out, /merged 9 frame\(s\)/);
  const none = await cli('merge', '-o', p('n.pdb'));
  assert.equal(none.code, 1);
  assert.match(none.err, /missing the shard files/);
});

test('planShards: even contiguous shards of the selection (stride folded in), every frame once', () => {
  const fmt = (s: ReturnType<typeof planShards>) => s.map((x) => `${formatFrameRange(x.frames)}=${x.count}`).join(' ');
  assert.equal(fmt(planShards({ start: 0, stop: 89, step: 1 }, 89, 3)), '0:29=29 29:59=30 59:89=30');
  // Frames 1, 3, …, 11 (six) in four shards.
  assert.equal(fmt(planShards({ start: 1, stop: 12, step: 2 }, 6, 4)), '1:2:2=1 3:6:2=2 7:8:2=1 9:12:2=2');
  assert.equal(fmt(planShards({ start: 5, stop: 7, step: 1 }, 2, 2)), '5:6=1 6:7=1');
  assert.throws(() => planShards({ start: 0, stop: 12, step: 1 }, 12, 13), /--shards 13 is more than the 12 selected frames/);
  assert.throws(() => planShards({ start: 0, stop: 12, step: 1 }, 12, 0), /--shards expects a whole number ≥ 1/);
  assert.equal(arrayList([5, 0, 1, 2, 7, 8, 9]), '0-2,5,7-9');
  assert.equal(arrayList([3]), '3');
});

const slurmArgs = (out: string, ...more: string[]) => ['slurm', p('cg.topology.pdb'), '--trajectory', p('cg.xtc'), '-o', p(out), '--model', MODEL, '--no-refine', ...more];

/** A task of the array script, as SLURM would start it (a real bash and node process, SLURM_ARRAY_TASK_ID set). */
const task = (script: string, k: number | string, env: NodeJS.ProcessEnv = {}) => {
  const r = spawnSync('bash', [script], { cwd: tmpdir(), encoding: 'utf8', env: { ...process.env, SLURM_ARRAY_TASK_ID: String(k), ...env }, timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
};

test('slurm: the array script (range, per-task frames, resume skip) and merge.sh; tasks run here give the whole run', async () => {
  const r = await ok(...slurmArgs('run.xtc', '--shards', '3', '--partition', 'short', '--time', '00:20:00', '--cpus-per-task', '2'));
  const dir = p('run.xtc.slurm');
  assert.match(r.out, /wrote .*run\.xtc\.slurm\/backmap\.sbatch: 12 frame\(s\) \(--frames 0:12\) in 3 shard\(s\) of 4 frames, array 0-2/);
  assert.match(r.out, /shard 1: --frames 4:8 \(4 frames\)\n/);
  const script = readFileSync(join(dir, 'backmap.sbatch'), 'utf8');
  assert.match(script, /^#!\/bin\/bash\n/);
  assert.match(script, /^#SBATCH --array=0-2$/m);
  assert.match(script, /^#SBATCH --partition=short$/m);
  assert.match(script, /^#SBATCH --time=00:20:00$/m);
  assert.match(script, /^#SBATCH --cpus-per-task=2$/m);
  assert.match(script, new RegExp(`^#SBATCH --output=${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/slurm-%A_%a\\.out$`, 'm'));
  assert.match(script, /^ {2}0\) frames=0:4 ;;/m);
  assert.match(script, /^ {2}1\) frames=4:8 ;;/m);
  assert.match(script, /^ {2}2\) frames=8:12 ;;/m);
  // Resumable: a shard whose output and topology exist is not redone; the flags pass through; the shard's own -o.
  assert.match(script, /if \[ -e "\$out" \] && \[ -e "\$\{out%\.\*\}\.topology\.pdb" \]; then\n.*is complete, nothing to do"\n {2}exit 0/);
  assert.match(script, /main\.ts backmap .*cg\.topology\.pdb --trajectory .*cg\.xtc --model .*lig-tiny\.onnx --no-refine --frames "\$frames" -o "\$out" --force$/m);
  const mergeSh = join(dir, 'merge.sh');
  assert.match(readFileSync(mergeSh, 'utf8'), /main\.ts merge .*shard-0\.xtc .*shard-1\.xtc .*shard-2\.xtc -o .*run\.xtc$/m);
  assert.equal(statSync(mergeSh).mode & 0o111, 0o111);
  const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
  assert.deepEqual(plan.shards, ['0:4', '4:8', '8:12']);

  // merge.sh before the shards exist: names them, exits 1.
  const early = spawnSync('bash', [mergeSh], { encoding: 'utf8' });
  assert.equal(early.status, 1);
  assert.match(early.stderr, /3 shard\(s\) not complete: .*shard-0\.xtc .*shard-2\.xtc/);
  // The tasks, as SLURM would run them (from a foreign working folder).
  for (const k of [2, 0, 1]) {
    const run = task(join(dir, 'backmap.sbatch'), k);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, new RegExp(`backmapped 4 frame\\(s\\) .*shard-${k}\\.xtc`));
  }
  const mtime = statSync(join(dir, 'shard-1.xtc')).mtimeMs;
  const skip = task(join(dir, 'backmap.sbatch'), 1);
  assert.equal(skip.code, 0, skip.err);
  assert.match(skip.out, /shard 1 \(frames 4:8\): .*shard-1\.xtc is complete, nothing to do/);
  assert.equal(statSync(join(dir, 'shard-1.xtc')).mtimeMs, mtime);
  const bad = task(join(dir, 'backmap.sbatch'), 3);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /no shard '3' \(0 to 2\)/);
  const unset = spawnSync('bash', [join(dir, 'backmap.sbatch')], { encoding: 'utf8', env: { ...process.env, SLURM_ARRAY_TASK_ID: '' } });
  assert.equal(unset.status, 1);
  assert.match(unset.stderr, /SLURM_ARRAY_TASK_ID: not set: submit with sbatch/);
  const merged = spawnSync('bash', [mergeSh], { encoding: 'utf8', cwd: t.dir });
  assert.equal(merged.status, 0, merged.stderr);
  assert.match(merged.stdout, /merged 12 frame\(s\) of 3 shard\(s\) → .*run\.xtc/);
  assert.ok(bytes(p('run.xtc')).equals(bytes(p('whole.xtc'))));
  assert.ok(bytes(p('run.topology.pdb')).equals(bytes(p('whole.topology.pdb'))));

  // The same plan again resumes (complete shards listed as such); another plan is refused, --force starts over.
  const resumed = await ok(...slurmArgs('run.xtc', '--shards', '3', '--force'));
  assert.match(resumed.out, /\(3 already complete\)/);
  const other = await cli(...slurmArgs('run.xtc', '--shards', '2', '--force'));
  assert.equal(other.code, 0, other.err);
  assert.match(other.err, /removed 6 shard file\(s\) of the earlier plan/);
  assert.equal(existsSync(join(dir, 'shard-2.xtc')), false);
  const noForce = await cli(...slurmArgs('run.xtc', '--shards', '3'));
  assert.equal(noForce.code, 1);
  assert.match(noForce.err, /run\.xtc: output file already exists/);
  unlinkSync(p('run.xtc'));
  unlinkSync(p('run.topology.pdb'));
  const changed = await cli(...slurmArgs('run.xtc', '--shards', '3'));
  assert.equal(changed.code, 1);
  assert.match(changed.err, /run\.xtc\.slurm: holds the shards of another plan .*--force starts over/);
});

test('slurm: a multi-model PDB with --frames and --stride; the shard tasks and merge.sh give that selection', async () => {
  const r = await ok('slurm', p('cg12.pdb'), '-o', p('odd.pdb'), '--model', MODEL, '--no-refine', '--frames', '1:', '--stride', '2', '--shards', '4');
  assert.match(r.out, /6 frame\(s\) \(--frames 1:12:2\) in 4 shard\(s\) of 1–2 frames/);
  const dir = p('odd.pdb.slurm');
  const script = readFileSync(join(dir, 'backmap.sbatch'), 'utf8');
  assert.match(script, /^#SBATCH --array=0-3$/m);
  assert.match(script, /0\) frames=1:2:2 ;;[^\n]*\n {2}1\) frames=3:6:2 ;;[^\n]*\n {2}2\) frames=7:8:2 ;;[^\n]*\n {2}3\) frames=9:12:2 ;;/);
  assert.doesNotMatch(script, /--stride/); // folded into each shard's --frames
  assert.match(script, /\nif \[ -e "\$out" \]; then\n/); // a PDB output has no topology beside it
  for (let k = 0; k < 4; k++) assert.equal(task(join(dir, 'backmap.sbatch'), k).code, 0);
  assert.equal(spawnSync('bash', [join(dir, 'merge.sh')], { encoding: 'utf8' }).status, 0);
  await ok('backmap', p('cg12.pdb'), '--model', MODEL, '--no-refine', '--frames', '1::2', '-o', p('odd-whole.pdb'));
  assert.ok(bytes(p('odd.pdb')).equals(bytes(p('odd-whole.pdb'))));
});

test('slurm --submit: without sbatch a setup error naming the script; with one, only the missing shards are submitted', async () => {
  const path = process.env.PATH;
  const bin = p('bin');
  mkdirSync(bin);
  try {
    process.env.PATH = bin; // no sbatch here (bash is found by its absolute path below)
    const r = await cli(...slurmArgs('sub.pdb', '--shards', '3', '--submit'));
    assert.equal(r.code, 1);
    assert.match(r.err, /sbatch is not installed here \(SLURM's client\): the job is written; submit it where SLURM runs: sbatch .*sub\.pdb\.slurm\/backmap\.sbatch/);
    assert.ok(existsSync(p('sub.pdb.slurm/backmap.sbatch')));
    // A stand-in sbatch: records its arguments, answers like `sbatch --parsable`.
    writeFileSync(join(bin, 'sbatch'), `#!/bin/bash\necho "$@" > ${JSON.stringify(p('sbatch-args'))}\necho "4242;cluster"\n`);
    chmodSync(join(bin, 'sbatch'), 0o755);
    writeFileSync(p('sub.pdb.slurm/shard-0.pdb'), 'complete\n'); // as if task 0 had finished
    const s = await cli(...slurmArgs('sub.pdb', '--shards', '3', '--submit'));
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /submitted job 4242 \(array 1-2: 2 task\(s\)\); when it is done: bash .*merge\.sh/);
    assert.equal(readFileSync(p('sbatch-args'), 'utf8').trim(), `--parsable --array=1-2 ${p('sub.pdb.slurm/backmap.sbatch')}`);
    const failing = join(bin, 'sbatch');
    writeFileSync(failing, '#!/bin/bash\necho "sbatch: error: invalid partition specified: nope" >&2\nexit 1\n');
    const f = await cli(...slurmArgs('sub.pdb', '--shards', '3', '--submit'));
    assert.equal(f.code, 1);
    assert.match(f.err, /sbatch failed \(exit 1\): sbatch: error: invalid partition specified: nope/);
  } finally {
    process.env.PATH = path;
  }
});

test('slurm refusals: shards beyond the frames, a missing --shards, per-run flags, bad SLURM values, a misfit trajectory', async () => {
  const cases: [string[], RegExp][] = [
    [slurmArgs('r.xtc', '--shards', '13'), /--shards 13 is more than the 12 selected frames/],
    [slurmArgs('r.xtc'), /missing --shards N/],
    [slurmArgs('r.xtc', '--shards', '2', '--report', p('r.md')), /--report is not available with slurm/],
    [slurmArgs('r.xtc', '--shards', '2', '--time', 'soon'), /--time expects SLURM's wall-time form/],
    [slurmArgs('r.xtc', '--shards', '2', '--partition', 'a b'), /--partition expects a partition name/],
    [slurmArgs('r.gro', '--shards', '2'), /cannot tell the trajectory output format/],
    [['slurm', p('cg12.pdb'), '--trajectory', p('whole.xtc'), '-o', p('r.xtc'), '--shards', '2'], /whole\.xtc: trajectory has \d+ particles but the topology .*cg12\.pdb has 4/],
    [['slurm', p('cg.topology.pdb'), '-o', p('r.xtc'), '--shards', '2'], /nothing to shard: .*cg\.topology\.pdb holds one model and no --trajectory/],
    [['slurm', p('cg.topology.pdb'), '--trajectory', p('cg.xtc'), '-o', p('cg.xtc'), '--shards', '2', '--force'], /cg\.xtc: refusing to overwrite an input file/],
  ];
  for (const [argv, re] of cases) {
    const r = await cli(...argv);
    assert.equal(r.code, 1, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
  }
  assert.equal(existsSync(p('r.xtc.slurm')), false);
});
