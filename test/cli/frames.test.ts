/**
 * Trajectories through the CLI with --frames: `map` of a multi-model all-atom PDB and of an XTC (CG PDB models, or
 * a CG XTC + topology), `backmap` of shards whose frames equal the same frames of one whole run (project-made
 * ligand LIG with its small test model; inference only, no Python).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cli, ROOT, tempDir } from './helpers';
import { readStructureFile } from '../../src/core/structure/read';
import { createTrajectoryWriter, readFrames } from '../../src/core/trajectory';

const FIX = join(ROOT, 'test', 'fixtures', 'ligand');
const FRAMES = join(FIX, 'frames.pdb');
const MAPPING = join(FIX, 'lig');
const MODEL = join(FIX, 'lig-tiny.onnx');
const t = tempDir('frames');
const p = (n: string) => join(t.dir, n);
after(() => t.cleanup());

test('map: a multi-model all-atom PDB with --frames gives one CG model per selected frame', async () => {
  const r = await cli('map', FRAMES, '--mapping', MAPPING, '--frames', '10:40:3', '-o', p('cg.pdb'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /mapped 10 frame\(s\) of 4 particles with 'lig'/);
  const cg = readStructureFile(p('cg.pdb'));
  assert.equal(cg.models.length, 10);
  assert.equal(cg.atoms.count, 4);
  // The 4th selected frame is frame 19 of the input, mapped on its own.
  const one = await cli('map', FRAMES, '--mapping', MAPPING, '--frames', '19', '-o', p('f19.pdb'));
  assert.equal(one.code, 0, one.err);
  const f19 = readStructureFile(p('f19.pdb'));
  for (let i = 0; i < 12; i++) assert.ok(Math.abs(cg.models[3][i] - f19.coords[i]) < 1e-3);
});

test('map: an all-atom XTC with its topology gives a CG XTC and its topology; a misfit is refused', async () => {
  const top = readStructureFile(FRAMES);
  const w = createTrajectoryWriter(p('aa.xtc'), top.atoms.count);
  top.models.slice(0, 30).forEach((c, k) => w.write({ index: k, time: 2 * k, step: k, coords: c, box: top.box }));
  w.close();
  const r = await cli('map', FRAMES, '--trajectory', p('aa.xtc'), '--mapping', MAPPING, '--frames=-10:', '-o', p('cg.xtc'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /mapped 10 frame\(s\)/);
  assert.ok(existsSync(p('cg.topology.pdb')));
  const frames = [...readFrames(p('cg.xtc'))];
  assert.equal(frames.length, 10);
  assert.equal(frames[0].time, 40); // frame 20 keeps its time
  const w2 = createTrajectoryWriter(p('three.xtc'), 3);
  w2.write({ index: 0, time: 0, step: 0, coords: new Float64Array(9), box: null });
  w2.close();
  const bad = await cli('map', FRAMES, '--trajectory', p('three.xtc'), '--mapping', MAPPING, '-o', p('bad.xtc'));
  assert.equal(bad.code, 1);
  assert.match(bad.err, /three\.xtc: trajectory has 3 particles but the topology .*frames\.pdb has 12/);
  assert.equal(existsSync(p('bad.xtc')), false);
});

test('backmap --frames: shards 0:7 and 7:12 are exactly frames 0:12 of one run', async () => {
  const m = await cli('map', FRAMES, '--mapping', MAPPING, '--frames', '0:12', '-o', p('cg12.pdb'));
  assert.equal(m.code, 0, m.err);
  const run = async (frames: string, out: string) => {
    const r = await cli('backmap', p('cg12.pdb'), '--model', MODEL, '--frames', frames, '--no-refine', '-o', p(out));
    assert.equal(r.code, 0, r.err);
    return readStructureFile(p(out)).models;
  };
  const whole = await run('0:12', 'whole.pdb');
  const a = await run('7:12', 'b.pdb'); // the later shard first: nothing may carry over between runs
  const b = await run('0:7', 'a.pdb');
  assert.equal(whole.length, 12);
  assert.deepEqual([...b, ...a].map((x) => Array.from(x)), whole.map((x) => Array.from(x)));
  const none = await cli('backmap', p('cg12.pdb'), '--model', MODEL, '--frames', '20:', '-o', p('none.pdb'));
  assert.equal(none.code, 1);
  assert.match(none.err, /select no frame: the input has 12 frames/);
});
