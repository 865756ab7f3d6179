import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { mapToCg } from '../../../src/core/forward';
import { formatPdb, parsePdb } from '../../../src/core/structure/pdb';
import { readStructureFile } from '../../../src/core/structure/read';
import { InputError } from '../../../src/core/errors';
import { listModels } from '../../../src/core/model/registry';
import { backmapStructure, backmapTrajectory, chooseModel, mapStructureToCg, CancelledError, renderReport } from '../../../src/core/pipeline';
import { openBackmapper } from '../../../src/core/model/backmapper';
import { writeTinyModel } from '../model/tiny-model';

const SEQ = 'MKTAYIAKQRQISFVKSHFSRQ';
const aa = buildPeptide(SEQ, { phi: -65, psi: -40, chainId: 'A' });
const cgText = (mapping: string) => formatPdb(mapToCg(aa, loadMappingSet(mapping)).cg);

test('auto picks the mapping (and model, when shipped) from residue and bead names', () => {
  const m3 = parsePdb(cgText('martini3'), 'm3.pdb');
  const ca = parsePdb(cgText('ca'), 'ca.pdb');
  const c1 = chooseModel(m3, { model: 'auto' });
  const c2 = chooseModel(ca, { model: 'auto' });
  assert.equal(c1.set.id, 'martini3');
  assert.equal(c2.set.id, 'ca');
  const cards = listModels();
  for (const [c, mapping] of [[c1, 'martini3'], [c2, 'ca']] as const) {
    // The shipped model of that mapping for proteins (a lipid model shares martini3 but lists only lipid bead types).
    const card = cards.find((k) => k.mapping.id === mapping && ((k as { moleculeKinds?: string[] }).moleculeKinds ?? ['amino-acid']).includes('amino-acid'));
    if (card) assert.equal(c.modelId, card.id);
    else {
      assert.equal(c.kind, 'template');
      assert.match(c.note, /no shipped model|missing/);
    }
  }
  assert.equal(chooseModel(m3, { model: 'template' }).kind, 'template');
  assert.throws(() => chooseModel(m3, { model: 'no-such-model' }), InputError);
});

// Issue 31 changed this test: Martini ions (NA, CL) are now backmapped (to SOD, CLA), so the unknown residues
// here are ligands no mapping knows (LIG, XYZ), with the same assertions.
test('partial system: the protein is backmapped, unknown residues are reported with file:line', async () => {
  const text = cgText('martini3').replace(/END\s*$/, '');
  const ions =
    'HETATM 9001  C1  LIG B 101      10.000  10.000  10.000  1.00  0.00           C\n' +
    'HETATM 9002  C1  XYZ B 102      12.000  10.000  10.000  1.00  0.00           C\nEND\n';
  const cg = parsePdb(text + ions, 'with-ions.pdb');
  const out = await backmapStructure(cg, { model: 'template' });
  assert.equal(out.report.counts.residues, SEQ.length);
  assert.equal(out.report.unknown.length, 2);
  const lines = (text + ions).split('\n');
  for (const u of out.report.unknown) {
    assert.equal(u.file, 'with-ions.pdb');
    assert.match(lines[u.line - 1], new RegExp(`^HETATM.*${u.resName}`));
  }
  const md = renderReport(out);
  assert.match(md, /with-ions\.pdb:\d+ \| LIG/);
  await assert.rejects(backmapStructure(cg, { model: 'template', partial: false }), (e: unknown) => e instanceof InputError && e.line !== undefined);
});

test('residueNameMap backmaps renamed residues', async () => {
  const renamed = parsePdb(cgText('martini3').replace(/ LYS /g, ' LSX '), 'renamed.pdb');
  const without = await backmapStructure(renamed, { model: 'template', mapping: 'martini3' });
  assert.ok(without.report.unknown.some((u) => u.resName === 'LSX'));
  const withMap = await backmapStructure(renamed, { model: 'template', mapping: 'martini3', residueNameMap: { LSX: 'LYS' } });
  assert.equal(withMap.report.unknown.length, 0);
  assert.equal(withMap.report.counts.residues, SEQ.length);
});

test('report data: provider, ids, stage timings, counts, metrics and per-residue RMSD against a reference', async () => {
  const cg = parsePdb(cgText('martini3'), 'cg.pdb');
  const out = await backmapStructure(cg, { model: 'template', reference: aa, refine: true });
  const r = out.report;
  assert.equal(r.provider, 'js');
  assert.equal(r.modelId, 'template');
  assert.equal(r.mappingId, 'martini3');
  for (const stage of ['assign', 'model', 'inference', 'rebuild', 'refine', 'metrics']) assert.ok(r.timings[stage] >= 0, stage);
  assert.equal(r.counts.atoms, out.structure.atoms.count);
  assert.equal(r.counts.beads, cg.atoms.count);
  assert.ok(Number.isFinite(r.clashPercent) && Number.isFinite(r.bondOutliers) && Number.isFinite(r.ramachandranOutliers));
  assert.ok(r.rmsd && r.rmsd.perResidue.length === SEQ.length);
  assert.ok(r.rmsd.all < 1.5, `RMSD ${r.rmsd.all}`);
  assert.ok(r.refine.backbone && r.refine.clashes);
  assert.equal(r.refine.sidechains, undefined, 'side-chain idealisation is opt-in');
  const md = renderReport(out);
  for (const s of ['Execution provider', 'Time per stage', 'clashes', 'Ramachandran outliers', 'RMSD per residue', '| A | 22 | GLN |']) assert.ok(md.includes(s), s);
  const heavy = out.structure.atoms.element.filter((e) => e !== 'H').length;
  assert.equal(heavy, aa.atoms.count, 'every heavy atom rebuilt (with OXT)');
  assert.ok(out.structure.atoms.count > heavy, 'hydrogens by default');
});

test('refine.sidechains (opt-in) idealises side-chain geometry and says so in the report', async () => {
  const cg = parsePdb(cgText('martini3'), 'cg.pdb');
  const out = await backmapStructure(cg, { model: 'template', refine: { sidechains: true } });
  const r = out.report;
  assert.deepEqual(r.refine.enabled, { backbone: false, clashes: false, sidechains: true });
  assert.ok(r.refine.sidechains && r.refine.sidechains.iterations > 0, JSON.stringify(r.refine.sidechains));
  assert.ok(renderReport(out).includes('side-chain geometry on'));
});

test('in-process cancellation rejects with CancelledError', async () => {
  const cg = parsePdb(cgText('martini3'), 'cg.pdb');
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(backmapStructure(cg, { model: 'template' }, { signal: ac.signal }), CancelledError);
});

test('mapStructureToCg maps an all-atom structure in process', () => {
  const r = mapStructureToCg(aa, 'martini3');
  assert.equal(r.mappingId, 'martini3');
  assert.ok(r.cg.atoms.count > SEQ.length);
  assert.equal(r.system.residues.length, SEQ.length);
});

test('trajectory from a multi-model PDB: streams a multi-model PDB with one model per frame', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-traj-'));
  try {
    const cg = mapToCg(aa, loadMappingSet('martini3')).cg;
    const models = [0, 1, 2].map((k) => Float64Array.from(cg.coords, (v, i) => v + (i % 3 === 0 ? k * 0.1 : 0)));
    const top = join(dir, 'cg.pdb');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(top, formatPdb(cg, { models }));
    const out = join(dir, 'aa.pdb');
    const frames: number[] = [];
    const r = await backmapTrajectory({ topology: top, out, model: 'template' }, { progress: (_s, f) => frames.push(f) });
    assert.equal(r.frames, 3);
    assert.ok(r.framesPerSecond > 0);
    assert.deepEqual(frames, [1 / 3, 2 / 3, 1]);
    assert.ok(r.report.refine.enabled.backbone && r.report.refine.enabled.clashes, 'refinement on by default for trajectories');
    const back = readStructureFile(out);
    assert.equal(back.models.length, 3);
    assert.equal(back.atoms.count, r.report.counts.atoms);
    assert.match(readFileSync(out, 'utf8'), /^MODEL {8}1\n/);
    await assert.rejects(backmapTrajectory({ topology: top, out, model: 'template' }), /already exists/);
    await assert.rejects(backmapTrajectory({ topology: top, out: top, model: 'template', force: true }), /input file/);
    // An input reached through a symlink or a path spelled another way is refused as well, and left as it was.
    const before = readFileSync(top, 'utf8');
    symlinkSync(top, join(dir, 'link.pdb'));
    await assert.rejects(backmapTrajectory({ topology: top, out: join(dir, 'link.pdb'), model: 'template', force: true }), /input file/);
    await assert.rejects(backmapTrajectory({ topology: top, out: `${dir}/./cg.pdb`, model: 'template', force: true }), /input file/);
    assert.equal(readFileSync(top, 'utf8'), before);
    assert.ok(existsSync(top));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('model sessions: explicit unavailable device falls back to cpu with a reason; strict throws; torsions reach the report', async () => {
  // A shipped model when there is one, else the contract-conforming test fixture.
  const dir = mkdtempSync(join(tmpdir(), 'bm-tiny-'));
  try {
    const cards = listModels();
    const mapping = cards[0]?.mapping.id ?? 'martini3';
    const model = cards[0]?.id ?? writeTinyModel(dir, loadMappingSet('martini3'));
    const cg = parsePdb(cgText(mapping), 'cg.pdb');
    const choice = chooseModel(cg, { model });
    assert.equal(choice.kind, 'model');
    const logs: string[] = [];
    const bm = await openBackmapper(choice.modelId, { device: 'webgpu', log: (m) => logs.push(m) });
    try {
      if (bm.provider !== 'webgpu') {
        assert.equal(bm.provider, 'cpu');
        const w = bm.attempts.find((a) => a.device === 'webgpu');
        assert.ok(w && !w.ok && w.reason.length > 0 && w.reason.length < 400, JSON.stringify(bm.attempts));
        assert.ok(logs.some((l) => /runs on cpu/.test(l)));
      }
    } finally {
      await bm.release();
    }
    const impossible = process.platform === 'win32' ? 'coreml' : 'dml';
    await assert.rejects(openBackmapper(choice.modelId, { device: impossible, strict: true }), /unavailable/);
    const out = await backmapStructure(cg, { model, device: impossible, refine: true });
    assert.equal(out.report.provider, 'cpu');
    assert.ok(out.report.providerAttempts.some((a) => a.device === impossible && !a.ok));
    assert.ok(out.torsions && out.torsions.length === 4 * SEQ.length, 'per-residue torsions from the model');
    assert.ok(out.report.timings.graph >= 0 && out.report.timings.inference >= 0);
    assert.match(renderReport(out), /Provider dml not used|Provider coreml not used/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every input check is the pipeline\'s own: wrong units, an all-atom input, unknown beads and residues', async () => {
  const cg = parsePdb(cgText('martini3'), 'cg.pdb');
  const tenfold = { ...cg, coords: cg.coords.map((x) => x * 10), models: [cg.coords.map((x) => x * 10)] };
  await assert.rejects(backmapStructure(tenfold, { model: 'template' }), (e: unknown) => e instanceof InputError && e.file === 'cg.pdb' && /10x too large/.test(e.message));
  await assert.rejects(backmapStructure(aa, { model: 'template' }), (e: unknown) => e instanceof InputError && /all-atom structure/.test(e.message));
  // A bead the residue's mapping lacks: refused by default, skipped (and warned, naming the line) when the policy says so.
  const lines = cgText('martini3').split('\n');
  const k = lines.findIndex((l) => l.startsWith('ATOM') && l.slice(17, 20) === 'ALA' && l.slice(12, 16).trim() === 'SC1');
  lines.splice(k + 1, 0, lines[k].replace(' SC1 ', ' SC9 '));
  const sc9 = parsePdb(lines.join('\n'), 'sc9.pdb');
  await assert.rejects(backmapStructure(sc9, { model: 'template' }), (e: unknown) => e instanceof InputError && e.line === k + 2 && /bead SC9 of ALA/.test(e.message));
  const warnings: string[] = [];
  const out = await backmapStructure(sc9, { model: 'template', policy: { unknownBeads: 'skip' }, warn: (w) => warnings.push(`${w.file}:${w.line}: ${w.message}`) });
  assert.equal(out.report.unknown.length, 1);
  assert.ok(warnings.some((w) => w.startsWith(`sc9.pdb:${k + 2}:`) && /SC9/.test(w)), warnings.join('\n'));
  const strict = backmapStructure(parsePdb(cgText('martini3').replace(/END\s*$/, '') + ION + 'END\n', 'ions.pdb'), { model: 'template', policy: { unknownResidues: 'error' } });
  await assert.rejects(strict, (e: unknown) => e instanceof InputError && /unknown to the mapping/.test(e.message));
});

// An unknown residue (issue 31: Martini ions are no longer unknown, they are backmapped).
const ION = 'HETATM 9001  C1  LIG B 101      10.000  10.000  10.000  1.00  0.00           C\n';
