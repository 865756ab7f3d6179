// Compiled bundled mapping sets (src/core/mapping/compiled.ts): the JSON the build writes gives back exactly the set
// that parsing the folder gives, wherever the folder lives, and is refused as soon as the folder differs.
import test from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeMappingSet, readCompiledSet } from '../../../src/core/mapping/compiled';
import { analyzeMappingFolder, folderFingerprint, loadMappingSet, resolveMappingFolder } from '../../../src/core/mapping/load';
import type { MappingSet } from '../../../src/core/mapping/types';

/** A copy of bundled set `id` in a temporary folder, compiled there; the compiled file is beside the folder. */
function compiledCopy(id: string): { root: string; folder: string; file: string } {
  const root = mkdtempSync(join(tmpdir(), 'bm-compiled-'));
  const folder = join(root, id);
  cpSync(resolveMappingFolder(id).folder, folder, { recursive: true });
  const set = analyzeMappingFolder(folder).set!;
  const file = join(root, `${id}.json`);
  writeFileSync(file, encodeMappingSet(set, folderFingerprint(folder)));
  return { root, folder, file };
}

// `id` is the name the set was asked by (loadMappingSet sets it); everything else must match.
const plain = (s: MappingSet) => ({ ...s, id: undefined, molecules: [...s.molecules.keys()] });

for (const id of ['martini3', 'ca'])
  test(`compiled '${id}' set read from another folder equals parsing that folder (spans and paths rebased)`, () => {
    const { root, folder, file } = compiledCopy(id);
    try {
      // Move the whole copy: the compiled record must not hold the folder it was made in.
      const moved = join(root, 'elsewhere');
      cpSync(folder, moved, { recursive: true });
      const compiled = readCompiledSet(file, moved, () => folderFingerprint(moved));
      assert.ok(compiled, 'the compiled set is accepted for an identical folder');
      const parsed = analyzeMappingFolder(moved).set!;
      assert.deepEqual(plain(compiled), plain(parsed));
      for (const [name, m] of compiled.molecules) assert.equal(m, compiled.configurations.get(name)![0], `${name}: molecule is its first configuration`);
      const someAtom = [...compiled.molecules.values()][0].atoms[0];
      assert.ok(someAtom.span.file.startsWith(moved), `span rebased: ${someAtom.span.file}`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

test('a compiled set is refused when a file changed, a file was added, or the record is damaged', () => {
  const { root, folder, file } = compiledCopy('martini3');
  try {
    const fp = () => folderFingerprint(folder);
    assert.ok(readCompiledSet(file, folder, fp));
    appendFileSync(join(folder, 'ala.yaml'), '# edited\n');
    assert.equal(readCompiledSet(file, folder, fp), null, 'edited mapping file');
    rmSync(folder, { recursive: true });
    const again = compiledCopy('martini3');
    try {
      writeFileSync(join(again.folder, 'notes.txt'), 'not a mapping');
      assert.equal(readCompiledSet(again.file, again.folder, () => folderFingerprint(again.folder)), null, 'stray file (E8 when parsed)');
      writeFileSync(again.file, '{"version": 1, "trunc');
      assert.equal(readCompiledSet(again.file, again.folder, () => folderFingerprint(again.folder)), null, 'damaged JSON');
    } finally {
      rmSync(again.root, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('folderFingerprint gives the hash that parsing pins in model cards', () => {
  for (const id of ['martini3', 'ca', 'martini3-chol8']) {
    const { folder } = resolveMappingFolder(id);
    assert.equal(folderFingerprint(folder).hash, analyzeMappingFolder(folder).set!.hash, id);
  }
});

test('loadMappingSet gives the same set with or without the build\'s compiled form', () => {
  // Whatever dist/ holds (compiled or not, fresh or stale), the loaded set equals the parsed one.
  const loaded = loadMappingSet('martini3');
  const parsed = analyzeMappingFolder(resolveMappingFolder('martini3').folder).set!;
  parsed.id = 'martini3';
  assert.deepEqual(plain(loaded), plain(parsed));
});
