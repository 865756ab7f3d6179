// Chains of model stages (src/core/pipeline/chain.ts, issue #28): planning from the cards alone (what each stage
// takes and gives; every refusal names both models), when a run needs the chain path, the installed chain chosen
// for a UCG file, and the project-made fixture (test/fixtures/ucg: a UCG → C-alpha model of the first 40 residues
// of the demo protein) run through UCG → C-alpha trace → all atoms on its held-out frames.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../src/core/errors';
import { compareStructures } from '../../../src/core/metrics';
import type { ModelCard } from '../../../src/core/model/contract';
import { backmapChain, chooseChain, needsChain, planChain } from '../../../src/core/pipeline/chain';
import { residuesOf, StructureBuilder } from '../../../src/core/structure/builder';
import { readStructureFile } from '../../../src/core/structure/read';
import type { Structure } from '../../../src/core/structure/types';
import { UCG_RESNAME } from '../../../src/core/ucg/map';
import { UCG_FIXTURE } from '../../fixtures/ucg/make-fixture';

// Only the folders a test names are searched for user models.
delete process.env.BACKMAP_MODEL_PATH;

const tmp = mkdtempSync(join(tmpdir(), 'backmap-chain-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A model card (and a placeholder network: planning reads cards only) in `dir`; returns the .onnx path. */
function writeModel(dir: string, id: string, fields: Partial<ModelCard>): string {
  mkdirSync(dir, { recursive: true });
  const onnx = join(dir, `${id}.onnx`);
  writeFileSync(onnx, 'placeholder: never run');
  const card = { id, format: 'backmap-studio-model/1', mapping: { id: 'x', hash: 'x' }, beadTypes: ['B'], numTypes: 1, R: 1, cutoff: 20, K: 8, ...fields };
  writeFileSync(join(dir, `${id}.json`), JSON.stringify(card, null, 1));
  return onnx;
}

const cards = join(tmp, 'cards');
const ucgToCa = writeModel(cards, 'toy-ucg-ca', { mapping: { id: 'ucg:toy', hash: 'a'.repeat(64) }, stage: { takes: 'ucg', gives: 'ca' } });
const ucgToAtoms = writeModel(cards, 'toy-ucg-atoms', { mapping: { id: 'ucg:toy', hash: 'a'.repeat(64) }, stage: { takes: 'ucg', gives: 'atoms' } });
const caModel = writeModel(cards, 'toy-ca', { mapping: { id: 'ca', hash: 'b'.repeat(64) } });
const martini = writeModel(cards, 'toy-martini3', { mapping: { id: 'martini3', hash: 'c'.repeat(64) } });

/** The InputError `fn` throws (the test fails on anything else). */
function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an InputError, nothing was thrown');
}

test('planChain: a UCG → C-alpha stage then a model of the C-alpha mapping is a chain', () => {
  const stages = planChain([ucgToCa, caModel]);
  assert.deepEqual(stages.map((s) => [s.name, s.card.id, s.takes, s.gives]), [
    [ucgToCa, 'toy-ucg-ca', 'ucg', 'ca'],
    [caModel, 'toy-ca', 'ca', 'atoms'],
  ]);
  assert.deepEqual(stages.map((s) => s.onnxPath), [ucgToCa, caModel]);
  // The shipped C-alpha model by its id follows the same stage.
  assert.deepEqual(planChain([ucgToCa, 'ca-protein']).map((s) => [s.card.id, s.takes, s.gives]), [['toy-ucg-ca', 'ucg', 'ca'], ['ca-protein', 'ca', 'atoms']]);
  // One stage alone is a chain too.
  assert.equal(planChain([ucgToAtoms]).length, 1);
});

test('planChain: the C-alpha model first, then a UCG stage, is refused naming both models', () => {
  const e = inputError(() => planChain(['ca-protein', ucgToCa]));
  assert.equal(e.file, ucgToCa);
  assert.match(e.message, /stage 1 "ca-protein" \(ca-protein\.onnx\)/);
  assert.match(e.message, /stage 2 "toy-ucg-ca" \(toy-ucg-ca\.onnx\)/);
});

test('planChain: nothing can follow a stage that gives all atoms (a UCG → atoms stage)', () => {
  for (const next of [caModel, ucgToCa, martini]) {
    const e = inputError(() => planChain([ucgToAtoms, next]));
    assert.match(e.message, /stage 1 "toy-ucg-atoms" \(toy-ucg-atoms\.onnx\) gives all heavy atoms: nothing can follow it/);
    assert.match(e.message, /but stage 2 "[^"]+" .* is chained after it/);
    assert.equal(e.file, next);
  }
});

test('planChain: a stage that takes other beads than the previous stage gives is refused naming both ends', () => {
  let e = inputError(() => planChain([ucgToCa, martini]));
  assert.match(e.message, /stage 2 "toy-martini3" \(toy-martini3\.onnx\) takes the beads of mapping 'martini3'/);
  assert.match(e.message, /stage 1 "toy-ucg-ca" \(toy-ucg-ca\.onnx\) gives a C-alpha trace/);
  assert.equal(e.file, martini);
  e = inputError(() => planChain([ucgToCa, ucgToCa]));
  assert.match(e.message, /takes UCG beads, but stage 1 .* gives a C-alpha trace/);
  e = inputError(() => planChain([]));
  assert.equal(e.file, '--model');
  e = inputError(() => planChain([join(cards, 'absent.onnx')]));
  assert.match(e.message, /model file not found/);
});

test('needsChain: several models, or one UCG stage; not auto, template, an ordinary model or an unknown one', () => {
  assert.equal(needsChain([ucgToCa, caModel]), true);
  assert.equal(needsChain(['ca-protein', 'martini3-protein']), true, 'two models are a chain (planChain then says what is wrong)');
  assert.equal(needsChain([ucgToCa]), true);
  assert.equal(needsChain([ucgToAtoms]), true);
  assert.equal(needsChain(['auto']), false);
  assert.equal(needsChain(['template']), false);
  assert.equal(needsChain(['ca-protein']), false);
  assert.equal(needsChain([caModel]), false);
  assert.equal(needsChain([join(cards, 'absent.onnx')]), false, 'an unknown model is refused by the ordinary path');
  assert.equal(needsChain([]), false);
});

// ---- the project-made fixture: test/fixtures/ucg (make-fixture.ts)

/** A models folder holding the fixture's UCG → C-alpha model. */
function fixtureModels(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const ext of ['onnx', 'json']) copyFileSync(join(UCG_FIXTURE.dir, `ucg-ca.${ext}`), join(dir, `ucg-ca.${ext}`));
  return dir;
}
const fixtureCard = (): ModelCard => JSON.parse(readFileSync(join(UCG_FIXTURE.dir, 'ucg-ca.json'), 'utf8')) as ModelCard;

/** A one-frame UCG structure with these bead names (residue UCG, one atom per bead). */
function ucgBeads(names: string[]): Structure {
  const b = new StructureBuilder();
  names.forEach((name, k) => b.addAtom({ name, resName: UCG_RESNAME, chainId: 'A', resSeq: k + 1, x: 10 * k, y: 0, z: 0 }));
  return b.build('other.ucg.pdb');
}

test('chooseChain: the folder\'s UCG stage for the fixture\'s beads, then the shipped C-alpha model', () => {
  const dir = fixtureModels('models-one');
  const input = readStructureFile(UCG_FIXTURE.heldOut);
  const chosen = chooseChain(input, [dir]);
  assert.ok(chosen);
  assert.deepEqual(chosen.stages.map((s) => [s.card.id, s.takes, s.gives]), [['ucg-ca', 'ucg', 'ca'], ['ca-protein', 'ca', 'atoms']]);
  assert.equal(chosen.stages[0].onnxPath, join(dir, 'ucg-ca.onnx'));
  assert.match(chosen.note, /UCG stage ucg-ca \(ucg-ca\.onnx\) takes the file's 7 beads, then ca-protein \(shipped C-alpha model\) rebuilds the atoms/);
});

test('chooseChain: null for a structure that is not UCG beads; an InputError for beads no model takes', () => {
  const dir = fixtureModels('models-two');
  assert.equal(chooseChain(readStructureFile(UCG_FIXTURE.heldOutAllAtom), [dir]), null);
  const other = ucgBeads(['X1', 'X2', 'X3', 'X4', 'X5', 'X6', 'X7']);
  const e = inputError(() => chooseChain(other, [dir]));
  assert.equal(e.file, 'other.ucg.pdb');
  assert.match(e.message, /holds 7 UCG beads, but no installed model takes them/);
  // The fixture's bead names in another order are other beads too.
  inputError(() => chooseChain(ucgBeads(['U2', 'U1', 'U3', 'U4', 'U5', 'U6', 'U7']), [dir]));
  // Without the folder, nothing takes the fixture's beads.
  inputError(() => chooseChain(readStructureFile(UCG_FIXTURE.heldOut), []));
});

test('chooseChain: a UCG stage that gives a C-alpha trace before a newer one that gives atoms; the protein\'s own C-alpha model first', () => {
  const dir = fixtureModels('models-three');
  const card = fixtureCard();
  // A UCG → atoms stage of the same beads, newer on disk: still second choice (the C-alpha trace path is preferred).
  const atoms = writeModel(dir, 'ucg-atoms', { ...card, id: 'ucg-atoms', stage: { takes: 'ucg', gives: 'atoms' }, ucg: { ...card.ucg!, target: 'atoms' } });
  const later = new Date(Date.now() + 60_000);
  utimesSync(atoms, later, later);
  // A C-alpha model of the user's trained on this protein's residues (`train --mapping ca --init ca-protein`).
  const shipped = JSON.parse(readFileSync(join(__dirname, '../../../models/ca-protein.json'), 'utf8')) as ModelCard;
  writeModel(dir, 'ca-demo40', { ...shipped, id: 'ca-demo40', molecules: card.molecules });
  // And one of another protein's residues only: not "own".
  writeModel(dir, 'ca-other', { ...shipped, id: 'ca-other', molecules: ['ALA', 'GLY'] });
  const chosen = chooseChain(readStructureFile(UCG_FIXTURE.heldOut), [dir]);
  assert.ok(chosen);
  assert.deepEqual(chosen.stages.map((s) => s.card.id), ['ucg-ca', 'ca-demo40']);
  assert.match(chosen.note, /then ca-demo40 \(trained on this protein\) rebuilds the atoms/);
});

test('backmapChain: the fixture\'s held-out UCG frames → C-alpha trace → all atoms, one structure per frame', async () => {
  const input = readStructureFile(UCG_FIXTURE.heldOut);
  const truth = readStructureFile(UCG_FIXTURE.heldOutAllAtom);
  assert.equal(input.models.length, UCG_FIXTURE.frames - UCG_FIXTURE.trainFrames);
  // heavy atoms under the engine's names (compared with the truth below); the hydrogens' test follows
  const out = await backmapChain(input, planChain([UCG_FIXTURE.model, 'ca-protein']), { hydrogens: false });
  assert.equal(out.frames.length, input.models.length);
  assert.equal(out.structure, out.frames[0]);
  const residuesOfTruth = residuesOf(truth.atoms).map((r) => `${r.chainId}${r.resSeq}${r.resName}`);
  assert.equal(residuesOfTruth.length, UCG_FIXTURE.residues);
  const names0 = Array.from({ length: out.frames[0].atoms.count }, (_, i) => out.frames[0].atoms.name[i]);
  for (const [f, s] of out.frames.entries()) {
    assert.deepEqual(residuesOf(s.atoms).map((r) => `${r.chainId}${r.resSeq}${r.resName}`), residuesOfTruth, `frame ${f}: residues`);
    assert.deepEqual(Array.from({ length: s.atoms.count }, (_, i) => s.atoms.name[i]), names0, `frame ${f}: the same atoms in every frame`);
    assert.ok(s.coords.every(Number.isFinite));
  }
  assert.ok(out.frames[0].atoms.count > 7 * UCG_FIXTURE.residues, `all heavy atoms (${out.frames[0].atoms.count})`);
  assert.notDeepEqual([...out.frames[1].coords], [...out.frames[0].coords], 'each frame is its own prediction');
  // Frame 0 is the truth of heldout.aa.pdb: the backbone is close to it (a wrong bead or residue order would be far off).
  const cmp = compareStructures(out.frames[0], truth);
  assert.equal(cmp.missingInModel, 0);
  assert.ok(cmp.rmsd_bb < 3, `backbone RMSD ${cmp.rmsd_bb.toFixed(2)} Å`);

  const r = out.report;
  assert.equal(r.stages?.length, 2);
  assert.deepEqual(r.stages!.map((s) => [s.model, s.takes, s.gives, s.beads, s.atoms]), [
    ['ucg-ca', 'ucg', 'ca', UCG_FIXTURE.beads, UCG_FIXTURE.residues],
    ['ca-protein', 'ca', 'atoms', UCG_FIXTURE.residues, out.frames[0].atoms.count],
  ]);
  assert.ok(r.stages!.every((s) => s.seconds > 0));
  assert.equal(r.modelId, 'ucg-ca → ca-protein');
  assert.equal(r.counts.inputParticles, UCG_FIXTURE.beads);
  assert.equal(r.trajectory?.frames, out.frames.length);
  assert.ok(r.notes.some((n) => /stage 1 \(ucg-ca\): the predicted C-alpha trace was relaxed/.test(n)), r.notes.join('\n'));
});

test('backmapChain with hydrogens (the default): on the last stage only, the first frame\'s protonation for every frame', async () => {
  const input = readStructureFile(UCG_FIXTURE.heldOut);
  const heavy = await backmapChain(input, planChain([UCG_FIXTURE.model, 'ca-protein']), { hydrogens: false });
  const out = await backmapChain(input, planChain([UCG_FIXTURE.model, 'ca-protein']));
  const names = (s: Structure) => Array.from({ length: s.atoms.count }, (_, i) => `${s.atoms.resName[i]} ${s.atoms.name[i]}`);
  const nH = out.frames[0].atoms.element.filter((e) => e === 'H').length;
  assert.ok(nH > 5 * UCG_FIXTURE.residues, `${nH} hydrogens`);
  for (const [f, s] of out.frames.entries()) assert.deepEqual(names(s), names(out.frames[0]), `frame ${f}: the same atoms`);
  // the C-alpha stage saw heavy atoms only: every frame's heavy atoms are those of the run without hydrogens
  assert.equal(out.frames[0].atoms.count, heavy.frames[0].atoms.count + nH + out.report.hydrogens!.oxtAdded);
  assert.ok(out.protonation && out.protonation.protein.length === UCG_FIXTURE.residues);
  assert.equal(out.report.notes.filter((n) => n.startsWith('hydrogens added')).length, 1);
  assert.ok(out.report.notes.includes('protonation decided on the first frame, applied to every frame'));
});

test('backmapChain: the UCG → C-alpha stage alone gives a relaxed C-alpha trace (CA atoms only)', async () => {
  const input = readStructureFile(UCG_FIXTURE.heldOut);
  const out = await backmapChain(input, planChain([UCG_FIXTURE.model]));
  assert.equal(out.frames.length, input.models.length);
  const card = fixtureCard();
  for (const s of out.frames) {
    assert.equal(s.atoms.count, UCG_FIXTURE.residues);
    for (let i = 0; i < s.atoms.count; i++) {
      assert.equal(s.atoms.name[i], 'CA');
      const want = card.ucg!.residues[i];
      assert.deepEqual([s.atoms.chainId[i], s.atoms.resSeq[i], s.atoms.resName[i]], [want.chainId, want.resSeq, want.resName]);
    }
    // The trace was relaxed: consecutive CA atoms 3.8 Å apart.
    for (let i = 0; i + 1 < s.atoms.count; i++) {
      const d = Math.hypot(s.coords[3 * i] - s.coords[3 * i + 3], s.coords[3 * i + 1] - s.coords[3 * i + 4], s.coords[3 * i + 2] - s.coords[3 * i + 5]);
      assert.ok(Math.abs(d - 3.8) < 0.11, `CA ${i + 1}–${i + 2}: ${d.toFixed(3)} Å`);
    }
  }
  assert.deepEqual(out.stages.map((s) => [s.model, s.beads, s.atoms]), [['ucg-ca', UCG_FIXTURE.beads, UCG_FIXTURE.residues]]);
  assert.equal(out.report.modelNote, 'chain of UCG stages');
});

test('backmapChain: an input the first stage does not take is refused naming the stage and the file', async () => {
  const aa = readStructureFile(UCG_FIXTURE.heldOutAllAtom);
  await assert.rejects(backmapChain(aa, planChain([UCG_FIXTURE.model])), (e: unknown) =>
    e instanceof InputError && /stage 1 "ucg-ca" \(ucg-ca\.onnx\) takes UCG beads .*but heldout\.aa\.pdb holds ASP residues/.test(e.message));
  const ucg = readStructureFile(UCG_FIXTURE.heldOut);
  await assert.rejects(backmapChain(ucg, planChain(['ca-protein'])), (e: unknown) =>
    e instanceof InputError && /stage 1 "ca-protein" \(ca-protein\.onnx\) takes a C-alpha trace, but heldout\.ucg\.pdb holds UCG beads/.test(e.message));
  // The fixture's model on beads of another mapping: refused naming expected and got.
  await assert.rejects(backmapChain(ucgBeads(['U1', 'U2', 'U3']), planChain([UCG_FIXTURE.model])), (e: unknown) =>
    e instanceof InputError && /takes the 7 beads of its UCG mapping 'demo40' .* but this file has 3 bead\(s\)/.test(e.message));
});
