/**
 * The UCG flow of issue #28 through the CLI (in-process), on the project-made fixture (test/fixtures/ucg): coarsen
 * the ensemble → map frames to UCG beads (a multi-model PDB) → backmap with the fixture's UCG → C-alpha model then
 * the shipped C-alpha model (a multi-model all-atom PDB) → evaluate a frame against its truth. Then the refusals: a
 * UCG file given to a model that takes a C-alpha trace, --then without --model, an existing output, and --target ca
 * with a per-residue mapping (before any Python runs). One short training run of a UCG → C-alpha stage where
 * /usr/bin/python3 has torch.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelCard } from '../../src/core/model/contract';
import { findPython } from '../../src/core/training/python';
import { residuesOf } from '../../src/core/structure/builder';
import { readStructureFile } from '../../src/core/structure/read';
import { formatStructure, writeStructureFile } from '../../src/core/structure/write';
import { loadUcgMapping, residueInRange } from '../../src/core/ucg/format';
import { deformedFrames, demoPart, ucgFixtureFramesPdb, UCG_FIXTURE } from '../fixtures/ucg/make-fixture';
import { cli, existsSync, noCrash, sha, tempDir } from './helpers';
import { protonationParent } from '../../src/core/chemistry/variants';

delete process.env.BACKMAP_MODEL_PATH;
const t = tempDir('ucg');
const p = (n: string) => join(t.dir, n);
after(() => t.cleanup());

// The fixture's ensemble under the name it was made with, so that coarsen writes the same mapping text.
const FRAMES = p('demo40.pdb');
writeFileSync(FRAMES, ucgFixtureFramesPdb());
const FIRST = 50, STOP = 53; // held-out frames mapped and backmapped below

const countModels = (path: string) => (readFileSync(path, 'utf8').match(/^MODEL /gm) ?? []).length;

test('coarsen → map → backmap (UCG stage, then ca-protein) → evaluate, end to end', async () => {
  // coarsen: the fixture's mapping, byte for byte (the same command made it), pinned by the fixture model's card.
  let r = await cli('coarsen', FRAMES, '--beads', String(UCG_FIXTURE.beads), '-o', p('demo40.ucg.yaml'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^7 UCG beads over 40 residues .* → .*demo40\.ucg\.yaml\n$/);
  assert.equal(readFileSync(p('demo40.ucg.yaml'), 'utf8'), readFileSync(UCG_FIXTURE.mapping, 'utf8'));
  const card = JSON.parse(readFileSync(UCG_FIXTURE.model.replace(/\.onnx$/, '.json'), 'utf8')) as ModelCard;
  assert.equal(loadUcgMapping(p('demo40.ucg.yaml')).hash, card.mapping.hash);

  // map: frames FIRST:STOP of the ensemble → a multi-model UCG PDB, the same beads as the fixture's held-out file.
  r = await cli('map', FRAMES, '--frames', `${FIRST}:${STOP}`, '--mapping', p('demo40.ucg.yaml'), '-o', p('beads.pdb'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^mapped 40 residues to 7 UCG beads in 3 frames with demo40\.ucg\.yaml → /);
  assert.equal(countModels(p('beads.pdb')), STOP - FIRST);
  const beads = readStructureFile(p('beads.pdb'));
  const heldOut = readStructureFile(UCG_FIXTURE.heldOut);
  assert.equal(beads.atoms.count, UCG_FIXTURE.beads);
  for (let f = 0; f < STOP - FIRST; f++)
    beads.models[f].forEach((v, i) => assert.ok(Math.abs(v - heldOut.models[f][i]) < 2e-3, `frame ${FIRST + f}, coordinate ${i}`));

  // backmap: UCG beads → C-alpha trace → all atoms, one output model per input frame.
  r = await cli('backmap', p('beads.pdb'), '--model', UCG_FIXTURE.model, '--then', 'ca-protein', '-o', p('out.pdb'));
  assert.equal(r.code, 0, r.err);
  assert.ok(noCrash(r), r.err);
  assert.match(r.out, /^backmapped 3 frame\(s\) by ucg-ca \(UCG beads → a C-alpha trace, [\d.]+ s\), then ca-protein \(a C-alpha trace → all heavy atoms, [\d.]+ s\): \d+ atoms → /);
  assert.equal(countModels(p('out.pdb')), STOP - FIRST);
  const out = readStructureFile(p('out.pdb'));
  assert.equal(out.models.length, STOP - FIRST);
  const truthTop = demoPart();
  // residues by their amino acid: with hydrogens (the default) a HIS is written as its tautomer (HSE, HSD or HSP)
  const label = (s: typeof out) => residuesOf(s.atoms).map((x) => `${x.chainId}${x.resSeq}${protonationParent(x.resName) ?? x.resName}`);
  assert.deepEqual(label(out), label(truthTop));

  // evaluate: the last output frame (written on its own) against that frame of the ensemble.
  const last = STOP - FIRST - 1;
  writeStructureFile(p('frame.pdb'), { ...out, coords: out.models[last], models: [out.models[last]] });
  const truth = deformedFrames(truthTop, UCG_FIXTURE.frames)[FIRST + last];
  writeFileSync(p('truth.pdb'), formatStructure({ ...truthTop, coords: truth, models: [truth] }, 'pdb'));
  r = await cli('evaluate', p('frame.pdb'), p('truth.pdb'), '--json');
  assert.equal(r.code, 0, r.err);
  const ev = JSON.parse(r.out) as { rmsd_bb: number; rmsd_ca: number; matched_ca: number; missing_in_model: number; residue_matching: { method: string; matched_residues: number } };
  assert.equal(ev.residue_matching.method, 'numbering');
  assert.equal(ev.residue_matching.matched_residues, UCG_FIXTURE.residues);
  assert.equal(ev.matched_ca, UCG_FIXTURE.residues);
  assert.equal(ev.missing_in_model, 0);
  assert.ok(ev.rmsd_bb > 0 && ev.rmsd_bb < 3, `backbone RMSD ${ev.rmsd_bb} Å`);
});

test('backmap refuses a UCG file for a model that takes a C-alpha trace, naming both', async () => {
  const r = await cli('backmap', UCG_FIXTURE.heldOut, '--model', 'ca-protein', '-o', p('wrong.pdb'));
  assert.equal(r.code, 1, r.err);
  assert.ok(noCrash(r), r.err);
  assert.match(r.err, /ca-protein/);
  assert.match(r.err, /C-alpha trace/);
  assert.match(r.err, /UCG beads/);
  assert.equal(existsSync(p('wrong.pdb')), false);
});

test('a chain writes an XTC with its topology PDB, frame for frame the multi-model PDB', async () => {
  let r = await cli('backmap', UCG_FIXTURE.heldOut, '--model', UCG_FIXTURE.model, '--then', 'ca-protein', '--frames', '0:3', '-o', p('chain.pdb'));
  assert.equal(r.code, 0, r.err);
  r = await cli('backmap', UCG_FIXTURE.heldOut, '--model', UCG_FIXTURE.model, '--then', 'ca-protein', '--frames', '0:3', '-o', p('chain.xtc'));
  assert.equal(r.code, 0, r.err);
  const top = readStructureFile(p('chain.topology.pdb'));
  const pdb = readStructureFile(p('chain.pdb'));
  assert.equal(top.atoms.count, pdb.atoms.count);
  // The XTC holds 3 frames of the topology's atoms (read back through the trajectory reader of `map`).
  r = await cli('map', p('chain.topology.pdb'), '--trajectory', p('chain.xtc'), '--mapping', UCG_FIXTURE.mapping, '-o', p('chain.ucg.pdb'));
  assert.equal(r.code, 0, r.err);
  assert.equal(countModels(p('chain.ucg.pdb')), 3);
});

test('backmap --then without --model is a usage error', async () => {
  const r = await cli('backmap', UCG_FIXTURE.heldOut, '--then', 'ca-protein', '-o', p('then.pdb'));
  assert.equal(r.code, 1);
  assert.match(r.err, /--then needs --model/);
  assert.match(r.err, /see backmap --help/);
  assert.equal(existsSync(p('then.pdb')), false);
});

test('backmap, map and coarsen leave an existing output alone without --force', async () => {
  writeFileSync(p('exists.pdb'), 'mine\n');
  const before = sha(p('exists.pdb'));
  for (const args of [
    ['backmap', UCG_FIXTURE.heldOut, '--model', UCG_FIXTURE.model, '--then', 'ca-protein', '-o', p('exists.pdb')],
    ['map', FRAMES, '--frames', '50:52', '--mapping', UCG_FIXTURE.mapping, '-o', p('exists.pdb')],
  ]) {
    const r = await cli(...args);
    assert.equal(r.code, 1, `${args[0]}: ${r.err}`);
    assert.match(r.err, /already exists/);
    assert.equal(sha(p('exists.pdb')), before, `${args[0]} left the file as it was`);
  }
  writeFileSync(p('exists.ucg.yaml'), 'mine\n');
  const r = await cli('coarsen', FRAMES, '--beads', '5', '-o', p('exists.ucg.yaml'));
  assert.equal(r.code, 1);
  assert.equal(readFileSync(p('exists.ucg.yaml'), 'utf8'), 'mine\n');
  // With --force the chain output is written.
  const ok = await cli('backmap', UCG_FIXTURE.heldOut, '--model', UCG_FIXTURE.model, '-o', p('exists.pdb'), '--force');
  assert.equal(ok.code, 0, ok.err);
  assert.equal(countModels(p('exists.pdb')), UCG_FIXTURE.frames - UCG_FIXTURE.trainFrames);
});

test('train --target ca with a per-residue mapping is a usage error, before any Python runs', async () => {
  // A Python that does not exist: were it looked for first, the error would be about Python.
  const r = await cli('train', FRAMES, '--mapping', 'ca', '--target', 'ca', '-o', p('ca-target.onnx'), '--python', '/nonexistent/python3');
  assert.equal(r.code, 1);
  assert.match(r.err, /--target ca needs a UCG mapping .*'ca' is a per-residue mapping/);
  assert.match(r.err, /see backmap --help/);
  assert.doesNotMatch(r.err, /training needs Python|nonexistent/, 'the configured Python was never looked at');
  assert.equal(existsSync(p('ca-target.onnx')), false);
});

const py = findPython({ configured: '/usr/bin/python3' });
const needTorch = py.ok ? false : `/usr/bin/python3 has no torch (${py.message?.slice(0, 100)}…): the training run is skipped`;

test('train --target ca on the fixture frames writes a UCG → C-alpha stage with its mapping and residues', { skip: needTorch, timeout: 120_000 }, async () => {
  const r = await cli('train', FRAMES, '--frames', '0:20', '--mapping', UCG_FIXTURE.mapping, '--target', 'ca', '--minutes', '0.1', '--python', '/usr/bin/python3', '-o', p('trained.onnx'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^trained \S+ in [\d.]+ min on 18 frame\(s\), 2 held out for validation/);
  const card = JSON.parse(readFileSync(p('trained.json'), 'utf8')) as ModelCard;
  assert.deepEqual(card.stage, { takes: 'ucg', gives: 'ca' });
  assert.equal(card.ucg?.target, 'ca');
  assert.equal(card.ucg?.file, 'demo40.ucg.yaml');
  assert.equal(card.ucg?.text, readFileSync(UCG_FIXTURE.mapping, 'utf8'));
  assert.equal(card.mapping.hash, loadUcgMapping(UCG_FIXTURE.mapping).hash);
  // Every residue of the protein, in order, with the bead whose range holds it (read from the mapping file).
  const mapping = loadUcgMapping(UCG_FIXTURE.mapping);
  const beadOf = (r: { chainId: string; resSeq: number; iCode: string }) => mapping.beads.findIndex((b) => b.ranges.some((g) => residueInRange(r, g)));
  const want = residuesOf(demoPart().atoms).map((x) => `${x.chainId}${x.resSeq}${x.resName}:${beadOf(x)}`);
  assert.deepEqual(card.ucg?.residues.map((x) => `${x.chainId}${x.resSeq}${x.resName}:${x.bead}`), want);
  const perBead = mapping.beads.map((_, b) => want.filter((w) => w.endsWith(`:${b}`)).length);
  assert.equal(card.R, Math.max(...perBead), 'one CA slot per residue of the largest bead');
  // The new stage runs: its C-alpha trace of the held-out frames.
  const run = await cli('backmap', UCG_FIXTURE.heldOut, '--model', p('trained.onnx'), '-o', p('trained-trace.pdb'));
  assert.equal(run.code, 0, run.err);
  const trace = readStructureFile(p('trained-trace.pdb'));
  assert.equal(trace.atoms.count, UCG_FIXTURE.residues);
  assert.equal(trace.models.length, UCG_FIXTURE.frames - UCG_FIXTURE.trainFrames);
});
