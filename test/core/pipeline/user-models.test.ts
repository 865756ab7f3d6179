// Models of the user's (issue 27: `backmap train`): found in model folders, chosen by `auto` for their molecule,
// their embedded mapping used, and whole systems that need several mapping sets backmapped in one run (a protein,
// a membrane and a ligand with martini3-protein, martini3-lipids and the user's ligand model).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError, type InputWarning } from '../../../src/core/errors';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { openBackmapper, releaseCachedSessions } from '../../../src/core/model/backmapper';
import { listModels } from '../../../src/core/model/registry';
import { residuesOf, StructureBuilder } from '../../../src/core/structure/builder';
import { readStructureFile } from '../../../src/core/structure/read';
import type { Structure } from '../../../src/core/structure/types';
import { backmapStructure, chooseModel, firstGroupOf, mapStructureToCg, planBackmap, renderReport } from '../../../src/core/pipeline';
import { writeTinyModel } from '../model/tiny-model';

const ROOT = resolve(__dirname, '../../..');
const NECA = join(ROOT, 'examples/mappings/neca');
// The project's trained ligand model (`backmap train` on made-up LIG frames; test/fixtures/ligand/make-fixture.ts).
const LIG_DIR = join(ROOT, 'test/fixtures/ligand');
const LIG_MODEL = join(LIG_DIR, 'lig-tiny.onnx');
const LIG_FRAMES = join(LIG_DIR, 'frames.pdb');
const haveLigModel = existsSync(LIG_MODEL) && existsSync(LIG_MODEL.replace(/\.onnx$/, '.json')) && existsSync(LIG_FRAMES);
const shipped = listModels().map((c) => c.id);
const haveShipped = shipped.includes('martini3-protein') && shipped.includes('martini3-lipids');

/** A folder with an (untrained) NECA model of the contract whose card carries its mapping, as `backmap train` writes. */
function necaModelFolder(id = 'neca-test'): { dir: string; onnx: string; card: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bm-user-models-'));
  const set = loadMappingSet(NECA);
  const onnx = writeTinyModel(dir, set, id);
  const cardPath = onnx.replace(/\.onnx$/, '.json');
  const card = JSON.parse(readFileSync(cardPath, 'utf8'));
  card.mapping = { id: 'neca', hash: set.hash, files: Object.fromEntries(readdirSync(NECA).map((n) => [n, readFileSync(join(NECA, n), 'utf8')])) };
  card.molecules = ['NEC'];
  card.moleculeKinds = ['ligand'];
  writeFileSync(cardPath, JSON.stringify(card, null, 1));
  return { dir, onnx, card: cardPath };
}

/** A made-up NEC pose: adenine (IM, PU, PY, AM), ribose (R1-R3), carboxamide (CA) and ethyl (ET), 2.5-3 Å apart. */
const NEC_POSE: [string, number, number, number][] = [
  ['IM', 0, 0, 0],
  ['PU', 2.5, 1.2, 0],
  ['PY', 4.8, 0, 0.3],
  ['AM', 6.8, 1.5, 0],
  ['R1', -2.4, -1.5, 0.5],
  ['R2', -3.6, -3.5, 1.8],
  ['R3', -5.0, -1.2, 1.0],
  ['CA', -4.2, 1.4, -0.6],
  ['ET', -6.2, 3.0, -1.2],
];

/** LIG beads: model 0 of the project's LIG frames mapped with the fixture's own mapping, centred. */
function ligPose(): [string, number, number, number][] {
  const cg = mapStructureToCg(readStructureFile(LIG_FRAMES), join(LIG_DIR, 'lig')).cg;
  const first = residuesOf(cg.atoms)[0];
  const c = cg.coords;
  const idx = [...Array(first.end - first.start).keys()].map((k) => first.start + k);
  const mean = [0, 1, 2].map((k) => idx.reduce((sum, i) => sum + c[3 * i + k], 0) / idx.length);
  return idx.map((i) => [cg.atoms.name[i], c[3 * i] - mean[0], c[3 * i + 1] - mean[1], c[3 * i + 2] - mean[2]]);
}

interface Piece {
  s: Structure;
  chainId?: string;
  shift?: [number, number, number];
}

/** One CG structure from pieces in order (coordinates shifted, chain ids set), no box. */
function assemble(pieces: Piece[], source = 'mixed-cg.pdb'): Structure {
  const sb = new StructureBuilder(1024);
  for (const { s, chainId, shift = [0, 0, 0] } of pieces) {
    const a = s.atoms;
    for (let i = 0; i < a.count; i++)
      sb.addAtom({
        name: a.name[i],
        resName: a.resName[i],
        chainId: chainId ?? a.chainId[i],
        resSeq: a.resSeq[i],
        element: a.element[i],
        x: s.coords[3 * i] + shift[0],
        y: s.coords[3 * i + 1] + shift[1],
        z: s.coords[3 * i + 2] + shift[2],
      });
  }
  return sb.build(source, 'mixed CG system');
}

/** One CG residue of `resName` with the beads of `pose` around `at`. */
function cgResidue(resName: string, pose: [string, number, number, number][], resSeq: number, at: [number, number, number]): Structure {
  const sb = new StructureBuilder(16);
  for (const [name, x, y, z] of pose) sb.addAtom({ name, resName, chainId: 'L', resSeq, element: 'C', x: x + at[0], y: y + at[1], z: z + at[2] });
  return sb.build(`${resName.toLowerCase()}.pdb`, '');
}
const necResidue = (resSeq: number, at: [number, number, number]) => cgResidue('NEC', NEC_POSE, resSeq, at);

const proteinCg = () => mapStructureToCg(readStructureFile(join(ROOT, 'examples/demo-protein.pdb')), 'martini3').cg;
const lipidCg = () => mapStructureToCg(readStructureFile(join(ROOT, 'test/core/forward/fixtures/popc-chl1.pdb')), 'martini3').cg;

/** Residue names of a structure in order, one per residue. */
const residueNames = (s: Structure) => residuesOf(s.atoms).map((r) => r.resName);

test('auto picks a model of a user folder for its molecule (modelDirs or BACKMAP_MODEL_PATH); its embedded mapping is used', () => {
  const m = necaModelFolder();
  const saved = process.env.BACKMAP_MODEL_PATH;
  try {
    const cg = assemble([{ s: necResidue(1, [0, 0, 0]) }]);
    // Without the folder no mapping set knows NEC.
    assert.throws(() => chooseModel(cg, { model: 'auto' }), InputError);
    const c = chooseModel(cg, { model: 'auto', modelDirs: [m.dir] });
    assert.equal(c.kind, 'model');
    assert.equal(c.modelId, m.onnx, 'the .onnx path, which openBackmapper resolves');
    assert.equal(c.card?.id, 'neca-test');
    assert.equal(c.source, 'folder');
    assert.match(c.note, /neca-test/);
    assert.ok(c.note.includes(m.onnx), c.note);
    assert.equal(c.set.hash, loadMappingSet(NECA).hash);
    assert.ok(!c.set.folder.startsWith(NECA), 'the set comes from the card, not from the example folder');
    // The same through the environment variable.
    process.env.BACKMAP_MODEL_PATH = m.dir;
    assert.equal(chooseModel(cg, { model: 'auto' }).modelId, m.onnx);
    delete process.env.BACKMAP_MODEL_PATH;
    // Explicit: by card id (found in the folder), by path (no --mapping: the card's own), and --mapping of the same content.
    assert.equal(chooseModel(cg, { model: 'neca-test', modelDirs: [m.dir] }).modelId, m.onnx);
    const byPath = chooseModel(cg, { model: m.onnx });
    assert.equal(byPath.card?.id, 'neca-test');
    assert.equal(byPath.set.hash, c.set.hash);
    const withMapping = chooseModel(cg, { model: 'auto', mapping: NECA, modelDirs: [m.dir] });
    assert.equal(withMapping.modelId, m.onnx, 'a --mapping folder with the card hash matches the card');
    assert.equal(withMapping.set.folder, NECA, 'and is the set used');
    assert.throws(() => chooseModel(cg, { model: 'no-such', modelDirs: [m.dir] }), /in your model folders: neca-test/);
  } finally {
    if (saved === undefined) delete process.env.BACKMAP_MODEL_PATH;
    else process.env.BACKMAP_MODEL_PATH = saved;
    rmSync(m.dir, { recursive: true, force: true });
  }
});

test('a broken card in a model folder is warned with its file, the good models are still used', () => {
  const m = necaModelFolder();
  try {
    writeFileSync(join(m.dir, 'broken.json'), '{');
    writeFileSync(join(m.dir, 'broken.onnx'), 'x');
    // A card whose embedded mapping does not match its hash: warned naming the card, not used.
    const bad = JSON.parse(readFileSync(m.card, 'utf8'));
    bad.id = 'bad-hash';
    bad.mapping.hash = 'c'.repeat(64);
    writeFileSync(join(m.dir, 'bad-hash.json'), JSON.stringify(bad));
    writeFileSync(join(m.dir, 'bad-hash.onnx'), readFileSync(m.onnx));
    const warnings: InputWarning[] = [];
    const c = chooseModel(assemble([{ s: necResidue(1, [0, 0, 0]) }]), { model: 'auto', modelDirs: [m.dir], warn: (w) => warnings.push(w) });
    assert.equal(c.card?.id, 'neca-test');
    assert.ok(warnings.some((w) => w.file === join(m.dir, 'broken.json') && /JSON/.test(w.message)), JSON.stringify(warnings));
    assert.ok(warnings.some((w) => w.file === join(m.dir, 'bad-hash.json') && /hash/.test(w.message)), JSON.stringify(warnings));
  } finally {
    rmSync(m.dir, { recursive: true, force: true });
  }
});

test('NEC only: one group, the user model, output holds every NEC heavy atom, finite', async () => {
  const m = necaModelFolder();
  try {
    const cg = assemble([{ s: necResidue(1, [0, 0, 0]) }, { s: necResidue(2, [15, 0, 0]) }]);
    const out = await backmapStructure(cg, { modelDirs: [m.dir], device: 'cpu' });
    assert.equal(out.report.modelId, 'neca-test');
    assert.deepEqual(out.report.unknown, []);
    assert.deepEqual(residueNames(out.structure), ['NEC', 'NEC']);
    assert.equal(out.structure.atoms.count, 2 * 22, '22 heavy atoms per NECA (hydrogens are not rebuilt)');
    assert.ok(out.structure.coords.every(Number.isFinite));
    assert.deepEqual(out.report.models, [{ model: 'neca-test', path: m.onnx, source: 'folder', mapping: 'neca', residues: 2 }]);
    assert.match(renderReport(out), new RegExp(`\\| neca-test \\| ${m.onnx.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\| neca \\| 2 \\|`));
  } finally {
    rmSync(m.dir, { recursive: true, force: true });
  }
});

test('a cached session of a user model is reopened when its files are written again (retrained in place)', async () => {
  const m = necaModelFolder();
  try {
    const logs: string[] = [];
    const open = () => openBackmapper(m.onnx, { device: 'cpu', cache: true, log: (l) => logs.push(l) });
    assert.equal((await open()).card?.cutoff, 7);
    assert.equal((await open()).card?.cutoff, 7);
    assert.equal(logs.filter((l) => /reusing/.test(l)).length, 1);
    // Retrained into the same file: a new card (and network) at the same path.
    const card = JSON.parse(readFileSync(m.card, 'utf8'));
    card.cutoff = 6.5;
    writeFileSync(m.card, JSON.stringify(card, null, 2));
    assert.equal((await open()).card?.cutoff, 6.5, 'the new model, not the cached session');
  } finally {
    await releaseCachedSessions();
    rmSync(m.dir, { recursive: true, force: true });
  }
});

type Ligand = (resSeq: number, at: [number, number, number]) => Structure;

/** Protein, a ligand, the POPC/CHL1 patch (moved clear of the protein), another ligand: the classes interleaved. */
function mixedSystem(ligand: Ligand = necResidue): Structure {
  return assemble([
    { s: proteinCg(), chainId: 'A' },
    { s: ligand(1, [40, 40, 40]) },
    { s: lipidCg(), chainId: 'M', shift: [60, 0, 0] },
    { s: ligand(2, [-30, -30, 0]) },
  ]);
}

test('plan: residues of another mapping set form their own group; counted as ligands, not unknown; partial: false holds', { skip: !haveShipped && 'shipped martini3 models absent' }, () => {
  const m = necaModelFolder();
  try {
    const cg = mixedSystem();
    const warnings: InputWarning[] = [];
    const plan = planBackmap(cg, { modelDirs: [m.dir], warn: (w) => warnings.push(w) });
    assert.deepEqual(plan.unknown, []);
    assert.equal(warnings.length, 0, JSON.stringify(warnings));
    const names = plan.groups.map((g) => g.choice.card?.id ?? g.choice.modelId);
    // Cholesterol goes to the template: martini3-lipids' card leaves it out (trained on the earlier CHL1 mapping).
    assert.deepEqual(names.slice().sort(), ['martini3-lipids', 'martini3-protein', 'neca-test', 'template']);
    const nec = plan.groups.find((g) => g.choice.card?.id === 'neca-test')!;
    assert.ok(nec.system, 'a system of its own');
    assert.equal(nec.system!.set.hash, loadMappingSet(NECA).hash);
    assert.equal(nec.residues.length, 2);
    // Bead sources index the input: every NEC bead's source is a NEC particle with the bead's name.
    for (const b of nec.system!.beads) {
      assert.equal(cg.atoms.resName[b.source], 'NEC');
      assert.equal(cg.atoms.name[b.source], b.molecule.beads[b.bead].name);
    }
    assert.equal(plan.system.residues.every((r) => r.resName !== 'NEC'), true);
    assert.deepEqual(Object.fromEntries(plan.moleculesIn), { protein: 1, ligand: 2, lipid: 2, sterol: 2 });
    // partial: false refuses what no set knows; NEC is known (to the user's model's set).
    assert.doesNotThrow(() => planBackmap(cg, { modelDirs: [m.dir], partial: false }));
    // Without the folder, NEC is unknown as before (skipped, warned), and an explicit model takes no other set.
    const before = planBackmap(cg, {});
    assert.equal(before.unknown.length, 2);
    assert.equal(before.groups.some((g) => g.system), false);
    assert.equal(planBackmap(cg, { model: 'martini3-protein', modelDirs: [m.dir] }).unknown.length, 2);
    // A NEC made with another mapping (a bead the model's set does not have) stays unknown: skipped and warned as before.
    const foreign = assemble([{ s: proteinCg(), chainId: 'A' }, { s: cgResidue('NEC', [...NEC_POSE.slice(0, 8), ['XX', -6.2, 3, -1.2]], 1, [40, 40, 40]) }]);
    const fw: InputWarning[] = [];
    const fp = planBackmap(foreign, { modelDirs: [m.dir], warn: (w) => fw.push(w) });
    assert.deepEqual(fp.unknown.map((u) => [u.resName, u.bead]), [['NEC', undefined]]);
    assert.equal(fp.groups.some((g) => g.system), false);
    assert.ok(fw.some((w) => /NEC L1/.test(w.message)), JSON.stringify(fw));
    // A NEC lacking a bead is the model's set's to refuse (naming the residue; the file's line when read from one).
    const short = assemble([{ s: proteinCg(), chainId: 'A' }, { s: cgResidue('NEC', NEC_POSE.slice(0, 8), 1, [40, 40, 40]) }]);
    assert.throws(() => planBackmap(short, { modelDirs: [m.dir] }), (e: unknown) => e instanceof InputError && /NEC L1 lacks bead ET/.test(e.message));
    // Frame by frame keeps the first group and says what it skips, NEC included.
    const said: InputWarning[] = [];
    const first = firstGroupOf(plan, cg.source, (w) => said.push(w));
    assert.equal(first.choice.card?.id, names[0]);
    assert.match(said[0]?.message ?? '', /NEC/);
  } finally {
    rmSync(m.dir, { recursive: true, force: true });
  }
});

/** Backmaps the mixed system with the given model folder and checks the merged output. */
async function checkMixed(dir: string, necaId: string, lig: { residue: Ligand; name: string; mapping: string; heavy: number } = { residue: necResidue, name: 'NEC', mapping: 'neca', heavy: 22 }) {
  const { residue: ligand, name: ligName, heavy } = lig;
  const cg = mixedSystem(ligand);
  // heavy atoms under the input's residue names (the merge in input order is what is checked)
  const out = await backmapStructure(cg, { modelDirs: [dir], device: 'cpu', hydrogens: false });
  const r = out.report;
  assert.deepEqual(r.unknown, []);
  // Every molecule, in input order: the protein's residues, NEC, POPC ×2, CHL1 ×2, NEC.
  const inputNames = residuesOf(cg.atoms).map((x) => x.resName);
  assert.deepEqual(residueNames(out.structure), inputNames);
  assert.ok(out.structure.coords.every(Number.isFinite), 'no NaN');
  const byKind = Object.fromEntries((r.molecules ?? []).map((x) => [x.kind, [x.in, x.out]]));
  assert.deepEqual(byKind, { protein: [1, 1], lipid: [2, 2], sterol: [2, 2], ligand: [2, 2] });
  const models = Object.fromEntries((r.models ?? []).map((x) => [x.model, x]));
  // Cholesterol goes to the template (martini3-lipids' card leaves CHL1 out: trained on the earlier CHL1 mapping).
  assert.deepEqual(Object.keys(models).sort(), ['martini3-lipids', 'martini3-protein', necaId, 'template'].sort());
  assert.equal(models[necaId].residues, 2);
  assert.equal(models[necaId].source, 'folder');
  assert.equal(models['martini3-lipids'].residues, 2);
  assert.equal(models.template.residues, 2);
  assert.equal(models['martini3-protein'].residues, inputNames.length - 6);
  assert.deepEqual(r.mappingId.split(' + ').sort(), ['martini3', lig.mapping].sort());
  assert.equal(models[necaId].mapping, lig.mapping);
  const md = renderReport(out);
  for (const id of ['martini3-protein', 'martini3-lipids', necaId]) assert.ok(md.includes(`| ${id} |`), `report names ${id}`);
  assert.doesNotMatch(md, /Unknown residues/);
  // The ligand's atoms lie around their beads (the first was put at (40, 40, 40)).
  const a = out.structure.atoms;
  const lig1 = [...Array(a.count).keys()].filter((i) => a.resName[i] === ligName && a.resSeq[i] === 1);
  assert.equal(lig1.length, heavy);
  for (const i of lig1) for (let k = 0; k < 3; k++) assert.ok(Math.abs(out.structure.coords[3 * i + k] - 40) < 15, `${ligName} atom ${a.name[i]} near its beads`);
  return out;
}

test('protein + membrane + ligand: one run with martini3-protein, martini3-lipids and the user model, merged in input order', { skip: !haveShipped && 'shipped martini3 models absent' }, async () => {
  const m = necaModelFolder();
  try {
    await checkMixed(m.dir, 'neca-test');
  } finally {
    rmSync(m.dir, { recursive: true, force: true });
  }
});

test('the protein-only path is unchanged by model folders (one group, same atoms)', { skip: !haveShipped && 'shipped martini3 models absent' }, async () => {
  const m = necaModelFolder();
  try {
    const cg = assemble([{ s: proteinCg(), chainId: 'A' }]);
    const plan = planBackmap(cg, { modelDirs: [m.dir] });
    assert.equal(plan.groups.length, 1);
    assert.equal(plan.groups[0].system, undefined);
    const a = await backmapStructure(cg, { device: 'cpu' });
    const b = await backmapStructure(cg, { modelDirs: [m.dir], device: 'cpu' });
    assert.equal(b.report.modelId, 'martini3-protein');
    assert.deepEqual(b.structure.coords, a.structure.coords);
    assert.deepEqual(b.structure.atoms.name, a.structure.atoms.name);
  } finally {
    rmSync(m.dir, { recursive: true, force: true });
  }
});

test('the trained ligand fixture (lig-tiny, card with its mapping): picked by auto, backmaps LIG frames and the mixed system', { skip: !haveLigModel && 'test/fixtures/ligand/lig-tiny.onnx or frames.pdb absent' }, async () => {
  const aa = readStructureFile(LIG_FRAMES);
  const cg = mapStructureToCg(aa, join(LIG_DIR, 'lig')).cg;
  const c = chooseModel(cg, { modelDirs: [LIG_DIR] });
  assert.equal(c.modelId, LIG_MODEL);
  assert.ok(c.card?.mapping.files, 'the fixture carries its mapping');
  assert.equal(c.set.hash, c.card!.mapping.hash);
  const out = await backmapStructure(cg, { modelDirs: [LIG_DIR], device: 'cpu', reference: aa });
  assert.ok(out.structure.coords.every(Number.isFinite));
  assert.equal(out.structure.atoms.count, 12 * residuesOf(cg.atoms).length);
  // A trained model (inaccurate, about 1 Å): the atoms come out near the reference, not merely finite.
  assert.ok(out.report.rmsd && out.report.rmsd.matched === 12 && out.report.rmsd.all < 2, JSON.stringify(out.report.rmsd && { all: out.report.rmsd.all, matched: out.report.rmsd.matched }));
  if (haveShipped) await checkMixed(LIG_DIR, c.card!.id, { residue: (resSeq, at) => cgResidue('LIG', ligPose(), resSeq, at), name: 'LIG', mapping: 'lig', heavy: 12 });
});
