// The UCG mapping format (docs/ucg-mapping.md): one test per diagnostic code on a minimal bad file with its exact
// span, plus ranges, the writer's round trip, the content hash, detection and loading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../src/core/errors';
import { applyEdits } from '../../../src/core/mapping/hierarchy';
import {
  UCG_CODES, compressResidues, isUcgMappingPath, isUcgMappingText, loadUcgMapping, parseUcgMapping, residueInRange, writeUcgMapping,
  type UcgMapping, type UcgResidueRef,
} from '../../../src/core/ucg/format';

const GOOD = `# UCG mapping of 1OYV (hand-written)
format: backmap-ucg/1
name: 1OYV
site: ca-centroid
method: segments
sequence:
  A: MKVLAAGIVG
  _: GG
beads:
  U1: A:1-9
  U2: A:10-18, A:40-42
  U3: B:52A-60, _:7
`;

const parse = (t: string) => parseUcgMapping(t, 'x.ucg.yaml');
const withBeads = (...lines: string[]) => `format: backmap-ucg/1\nbeads:\n${lines.map((l) => `  ${l}\n`).join('')}`;

function expectCode(t: string, code: string, token: string) {
  const m = parse(t);
  const ds = m.diagnostics.filter((d) => d.code === code);
  assert.ok(ds.length > 0, `expected ${code} in:\n${t}\ngot ${JSON.stringify(m.diagnostics.map((d) => [d.code, d.message]))}`);
  for (const d of ds) assert.equal(d.severity, UCG_CODES[code].severity, `${code} severity`);
  assert.ok(ds.some((d) => t.slice(d.span.start, d.span.end) === token), `${code} span: got ${ds.map((d) => JSON.stringify(t.slice(d.span.start, d.span.end))).join(', ')}, want ${JSON.stringify(token)}`);
  return ds;
}
const ref = (chainId: string, resSeq: number, iCode = ''): UcgResidueRef => ({ chainId, resSeq, iCode });

test('a good file: no diagnostics, every field read', () => {
  const m = parse(GOOD);
  assert.deepEqual(m.diagnostics, []);
  assert.equal(m.name, '1OYV');
  assert.equal(m.method, 'segments');
  assert.equal(m.site, 'ca-centroid');
  assert.deepEqual(m.sequence, { A: 'MKVLAAGIVG', '': 'GG' });
  assert.deepEqual(m.beads.map((b) => [b.name, b.line, b.ranges.length]), [['U1', 10, 1], ['U2', 11, 2], ['U3', 12, 2]]);
  const [r1, r2] = m.beads[2].ranges;
  assert.deepEqual([r1.chainId, r1.start, r1.end], ['B', ref('B', 52, 'A'), ref('B', 60)]);
  assert.deepEqual([r2.chainId, r2.start, r2.end], ['', ref('', 7), ref('', 7)]);
  assert.equal(GOOD.slice(r1.span.start, r1.span.end), 'B:52A-60');
  assert.equal(GOOD.slice(m.beads[1].span.start, m.beads[1].span.end), 'U2');
  assert.match(m.hash, /^[0-9a-f]{64}$/);
});

test('residueInRange: same chain, (number, insertion code) between the ends with "" < A < B', () => {
  const r = parse(GOOD).beads[2].ranges[0]; // B:52A-60
  assert.equal(residueInRange(ref('B', 52), r), false, '52 sorts before 52A');
  assert.equal(residueInRange(ref('B', 52, 'A'), r), true);
  assert.equal(residueInRange(ref('B', 52, 'B'), r), true);
  assert.equal(residueInRange(ref('B', 60), r), true);
  assert.equal(residueInRange(ref('B', 60, 'A'), r), false, '60A sorts after 60');
  assert.equal(residueInRange(ref('A', 55), r), false, 'other chain');
  const blank = parse(GOOD).beads[2].ranges[1]; // _:7
  assert.equal(residueInRange(ref('', 7), blank), true);
  assert.equal(residueInRange(ref('_', 7), blank), false, 'the blank chain id is "", `_` only in the file');
  const neg = parse(withBeads('U1: A:-3--1')).beads[0].ranges[0];
  assert.deepEqual([neg.start.resSeq, neg.end.resSeq], [-3, -1]);
  assert.equal(residueInRange(ref('A', -2), neg), true);
});

test('U1: not YAML, empty, not a map, a top-level key twice', () => {
  expectCode('format: backmap-ucg/1\nbeads: [A:1\n', 'U1', 'beads: [A:1');
  expectCode('format: backmap-ucg/1\n\tbeads: 1\n', 'U1', '\t');
  expectCode('', 'U1', '');
  expectCode('# only a comment\n', 'U1', '# only a comment');
  expectCode('- format\n- beads\n', 'U1', '- format\n- beads\n');
  expectCode(withBeads('U1: A:1') + 'beads:\n  U2: A:2\n', 'U1', 'beads');
  assert.equal(UCG_CODES.U1.severity, 'error');
});

test('U2: format missing (with an insert fix) or an unknown version', () => {
  const t = 'beads:\n  U1: A:1\n';
  const [d] = expectCode(t, 'U2', 'beads:');
  assert.equal(parse(applyEdits(t, d.fixes![0].edits)).diagnostics.length, 0);
  expectCode('format: backmap-ucg/2\nbeads:\n  U1: A:1\n', 'U2', 'backmap-ucg/2');
  expectCode('format: cgmap\nbeads:\n  U1: A:1\n', 'U2', 'cgmap');
});

test('U3: beads missing, empty or not a map', () => {
  expectCode('format: backmap-ucg/1\nname: x\n', 'U3', 'format: backmap-ucg/1');
  expectCode('format: backmap-ucg/1\nbeads: {}\n', 'U3', 'beads');
  expectCode('format: backmap-ucg/1\nbeads:\n', 'U3', 'beads');
  expectCode('format: backmap-ucg/1\nbeads: A:1-9\n', 'U3', 'beads');
});

test('U4: an entry that does not parse, spanning exactly the bad token', () => {
  expectCode(withBeads('U1: A:1-9, 12-30'), 'U4', '12-30');
  expectCode(withBeads('U1: A:1-B:9'), 'U4', 'A:1-B:9');
  expectCode(withBeads('U1: A:1-9, A:x'), 'U4', 'A:x');
  expectCode(withBeads('U1: "A:1-9, A:1 0"'), 'U4', 'A:1 0');
  const [stray] = expectCode(withBeads('U1: A:1-9,, A:12'), 'U4', ',');
  assert.deepEqual(parse(applyEdits(withBeads('U1: A:1-9,, A:12'), stray.fixes![0].edits)).diagnostics, []);
  expectCode(withBeads('U1: [A:1, A:2]'), 'U4', '[A:1, A:2]');
  // The bad token does not take the good ones with it.
  assert.deepEqual(parse(withBeads('U1: A:1-9, oops, A:12')).beads[0].ranges.map((r) => r.start.resSeq), [1, 12]);
});

test('U5: a reversed range, with a quick fix that swaps the ends', () => {
  const t = withBeads('U1: A:1-3, A:9-4B');
  const [d] = expectCode(t, 'U5', 'A:9-4B');
  const fixed = applyEdits(t, d.fixes![0].edits);
  assert.match(fixed, /U1: A:1-3, A:4B-9\n/);
  assert.deepEqual(parse(fixed).diagnostics, []);
});

test('U6: a residue in two beads, naming both; ranges only touching are fine', () => {
  const [d] = expectCode(withBeads('U1: A:1-9', 'U2: A:10-18, A:5-6'), 'U6', 'A:5-6');
  assert.match(d.message, /bead `U2`.*bead `U1`/);
  assert.match(d.message, /A:5-6/);
  expectCode(withBeads('U1: A:1-9', 'U2: A:9-12'), 'U6', 'A:9-12');
  expectCode(withBeads('U1: B:52-53', 'U2: B:52A'), 'U6', 'B:52A'); // 52 < 52A < 53
  assert.deepEqual(parse(withBeads('U1: A:1-9', 'U2: A:10-12, B:1-9')).diagnostics, []);
  assert.deepEqual(parse(withBeads('U1: B:52', 'U2: B:52A-52C', 'U3: B:53')).diagnostics, []);
  // Twice in the same bead is not a residue in two beads.
  assert.deepEqual(parse(withBeads('U1: A:1-9, A:3')).diagnostics, []);
});

test('U7: invalid bead names and duplicate beads (not last-wins)', () => {
  expectCode(withBeads('U12345: A:1'), 'U7', 'U12345');
  expectCode(withBeads('U_1: A:1'), 'U7', 'U_1');
  const t = withBeads('U1: A:1-9', 'U2: A:10', 'U1: A:20');
  const [d] = expectCode(t, 'U7', 'U1');
  assert.equal(d.span.line, 5);
  assert.match(d.message, /line 3/);
  assert.deepEqual(parse(t).beads.map((b) => [b.name, b.ranges[0].start.resSeq]), [['U1', 1], ['U2', 10]], 'first definition kept');
  // A plain key is read as written: `1e3` is the 3-character name 1e3, not 1000.
  assert.equal(parse(withBeads('1e3: A:1')).beads[0].name, '1e3');
});

test('U8: a bead with no residues', () => {
  expectCode(withBeads('U1: A:1', 'U2:'), 'U8', 'U2');
  expectCode(withBeads('U1: ""'), 'U8', 'U1');
});

test('U9: an unknown top-level key is ignored with a warning', () => {
  const t = withBeads('U1: A:1') + 'colour: red\n';
  expectCode(t, 'U9', 'colour');
  assert.ok(!parse(t).diagnostics.some((d) => d.severity === 'error'));
});

test('U10: site other than ca-centroid', () => {
  expectCode('format: backmap-ucg/1\nsite: com\nbeads:\n  U1: A:1\n', 'U10', 'com');
});

test('U11: sequence not a map of chain → letters', () => {
  expectCode('format: backmap-ucg/1\nsequence: MKV\nbeads:\n  U1: A:1\n', 'U11', 'MKV');
  expectCode('format: backmap-ucg/1\nsequence:\n  A: MK1V\nbeads:\n  U1: A:1\n', 'U11', 'MK1V');
  expectCode('format: backmap-ucg/1\nsequence:\n  A-B: MKV\nbeads:\n  U1: A:1\n', 'U11', 'A-B');
  const t = 'format: backmap-ucg/1\nsequence:\n  A: mkv\nbeads:\n  U1: A:1\n';
  const [d] = expectCode(t, 'U11', 'mkv');
  assert.deepEqual(parse(applyEdits(t, d.fixes![0].edits)).sequence, { A: 'MKV' });
});

test('U12: method outside segments|spatial|manual, name not text', () => {
  expectCode('format: backmap-ucg/1\nmethod: kmeans\nbeads:\n  U1: A:1\n', 'U12', 'kmeans');
  expectCode('format: backmap-ucg/1\nname: [a, b]\nbeads:\n  U1: A:1\n', 'U12', '[a, b]');
  assert.equal(parse('format: backmap-ucg/1\nmethod: kmeans\nbeads:\n  U1: A:1\n').method, 'kmeans', 'kept as written');
});

test('every code of the table has a test above', () => {
  assert.deepEqual(Object.keys(UCG_CODES), Array.from({ length: 12 }, (_, i) => `U${i + 1}`));
});

test('writeUcgMapping → parseUcgMapping round trip', () => {
  const beads = [
    { name: 'U1', residues: [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => ref('A', n)) },
    { name: 'U2', residues: [...[10, 11, 12].map((n) => ref('A', n)), ref('A', 40), ref('A', 41), ref('B', 3), ref('B', 3, 'A')] },
    { name: 'U3', residues: [ref('', 7), ref('', 8), ref('A', 13), ref('A', 15)] },
  ];
  const text = writeUcgMapping({ name: 'yes', method: 'manual', sequence: { A: 'MKV', B: 'GG', '': 'W' }, beads, header: ['made by a test', 'second line'] });
  assert.match(text, /^# made by a test\n# second line\nformat: backmap-ucg\/1\n/);
  assert.match(text, /\n {2}U1: A:1-9\n {2}U2: A:10-12, A:40-41, B:3-3A\n {2}U3: _:7-8, A:13, A:15\n$/);
  const m: UcgMapping = parseUcgMapping(text, 'w.ucg.yaml');
  assert.deepEqual(m.diagnostics, []);
  assert.equal(m.name, 'yes', 'a YAML 1.1 boolean word is quoted and reads back as text');
  assert.equal(m.method, 'manual');
  assert.deepEqual(m.sequence, { A: 'MKV', B: 'GG', '': 'W' });
  for (const [b, bead] of beads.entries()) {
    for (const r of bead.residues) assert.ok(m.beads[b].ranges.some((x) => residueInRange(r, x)), `${r.chainId}:${r.resSeq}${r.iCode} in ${bead.name}`);
  }
  assert.equal(m.beads[2].ranges.some((x) => residueInRange(ref('A', 14), x)), false, 'a gap stays a gap');
  assert.match(writeUcgMapping({ name: '', method: 'segments', sequence: {}, beads: [{ name: 'U1', residues: [ref('A', 1)] }] }), /name: ""\n.*\nmethod: segments\nsequence: \{\}\n/s);
});

test('compressResidues: with all residues, a run stops at a residue of another bead between insertion codes', () => {
  const mine = [ref('H', 82), ref('H', 82, 'A'), ref('H', 83)];
  assert.deepEqual(compressResidues(mine), ['H:82-83']);
  const all = [ref('H', 81), ref('H', 82), ref('H', 82, 'A'), ref('H', 82, 'B'), ref('H', 83)];
  assert.deepEqual(compressResidues(mine, all), ['H:82-82A', 'H:83']);
  assert.deepEqual(compressResidues([ref('A', 1), ref('A', 2), ref('A', 4)], [ref('A', 1), ref('A', 2), ref('A', 4)]), ['A:1-2', 'A:4'], 'numbers not consecutive');
});

test('hash: comments, trailing spaces, blank lines and CRLF do not count; content does', () => {
  const a = parse(GOOD).hash;
  const noisy = `# another header\n\n${GOOD.replace('name: 1OYV', 'name: 1OYV   # the protein').replace(/\n/g, '  \r\n')}\n# tail\n`;
  assert.equal(parse(noisy).hash, a);
  assert.notEqual(parse(GOOD.replace('A:1-9', 'A:1-8')).hash, a);
  assert.notEqual(parse(GOOD.replace('name: 1OYV', 'name: "1OYV #2"')).hash, parse(GOOD.replace('name: 1OYV', 'name: "1OYV #3"')).hash, 'a # inside quotes is content');
});

test('isUcgMappingText / isUcgMappingPath / loadUcgMapping', () => {
  assert.equal(isUcgMappingText(GOOD), true);
  assert.equal(isUcgMappingText('molecule: ALA\natoms:\n  CA: BB P1A\n'), false);
  assert.equal(isUcgMappingText('  format: backmap-ucg/1\n'), false, 'not top level');
  assert.equal(isUcgMappingText('format: "backmap-ucg/3"\n'), true, 'any version is a UCG file (U2 then says which)');
  const dir = mkdtempSync(join(tmpdir(), 'ucg-format-'));
  try {
    const good = join(dir, 'p.ucg.yaml');
    writeFileSync(good, GOOD);
    assert.equal(isUcgMappingPath(good), true);
    assert.equal(isUcgMappingPath(join(dir, 'missing.ucg.yaml')), false);
    assert.equal(isUcgMappingPath(dir), false);
    const m = loadUcgMapping(good);
    assert.equal(m.file, good);
    assert.equal(m.beads.length, 3);
    const bad = join(dir, 'bad.ucg.yaml');
    writeFileSync(bad, withBeads('U1: A:1-9', 'U2: A:3'));
    assert.throws(() => loadUcgMapping(bad), (e: unknown) => e instanceof InputError && e.file === bad && e.line === 4 && /U6/.test(e.message));
    assert.throws(() => loadUcgMapping(join(dir, 'missing.ucg.yaml')), (e: unknown) => e instanceof InputError && /not found/.test(e.message));
    // Warnings do not stop loading.
    writeFileSync(bad, withBeads('U1: A:1-9') + 'colour: red\n');
    assert.equal(loadUcgMapping(bad).diagnostics[0].code, 'U9');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
