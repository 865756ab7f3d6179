// The mapping set a model card carries (`mapping.files`, models trained with `backmap train`), and the model
// folders of the user's (registry: shipped first, broken files reported, never dropped silently).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '../../../src/core/errors';
import { loadMappingSet } from '../../../src/core/mapping/load';
import type { ModelCard } from '../../../src/core/model/contract';
import { cachedSet, mappingSetOfCard } from '../../../src/core/model/card-mapping';
import { listModelEntries, listModels, modelFolders, type ModelProblem } from '../../../src/core/model/registry';
import { writeTinyModel } from './tiny-model';

const NECA = resolve(__dirname, '../../../examples/mappings/neca');

/** The files of a mapping folder, name → text (what `backmap train` embeds). */
function filesOf(folder: string): Record<string, string> {
  return Object.fromEntries(readdirSync(folder).map((n) => [n, readFileSync(join(folder, n), 'utf8')]));
}

function necaCard(extra: Partial<ModelCard['mapping']> = {}): ModelCard {
  const set = loadMappingSet(NECA);
  return {
    id: 'neca-card',
    format: 'backmap-studio-model/1',
    mapping: { id: 'neca', hash: set.hash, files: filesOf(NECA), ...extra },
    molecules: ['NEC'],
    moleculeKinds: ['ligand'],
    beadTypes: [],
    numTypes: set.numTypes,
    R: set.maxSlots,
    cutoff: 7,
    K: 24,
    inputs: [],
    outputs: [],
    opset: 17,
    onnx: { file: 'neca-card.onnx', sha256: '', bytes: 0 },
  };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'bm-card-mapping-'));

test('embedded mapping: written once under its hash, loaded with the same hash, molecules and bead types as the folder', () => {
  const root = tmp();
  try {
    const folderSet = loadMappingSet(NECA);
    const card = necaCard();
    const set = mappingSetOfCard({ card, cardPath: '/models/neca-card.json' }, root);
    assert.equal(set.hash, folderSet.hash);
    assert.equal(set.id, 'neca', 'named by the card, not by the cache folder');
    assert.equal(set.folder, join(root, folderSet.hash));
    assert.deepEqual([...set.molecules.keys()], ['NEC']);
    assert.deepEqual([...set.beadTypes], [...folderSet.beadTypes]);
    assert.equal(set.molecules.get('NEC')!.beads.length, 9);
    assert.equal(set.maxSlots, folderSet.maxSlots);
    // The cache holds exactly the set's files and no leftover private folder.
    assert.deepEqual(readdirSync(root), [folderSet.hash]);
    assert.deepEqual(readdirSync(join(root, folderSet.hash)).sort(), Object.keys(card.mapping.files!).sort());
    // Asked again: the same set, nothing rewritten.
    assert.equal(mappingSetOfCard({ card }, root), set);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('embedded mapping: a cache folder whose content no longer has the hash is rebuilt from the card', () => {
  const root = tmp();
  try {
    const card = necaCard();
    const hash = card.mapping.hash;
    // A folder of that hash left edited (or half-written by a killed process): not trusted.
    mkdirSync(join(root, hash), { recursive: true });
    for (const [n, t] of Object.entries(card.mapping.files!)) writeFileSync(join(root, hash, n), t);
    writeFileSync(join(root, hash, 'nec.yaml'), 'molecule: NEC\natoms:\n  C1: R2 P1A\n');
    writeFileSync(join(root, hash, 'stray.yaml'), 'molecule: XXX\natoms:\n  C1: A P1A\n');
    const set = mappingSetOfCard({ card }, root);
    assert.equal(set.hash, hash);
    assert.equal(readFileSync(join(root, hash, 'nec.yaml'), 'utf8'), card.mapping.files!['nec.yaml']);
    assert.equal(existsSync(join(root, hash, 'stray.yaml')), false);
    assert.deepEqual(readdirSync(root), [hash]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('embedded mapping: a hash that does not match the files is refused naming the card, nothing left in the cache', () => {
  const root = tmp();
  try {
    const card = necaCard({ hash: 'a'.repeat(64) });
    assert.throws(
      () => mappingSetOfCard({ card, cardPath: '/models/neca-card.json' }, root),
      (e: unknown) => e instanceof InputError && e.file === '/models/neca-card.json' && /hash/.test(e.message) && /aaaaaaaaaaaa/.test(e.message),
    );
    assert.deepEqual(existsSync(root) ? readdirSync(root) : [], []);
    // Edited file text: same refusal.
    const edited = necaCard();
    edited.mapping.files = { ...edited.mapping.files!, 'nec.yaml': edited.mapping.files!['nec.yaml'].replace('N1:   IM  P1A', 'N1:   IM  P2AA\n  N9:   IM  P1A') };
    assert.throws(() => mappingSetOfCard({ card: edited, cardPath: '/m/edited.json' }, root), (e: unknown) => e instanceof InputError && e.file === '/m/edited.json');
    // A hash that is not a sha256 never names a folder.
    assert.throws(() => mappingSetOfCard({ card: necaCard({ hash: '../../etc' }), cardPath: '/m/bad-hash.json' }, root), (e: unknown) => e instanceof InputError && e.file === '/m/bad-hash.json' && /sha256/.test(e.message));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('embedded mapping: file names with folders or ".." are refused naming the card, nothing written', () => {
  const root = tmp();
  try {
    for (const bad of ['../evil.yaml', 'sub/nec.yaml', 'sub\\nec.yaml', '..', '/abs.yaml', '']) {
      const card = necaCard();
      card.mapping.files = { ...card.mapping.files!, [bad]: 'molecule: X\n' };
      assert.throws(
        () => mappingSetOfCard({ card, cardPath: '/models/bad-names.json' }, root),
        (e: unknown) => e instanceof InputError && e.file === '/models/bad-names.json' && /file name/.test(e.message),
        `name ${JSON.stringify(bad)}`,
      );
    }
    const notText = necaCard();
    (notText.mapping.files as Record<string, unknown>)['nec.yaml'] = 42;
    assert.throws(() => mappingSetOfCard({ card: notText, cardPath: '/m/c.json' }, root), /not text/);
    const empty = necaCard();
    empty.mapping.files = {};
    assert.throws(() => mappingSetOfCard({ card: empty, cardPath: '/m/c.json' }, root), /empty/);
    assert.deepEqual(existsSync(root) ? readdirSync(root) : [], []);
    assert.equal(existsSync(join(root, '..', 'evil.yaml')), false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('bundled cards (no mapping.files) read the bundled set, as before', { skip: listModels().length === 0 && 'no shipped models' }, () => {
  for (const card of listModels()) {
    assert.equal(card.mapping.files, undefined, `${card.id}: shipped cards carry no files`);
    const set = mappingSetOfCard({ card });
    assert.equal(set, cachedSet(card.mapping.id), card.id);
    assert.equal(set.hash, card.mapping.hash, `${card.id}: the bundled set is the one it was trained for`);
  }
  // A card naming a bundled set that does not exist: the loader's error.
  assert.throws(() => mappingSetOfCard({ card: { ...necaCard(), mapping: { id: 'no-such-set', hash: 'b'.repeat(64) } } }), InputError);
});

test('model folders: shipped first, then the user folders; broken files reported, not dropped silently', () => {
  const dir = tmp();
  const dir2 = tmp();
  const saved = process.env.BACKMAP_MODEL_PATH;
  try {
    const set = loadMappingSet(NECA);
    writeTinyModel(dir, set, 'good');
    writeFileSync(join(dir, 'broken.json'), '{ "id": "broken", ');
    writeFileSync(join(dir, 'broken.onnx'), 'x');
    writeFileSync(join(dir, 'lacks-hash.json'), JSON.stringify({ id: 'lacks-hash', mapping: { id: 'neca' }, beadTypes: [], R: 3, cutoff: 7, K: 4 }));
    writeFileSync(join(dir, 'lacks-hash.onnx'), 'x');
    writeFileSync(join(dir, 'orphan-card.json'), readFileSync(join(dir, 'good.json'), 'utf8'));
    writeFileSync(join(dir, 'orphan.onnx'), 'x');
    writeFileSync(join(dir, 'notes.txt'), 'not a model');
    writeTinyModel(dir2, set, 'from-env');
    process.env.BACKMAP_MODEL_PATH = ['', dir2, dir].join(process.platform === 'win32' ? ';' : ':');
    const problems: ModelProblem[] = [];
    const entries = listModelEntries([dir, join(dir, 'missing-folder')], problems);
    const shipped = listModels().map((c) => c.id);
    assert.deepEqual(entries.slice(0, shipped.length).map((e) => [e.card.id, e.source]), shipped.map((id) => [id, 'shipped']));
    assert.deepEqual(entries.slice(shipped.length).map((e) => [e.card.id, e.source, e.onnxPath]), [
      ['good', 'folder', join(dir, 'good.onnx')],
      ['from-env', 'folder', join(dir2, 'from-env.onnx')],
    ]);
    const byFile = new Map(problems.map((p) => [p.file, p.message]));
    assert.match(byFile.get(join(dir, 'broken.json')) ?? '', /not valid JSON/);
    assert.match(byFile.get(join(dir, 'lacks-hash.json')) ?? '', /mapping\.hash/);
    assert.match(byFile.get(join(dir, 'orphan-card.json')) ?? '', /orphan-card\.onnx missing/);
    assert.match(byFile.get(join(dir, 'orphan.onnx')) ?? '', /no card/);
    assert.equal(problems.length, 4, problems.map((p) => `${p.file}: ${p.message}`).join('\n'));
    // Each folder once (the list and the variable name the same one), the missing one holds nothing.
    assert.deepEqual(modelFolders([dir, join(dir, 'missing-folder')]), [dir, join(dir, 'missing-folder'), dir2]);
    // A file given as a folder is a problem.
    const p2: ModelProblem[] = [];
    listModelEntries([join(dir, 'notes.txt')], p2);
    assert.match(p2.find((p) => p.file === join(dir, 'notes.txt'))?.message ?? '', /not a folder/);
    // listModels() stays the shipped cards.
    assert.deepEqual(listModels().map((c) => c.id), shipped);
  } finally {
    if (saved === undefined) delete process.env.BACKMAP_MODEL_PATH;
    else process.env.BACKMAP_MODEL_PATH = saved;
    rmSync(dir, { recursive: true, force: true });
    rmSync(dir2, { recursive: true, force: true });
  }
});
