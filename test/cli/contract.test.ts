/**
 * The `backmap` CLI contract (issue): subcommands, options, JSON keys and exit codes, on project-made inputs
 * (the shipped demo protein and ideal peptides written by our own writers). Runs in-process through `runCli`;
 * cli-spawn.test.ts checks real process exit codes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cli, copyMartini3, DEMO, existsSync, lineOf, noCrash, patchFile, sha, tempDir, writePeptide } from './helpers';
import { readStructureFile } from '../../src/core/structure/read';
import { accuracySummary, formatAccuracy, listModels } from '../../src/core/model/registry';
import type { ModelCard } from '../../src/core/model/contract';
import { assignCg } from '../../src/core/cg';
import { loadMappingSet } from '../../src/core/mapping/load';
import { clashPercent, isHydrogen } from '../../src/core/metrics';
import { createTrajectoryWriter } from '../../src/core/trajectory/index';

const t = tempDir('contract');
const p = (name: string) => join(t.dir, name);
const noModels = () => listModels().length === 0;

before(() => {
  writePeptide(p('pep.pdb'), 'MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ');
});
after(() => t.cleanup());

test('--help prints the usage with every subcommand, exit 0', async () => {
  const r = await cli('--help');
  assert.equal(r.code, 0);
  for (const c of ['map', 'backmap', 'evaluate', 'validate', 'models', 'dataset', '--device', '--trajectory', '--reference', '--report', '--force'])
    assert.match(r.out, new RegExp(`${c.replace(/-/g, '\\-')}\\b`), c);
  assert.equal(r.err, '');
});

test('--version prints a version, exit 0', async () => {
  const r = await cli('--version');
  assert.equal(r.code, 0);
  assert.match(r.out, /^\d+\.\d+\.\d+/);
});

test('no command, unknown command, unknown option, missing argument: exit 1 with usage', async () => {
  const none = await cli();
  assert.equal(none.code, 1);
  assert.match(none.err, /Usage:/);
  const unknown = await cli('frobnicate');
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /unknown command 'frobnicate'/);
  assert.match(unknown.err, /Usage:/);
  const opt = await cli('map', DEMO, '--mapping', 'martini3', '--bogus', '-o', p('x.pdb'));
  assert.equal(opt.code, 1);
  assert.match(opt.err, /--bogus/);
  assert.match(opt.err, /Usage:/);
  const missing = await cli('map', DEMO, '--mapping', 'martini3');
  assert.equal(missing.code, 1);
  assert.match(missing.err, /missing -o/);
  const device = await cli('backmap', DEMO, '--device', 'tpu', '-o', p('y.pdb'));
  assert.equal(device.code, 1);
  assert.match(device.err, /--device must be/);
  for (const r of [none, unknown, opt, missing, device]) assert.ok(noCrash(r), r.err);
  assert.ok(!existsSync(p('x.pdb')) && !existsSync(p('y.pdb')));
});

test('models lists the installed models (or says the template is used), --json is an array of cards', async () => {
  const r = await cli('models');
  assert.equal(r.code, 0);
  assert.match(r.out, /^template\tmodel-free backmapper/m);
  if (noModels()) assert.match(r.out, /no trained models found in models\/: backmap uses the template backmapper \(no trained model\)/);
  else
    for (const c of listModels()) {
      assert.match(r.out, new RegExp(`^${c.id}\\tmapping ${c.mapping.id}`, 'm'));
      // each card's measured accuracy, one readable line (not the card's JSON)
      const acc = accuracySummary(c);
      if (acc.length) assert.ok(r.out.includes(`\theld-out median RMSD BB/SC/ALL: ${formatAccuracy(acc)}\n`), r.out);
    }
  assert.ok(!r.out.includes('"rows"'), 'no raw JSON in the listing');
  const j = await cli('models', '--json');
  assert.equal(j.code, 0);
  const cards = JSON.parse(j.out) as { id: string }[];
  assert.ok(Array.isArray(cards));
  assert.deepEqual(cards.map((c) => c.id), listModels().map((c) => c.id));
});

test('accuracySummary: the model\'s own raw rows per route; template, +refine and incomplete rows left out', () => {
  const row = (route: string, method: string, all: number | null) => ({
    route, method, structures: 7, rmsd_bb: { median: 0.1, mean: 0.2 }, rmsd_sc: { median: 0.5, mean: 0.6 }, rmsd_all: all === null ? {} : { median: all, mean: 0.5 },
  });
  const card = {
    id: 'm3', accuracy: { rows: [row('martini3', 'template', 0.7), row('martini3', 'm3', 0.37), row('martini3', 'm3 +refine', 0.36), row('real', 'm3', 0.33), row('ca', 'm3', null)] },
  } as unknown as ModelCard;
  assert.deepEqual(accuracySummary(card), [
    { route: 'martini3', structures: 7, bb: 0.1, sc: 0.5, all: 0.37 },
    { route: 'real', structures: 7, bb: 0.1, sc: 0.5, all: 0.33 },
  ]);
  assert.equal(formatAccuracy(accuracySummary(card)), 'martini3 0.100/0.500/0.370 Å (7), real 0.100/0.500/0.330 Å (7)');
  assert.deepEqual(accuracySummary({ ...card, accuracy: null }), []);
});

test('map → backmap → evaluate round trip on the demo protein (martini3)', async () => {
  const before = sha(DEMO);
  const m = await cli('map', DEMO, '--mapping', 'martini3', '-o', p('demo-cg.pdb'));
  assert.equal(m.code, 0, m.err);
  assert.match(m.out, /mapped 58 residues to \d+ beads with 'martini3'/);
  // Beads carry no element (columns 77-78 blank, as martinize2 writes them): SC1 is not sulfur.
  const cgText = readFileSync(p('demo-cg.pdb'), 'utf8');
  const beadLines = cgText.split('\n').filter((l) => l.startsWith('ATOM'));
  assert.ok(beadLines.length > 100);
  for (const l of beadLines) assert.equal(l.slice(76, 78).trim(), '', l);
  const cg = readStructureFile(p('demo-cg.pdb'));
  assert.ok(cg.atoms.element.every((e) => e === ''), 'beads read back without a guessed element');
  const set = loadMappingSet('martini3');
  const { system, unknown } = assignCg(cg, set);
  assert.equal(unknown.length, 0);
  assert.equal(system.residues.length, 58);
  // Beads read back are not hydrogens and not sulfur: heavy-atom metrics see them as element-less particles.
  assert.ok(!isHydrogen(cg, 0));

  const b = await cli('backmap', p('demo-cg.pdb'), '-o', p('demo-aa.pdb'), '--reference', DEMO, '--report', p('demo.md'));
  assert.equal(b.code, 0, b.err);
  assert.ok(noCrash(b));
  if (noModels()) {
    assert.match(b.out, /template backmapper \(no trained model\)/);
    assert.match(b.err, /template backmapper used/);
  } else assert.match(b.out, /with the model \S+ on \S+/);
  assert.match(b.out, /vs reference RMSD all \d+\.\d+ Å/);
  const report = readFileSync(p('demo.md'), 'utf8');
  assert.match(report, /# Backmapping report/);
  assert.match(report, /### RMSD per residue/);
  assert.ok((report.match(/^\| A \| \d+ \| [A-Z]{3} \|/gm) ?? []).length >= 58, 'one per-residue row per residue');
  assert.match(report, /Refinement: backbone off, side-chain geometry off, clash relief off\./);
  // --refine-sidechains adds the opt-in part to the default (off for one structure) and the report says so.
  const sc = await cli('backmap', p('demo-cg.pdb'), '-o', p('demo-aa-sc.pdb'), '--refine-sidechains', '--report', p('demo-sc.md'));
  assert.equal(sc.code, 0, sc.err);
  const scReport = readFileSync(p('demo-sc.md'), 'utf8');
  assert.match(scReport, /Refinement: backbone off, side-chain geometry on, clash relief off\./);
  assert.match(scReport, /^Side chains: \d+ steepest-descent steps/m);

  const e = await cli('evaluate', p('demo-aa.pdb'), DEMO, '--json');
  assert.equal(e.code, 0, e.err);
  const j = JSON.parse(e.out) as Record<string, number>;
  for (const k of ['rmsd_bb', 'rmsd_sc', 'rmsd_all', 'clash_pct', 'matched_atoms']) assert.equal(typeof j[k], 'number', k);
  // Template or model, a Martini 3 backmap of an ideal-geometry helix bundle is within a few Å (measured ~0.4 Å).
  assert.ok(j.rmsd_bb > 0 && j.rmsd_bb < 1.5, `rmsd_bb ${j.rmsd_bb}`);
  assert.ok(j.rmsd_sc > 0 && j.rmsd_sc < 3, `rmsd_sc ${j.rmsd_sc}`);
  assert.ok(j.rmsd_all >= Math.min(j.rmsd_bb, j.rmsd_sc) && j.rmsd_all <= Math.max(j.rmsd_bb, j.rmsd_sc));
  assert.ok(j.clash_pct >= 0 && j.clash_pct <= 100);
  assert.equal(j.matched_atoms, 472);
  const text = await cli('evaluate', p('demo-aa.pdb'), DEMO);
  assert.equal(text.code, 0);
  assert.match(text.out, /RMSD backbone \d+\.\d{3} Å/);
  // Evaluating the reference against itself: zero.
  const self = JSON.parse((await cli('evaluate', DEMO, DEMO, '--json', '--chain', 'A')).out) as Record<string, number>;
  assert.equal(self.rmsd_all, 0);
  assert.equal(sha(DEMO), before, 'the input is never written');
});

test('map → backmap → evaluate on an ideal peptide, C-alpha mapping and Martini 3', async () => {
  for (const set of ['martini3', 'ca']) {
    const m = await cli('map', p('pep.pdb'), '--mapping', set, '-o', p(`pep-${set}-cg.pdb`));
    assert.equal(m.code, 0, m.err);
    const b = await cli('backmap', p(`pep-${set}-cg.pdb`), '--mapping', set, '-o', p(`pep-${set}-aa.pdb`));
    assert.equal(b.code, 0, b.err);
    const e = await cli('evaluate', p(`pep-${set}-aa.pdb`), p('pep.pdb'), '--json');
    assert.equal(e.code, 0, e.err);
    const j = JSON.parse(e.out) as Record<string, number>;
    assert.ok(Number.isFinite(j.rmsd_bb) && j.rmsd_bb < (set === 'ca' ? 2.5 : 1.5), `${set} rmsd_bb ${j.rmsd_bb}`);
    assert.ok(Number.isFinite(j.rmsd_all) && j.rmsd_all < 4, `${set} rmsd_all ${j.rmsd_all}`);
    assert.ok(j.matched_atoms > 200, `${set} matched ${j.matched_atoms}`);
  }
});

test('--model template is always available; an unknown model id is bad input', async () => {
  await cli('map', DEMO, '--mapping', 'martini3', '-o', p('m-cg.pdb'));
  const ok = await cli('backmap', p('m-cg.pdb'), '--model', 'template', '--device', 'cuda', '-o', p('m-aa.pdb'));
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /template backmapper \(no trained model\)/);
  assert.match(ok.err, /--device cuda is not used/);
  const bad = await cli('backmap', p('m-cg.pdb'), '--model', 'no-such-model', '-o', p('m-aa2.pdb'));
  assert.equal(bad.code, 1);
  assert.match(bad.err, /unknown model 'no-such-model'/);
  assert.ok(!existsSync(p('m-aa2.pdb')));
  const missingOnnx = await cli('backmap', p('m-cg.pdb'), '--model', join(t.dir, 'nothing.onnx'), '-o', p('m-aa3.pdb'));
  assert.equal(missingOnnx.code, 1);
  assert.match(missingOnnx.err, /nothing\.onnx: model file not found/);
  if (noModels()) {
    // A contract id whose files are not installed: the template, said loudly.
    const shipped = await cli('backmap', p('m-cg.pdb'), '--model', 'martini3-protein', '-o', p('m-aa4.pdb'));
    assert.equal(shipped.code, 0, shipped.err);
    assert.match(shipped.err, /model 'martini3-protein' is not installed/);
    assert.match(shipped.out, /template backmapper \(no trained model\)/);
  }
});

test('GRO input, mmCIF output, gzip input', async () => {
  const m = await cli('map', DEMO, '--mapping', 'martini3', '-o', p('g-cg.gro'));
  assert.equal(m.code, 0, m.err);
  const b = await cli('backmap', p('g-cg.gro'), '-o', p('g-aa.cif'));
  assert.equal(b.code, 0, b.err);
  const cif = readStructureFile(p('g-aa.cif'));
  assert.equal(cif.atoms.count, 951, '472 heavy atoms + 479 hydrogens (on by default)');
  // The GRO reader gives the single protein chain the id A again, so atoms match the reference.
  const e = await cli('evaluate', p('g-aa.cif'), DEMO, '--json');
  assert.equal(e.code, 0, e.err);
  assert.ok((JSON.parse(e.out) as Record<string, number>).rmsd_bb < 1.5);
  // A CG file is not an all-atom model: nothing matches, and that is said (not NaN garbage).
  const nm = await cli('evaluate', p('g-cg.gro'), DEMO, '--json');
  assert.equal(nm.code, 1);
  assert.match(nm.err, /g-cg\.gro:\d+: this is a coarse-grained structure/);
  const m2 = await cli('map', DEMO, '--mapping', 'martini3', '-o', p('z-cg.pdb'));
  assert.equal(m2.code, 0);
  writeFileSync(p('z-cg.pdb.gz'), gzipSync(readFileSync(p('z-cg.pdb'))));
  const z = await cli('backmap', p('z-cg.pdb.gz'), '-o', p('z-aa.cif.gz'));
  assert.equal(z.code, 0, z.err);
  const zc = readStructureFile(p('z-aa.cif.gz'));
  assert.equal(zc.atoms.count, 951);
  const ez = JSON.parse((await cli('evaluate', p('z-aa.cif.gz'), DEMO, '--json')).out) as Record<string, number>;
  assert.ok(ez.rmsd_bb < 1.5);
});

test('trajectory: CG topology + XTC → multi-model PDB and XTC (+ topology), --report', async () => {
  await cli('map', DEMO, '--mapping', 'martini3', '-o', p('t-cg.pdb'));
  const top = readStructureFile(p('t-cg.pdb'));
  const w = createTrajectoryWriter(p('t.xtc'), top.atoms.count, 'xtc');
  for (let f = 0; f < 3; f++) {
    const c = Float64Array.from(top.coords, (x, i) => x + 0.3 * Math.sin(f + i));
    w.write({ index: f, time: 10 * f, step: f, coords: c, box: null });
  }
  w.close();
  const xtcHash = sha(p('t.xtc'));
  const r = await cli('backmap', p('t-cg.pdb'), '--trajectory', p('t.xtc'), '-o', p('t-aa.pdb'), '--report', p('t.md'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /backmapped 3 frame\(s\)/);
  const multi = readStructureFile(p('t-aa.pdb'));
  assert.equal(multi.models.length, 3);
  assert.equal(multi.atoms.count, 951, 'heavy atoms + hydrogens, the same in every frame');
  assert.match(readFileSync(p('t.md'), 'utf8'), /# Backmapping report/);
  const x = await cli('backmap', p('t-cg.pdb'), '--trajectory', p('t.xtc'), '-o', p('t-aa.xtc'), '--max-frames', '2');
  assert.equal(x.code, 0, x.err);
  assert.match(x.out, /backmapped 2 frame\(s\).*topology/);
  assert.ok(existsSync(p('t-aa.topology.pdb')));
  assert.equal(sha(p('t.xtc')), xtcHash);
  // The trajectory as the output: refused even with --force.
  const self = await cli('backmap', p('t-cg.pdb'), '--trajectory', p('t.xtc'), '-o', p('t.xtc'), '--force');
  assert.equal(self.code, 1);
  assert.match(self.err, /t\.xtc: refusing to overwrite an input file/);
  assert.equal(sha(p('t.xtc')), xtcHash);
});

test('a multi-model CG PDB is backmapped model by model', async () => {
  const m = await cli('map', p('pep.pdb'), '--mapping', 'martini3', '-o', p('mm-cg.pdb'));
  assert.equal(m.code, 0, m.err);
  const cg = readStructureFile(p('mm-cg.pdb'));
  const shifted = Float64Array.from(cg.coords, (x) => x + 1);
  const { formatPdb } = await import('../../src/core/structure/pdb');
  writeFileSync(p('mm2-cg.pdb'), formatPdb(cg, { models: [cg.coords, shifted] }));
  const r = await cli('backmap', p('mm2-cg.pdb'), '-o', p('mm2-aa.pdb'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /has 2 models/);
  assert.match(r.out, /backmapped 2 frame\(s\)/);
  const out = readStructureFile(p('mm2-aa.pdb'));
  assert.equal(out.models.length, 2);
  // Frame 2 is frame 1 moved by (1, 1, 1) Å: the backmapped atoms follow (template) or nearly so (model).
  const dx = out.models[1][0] - out.models[0][0];
  assert.ok(Math.abs(dx - 1) < 0.5, `dx ${dx}`);
});

test('validate: bundled sets are clean (JSON), a crash-level defect exits 1 naming file:line, a silent mis-map warns', async () => {
  for (const set of ['martini3', 'ca']) {
    const r = await cli('validate', join(__dirname, '..', '..', 'mappings', set), '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { errors: number; warnings: number; files: number };
    assert.equal(j.errors, 0);
    assert.equal(j.warnings, 0);
    assert.ok(j.files >= 20);
  }
  const e3 = copyMartini3(p('m-e3'));
  patchFile(join(e3, 'ala.yaml'), /^ {2}CB: {15}SC1 {5}P1A$/m, '  CB:               SC1,BB  P1A');
  const e3line = lineOf(join(e3, 'ala.yaml'), /^ {2}CB:/);
  const r = await cli('validate', e3);
  assert.equal(r.code, 1);
  assert.match(r.err, new RegExp(`ala\\.yaml:${e3line}: E3 `));
  assert.match(r.out, new RegExp(`ala\\.yaml:${e3line}: error E3`));
  const rj = await cli('validate', e3, '--json');
  assert.equal(rj.code, 1);
  const j = JSON.parse(rj.out) as { errors: number; diagnostics: { file: string; line: number; code: string; severity: string }[] };
  assert.equal(j.errors, 1);
  const d = j.diagnostics.find((x) => x.code === 'E3')!;
  assert.ok(d.file.endsWith('ala.yaml') && d.line === e3line && d.severity === 'error');

  const w1 = copyMartini3(p('m-w1'));
  patchFile(join(w1, 'ala.yaml'), /P3BA$/m, 'P3CA');
  const w1line = lineOf(join(w1, 'ala.yaml'), /P3CA$/);
  const w = await cli('validate', w1, '--json');
  assert.equal(w.code, 0, 'warnings alone do not fail validate');
  const wj = JSON.parse(w.out) as { warnings: number; diagnostics: { file: string; line: number; code: string }[] };
  assert.equal(wj.warnings, 1);
  assert.ok(wj.diagnostics.some((x) => x.code === 'W1' && x.line === w1line && x.file.endsWith('ala.yaml')));
  const ws = await cli('validate', w1, '--strict');
  assert.equal(ws.code, 1);
  assert.match(ws.err, new RegExp(`ala\\.yaml:${w1line}: W1 `));
  // One file on its own.
  const single = await cli('validate', join(e3, 'ala.yaml'), '--json');
  assert.equal(single.code, 1);
  assert.equal((JSON.parse(single.out) as { errors: number }).errors, 1);
});

test('dataset: a missing list is bad input naming the file; an existing output needs --force', async () => {
  const r = await cli('dataset', p('nope.tsv'), '--mapping', 'martini3', '-o', p('ds.npz'));
  assert.equal(r.code, 1);
  assert.match(r.err, /nope\.tsv/);
  assert.ok(noCrash(r), r.err);
  writeFileSync(p('exists.bin'), 'keep');
  writeFileSync(p('list.tsv'), 'path\tchain\n');
  const e = await cli('dataset', p('list.tsv'), '--mapping', 'martini3', '-o', p('exists.bin'));
  assert.equal(e.code, 1);
  assert.match(e.err, /exists\.bin: output file already exists/);
  assert.equal(readFileSync(p('exists.bin'), 'utf8'), 'keep');
});

test('clash metrics on a CG file read back do not count beads as sulfur', () => {
  const cg = readStructureFile(p('demo-cg.pdb'));
  assert.ok(cg.atoms.element.every((x) => x !== 'S'));
  assert.ok(Number.isFinite(clashPercent(cg)));
});
