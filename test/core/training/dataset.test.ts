/**
 * The frame dataset of `backmap train` (src/core/training/dataset.ts) on the project-made ligand LIG: one sample per
 * selected frame, bead positions equal to mapping that frame on its own, targets equal to the reconstruction's
 * inverse, the split by time (the last frames validate), and the refusals (a mapping of other molecules, atoms the
 * mapping rebuilds missing, NaN coordinates, a selection of no frame). And the Python finder's candidates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildFrameDataset, pythonCandidates, probePython } from '../../../src/core/training';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { readStructureFile } from '../../../src/core/structure/read';
import { mapStructureToCg } from '../../../src/core/pipeline';
import { parseFrameRange } from '../../../src/core/trajectory/frames';
import { reconstruct } from '../../../src/core/reconstruct';
import { selectAtoms } from '../../../src/core/pipeline/molecules';
import type { InputWarning } from '../../../src/core/errors';

const ROOT = join(__dirname, '..', '..', '..');
const FIX = join(ROOT, 'test', 'fixtures', 'ligand');
const top = readStructureFile(join(FIX, 'frames.pdb'));
const set = loadMappingSet(join(FIX, 'lig'));

test('one sample per selected frame, mapped exactly as the frame alone, validation = the last frames', () => {
  const warnings: InputWarning[] = [];
  const ds = buildFrameDataset({ topology: top, range: parseFrameRange('10:70:2'), set, warn: (w) => warnings.push(w) });
  assert.equal(ds.samples.length, 30);
  assert.deepEqual(ds.frames.slice(0, 3), [10, 12, 14]);
  assert.deepEqual(ds.validation, [27, 28, 29]); // 10 % of 30, the last in time
  assert.equal(ds.train.length, 27);
  assert.deepEqual(ds.molecules, ['LIG']);
  assert.deepEqual(ds.moleculeKinds, ['ligand']);
  assert.equal(warnings.length, 0);
  // Frame 12 on its own: same beads as the dataset's sample.
  const frame = { ...top, coords: top.models[12], models: [top.models[12]] };
  const mapped = mapStructureToCg(frame, set);
  const s = ds.samples[1];
  for (let i = 0; i < s.pos.length; i++) assert.ok(Math.abs(s.pos[i] - mapped.system.coords[i]) < 1e-4, `bead coordinate ${i}`);
  // The targets rebuild the frame's atoms exactly (reconstruct is the inverse of targetVectors).
  const system = { ...ds.forward.system, coords: Float64Array.from(s.pos) };
  const rebuilt = reconstruct(system, s.target);
  for (let a = 0; a < rebuilt.atoms.count; a++) {
    const i = Array.from({ length: top.atoms.count }, (_, k) => k).find((k) => top.atoms.name[k] === rebuilt.atoms.name[a])!;
    for (let d = 0; d < 3; d++) assert.ok(Math.abs(rebuilt.coords[3 * a + d] - top.models[12][3 * i + d]) < 1e-3, `${rebuilt.atoms.name[a]} axis ${d}`);
  }
  assert.deepEqual((ds.meta.split as { validation: number[] }).validation, ds.validation);
});

test('fewer than 20 frames: a warning, not a refusal; no frame: refused with the count', () => {
  const warnings: InputWarning[] = [];
  const ds = buildFrameDataset({ topology: top, range: parseFrameRange('0:5'), set, warn: (w) => warnings.push(w) });
  assert.equal(ds.samples.length, 5);
  assert.match(warnings.map((w) => w.message).join('\n'), /only 5 frame\(s\) selected/);
  assert.throws(() => buildFrameDataset({ topology: top, range: parseFrameRange('500:'), set }), /frames 500: select no frame: the input has 120 frames \(indices 0 to 119\)/);
  // Negative indices count from the end of a multi-model file.
  assert.deepEqual(buildFrameDataset({ topology: top, range: parseFrameRange('-3:'), set }).frames, [117, 118, 119]);
});

test('refusals: another molecule, a rebuilt atom missing, a NaN coordinate', () => {
  const demo = readStructureFile(join(ROOT, 'examples', 'demo-protein.pdb'));
  assert.throws(() => buildFrameDataset({ topology: demo, range: parseFrameRange(':2'), set }), /no residue is known to mapping set 'lig'/);
  // Without O12 (an atom with a rule) the model would never learn to rebuild it.
  const keep = Int32Array.from({ length: 11 }, (_, i) => i);
  const cut = selectAtoms(top, keep);
  assert.throws(() => buildFrameDataset({ topology: { ...cut, models: [cut.coords] }, range: parseFrameRange(':1'), set }), /1 atom\(s\) the mapping rebuilds are missing from the topology: LIG L1 O12/);
  const bad = top.models.map((m) => Float64Array.from(m));
  bad[3][7] = NaN;
  assert.throws(() => buildFrameDataset({ topology: { ...top, models: bad, coords: bad[0] }, range: parseFrameRange(':10'), set }), /frames\.pdb: frame index 3 \(0-based\): particle 3 \(C3 LIG L1\) has non-finite coordinates/);
});

test('Python candidates: a configured interpreter alone, else the active environment first', () => {
  assert.deepEqual(pythonCandidates('/opt/py/bin/python3', {}), [{ python: '/opt/py/bin/python3', origin: 'configured' }]);
  assert.deepEqual(pythonCandidates(undefined, { BACKMAP_PYTHON: '/x/python' }), [{ python: '/x/python', origin: 'BACKMAP_PYTHON' }]);
  const c = pythonCandidates(undefined, { VIRTUAL_ENV: '/venv', CONDA_PREFIX: '/conda' });
  assert.equal(c[0].origin, 'VIRTUAL_ENV');
  assert.equal(c[1].origin, 'CONDA_PREFIX');
  assert.ok(c.some((x) => x.python === 'python3'));
  assert.equal(probePython('/nonexistent/python3', 'configured').problem, 'not found');
  // `node` is not a Python: the probe says so instead of crashing.
  assert.match(probePython(process.execPath, 'configured').problem ?? '', /exited|not a Python/);
});
