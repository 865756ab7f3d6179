// "Backmap this PDB" through the real command and the real inference worker (dist/worker.js).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { protonationParent } from '../../../src/core/chemistry/variants';
import { engineHeavyNames } from '../../../src/core/hydrogens';
import { residuesOf } from '../../../src/core/structure/builder';
import { readStructureFile } from '../../../src/core/structure/read';
import type { Structure } from '../../../src/core/structure/types';
import { listModels } from '../../../src/core/model/registry';
import { modelMoleculeKinds } from '../../../src/core/model/contract';
import { FIXTURE_SEQUENCE, TRAJECTORY_FRAMES } from '../../../scripts/harness/fixture-data';
import { openTrajectory } from '../../../src/core/trajectory';
import { mapToCg } from '../../../src/core/forward';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { formatPdb } from '../../../src/core/structure/pdb';
import { runCli } from '../../../src/cli/main';
import { EXT_ID, waitFor, wsFile, wsRoot } from './util';

interface BackmapResult { output: string; report: string; model: string; provider: string; residues: number; atoms: number; seconds: number }
const lastError = () => vscode.commands.executeCommand<{ command: string; message: string; name: string } | undefined>('backmapStudio.internal.lastError');

/** Heavy atoms per residue under PDB names (outputs carry hydrogens and CHARMM names by default: HSD, OT1, ILE CD). */
function heavyAtoms(structure: Structure): Map<string, string[]> {
  const s = engineHeavyNames(structure);
  const out = new Map<string, string[]>();
  for (const r of residuesOf(s.atoms)) {
    const names: string[] = [];
    for (let i = r.start; i < r.end; i++) if (s.atoms.element[i] !== 'H') names.push(s.atoms.name[i]);
    out.set(`${r.chainId}:${protonationParent(r.resName) ?? r.resName}${r.resSeq}`, names.sort());
  }
  return out;
}

async function setModel(value: string | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('backmapStudio').update('model', value, vscode.ConfigurationTarget.Workspace);
}

async function backmap(file: string): Promise<BackmapResult> {
  const r = await vscode.commands.executeCommand<BackmapResult>('backmapStudio.backmap', wsFile(file));
  assert.ok(r, `backmap failed: ${JSON.stringify(await lastError())}`);
  return r;
}

/** The backmapped file has the peptide's residues, each with the heavy atoms the ideal peptide has. */
function checkAgainstPeptide(output: string): void {
  const got = heavyAtoms(readStructureFile(output));
  const want = heavyAtoms(buildPeptide(FIXTURE_SEQUENCE));
  assert.deepEqual([...got.keys()], [...want.keys()]);
  for (const [k, names] of want) assert.deepEqual(got.get(k), names, `heavy atoms of ${k}`);
}

describe('backmap', () => {
  before(async () => { await vscode.extensions.getExtension(EXT_ID)!.activate(); });
  after(async () => { await setModel(undefined); });

  it('template backmapping of a Martini 3 PDB writes cg.backmapped.pdb with every residue and heavy atom', async () => {
    await setModel('template');
    const r = await backmap('cg.pdb');
    assert.equal(path.dirname(r.output), wsRoot());
    assert.match(path.basename(r.output), /^cg\.backmapped(-\d+)?\.pdb$/);
    assert.equal(r.model, 'template');
    assert.equal(r.residues, FIXTURE_SEQUENCE.length);
    checkAgainstPeptide(r.output);
    // the input is never touched
    assert.ok(fs.readFileSync(wsFile('cg.pdb').fsPath, 'utf8').includes(' BB '));
  });

  it('a second run does not overwrite the first output', async () => {
    const before = fs.readdirSync(wsRoot()).filter((f) => f.startsWith('cg.backmapped'));
    const r = await backmap('cg.pdb');
    assert.ok(!before.includes(path.basename(r.output)), `${r.output} existed before`);
    assert.ok(fs.existsSync(r.output));
  });

  it('stores the report and "Show backmapping report" opens it', async () => {
    const r = await backmap('cg.pdb');
    assert.ok(fs.readFileSync(r.report, 'utf8').includes('# Backmapping report'));
    const shown = await vscode.commands.executeCommand<vscode.Uri>('backmapStudio.showReport');
    assert.ok(shown);
    assert.equal(shown.fsPath, r.report);
  });

  it('backmapStudio.output.minimise: the structure is minimised after its hydrogens and the report says so', async () => {
    const config = vscode.workspace.getConfiguration('backmapStudio');
    await config.update('output.minimise', true, vscode.ConfigurationTarget.Workspace);
    try {
      const r = await backmap('cg.pdb');
      assert.match(fs.readFileSync(r.report, 'utf8'), /minimised with AMBER99SB-ILDN \(ε = 4r, heavy atoms tethered\): \d+ steps/);
      assert.ok(readStructureFile(r.output).atoms.element.includes('H'), 'hydrogens written');
    } finally {
      await config.update('output.minimise', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('opens the comparison webview after backmapping', async () => {
    await backmap('cg.pdb');
    await waitFor(() => vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('backmapStudio.compare')), 10000, 'the comparison webview tab');
  });

  it('backmaps a C-alpha CG structure', async () => {
    const r = await backmap('ca.pdb');
    const s = readStructureFile(r.output);
    assert.equal(residuesOf(s.atoms).length, FIXTURE_SEQUENCE.length);
    assert.ok(s.atoms.count > 4 * FIXTURE_SEQUENCE.length, `only ${s.atoms.count} atoms`);
  });

  it('reports an unreadable input as an error naming the file, writing nothing', async () => {
    fs.writeFileSync(path.join(wsRoot(), 'broken.pdb'), 'ATOM      1  BB  ALA A   1       1.633   nan   0.229  1.00  0.00\n');
    const before = fs.readdirSync(wsRoot()).length;
    const r = await vscode.commands.executeCommand('backmapStudio.backmap', wsFile('broken.pdb'));
    assert.equal(r, undefined);
    const e = await lastError();
    assert.equal(e?.command, 'backmapStudio.backmap');
    assert.equal(e?.name, 'InputError');
    assert.match(e!.message, /broken\.pdb/);
    assert.equal(fs.readdirSync(wsRoot()).length, before);
  });

  it('refuses CG coordinates 10x too large with the error the CLI gives, naming the file and writing nothing', async () => {
    // The bundled example protein mapped to Martini 3, every coordinate scaled by 10 (Å read as nm).
    const ext = vscode.extensions.getExtension(EXT_ID)!;
    const cg = mapToCg(readStructureFile(path.join(ext.extensionPath, 'examples', 'demo-protein.pdb')), loadMappingSet('martini3')).cg;
    const scaled = Float64Array.from(cg.coords, (x) => x * 10);
    const file = path.join(wsRoot(), 'demo-10x.cg.pdb');
    fs.writeFileSync(file, formatPdb(cg, { models: [scaled] }));
    const before = fs.readdirSync(wsRoot()).sort();
    const r = await vscode.commands.executeCommand('backmapStudio.backmap', vscode.Uri.file(file));
    assert.equal(r, undefined);
    const e = await lastError();
    assert.equal(e?.command, 'backmapStudio.backmap');
    assert.equal(e?.name, 'InputError');
    assert.match(e!.message, /demo-10x\.cg\.pdb:\d+: CG coordinates look 10x too large/);
    // The CLI on the same file: the same message, word for word.
    let cliErr = '';
    const code = await runCli(['backmap', file, '-o', path.join(wsRoot(), 'demo-10x.cli.pdb')], { out: () => {}, err: (t) => { cliErr += t; } });
    assert.equal(code, 1);
    assert.equal(cliErr, `backmap backmap: ${e!.message}\n`);
    assert.deepEqual(fs.readdirSync(wsRoot()).sort(), before, 'nothing written');
  });

  // Every shipped protein model whose mapping the fixtures cover (martini3 → cg.pdb, ca → ca.pdb).
  const models = listModels().filter((c) => (c.mapping.id === 'martini3' || c.mapping.id === 'ca') && modelMoleculeKinds(c).includes('amino-acid'));
  for (const card of models) {
    it(`backmaps through onnxruntime-node with the shipped model ${card.id}`, async () => {
      await setModel(card.id);
      const r = await backmap(card.mapping.id === 'ca' ? 'ca.pdb' : 'cg.pdb');
      assert.equal(r.model, card.id);
      assert.notEqual(r.provider, 'js', 'the template ran instead of the network');
      checkAgainstPeptide(r.output);
    });
  }
  if (!models.length) it.skip('backmaps through onnxruntime-node (no martini3/ca model in models/)', () => {});

  // Shipped lipid models, on the project's POPC + cholesterol fixture mapped to Martini 3 here.
  for (const card of listModels().filter((c) => c.mapping.id === 'martini3' && modelMoleculeKinds(c).includes('lipid'))) {
    it(`backmaps lipids through onnxruntime-node with the shipped model ${card.id}`, async () => {
      const ext = vscode.extensions.getExtension(EXT_ID)!;
      const aa = readStructureFile(path.join(ext.extensionPath, 'test', 'core', 'forward', 'fixtures', 'popc-chl1.pdb'));
      const cg = mapToCg(aa, loadMappingSet('martini3')).cg;
      fs.writeFileSync(path.join(wsRoot(), 'lipids.cg.pdb'), formatPdb(cg));
      await setModel(card.id);
      const r = await backmap('lipids.cg.pdb');
      // Cholesterol goes to the template when the card leaves it out (martini3-lipids: trained on the earlier mapping).
      const sterolByTemplate = !!card.molecules?.length && !card.molecules.includes('CHL1');
      assert.equal(r.model, sterolByTemplate ? `${card.id} + template` : card.id);
      assert.notEqual(r.provider, 'js', 'the template ran instead of the network');
      // Every heavy atom of every lipid and sterol comes back, under its CHARMM36 residue name.
      const want = heavyAtoms(aa);
      const got = heavyAtoms(readStructureFile(r.output));
      assert.deepEqual([...got.keys()], [...want.keys()]);
      for (const [k, names] of want) assert.deepEqual(got.get(k), names, `heavy atoms of ${k}`);
    });
  }
});

describe('backmap trajectory', () => {
  before(async () => {
    await vscode.extensions.getExtension(EXT_ID)!.activate();
    await setModel('template');
  });
  after(async () => { await setModel(undefined); });

  it('backmaps an XTC with its CG topology to an all-atom XTC plus topology beside it', async () => {
    const r = await vscode.commands.executeCommand<{ output: string; topology?: string; frames: number; report: string }>(
      'backmapStudio.backmapTrajectory', wsFile('cg.xtc'), wsFile('cg.pdb'));
    assert.ok(r, `trajectory backmap failed: ${JSON.stringify(await lastError())}`);
    assert.equal(path.dirname(r.output), wsRoot());
    assert.match(path.basename(r.output), /^cg\.backmapped(-\d+)?\.xtc$/);
    assert.equal(r.frames, TRAJECTORY_FRAMES);
    assert.ok(r.topology && fs.existsSync(r.topology), 'all-atom topology not written');
    const top = readStructureFile(r.topology);
    checkAgainstPeptide(r.topology);
    const reader = openTrajectory(r.output);
    let n = 0;
    const xs: number[] = [];
    for (let f = reader.next(); f; f = reader.next()) { n++; xs.push(f.coords[0]); }
    reader.close();
    assert.equal(reader.natoms, top.atoms.count);
    assert.equal(n, TRAJECTORY_FRAMES);
    // the fixture shifts every bead by +0.5 Å in x per frame; the all-atom frames follow
    assert.ok(Math.abs(xs[1] - xs[0] - 0.5) < 0.05 && Math.abs(xs[2] - xs[1] - 0.5) < 0.05, `x of atom 0 over frames: ${xs}`);
    assert.ok(fs.readFileSync(r.report, 'utf8').includes('Frames'));
  });
});
