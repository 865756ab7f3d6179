/**
 * `backmap train` end to end on the project-made ligand LIG (test/fixtures/ligand: a 120-frame multi-model PDB and
 * its 4-bead mapping): refusals before any training (output exists, bad --frames, a mapping that would mis-map, a
 * trajectory that does not fit its topology, no Python with torch, --init of another mapping), a real short run
 * (model + card with the embedded mapping, the few-frames warning, the model backmaps the mapped frame), and
 * Ctrl-C leaving nothing behind. Runs that need PyTorch are skipped, saying so, where it is not installed.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, lineOf, patchFile, ROOT, sha, tempDir } from './helpers';
import { findPython } from '../../src/core/training/python';
import { loadMappingSet } from '../../src/core/mapping/load';
import { readStructureFile } from '../../src/core/structure/read';
import { writeStructureFile } from '../../src/core/structure/write';
import { createTrajectoryWriter } from '../../src/core/trajectory';

const FIX = join(ROOT, 'test', 'fixtures', 'ligand');
const FRAMES = join(FIX, 'frames.pdb');
const MAPPING = join(FIX, 'lig');
const t = tempDir('train');
const p = (n: string) => join(t.dir, n);
after(() => t.cleanup());
const py = findPython();
const needTorch = py.ok ? false : `no Python with PyTorch here (${py.message?.slice(0, 120)}…): training runs skipped`;

test('an existing output is refused before anything runs, and left as it was', async () => {
  writeFileSync(p('mine.onnx'), 'not a model');
  const before = sha(p('mine.onnx'));
  const r = await cli('train', FRAMES, '--mapping', MAPPING, '-o', p('mine.onnx'), '--python', '/nonexistent/python');
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /already exists/);
  assert.equal(sha(p('mine.onnx')), before);
});

test('bad options are usage errors', async () => {
  let r = await cli('train', FRAMES, '--mapping', MAPPING, '-o', p('m.onnx'), '--frames', '0:x');
  assert.equal(r.code, 1);
  assert.match(r.err, /--frames must be start:stop\[:step\]/);
  r = await cli('train', FRAMES, '--mapping', MAPPING, '-o', p('m.txt'));
  assert.equal(r.code, 1);
  assert.match(r.err, /must be a \.onnx file/);
  r = await cli('train', FRAMES, '-o', p('m.onnx'));
  assert.match(r.err, /missing --mapping/);
  r = await cli('train', FRAMES, '--mapping', MAPPING, '-o', p('m.onnx'), '--minutes=-1');
  assert.match(r.err, /--minutes expects a positive number/);
});

test('a Python without torch is named with how to install it', async () => {
  const r = await cli('train', FRAMES, '--mapping', MAPPING, '-o', p('nopy.onnx'), '--python', '/nonexistent/python3');
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /training needs Python 3 with PyTorch/);
  assert.match(r.err, /\/nonexistent\/python3 \(configured\): not found/);
  assert.match(r.err, /apt install python3-torch/);
  assert.equal(existsSync(p('nopy.onnx')), false);
});

test('a mapping that would silently mis-map is refused naming file:line', { skip: needTorch }, async () => {
  const bad = p('bad-lig');
  cpSync(MAPPING, bad, { recursive: true });
  // O12's anchor B does not exist on level 1: HEroBM would anchor it on itself (W1).
  patchFile(join(bad, 'lig.yaml'), 'O12:  L4  P2AB', 'O12:  L4  P2BB');
  const r = await cli('train', FRAMES, '--mapping', bad, '-o', p('bad.onnx'));
  assert.equal(r.code, 1, r.err);
  assert.ok(r.err.includes(`${join(bad, 'lig.yaml')}:${lineOf(join(bad, 'lig.yaml'), /^ {2}O12:/)}`), r.err);
  assert.equal(existsSync(p('bad.onnx')), false);
});

test('a trajectory whose atom count does not fit the topology is refused naming both files', { skip: needTorch }, async () => {
  const w = createTrajectoryWriter(p('short.xtc'), 5);
  w.write({ index: 0, time: 0, step: 0, coords: new Float64Array(15), box: null });
  w.close();
  const r = await cli('train', FRAMES, '--trajectory', p('short.xtc'), '--mapping', MAPPING, '-o', p('x.onnx'));
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /short\.xtc: trajectory has 5 particles but the topology .*frames\.pdb has 12/);
  assert.equal(existsSync(p('x.onnx')), false);
});

test('--init with a model of another mapping is refused naming both', { skip: needTorch }, async () => {
  const r = await cli('train', FRAMES, '--mapping', MAPPING, '-o', p('i.onnx'), '--init', 'ca-protein');
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /--init ca-protein reads mapping 'ca' but the data are mapped with 'lig'/);
});

test('a short run writes the model and its card, warns about few frames, and the model backmaps', { skip: needTorch }, async () => {
  const out = p('lig.onnx');
  const r = await cli('train', FRAMES, '--frames', '0:15', '--mapping', MAPPING, '-o', out, '--minutes', '0.05');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /only 15 frame\(s\) selected/);
  assert.match(r.out, /trained lig in \d+\.\d min on 13 frame\(s\), 2 held out for validation: validation heavy-atom RMSD median \d+\.\d+ Å/);
  const card = JSON.parse(readFileSync(p('lig.json'), 'utf8'));
  assert.equal(card.mapping.hash, loadMappingSet(MAPPING).hash);
  assert.deepEqual(Object.keys(card.mapping.files).sort(), ['bead_types.yaml', 'lig.yaml']);
  assert.equal(card.mapping.files['lig.yaml'], readFileSync(join(MAPPING, 'lig.yaml'), 'utf8'));
  assert.deepEqual(card.molecules, ['LIG']);
  assert.deepEqual(card.moleculeKinds, ['ligand']);
  assert.equal(card.training.frames.range, '0:15');
  assert.equal(card.training.frames.validation, 2);
  assert.ok(existsSync(p('lig.reference.bin')));
  // No scratch folder is left beside the output.
  assert.deepEqual(readdirSync(t.dir).filter((f) => f.includes('.training-')), []);
  // The trained model reads the frame mapped with the same folder (card beside the model; no --mapping needed).
  const m = await cli('map', FRAMES, '--mapping', MAPPING, '-o', p('cg.pdb'));
  assert.equal(m.code, 0, m.err);
  const b = await cli('backmap', p('cg.pdb'), '--model', out, '-o', p('aa.pdb'));
  assert.equal(b.code, 0, b.err);
  const aa = readStructureFile(p('aa.pdb'));
  assert.equal(aa.atoms.count, 12);
  assert.ok(aa.coords.every(Number.isFinite));
});

test('Ctrl-C stops the training and leaves no model and no scratch folder', { skip: needTorch || (process.platform === 'win32' && 'POSIX signals') }, async () => {
  const dir = p('cancel');
  const out = join(dir, 'cancelled.onnx');
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'train', FRAMES, '--mapping', MAPPING, '-o', out, '--minutes', '2', '--verbose'], { cwd: ROOT });
  let err = '';
  const code = await new Promise<number | null>((resolve) => {
    child.stderr.on('data', (d) => {
      err += d;
      // Once PyTorch is stepping, interrupt as a terminal would.
      if (/step \d+|epoch \d+/.test(err) && !child.killed) child.kill('SIGINT');
    });
    child.on('close', (c) => resolve(c));
  });
  assert.equal(code, 130, err.slice(-2000));
  assert.match(err, /cancelling: stopping the training, no model will be written/);
  assert.equal(existsSync(out), false);
  assert.deepEqual(existsSync(dir) ? readdirSync(dir) : [], []);
});

test('--init fine-tunes a shipped model on a protein ensemble (a multi-model PDB) and keeps its bead table', { skip: needTorch }, async () => {
  const demo = readStructureFile(join(ROOT, 'examples', 'demo-protein.pdb'));
  let seed = 1;
  const r = () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
  const models = Array.from({ length: 12 }, () => demo.coords.map((x) => x + 0.2 * r()));
  writeStructureFile(p('ensemble.pdb'), { ...demo, coords: models[0], models }, { models });
  const out = p('demo-ca.onnx');
  const res = await cli('train', p('ensemble.pdb'), '--mapping', 'ca', '--init', 'ca-protein', '-o', out, '--minutes', '0.03');
  assert.equal(res.code, 0, res.err);
  const card = JSON.parse(readFileSync(p('demo-ca.json'), 'utf8'));
  const shipped = JSON.parse(readFileSync(join(ROOT, 'models', 'ca-protein.json'), 'utf8'));
  assert.equal(card.mapping.id, 'ca');
  assert.equal(card.mapping.files, undefined); // a bundled set is named, not embedded
  assert.deepEqual(card.beadTypes, shipped.beadTypes);
  assert.deepEqual(card.architecture.features, shipped.architecture.features);
  assert.match(card.training.initFrom, /^ca-protein/);
  assert.equal(card.training.frames.selected, 12);
});

test('--models: a folder of user models is listed and chosen automatically for the molecules its cards know', async () => {
  const dir = p('my-models');
  cpSync(FIX, dir, { recursive: true, filter: (src) => !/frames\.pdb$|make-fixture|[\\/]lig$|[\\/]lig[\\/]/.test(src) });
  const listed = await cli('models', '--models', dir);
  assert.equal(listed.code, 0, listed.err);
  assert.match(listed.out, new RegExp(`lig-tiny\\tmapping lig\\t${join(dir, 'lig-tiny.onnx').replace(/[.\\\\]/g, '\\$&')}`));
  const m = await cli('map', FRAMES, '--mapping', MAPPING, '-o', p('lig-cg.pdb'));
  assert.equal(m.code, 0, m.err);
  // No --model, no --mapping: only the folder's card knows LIG's beads.
  const b = await cli('backmap', p('lig-cg.pdb'), '--models', dir, '-o', p('lig-aa.pdb'));
  assert.equal(b.code, 0, b.err);
  assert.match(b.err, /lig-tiny/);
  assert.match(b.out, /with the .*lig-tiny/);
  const missing = await cli('backmap', p('lig-cg.pdb'), '--models', p('nowhere'), '-o', p('x.pdb'));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /nowhere: --models: not a folder of models/);
});
