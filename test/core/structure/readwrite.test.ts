import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { constants as bufferConstants } from 'node:buffer';
import { parseStructure, readStructureFile, detectUnitProblem, readWarnings } from '../../../src/core/structure/read';
import { structureFormatOf } from '../../../src/core/io/formats';
import { writeStructureFile, nonClobberingPath, formatStructure, writeStructure } from '../../../src/core/structure/write';
import { ByteWriter } from '../../../src/core/io/bytes';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { parsePdb, writePdb } from '../../../src/core/structure/pdb';
import { parseGro } from '../../../src/core/structure/gro';
import { guessElement } from '../../../src/core/structure/elements';
import * as structureIndex from '../../../src/core/structure/index';
import { assertInputError, tripeptideLines, SHARED_DATA, sharedSkip } from '../../helpers/io';

const dir = mkdtempSync(join(tmpdir(), 'bm-io-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const pdbText = tripeptideLines().join('\n') + '\nEND\n';

test('format from extension, .gz transparently, content sniffing', () => {
  assert.equal(structureFormatOf('a.pdb'), 'pdb');
  assert.equal(structureFormatOf('a.ENT.gz'), 'pdb');
  assert.equal(structureFormatOf('a.gro.gz'), 'gro');
  assert.equal(structureFormatOf('a.mmcif'), 'cif');
  assert.equal(structureFormatOf('a.cif.gz'), 'cif');
  assert.equal(structureFormatOf('a.xyz'), null);
  writeFileSync(join(dir, 'p.pdb.gz'), gzipSync(pdbText));
  assert.equal(readStructureFile(join(dir, 'p.pdb.gz')).atoms.count, 15);
  // gzip data without the .gz extension is still recognised by its magic bytes
  writeFileSync(join(dir, 'q.pdb'), gzipSync(pdbText));
  assert.equal(readStructureFile(join(dir, 'q.pdb')).atoms.count, 15);
  const s = parsePdb(pdbText, 'x.pdb');
  for (const fmt of ['pdb', 'gro', 'cif'] as const) {
    const text = formatStructure(s, fmt);
    assert.equal(parseStructure(text, 'no-extension').atoms.count, 15, `sniffed ${fmt}`);
    assert.equal(parseStructure(new TextEncoder().encode(text), 'x', fmt).atoms.count, 15);
  }
  assert.ok('parsePdb' in structureIndex && 'readStructureFile' in structureIndex && 'writeStructureFile' in structureIndex && 'detectUnitProblem' in structureIndex);
});

test('readStructureFile errors: missing, empty, unknown type, binary, corrupt gzip', () => {
  assertInputError(() => readStructureFile(join(dir, 'missing.pdb')), join(dir, 'missing.pdb'), undefined, /file not found/);
  writeFileSync(join(dir, 'empty.pdb'), '');
  assertInputError(() => readStructureFile(join(dir, 'empty.pdb')), join(dir, 'empty.pdb'), 1, /empty/);
  writeFileSync(join(dir, 'x.txt'), pdbText);
  assertInputError(() => readStructureFile(join(dir, 'x.txt')), join(dir, 'x.txt'), undefined, /unknown structure file type/);
  const bin = Buffer.from(pdbText);
  bin[200] = 0;
  writeFileSync(join(dir, 'bin.pdb'), bin);
  assertInputError(() => readStructureFile(join(dir, 'bin.pdb')), join(dir, 'bin.pdb'), 3, /binary data/);
  const bad = Buffer.from(gzipSync(pdbText)).subarray(0, 40);
  writeFileSync(join(dir, 'bad.pdb.gz'), bad);
  assertInputError(() => readStructureFile(join(dir, 'bad.pdb.gz')), join(dir, 'bad.pdb.gz'), undefined, /corrupt gzip/);
  const latin = Buffer.from(pdbText.replace('ALA', 'AL\u00e9'), 'latin1');
  writeFileSync(join(dir, 'latin.pdb'), latin);
  assertInputError(() => readStructureFile(join(dir, 'latin.pdb')), join(dir, 'latin.pdb'), 1, /not valid UTF-8/);
});

test('writeStructureFile: every format round-trips; refuses existing files unless force, never protected inputs', () => {
  const s = parsePdb(pdbText, 'in.pdb');
  for (const name of ['o.pdb', 'o.gro', 'o.cif', 'o.mmcif', 'o.pdb.gz', 'o.gro.gz']) {
    const p = join(dir, name);
    writeStructureFile(p, s);
    const back = readStructureFile(p);
    assert.equal(back.atoms.count, 15, name);
    for (let k = 0; k < s.coords.length; k++) assert.ok(Math.abs(back.coords[k] - s.coords[k]) < 1e-6, `${name} coord ${k}`);
    assert.deepEqual(back.atoms.name, s.atoms.name);
  }
  const out = join(dir, 'o.pdb');
  assertInputError(() => writeStructureFile(out, s), out, undefined, /already exists .*--force/);
  writeStructureFile(out, s, { force: true });
  // protected input: refused even with force, also through another spelling of the path and a symlink
  const input = join(dir, 'input.pdb');
  writeFileSync(input, pdbText);
  assertInputError(() => writeStructureFile(input, s, { force: true, protect: [input] }), input, undefined, /refusing to overwrite an input/);
  assertInputError(() => writeStructureFile(join(dir, '.', 'input.pdb'), s, { force: true, protect: [input] }), join(dir, '.', 'input.pdb'), undefined, /input/);
  symlinkSync(input, join(dir, 'link.pdb'));
  assertInputError(() => writeStructureFile(join(dir, 'link.pdb'), s, { force: true, protect: [input] }), join(dir, 'link.pdb'), undefined, /input/);
  assert.equal(readFileSync(input, 'utf8'), pdbText);
  assertInputError(() => writeStructureFile(join(dir, 'o.xyz'), s), join(dir, 'o.xyz'), undefined, /unknown output/);
  assert.ok(!readdirSync(dir).some((f) => f.includes('.tmp-')), 'no temporary files left behind');
});

test('streamed writers: byte-identical to the string formatters through a tiny buffer, and on disk (plain and .gz)', () => {
  const base = buildPeptide('MKTAYIAKQRQISFVKSHFSRQLEERLG', { chainId: 'A' });
  // Non-ASCII title (UTF-8 path, an astral character too), two models (MODEL/ENDMDL and GRO frames), a box (CRYST1/_cell).
  const s = { ...base, title: 'Ångström test – two models 🧬', box: { a: 40, b: 41, c: 42, alpha: 90, beta: 90, gamma: 90 } };
  const shifted = base.coords.map((v) => v + 1.5);
  const models = [base.coords, Float64Array.from(shifted)];
  for (const [fmt, ext] of [['pdb', 'pdb'], ['gro', 'gro'], ['cif', 'cif']] as const) {
    const text = formatStructure(s, fmt, { models });
    assert.ok(text.includes('Ångström test – two models 🧬'), `${fmt}: the title survives as UTF-8`);
    const chunks: Buffer[] = [];
    // 64 bytes: shorter than one record, so the sink is hit mid-record all the time.
    const w = new ByteWriter(64, (c) => chunks.push(Buffer.from(c)));
    writeStructure(w, s, fmt, { models });
    w.flush();
    assert.ok(chunks.length > 20, `${fmt}: ${chunks.length} chunks`);
    // The buffer grows only to the largest single reservation (a record, a slice of a long string), not with the output.
    assert.ok(chunks.every((c) => c.length <= 1024), `${fmt}: chunks stay bounded (largest ${Math.max(...chunks.map((c) => c.length))})`);
    assert.equal(Buffer.concat(chunks).toString('utf8'), text, fmt);
    const p = join(dir, `stream.${ext}`);
    writeStructureFile(p, s, { models });
    assert.equal(readFileSync(p, 'utf8'), text, `${fmt} on disk`);
    writeStructureFile(`${p}.gz`, s, { models });
    assert.equal(gunzipSync(readFileSync(`${p}.gz`)).toString('utf8'), text, `${fmt}.gz on disk`);
  }
  assert.ok(!readdirSync(dir).some((f) => f.includes('.tmp-')), 'no temporary files left behind');
});

test('writePdb `model`: frames streamed one at a time make the same file as all models at once', () => {
  const s = { ...buildPeptide('MKTAYIAK', { chainId: 'A' }), title: 'frames', box: { a: 40, b: 41, c: 42, alpha: 90, beta: 90, gamma: 90 } };
  const models = [0, 1, 2].map((k) => s.coords.map((v) => v + k));
  const w = new ByteWriter();
  models.forEach((xyz, k) => writePdb(w, s, { models: [xyz], model: k + 1 }));
  const frames = w.toString();
  assert.match(frames, /^MODEL {8}1\nATOM {2}/, 'no TITLE or CRYST1 before the first frame');
  assert.ok(frames.endsWith('ENDMDL\n'), 'no END after a frame');
  // A caller writes the header it wants and END once; the models are the one-shot file's models.
  const whole = formatStructure({ ...s, box: null, title: '' }, 'pdb', { models });
  assert.equal(`${frames}END\n`, whole);
});

test('a write that fails midway leaves no partial file and keeps the file it would have replaced', () => {
  const s = parsePdb(pdbText, 'in.pdb');
  const bad = { ...s, coords: Float64Array.from(s.coords) };
  bad.coords[bad.coords.length - 1] = 12345.6; // the last atom does not fit the PDB columns
  const fresh = join(dir, 'fails.pdb');
  assertInputError(() => writeStructureFile(fresh, bad, { models: [bad.coords] }), 'in.pdb', undefined, /atom 15 .*do not fit PDB columns.*mmCIF/);
  assert.equal(existsSync(fresh), false);
  const kept = join(dir, 'kept.pdb');
  writeFileSync(kept, pdbText);
  assertInputError(() => writeStructureFile(kept, bad, { force: true, models: [bad.coords] }), 'in.pdb', undefined, /do not fit/);
  assert.equal(readFileSync(kept, 'utf8'), pdbText, 'the existing file is untouched');
  assert.ok(!readdirSync(dir).some((f) => f.includes('.tmp-')), 'no temporary files left behind');
});

test('past the JavaScript string limit: formatting to text and reading are clear errors (files are written streamed)', () => {
  const w = new ByteWriter(16);
  w.len = bufferConstants.MAX_STRING_LENGTH + 1; // only the length is checked before decoding
  assert.throws(() => w.toString(), /longer than a JavaScript string can hold .*write it to a file instead/);
  assert.throws(() => new ByteWriter(16, () => {}).toString(), /went to the sink/);
  // Reading: a file past the limit is an InputError naming it (zero-filled, so the allocation stays untouched).
  const huge = new Uint8Array(bufferConstants.MAX_STRING_LENGTH + 1);
  assertInputError(() => parseStructure(huge, 'huge.pdb'), 'huge.pdb', undefined, /\d+ bytes of text are more than the structure readers hold .*about 512 MB/);
});

test('nonClobberingPath: x.pdb -> x-1.pdb, x-2.pdb, …', () => {
  const p = join(dir, 'nc.pdb');
  assert.equal(nonClobberingPath(p), p);
  writeFileSync(p, 'x');
  assert.equal(nonClobberingPath(p), join(dir, 'nc-1.pdb'));
  writeFileSync(join(dir, 'nc-1.pdb'), 'x');
  assert.equal(nonClobberingPath(p), join(dir, 'nc-2.pdb'));
  const g = join(dir, 'nc.pdb.gz');
  writeFileSync(g, 'x');
  assert.equal(nonClobberingPath(g), join(dir, 'nc-1.pdb.gz'));
  assert.ok(!existsSync(join(dir, 'nc-2.pdb')));
});

test('detectUnitProblem catches nm read as Å and the reverse', () => {
  const s = parsePdb(pdbText, 'x.pdb');
  assert.equal(detectUnitProblem(s, 'all-atom'), null);
  const nm = { ...s, coords: s.coords.map((v) => v / 10) };
  assert.match(detectUnitProblem(nm, 'all-atom')!, /nanometres/);
  const big = { ...s, coords: s.coords.map((v) => v * 10) };
  assert.match(detectUnitProblem(big, 'all-atom')!, /10x too large/);
  // CG: C-alpha trace 3.8 Å apart
  const ca = ['CG', '3'];
  for (let i = 0; i < 20; i++) ca.push(`${String(i + 1).padStart(5)}GLY     CA${String(i + 1).padStart(5)}${(i * 0.38).toFixed(3).padStart(8)}   0.000   0.000`);
  ca.splice(1, 1, '   20');
  ca.push('  10 10 10');
  const cg = parseGro(ca.join('\n'), 'ca.gro');
  assert.equal(detectUnitProblem(cg, 'cg'), null);
  assert.match(detectUnitProblem({ ...cg, coords: cg.coords.map((v) => v / 10) }, 'cg')!, /nanometres/);
  assert.match(detectUnitProblem({ ...cg, coords: cg.coords.map((v) => v * 10) }, 'cg')!, /10x too large/);
});

test('guessElement', () => {
  assert.equal(guessElement('CA', 'ALA'), 'C');
  assert.equal(guessElement('CA', 'CA'), 'CA');
  assert.equal(guessElement('1HG1', 'ILE'), 'H');
  assert.equal(guessElement('FE', 'HEM'), 'FE');
  assert.equal(guessElement('CL1', 'LIG'), 'CL');
  assert.equal(guessElement('NA', 'NA'), 'NA');
  assert.equal(guessElement('NZ', 'LYS'), 'N');
  assert.equal(guessElement('SD', 'MET'), 'S');
  assert.equal(guessElement('BB', 'ALA'), '');
});

test('real data: every benchmark structure reads without error', { skip: sharedSkip }, () => {
  const tsv = readFileSync(join(SHARED_DATA!, 'splits/benchmark.tsv'), 'utf8').trim().split('\n');
  const col = tsv[0].split('\t').indexOf('path');
  let n = 0;
  for (const row of tsv.slice(1)) {
    const p = join(SHARED_DATA!, row.split('\t')[col]);
    const s = readStructureFile(p);
    assert.ok(s.atoms.count > 0, p);
    assert.equal(detectUnitProblem(s, 'all-atom'), null, p);
    n++;
  }
  assert.ok(n >= 70, `read ${n} benchmark structures`);
  // one of them has exact duplicate lines: they are dropped with a warning
  const dup = readStructureFile(join(SHARED_DATA!, 'raw/proteins/mdanalysis/dssp/2xcjA.pdb.gz'));
  assert.ok(readWarnings(dup).length > 0);
});

test('real data: aa_reference.pdb and the CG GRO of the 1UBQ simulation', { skip: sharedSkip }, () => {
  const aa = readStructureFile(join(SHARED_DATA!, 'cgsim/1UBQ/aa_reference.pdb'));
  assert.ok(aa.atoms.count > 500);
  assert.equal(detectUnitProblem(aa, 'all-atom'), null);
  assert.equal(aa.atoms.resName[0], 'MET');
  const cg = readStructureFile(join(SHARED_DATA!, 'cgsim/1UBQ/topol_protein.gro'));
  assert.equal(cg.atoms.count, 166);
  assert.equal(detectUnitProblem(cg, 'cg'), null);
  assert.equal(cg.atoms.resSeq[165], 76);
});

test('fuzz: damaged PDB/GRO/mmCIF text gives a structure or an InputError, never another exception', async () => {
  const { InputError } = await import('../../../src/core/errors');
  const s = parsePdb(pdbText, 'x.pdb');
  let seed = 17;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const junk = ' \n.-+0123456789AZaz\'"_;#*\u00e9\u0000';
  for (const fmt of ['pdb', 'gro', 'cif'] as const) {
    const text = formatStructure(s, fmt);
    let errors = 0;
    for (let trial = 0; trial < 150; trial++) {
      const chars = text.split('');
      const edits = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < edits; k++) {
        const pos = Math.floor(rnd() * chars.length);
        const op = rnd();
        if (op < 0.4) chars[pos] = junk[Math.floor(rnd() * junk.length)];
        else if (op < 0.7) chars.splice(pos, 1 + Math.floor(rnd() * 10));
        else chars.length = pos; // truncation
      }
      try {
        const out = parseStructure(chars.join(''), `fuzz.${fmt}`, fmt);
        for (const v of out.coords) assert.ok(Number.isFinite(v));
      } catch (e) {
        assert.ok(e instanceof InputError, `${fmt} trial ${trial}: ${String(e)}`);
        assert.equal((e as InstanceType<typeof InputError>).file, `fuzz.${fmt}`);
        errors++;
      }
    }
    assert.ok(errors > 10, `${fmt}: ${errors} errors`);
  }
});
