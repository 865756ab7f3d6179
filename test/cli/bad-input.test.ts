/**
 * Bad-input matrix of the CLI (issue brief): every defective input gets exit 1 (or 0 with a warning where the
 * result is still sound) with a message naming the file and the line, never a stack trace, never silent garbage,
 * and nothing the user owns is overwritten. All inputs are made here from project-made structures.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cli, copyMartini3, DEMO, existsSync, lineOf, noCrash, patchFile, sha, tempDir, writePeptide, type Run } from './helpers';
import { readStructureFile } from '../../src/core/structure/read';
import { createTrajectoryWriter } from '../../src/core/trajectory/index';

const t = tempDir('bad');
const p = (name: string) => join(t.dir, name);
let cgLines: string[] = [];

/** The 1-based line of the first ATOM line of `resName` (bead `bead` when given) in the good CG file. */
const cgLine = (resName: string, bead?: string) => {
  const i = cgLines.findIndex((l) => l.startsWith('ATOM') && l.slice(17, 20) === resName && (!bead || l.slice(12, 16).trim() === bead));
  assert.ok(i >= 0, `${resName} ${bead ?? ''} in the CG file`);
  return i + 1;
};
const writeLines = (name: string, lines: string[]) => {
  writeFileSync(p(name), lines.join('\n'));
  return p(name);
};

before(async () => {
  writePeptide(p('pep.pdb'), 'MKTAYIAKQRQISFVKSHFSRQ');
  const r = await cli('map', p('pep.pdb'), '--mapping', 'martini3', '-o', p('cg.pdb'));
  assert.equal(r.code, 0, r.err);
  cgLines = readFileSync(p('cg.pdb'), 'utf8').split('\n');
  const g = await cli('map', p('pep.pdb'), '--mapping', 'martini3', '-o', p('cg.gro'));
  assert.equal(g.code, 0, g.err);
  copyMartini3(p('m-e3'));
  patchFile(join(p('m-e3'), 'ala.yaml'), /^ {2}CB: {15}SC1 {5}P1A$/m, '  CB:               SC1,BB  P1A');
  copyMartini3(p('m-w1'));
  patchFile(join(p('m-w1'), 'ala.yaml'), /P3BA$/m, 'P3CA');
});
after(() => t.cleanup());

/**
 * Runs the CLI and checks the invariants of every case: the expected exit code, no crash, inputs unchanged,
 * and (for failures) a message of the form `<file>:<line>: …` (or `<file>: …` where no line exists).
 */
async function expectCase(
  args: string[],
  want: { code: 0 | 1; file?: string; line?: number | RegExp; message?: RegExp; inputs?: string[]; noOutput?: string },
): Promise<Run> {
  const inputs = (want.inputs ?? []).filter((f) => existsSync(f));
  const hashes = inputs.map(sha);
  const r = await cli(...args);
  assert.equal(r.code, want.code, `exit code of ${args.join(' ')}\n${r.err}`);
  assert.ok(noCrash(r), `no internal error / stack trace:\n${r.err}`);
  if (want.file) {
    const base = want.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const line = want.line === undefined ? '' : typeof want.line === 'number' ? `:${want.line}` : `:${want.line.source}`;
    assert.match(r.err, new RegExp(`${base}${line}:`), `stderr names ${want.file}${line}:\n${r.err}`);
  }
  if (want.message) assert.match(r.err, want.message);
  inputs.forEach((f, i) => assert.equal(sha(f), hashes[i], `${f} unchanged`));
  if (want.noOutput) assert.ok(!existsSync(want.noOutput), `no output ${want.noOutput} written`);
  return r;
}

test('truncated PDB record: exit 1 naming file:line', async () => {
  const k = cgLine('LYS', 'SC1');
  const lines = [...cgLines];
  lines[k - 1] = lines[k - 1].slice(0, 40);
  const f = writeLines('truncated.pdb', lines);
  await expectCase(['backmap', f, '-o', p('o-trunc.pdb')], { code: 1, file: f, line: k, message: /truncated ATOM record/, inputs: [f], noOutput: p('o-trunc.pdb') });
  // A file cut in the middle of a line (download interrupted).
  const text = readFileSync(p('cg.pdb'), 'utf8');
  const cut = text.slice(0, text.indexOf('\n', text.length >> 1) - 30);
  writeFileSync(p('cut.pdb'), cut);
  const lastLine = cut.split('\n').length;
  await expectCase(['backmap', p('cut.pdb'), '-o', p('o-cut.pdb')], { code: 1, file: p('cut.pdb'), line: lastLine, inputs: [p('cut.pdb')], noOutput: p('o-cut.pdb') });
});

test('truncated GRO (fewer atom lines than the count): exit 1 naming file:line', async () => {
  const lines = readFileSync(p('cg.gro'), 'utf8').split('\n');
  const f = writeLines('truncated.gro', lines.slice(0, 20));
  await expectCase(['backmap', f, '-o', p('o-tgro.pdb')], { code: 1, file: f, line: /\d+/, inputs: [f], noOutput: p('o-tgro.pdb') });
});

test('binary garbage and an empty file: exit 1 naming the file', async () => {
  let x = 12345;
  const bytes = Buffer.alloc(4096, 0).map(() => (x = (x * 1103515245 + 12345) & 0x7fffffff) & 0xff);
  writeFileSync(p('garbage.pdb'), bytes);
  await expectCase(['backmap', p('garbage.pdb'), '-o', p('o-g.pdb')], { code: 1, file: p('garbage.pdb'), inputs: [p('garbage.pdb')], noOutput: p('o-g.pdb') });
  await expectCase(['map', p('garbage.pdb'), '--mapping', 'martini3', '-o', p('o-g2.pdb')], { code: 1, file: p('garbage.pdb'), noOutput: p('o-g2.pdb') });
  writeFileSync(p('empty.pdb'), '');
  await expectCase(['backmap', p('empty.pdb'), '-o', p('o-e.pdb')], { code: 1, file: p('empty.pdb'), line: 1, message: /empty/, noOutput: p('o-e.pdb') });
  writeFileSync(p('blank.gro'), '\n\n');
  await expectCase(['backmap', p('blank.gro'), '-o', p('o-e2.pdb')], { code: 1, file: p('blank.gro'), noOutput: p('o-e2.pdb') });
});

test('NaN coordinates: exit 1 naming file:line', async () => {
  const k = cgLine('THR', 'BB');
  const lines = [...cgLines];
  lines[k - 1] = lines[k - 1].slice(0, 30) + '     nan' + lines[k - 1].slice(38);
  const f = writeLines('nan.pdb', lines);
  await expectCase(['backmap', f, '-o', p('o-nan.pdb')], { code: 1, file: f, line: k, message: /not a finite number/, inputs: [f], noOutput: p('o-nan.pdb') });
  // In the reference of evaluate too.
  const aa = readFileSync(p('pep.pdb'), 'utf8').split('\n');
  const j = aa.findIndex((l) => l.startsWith('ATOM') && l.slice(12, 16).trim() === 'CB');
  aa[j] = aa[j].slice(0, 38) + '    -nan' + aa[j].slice(46);
  const g = writeLines('nan-aa.pdb', aa);
  await expectCase(['evaluate', p('pep.pdb'), g, '--json'], { code: 1, file: g, line: j + 1, inputs: [g] });
});

test('wrong units: nm coordinates in a .pdb (CG and all-atom) are refused naming file:line', async () => {
  const s = (line: string) =>
    line.startsWith('ATOM')
      ? line.slice(0, 30) + [30, 38, 46].map((c) => (Number(line.slice(c, c + 8)) / 10).toFixed(3).padStart(8)).join('') + line.slice(54)
      : line;
  const f = writeLines('nm.pdb', cgLines.map(s));
  const first = cgLines.findIndex((l) => l.startsWith('ATOM')) + 1;
  await expectCase(['backmap', f, '-o', p('o-nm.pdb')], { code: 1, file: f, line: first, message: /nanometres/, inputs: [f], noOutput: p('o-nm.pdb') });
  const aa = readFileSync(p('pep.pdb'), 'utf8').split('\n');
  const g = writeLines('nm-aa.pdb', aa.map(s));
  const firstAa = aa.findIndex((l) => l.startsWith('ATOM')) + 1;
  await expectCase(['map', g, '--mapping', 'martini3', '-o', p('o-nm2.pdb')], { code: 1, file: g, line: firstAa, message: /nanometres/, inputs: [g], noOutput: p('o-nm2.pdb') });
  await expectCase(['evaluate', p('pep.pdb'), g], { code: 1, file: g, line: firstAa, message: /nanometres/ });
});

test('unknown residue (XYZ) in the CG input: skipped with a warning naming file:line (exit 0); --strict: exit 1', async () => {
  const k = cgLine('TYR', 'BB');
  const lines = cgLines.map((l) => (l.startsWith('ATOM') && l.slice(17, 20) === 'TYR' ? l.slice(0, 17) + 'XYZ' + l.slice(20) : l));
  const f = writeLines('xyz.pdb', lines);
  const r = await expectCase(['backmap', f, '-o', p('o-xyz.pdb')], { code: 0, file: f, line: k, message: /warning: .*unknown to the mapping were skipped/, inputs: [f] });
  assert.match(r.err, /XYZ/);
  const out = readStructureFile(p('o-xyz.pdb'));
  assert.ok(!out.atoms.resName.includes('XYZ') && !out.atoms.resName.includes('TYR'), 'the unknown residue is left out, not invented');
  await expectCase(['backmap', f, '-o', p('o-xyz2.pdb'), '--strict'], { code: 1, file: f, line: k, message: /unknown to the mapping/, noOutput: p('o-xyz2.pdb') });
});

test('unknown bead (SC9 on ALA): exit 1 naming file:line; --partial skips it with a warning', async () => {
  const k = cgLine('ALA', 'SC1');
  const lines = [...cgLines];
  lines.splice(k, 0, lines[k - 1].replace(' SC1 ', ' SC9 '));
  const f = writeLines('sc9.pdb', lines);
  await expectCase(['backmap', f, '-o', p('o-sc9.pdb')], { code: 1, file: f, line: k + 1, message: /bead SC9 of ALA/, inputs: [f], noOutput: p('o-sc9.pdb') });
  // As frames of a trajectory (multi-model input): refused before any frame is written.
  const s9 = readStructureFile(f);
  const { formatPdb } = await import('../../src/core/structure/pdb');
  writeFileSync(p('sc9-mm.pdb'), formatPdb(s9, { models: [s9.coords, s9.coords] }));
  await expectCase(['backmap', p('sc9-mm.pdb'), '-o', p('o-sc9mm.pdb')], { code: 1, file: p('sc9-mm.pdb'), line: /\d+/, message: /bead SC9 of ALA/, inputs: [p('sc9-mm.pdb')], noOutput: p('o-sc9mm.pdb') });
  await expectCase(['backmap', f, '-o', p('o-sc9b.pdb'), '--partial'], { code: 0, file: f, line: k + 1, message: /warning: .*bead SC9 of ALA/, inputs: [f] });
});

test('a residue missing a bead (ARG without SC2): exit 1 naming file:line', async () => {
  const k = cgLine('ARG', 'SC2');
  const first = cgLine('ARG', 'BB');
  const lines = cgLines.filter((_, i) => i !== k - 1);
  const f = writeLines('missing.pdb', lines);
  await expectCase(['backmap', f, '-o', p('o-miss.pdb')], { code: 1, file: f, line: first, message: /lacks bead SC2/, inputs: [f], noOutput: p('o-miss.pdb') });
});

test('duplicate atoms (same bead twice, different coordinates): exit 1 naming both lines', async () => {
  const k = cgLine('GLN', 'BB');
  const lines = [...cgLines];
  const dup = lines[k - 1].slice(0, 30) + (Number(lines[k - 1].slice(30, 38)) + 1.5).toFixed(3).padStart(8) + lines[k - 1].slice(38);
  lines.splice(k, 0, dup);
  const f = writeLines('dup.pdb', lines);
  // The reader takes a repeated first atom as a residue starting over (GRO files lose insertion codes) and says
  // so; the CG assignment then finds the bead twice in one residue.
  await expectCase(['backmap', f, '-o', p('o-dup.pdb')], { code: 1, file: f, line: k + 1, message: /bead BB appears twice in residue GLN/, inputs: [f], noOutput: p('o-dup.pdb') });
  // A repeated side-chain atom of an all-atom input: the reader names both lines.
  const aa = readFileSync(p('pep.pdb'), 'utf8').split('\n');
  const j = aa.findIndex((l) => l.startsWith('ATOM') && l.slice(17, 20) === 'LYS' && l.slice(12, 16).trim() === 'CB');
  aa.splice(j + 1, 0, aa[j].slice(0, 30) + (Number(aa[j].slice(30, 38)) + 0.7).toFixed(3).padStart(8) + aa[j].slice(38));
  const g = writeLines('dup-aa.pdb', aa);
  const r = await expectCase(['map', g, '--mapping', 'martini3', '-o', p('o-dup2.pdb')], { code: 1, file: g, line: j + 2, message: /duplicate atom CB/, inputs: [g], noOutput: p('o-dup2.pdb') });
  assert.match(r.err, new RegExp(`lines ${j + 1} and ${j + 2}`));
});

test('mapping folder with a crash-level defect (E3): refused by backmap, map and validate naming file:line', async () => {
  const yaml = join(p('m-e3'), 'ala.yaml');
  const k = lineOf(yaml, /^ {2}CB:/);
  await expectCase(['backmap', p('cg.pdb'), '--mapping', p('m-e3'), '-o', p('o-e3.pdb')], { code: 1, file: yaml, line: k, message: /E3/, inputs: [yaml, p('cg.pdb')], noOutput: p('o-e3.pdb') });
  await expectCase(['map', p('pep.pdb'), '--mapping', p('m-e3'), '-o', p('o-e3b.pdb')], { code: 1, file: yaml, line: k, message: /E3/, noOutput: p('o-e3b.pdb') });
  await expectCase(['validate', p('m-e3')], { code: 1, file: yaml, line: k, message: /E3/ });
});

test('mapping folder that would silently mis-map (W1): refused naming file:line unless --allow-warnings (then warned)', async () => {
  const yaml = join(p('m-w1'), 'ala.yaml');
  const k = lineOf(yaml, /P3CA$/);
  await expectCase(['backmap', p('cg.pdb'), '--mapping', p('m-w1'), '-o', p('o-w1.pdb')], { code: 1, file: yaml, line: k, message: /W1/, inputs: [yaml, p('cg.pdb')], noOutput: p('o-w1.pdb') });
  await expectCase(['map', p('pep.pdb'), '--mapping', p('m-w1'), '-o', p('o-w1m.pdb')], { code: 1, file: yaml, line: k, message: /W1/, noOutput: p('o-w1m.pdb') });
  const r = await expectCase(['backmap', p('cg.pdb'), '--mapping', p('m-w1'), '-o', p('o-w1b.pdb'), '--allow-warnings'], {
    code: 0, file: yaml, line: k, message: /warning: .*W1 .*may silently mis-map/, inputs: [yaml, p('cg.pdb')],
  });
  assert.ok(existsSync(p('o-w1b.pdb')), r.err);
  await expectCase(['validate', p('m-w1')], { code: 0 });
});

test('-o equal to the input is refused even with --force (any spelling of the path); the input is untouched', async () => {
  await expectCase(['backmap', p('cg.pdb'), '-o', p('cg.pdb'), '--force'], { code: 1, file: p('cg.pdb'), message: /refusing to overwrite an input file/, inputs: [p('cg.pdb')] });
  await expectCase(['backmap', p('cg.pdb'), '-o', join(t.dir, '.', 'x', '..', 'cg.pdb'), '--force'], { code: 1, message: /refusing to overwrite an input file/, inputs: [p('cg.pdb')] });
  symlinkSync(p('cg.pdb'), p('link.pdb'));
  await expectCase(['backmap', p('cg.pdb'), '-o', p('link.pdb'), '--force'], { code: 1, message: /refusing to overwrite an input file/, inputs: [p('cg.pdb')] });
  await expectCase(['map', p('pep.pdb'), '--mapping', 'martini3', '-o', p('pep.pdb'), '--force'], { code: 1, file: p('pep.pdb'), message: /refusing/, inputs: [p('pep.pdb')] });
  await expectCase(['backmap', p('cg.pdb'), '--reference', p('pep.pdb'), '-o', p('pep.pdb'), '--force'], { code: 1, message: /refusing/, inputs: [p('pep.pdb'), p('cg.pdb')] });
  // A binary trajectory output also writes <out>.topology.pdb: refused when that is the input.
  writeFileSync(p('x.topology.pdb'), readFileSync(p('cg.pdb')));
  await expectCase(['backmap', p('x.topology.pdb'), '--trajectory', p('none.xtc'), '-o', p('x.xtc'), '--force'], { code: 1, file: p('x.topology.pdb'), message: /refusing/, inputs: [p('x.topology.pdb')] });
  await expectCase(['backmap', p('cg.pdb'), '-o', p('o-r.pdb'), '--report', p('cg.pdb'), '--force'], { code: 1, message: /refusing/, inputs: [p('cg.pdb')], noOutput: p('o-r.pdb') });
});

test('an existing output needs --force (and is untouched without it)', async () => {
  writeFileSync(p('mine.pdb'), 'REMARK my precious file\n');
  await expectCase(['backmap', p('cg.pdb'), '-o', p('mine.pdb')], { code: 1, file: p('mine.pdb'), message: /already exists.*--force/, inputs: [p('mine.pdb'), p('cg.pdb')] });
  writeFileSync(p('mine.md'), 'my notes\n');
  await expectCase(['backmap', p('cg.pdb'), '-o', p('o-md.pdb'), '--report', p('mine.md')], { code: 1, file: p('mine.md'), inputs: [p('mine.md')], noOutput: p('o-md.pdb') });
  await expectCase(['map', p('pep.pdb'), '--mapping', 'martini3', '-o', p('mine.pdb')], { code: 1, file: p('mine.pdb'), inputs: [p('mine.pdb')] });
  await expectCase(['backmap', p('cg.pdb'), '-o', p('mine.pdb'), '--force'], { code: 0, inputs: [p('cg.pdb')] });
  assert.equal(readStructureFile(p('mine.pdb')).atoms.count > 100, true);
});

test('gzip input works; corrupt gzip is bad input naming the file', async () => {
  writeFileSync(p('cg.pdb.gz'), gzipSync(readFileSync(p('cg.pdb'))));
  await expectCase(['backmap', p('cg.pdb.gz'), '-o', p('o-gz.pdb')], { code: 0, inputs: [p('cg.pdb.gz')] });
  const gz = gzipSync(readFileSync(p('cg.pdb')));
  writeFileSync(p('bad.pdb.gz'), gz.subarray(0, gz.length >> 1));
  await expectCase(['backmap', p('bad.pdb.gz'), '-o', p('o-gz2.pdb')], { code: 1, file: p('bad.pdb.gz'), message: /gzip/, inputs: [p('bad.pdb.gz')], noOutput: p('o-gz2.pdb') });
});

test('GRO input with mmCIF output', async () => {
  await expectCase(['backmap', p('cg.gro'), '-o', p('o.cif')], { code: 0, inputs: [p('cg.gro')] });
  const s = readStructureFile(p('o.cif'));
  assert.ok(s.atoms.count > 150);
  const e = await cli('evaluate', p('o.cif'), p('pep.pdb'), '--json');
  assert.equal(e.code, 0, e.err);
  assert.ok((JSON.parse(e.out) as { rmsd_bb: number }).rmsd_bb < 1.5);
});

test('unknown file types, missing files, an all-atom file given as CG, a CG file given as all-atom', async () => {
  writeFileSync(p('thing.xyz'), '3\n\nC 0 0 0\n');
  await expectCase(['backmap', p('thing.xyz'), '-o', p('o-x.pdb')], { code: 1, file: p('thing.xyz'), message: /unknown structure file type/ });
  await expectCase(['backmap', p('cg.pdb'), '-o', p('o.xyz')], { code: 1, message: /output format/, noOutput: p('o.xyz') });
  await expectCase(['backmap', p('nope.pdb'), '-o', p('o-n.pdb')], { code: 1, file: p('nope.pdb'), message: /file not found/ });
  await expectCase(['map', p('pep.pdb'), '--mapping', 'nosuchset', '-o', p('o-ns.pdb')], { code: 1, message: /no mapping set 'nosuchset'/ });
  await expectCase(['backmap', DEMO, '-o', p('o-aa.pdb')], { code: 1, file: DEMO, line: /\d+/, message: /all-atom structure.*backmap map/, inputs: [DEMO], noOutput: p('o-aa.pdb') });
  await expectCase(['map', p('cg.pdb'), '--mapping', 'martini3', '-o', p('o-cgcg.pdb')], { code: 1, file: p('cg.pdb'), line: /\d+/, message: /coarse-grained structure/, inputs: [p('cg.pdb')], noOutput: p('o-cgcg.pdb') });
  await expectCase(['evaluate', p('cg.pdb'), p('pep.pdb')], { code: 1, file: p('cg.pdb'), line: /\d+/, message: /coarse-grained structure/ });
});

test('trajectory with a different particle count than the topology, and a truncated XTC', async () => {
  const top = readStructureFile(p('cg.pdb'));
  const w = createTrajectoryWriter(p('short.xtc'), top.atoms.count - 1, 'xtc');
  w.write({ index: 0, time: 0, step: 0, coords: top.coords.slice(0, 3 * (top.atoms.count - 1)), box: null });
  w.close();
  await expectCase(['backmap', p('cg.pdb'), '--trajectory', p('short.xtc'), '-o', p('o-tr.pdb')], { code: 1, file: p('short.xtc'), message: /particles/, inputs: [p('short.xtc')] });
  const w2 = createTrajectoryWriter(p('good.xtc'), top.atoms.count, 'xtc');
  for (let f = 0; f < 3; f++) w2.write({ index: f, time: f, step: f, coords: top.coords, box: null });
  w2.close();
  const bytes = readFileSync(p('good.xtc'));
  writeFileSync(p('trunc.xtc'), bytes.subarray(0, bytes.length - 40));
  await expectCase(['backmap', p('cg.pdb'), '--trajectory', p('trunc.xtc'), '-o', p('o-tr2.pdb')], { code: 1, file: p('trunc.xtc'), inputs: [p('trunc.xtc')] });
  await expectCase(['backmap', p('cg.pdb'), '--trajectory', p('none.xtc'), '-o', p('o-tr3.pdb')], { code: 1, file: p('none.xtc'), message: /not found/ });
});
