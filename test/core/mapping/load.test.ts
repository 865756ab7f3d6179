// Folder-level loading/validation and compatibility with every real mapping set in ../shared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';
import { loadMappingSet, validateMappingFolder, parseBeadTypes, bundledMappingsRoot } from '../../../src/core/mapping/load';
import { InputError } from '../../../src/core/errors';
import type { Structure } from '../../../src/core/structure/types';

const SHARED = join(__dirname, '..', '..', '..', '..', 'shared', 'mapping-format', 'mappings');
const haveShared = existsSync(SHARED);

function folder(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'bms-map-'));
  for (const [n, t] of Object.entries(files)) writeFileSync(join(d, n), t);
  return d;
}
const A = (beads: string) => `molecule: XXX\natoms:\n${beads}`;

test('loads a small folder: bead types, maxSlots, hash stable under whitespace', (t) => {
  const d = folder({
    'x.yaml': A('  N:  BB P2AA\n  CA: BB P1A\n  CB: SC1 P1A\n'),
    'bead_types.yaml': 'XXX_BB: 0\nXXX_SC1: 1\n',
  });
  t.after(() => rmSync(d, { recursive: true }));
  const s = loadMappingSet(d);
  assert.equal(s.maxSlots, 2);
  assert.equal(s.numTypes, 2);
  assert.equal(s.molecules.get('XXX')!.beads[1].typeId, 1);
  const h = s.hash;
  writeFileSync(join(d, 'x.yaml'), A('  N:  BB P2AA   \r\n  CA: BB P1A\n  CB: SC1 P1A\n\n'));
  assert.equal(loadMappingSet(d).hash, h);
  writeFileSync(join(d, 'x.yaml'), A('  N:  BB P2AB\n  CA: BB P1A\n  CB: SC1 P1A\n'));
  assert.notEqual(loadMappingSet(d).hash, h);
});

test('E8: a README in the mapping folder is an error naming the file', (t) => {
  const d = folder({ 'x.yaml': A('  CA: BB P1A\n'), 'README.md': '# hi\n' });
  t.after(() => rmSync(d, { recursive: true }));
  const r = validateMappingFolder(d);
  assert.ok(r.folderDiagnostics.some((x) => x.code === 'E8' && x.severity === 'error' && x.span.file.endsWith('README.md')));
  assert.throws(() => loadMappingSet(d), (e: unknown) => e instanceof InputError && /README\.md/.test(e.message) && /E8/.test(e.message));
});

test('E9: same molecule in two files with different atom counts (edge: two-files-diffcount)', (t) => {
  const d = folder({ 'a.yaml': A('  CA: BB P1A\n  N: BB P2AA\n'), 'b.yaml': A('  CA: BB P1A\n  N: BB P2AA\n  C: BB P2AB\n') });
  t.after(() => rmSync(d, { recursive: true }));
  const r = validateMappingFolder(d);
  const e9 = r.folderDiagnostics.filter((x) => x.code === 'E9');
  assert.equal(e9.length, 1);
  assert.equal(basename(e9[0].span.file), 'b.yaml');
  assert.equal(e9[0].span.line, 3);
  assert.throws(() => loadMappingSet(d), /b\.yaml:3/);
});

test('configurations: equal counts merge; X10 information', (t) => {
  const d = folder({ 'a.yaml': A('  CA: BB P1A\n  N: BB P2AA\n'), 'b.yaml': A('  CA: BB P1A\n  N,NT: BB P2AA\n'), 'bead_types.yaml': 'XXX_BB: 0\n' });
  t.after(() => rmSync(d, { recursive: true }));
  const s = loadMappingSet(d);
  assert.equal(s.configurations.get('XXX')!.length, 2);
  assert.equal(s.molecules.get('XXX')!.file, join(d, 'a.yaml'));
  assert.ok(s.diagnostics!.some((x) => x.code === 'X10' && x.severity === 'information'));
});

test('W17: missing bead types get max+1 in load order (file not written), ids ≥ count flagged', (t) => {
  const d = folder({ 'x.yaml': A('  CA: BB P1A\n  CB: SC1 P1A\n'), 'bead_types.yaml': 'XXX_BB: 66\n' });
  t.after(() => rmSync(d, { recursive: true }));
  const s = loadMappingSet(d);
  assert.equal(s.beadTypes.get('XXX_SC1'), 67);
  assert.equal(readFileSync(join(d, 'bead_types.yaml'), 'utf8'), 'XXX_BB: 66\n');
  const w = s.diagnostics!.filter((x) => x.code === 'W17');
  assert.ok(w.some((x) => /XXX_SC1/.test(x.message)));
  assert.ok(w.some((x) => /≥ the number of types/.test(x.message)));
  assert.equal(s.numTypes, 68, 'numTypes covers the largest id so embeddings never index out of range');
});

test('bead-types table: malformed entries are X8 errors', () => {
  const r = parseBeadTypes('XXX_BB: zero\nXXX_SC1: 1\n', 'bt.yaml');
  assert.equal(r.table.get('XXX_SC1'), 1);
  assert.ok(r.diagnostics.some((x) => x.code === 'X8' && x.span.line === 1));
});

test('errors in a file throw one InputError listing all errors with file:line', (t) => {
  const d = folder({ 'x.yaml': A('  CA: BB P1A\n  MG: BB\n  C_1: BB\n') });
  t.after(() => rmSync(d, { recursive: true }));
  assert.throws(() => loadMappingSet(d), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.equal(e.line, 4);
    assert.match(e.message, /x\.yaml:4: E4/);
    assert.match(e.message, /x\.yaml:5: E5/);
    return true;
  });
});

test('reference structure: residue atoms missing from the mapping (X9) and absent mapping atoms (X11)', (t) => {
  const d = folder({ 'x.yaml': A('  CA: BB P1A\n  N: BB P2AA\n  ZZ: BB\n'), 'bead_types.yaml': 'XXX_BB: 0\n' });
  t.after(() => rmSync(d, { recursive: true }));
  const names = ['N', 'CA', 'C', '1HB'];
  const n = names.length;
  const ref: Structure = {
    source: 'ref.pdb', title: '', box: null, coords: new Float64Array(3 * n), models: [],
    atoms: {
      count: n, serial: Int32Array.from(names.map((_, i) => i + 1)), name: names, altLoc: names.map(() => ''), resName: names.map(() => 'XXX'),
      chainId: names.map(() => 'A'), resSeq: new Int32Array(n).fill(1), iCode: names.map(() => ''), element: names.map(() => ''),
      occupancy: new Float32Array(n), bFactor: new Float32Array(n), hetero: new Uint8Array(n), segId: names.map(() => ''), sourceLine: new Int32Array(n),
    },
  };
  const r = validateMappingFolder(d, { reference: ref });
  const x9 = r.folderDiagnostics.find((x) => x.code === 'X9')!;
  assert.match(x9.message, /C, HB1/);
  assert.ok(r.folderDiagnostics.some((x) => x.code === 'X11' && /ZZ/.test(x.message)));
});

test('bundled mappings root is <repo>/mappings', () => {
  assert.equal(bundledMappingsRoot(), join(__dirname, '..', '..', '..', 'mappings'));
});

test('unknown set id is an InputError', () => {
  assert.throws(() => loadMappingSet('no-such-set-xyz'), InputError);
});

// Every real mapping set loads; the only non-canonical spellings are the known shipped ones.
test('compatibility: every mapping set in ../shared/mapping-format/mappings loads', { skip: !haveShared && '../shared absent: skipped real mapping sets' }, () => {
  const sets = readdirSync(SHARED).filter((n) => statSync(join(SHARED, n)).isDirectory()).sort();
  assert.ok(sets.length >= 29);
  const errors: string[] = [];
  const w7: string[] = [];
  let files = 0;
  for (const s of sets) {
    const set = loadMappingSet(join(SHARED, s)); // throws on any error-level diagnostic
    files += set.files!.filter((f) => !basename(f).startsWith('bead_types')).length;
    assert.ok(set.molecules.size > 0, s);
    for (const d of set.diagnostics!) {
      if (d.severity === 'error') errors.push(`${s}/${basename(d.span.file)} ${d.code}`);
      if (d.code === 'W7') w7.push(`${s}/${basename(d.span.file)}:${d.span.line}`);
    }
  }
  assert.equal(files, 392);
  // No shipped file crashes the loader; error-level diagnostics expected in NO shipped file.
  assert.deepEqual(errors, []);
  // Shipped junk rules: `P2BAc`, `P1B1`, `P3BB1`, and W7 `PA2D`; chc_old has `P2ABt`, `P2AB1` (docs/mapping-format.md).
  const expected = [
    'cgmap.backbone.hist/tyr.yaml:24', 'cgmap.ca.hist/tyr.yaml:24', 'cgmap.chc_old.hist/chc.yaml:66', 'cgmap.chc_old.hist/chc.yaml:75',
    'cgmap.martini3.membrane.hist/popc.yaml:139', 'cgmap.neca/neca.amber.yaml:14', 'cgmap.neca/neca.amber.yaml:41', 'cgmap.protein.ca/tyr.yaml:24',
    'cgmap.protein.cm/tyr.yaml:24',
  ];
  for (const e of expected) assert.ok(w7.includes(e), `expected W7 at ${e}`);
});

test('compatibility: real Martini 3 PHE decodes as SPEC §2 describes', { skip: !haveShared && '../shared absent' }, () => {
  const s = loadMappingSet(join(SHARED, 'cgmap.martini3'));
  const phe = s.molecules.get('PHE')!;
  assert.deepEqual(phe.beads.map((b) => b.name), ['BB', 'SC1', 'SC2', 'SC3']);
  const bb = phe.beads[0];
  const nm = (i: number) => phe.atoms[i].names[0];
  assert.deepEqual(bb.slots.map((x) => `${nm(x.atom)}<-${nm(bb.slots[x.anchor].atom)}`), ['N<-CA', 'CA<-CA', 'C<-CA', 'O<-C']);
  const sc1 = phe.beads[1];
  // CD1: SC1,SC2 P2AB,P2AA 1/3,2/3 ; CD2: SC1,SC3 P2AC,P2AA
  assert.deepEqual(sc1.slots.map((x) => nm(x.atom)), ['CB', 'CG', 'CD1', 'CD2']);
  assert.ok(sc1.slots.every((x) => x.resolved));
  assert.equal(nm(sc1.slots[sc1.slots[2].anchor].atom), 'CG');
  assert.equal(phe.atoms[phe.atomIndex.get('CD1')!].membership[0].relWeight, 1 / 3);
  assert.equal(s.maxSlots, 5);
  assert.equal(bb.typeId, s.beadTypes.get('PHE_BB'));
});

test('E10 at set level: a rule-less file in a set that uses rules', (t) => {
  const d = folder({ 'a.yaml': A('  CA: BB P1A\n'), 'b.yaml': 'molecule: YYY\natoms:\n  CA: BB\n' });
  t.after(() => rmSync(d, { recursive: true }));
  const r = validateMappingFolder(d);
  const e10 = r.folderDiagnostics.filter((x) => x.code === 'E10');
  assert.equal(e10.length, 1);
  assert.equal(basename(e10[0].span.file), 'b.yaml');
  // A set with no rules at all is a CGmap-only set and loads.
  const c = folder({ 'b.yaml': 'molecule: YYY\natoms:\n  CA: BB\n' });
  t.after(() => rmSync(c, { recursive: true }));
  assert.equal(loadMappingSet(c).maxSlots, 0);
});
