// backmapTrajectory with a frame selection: frames by index in the input, deterministic (shards of a run hold
// exactly its frames, bit for bit), the input's time and step kept, stride and maxFrames within the selection,
// an empty selection refused naming the trajectory, and both outputs checked before any work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { mapToCg } from '../../../src/core/forward';
import { formatPdb } from '../../../src/core/structure/pdb';
import { createTrajectoryWriter, openTrajectory } from '../../../src/core/trajectory/index';
import { InputError } from '../../../src/core/errors';
import { backmapTrajectory, type TrajectoryOptions, type TrajectoryResult } from '../../../src/core/pipeline';
import type { Frame } from '../../../src/core/structure/types';

const aa = buildPeptide('MKTAYIAKQRQISFVKSHFSRQ', { phi: -65, psi: -40, chainId: 'A' });
const cg = mapToCg(aa, loadMappingSet('martini3')).cg;
const SIM = resolve(__dirname, '../../../../shared/data/cgsim/1UBQ');

/** `n` frames of the CG peptide, each moved a little, with times and steps that are not the frame index. */
function writeFrames(path: string, n: number): void {
  const w = createTrajectoryWriter(path, cg.atoms.count, 'xtc');
  let seed = 11;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  for (let f = 0; f < n; f++) {
    const c = new Float32Array(3 * cg.atoms.count);
    for (let i = 0; i < c.length; i++) c[i] = cg.coords[i] + 0.3 * rnd();
    w.write({ index: f, time: 1000 + 20 * f, step: 5000 + 100 * f, coords: c, box: { a: 80, b: 80, c: 80, alpha: 90, beta: 90, gamma: 90 } });
  }
  w.close();
}

function readAll(path: string): Frame[] {
  const r = openTrajectory(path);
  const out: Frame[] = [];
  try {
    for (let f = r.next(); f; f = r.next()) out.push({ ...f, coords: f.coords.slice() });
  } finally {
    r.close();
  }
  return out;
}

/** The MODEL…ENDMDL blocks of a multi-model PDB, with their model numbers. */
const modelBlocks = (path: string) =>
  readFileSync(path, 'utf8')
    .replace(/^END\n$/m, '')
    .split(/(?=^MODEL )/m)
    .filter((b) => b.startsWith('MODEL'));

/** Every frame of `whole` equals the frames of the shards, in order, bit for bit (`keepFrames` output). */
function assertSameFrames(whole: TrajectoryResult, shards: TrajectoryResult[], what: string): void {
  const all = whole.firstFrame.models;
  const parts = shards.flatMap((s) => s.firstFrame.models);
  assert.equal(parts.length, all.length, `${what}: frame count`);
  for (let f = 0; f < all.length; f++) {
    assert.equal(parts[f].length, all[f].length);
    let diff = 0;
    for (let i = 0; i < all[f].length; i++) if (parts[f][i] !== all[f][i]) diff++;
    assert.equal(diff, 0, `${what}: frame ${f} differs in ${diff} coordinates`);
  }
}

test('shards 0:3 and 3:7 of a 7-frame run are its frames: XTC bytes, times and steps, and full-precision coordinates', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-trjf-'));
  try {
    const top = join(dir, 'cg.pdb');
    writeFileSync(top, formatPdb(cg));
    const xtc = join(dir, 'in.xtc');
    writeFrames(xtc, 7);
    const base: Omit<TrajectoryOptions, 'out'> = { topology: top, trajectory: xtc, model: 'template', skipMetrics: true };
    // XTC out: the shards' files put together are the whole run's file, byte for byte (each frame keeps its time and step).
    const whole = await backmapTrajectory({ ...base, out: join(dir, 'all.xtc') });
    const a = await backmapTrajectory({ ...base, out: join(dir, 'a.xtc'), frames: '0:3' });
    const b = await backmapTrajectory({ ...base, out: join(dir, 'b.xtc'), frames: '3:7' });
    assert.deepEqual([whole.frames, a.frames, b.frames], [7, 3, 4]);
    assert.deepEqual(Buffer.concat([readFileSync(a.out), readFileSync(b.out)]), readFileSync(whole.out));
    assert.ok(existsSync(join(dir, 'b.topology.pdb')));
    const input = readAll(xtc);
    assert.deepEqual(
      readAll(b.out).map((f) => [f.time, f.step]),
      input.slice(3).map((f) => [f.time, f.step]),
      'the input frames’ time and step',
    );
    // Multi-model PDB out (every frame's coordinates kept): bit for bit, and MODEL n+1 for frame index n.
    const pw = await backmapTrajectory({ ...base, out: join(dir, 'all.pdb'), keepFrames: true });
    const pa = await backmapTrajectory({ ...base, out: join(dir, 'a.pdb'), keepFrames: true, frames: { start: 0, stop: 3, step: 1 } });
    const pb = await backmapTrajectory({ ...base, out: join(dir, 'b.pdb'), keepFrames: true, frames: '3:' });
    assertSameFrames(pw, [pa, pb], 'template, refined');
    assert.deepEqual([...modelBlocks(pa.out), ...modelBlocks(pb.out)], modelBlocks(pw.out));
    assert.deepEqual(
      modelBlocks(pb.out).map((m) => m.slice(0, 14)),
      ['MODEL        4', 'MODEL        5', 'MODEL        6', 'MODEL        7'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stride and maxFrames within the selection, negative indices, progress over the selection', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-trjf-'));
  try {
    const top = join(dir, 'cg.pdb');
    writeFileSync(top, formatPdb(cg));
    const xtc = join(dir, 'in.xtc');
    writeFrames(xtc, 9);
    const input = readAll(xtc);
    const steps = (path: string) => readAll(path).map((f) => f.step);
    const run = async (name: string, o: Partial<TrajectoryOptions>, progress?: string[]) =>
      backmapTrajectory(
        { topology: top, trajectory: xtc, out: join(dir, name), model: 'template', refine: false, skipMetrics: true, ...o },
        { progress: (s, f, d) => progress?.push(`${f.toFixed(2)} ${d}`) },
      );
    const progress: string[] = [];
    await run('s.xtc', { frames: '1:8', stride: 3 }, progress);
    assert.deepEqual(steps(join(dir, 's.xtc')), [1, 4, 7].map((i) => input[i].step));
    assert.deepEqual(progress, ['0.33 frame 1 of 3', '0.67 frame 2 of 3', '1.00 frame 3 of 3']);
    await run('m.xtc', { frames: '2:', stride: 2, maxFrames: 2 });
    assert.deepEqual(steps(join(dir, 'm.xtc')), [2, 4].map((i) => input[i].step));
    await run('n.xtc', { frames: '-2:' });
    assert.deepEqual(steps(join(dir, 'n.xtc')), [7, 8].map((i) => input[i].step));
    await run('one.xtc', { frames: '5' });
    assert.deepEqual(steps(join(dir, 'one.xtc')), [input[5].step]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a selection with no frame is an InputError naming the trajectory and its frame count; outputs are checked before any work', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-trjf-'));
  try {
    const top = join(dir, 'cg.pdb');
    writeFileSync(top, formatPdb(cg));
    const xtc = join(dir, 'in.xtc');
    writeFrames(xtc, 4);
    const out = join(dir, 'out.xtc');
    for (const frames of ['4:', '10:20', '7']) {
      await assert.rejects(backmapTrajectory({ topology: top, trajectory: xtc, out, model: 'template', frames }), (e: unknown) => {
        assert.ok(e instanceof InputError, String(e));
        assert.equal(e.file, xtc);
        assert.match(e.message, /select no frame: the input has 4 frames \(indices 0 to 3\)/);
        return true;
      });
    }
    // A multi-model topology (no trajectory): named, with its model count.
    const mm = join(dir, 'mm.pdb');
    writeFileSync(mm, formatPdb({ ...cg, models: [cg.coords, cg.coords] }));
    await assert.rejects(
      backmapTrajectory({ topology: mm, out: join(dir, 'mm-out.pdb'), model: 'template', frames: '2:' }),
      (e: unknown) => e instanceof InputError && e.file === mm && /the input has 2 frames/.test(e.message),
    );
    // The topology written beside a binary output exists: refused (without --force) before anything is written.
    writeFileSync(join(dir, 'out.topology.pdb'), 'KEEP\n');
    await assert.rejects(backmapTrajectory({ topology: top, trajectory: xtc, out, model: 'template' }), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.file, join(dir, 'out.topology.pdb'));
      assert.match(e.message, /already exists/);
      return true;
    });
    assert.equal(readFileSync(join(dir, 'out.topology.pdb'), 'utf8'), 'KEEP\n');
    assert.equal(existsSync(out), false);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('.tmp-')),
      [],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failure after the first frames leaves neither the binary trajectory nor its topology behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-trjf-'));
  try {
    const top = join(dir, 'cg.pdb');
    writeFileSync(top, formatPdb(cg));
    const dcd = join(dir, 'nan.dcd');
    const w = createTrajectoryWriter(dcd, cg.atoms.count, 'dcd');
    for (let f = 0; f < 4; f++) {
      const c = Float32Array.from(cg.coords);
      if (f === 3) c[4] = NaN;
      w.write({ index: f, time: f, step: f, coords: c, box: null });
    }
    w.close();
    const out = join(dir, 'out.xtc');
    await assert.rejects(backmapTrajectory({ topology: top, trajectory: dcd, out, model: 'template', refine: false, frames: '1:' }), /frame index 3 \(0-based\): particle 2 \(SC1 MET A1\) has non-finite coordinates/);
    assert.deepEqual(readdirSync(dir).sort(), ['cg.pdb', 'nan.dcd']);
    // The frames before it are fine on their own.
    const r = await backmapTrajectory({ topology: top, trajectory: dcd, out, model: 'template', refine: false, frames: '1:3' });
    assert.equal(r.frames, 2);
    assert.deepEqual(readdirSync(dir).sort(), ['cg.pdb', 'nan.dcd', 'out.topology.pdb', 'out.xtc']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('real simulation (../shared cgsim/1UBQ, 89 frames): shards 0:40 and 40:89 are frames 0:89 bit for bit (template, refined)', async (t) => {
  if (!existsSync(join(SIM, 'traj_protein.xtc'))) {
    t.skip('../shared absent: cgsim/1UBQ not found');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bm-trjf-'));
  try {
    const base = { topology: join(SIM, 'topol_protein.gro'), trajectory: join(SIM, 'traj_protein.xtc'), model: 'template', keepFrames: true, skipMetrics: true };
    const whole = await backmapTrajectory({ ...base, out: join(dir, 'all.pdb'), frames: '0:89' });
    assert.equal(whole.frames, 89);
    // The later shard first: nothing of one run may leak into the next.
    const b = await backmapTrajectory({ ...base, out: join(dir, 'b.pdb'), frames: '40:89' });
    const a = await backmapTrajectory({ ...base, out: join(dir, 'a.pdb'), frames: '0:40' });
    assertSameFrames(whole, [a, b], '1UBQ template');
    assert.deepEqual([...modelBlocks(a.out), ...modelBlocks(b.out)], modelBlocks(whole.out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('real simulation (../shared cgsim/1UBQ): shards with the trained model, a few frames', async (t) => {
  if (!existsSync(join(SIM, 'traj_protein.xtc'))) {
    t.skip('../shared absent: cgsim/1UBQ not found');
    return;
  }
  if (!existsSync(resolve(__dirname, '../../../models/martini3-protein.onnx'))) {
    t.skip('models/martini3-protein.onnx not installed');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bm-trjf-'));
  try {
    const base = { topology: join(SIM, 'topol_protein.gro'), trajectory: join(SIM, 'traj_protein.xtc'), model: 'martini3-protein', keepFrames: true, skipMetrics: true };
    const whole = await backmapTrajectory({ ...base, out: join(dir, 'all.pdb'), frames: '30:36' });
    const b = await backmapTrajectory({ ...base, out: join(dir, 'b.pdb'), frames: '33:36' });
    const a = await backmapTrajectory({ ...base, out: join(dir, 'a.pdb'), frames: '30:33' });
    assert.equal(whole.report.modelId, 'martini3-protein');
    assertSameFrames(whole, [a, b], '1UBQ martini3-protein');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
