// UCG beads in the editor (issue #28): "Backmap this PDB" and "Backmap trajectory…" offer the chain of models that
// takes the beads (UCG → C-alpha trace → atoms) before anything runs, with the project-made UCG fixture
// (test/fixtures/ucg: a UCG → C-alpha model of the demo protein's first 40 residues, 10 held-out frames of beads)
// copied into the workspace's .backmap/models, and the shipped ca-protein model after it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { engineHeavyNames } from '../../../src/core/hydrogens';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { residuesOf } from '../../../src/core/structure/builder';
import { readStructureFile } from '../../../src/core/structure/read';
import type { Structure } from '../../../src/core/structure/types';
import { EXT_ID, waitFor, wsRoot } from './util';

interface BackmapResult { output: string; report: string; model: string; atoms: number }
const lastError = () => vscode.commands.executeCommand<{ command: string; message: string; name: string } | undefined>('backmapStudio.internal.lastError');
const shownOffer = async () => vscode.commands.executeCommand<string[] | undefined>('backmapStudio.internal.chainOffer');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MODEL_FILES = ['ucg-ca.onnx', 'ucg-ca.json', 'ucg-ca.reference.bin'];
const FRAMES = 10;
const RESIDUES = 40;

/** Waits for the chain offer, then takes its item `index` (0: run the chain), or dismisses it (`null`). */
async function answerOffer(index: number | null): Promise<string[]> {
  const labels = await waitFor(shownOffer, 30000, 'the chain offer');
  await sleep(500); // the quick pick is on screen a moment after the offer is made
  if (index === null) await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
  else {
    for (let k = 0; k < index; k++) await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  }
  await waitFor(async () => !(await shownOffer()), 10000, 'the chain offer to close');
  return labels.map((l) => l.replace(/^\$\([^)]*\)\s*/, ''));
}

/** Rows of the report's "Stages" table: [model, "takes → gives"]. */
function reportStages(report: string): string[][] {
  const md = fs.readFileSync(report, 'utf8');
  const section = md.split(/^## /m).find((s) => s.startsWith('Stages')) ?? '';
  return section.split('\n').filter((l) => /^\| \d+ \|/.test(l)).map((l) => l.split('|').map((c) => c.trim()).slice(2, 4));
}

/**
 * Heavy-atom names per residue under PDB names (outputs carry hydrogens and CHARMM names by default); the C-terminal
 * OXT aside: the fixture's chain ends at residue 40, the truth's does not.
 */
const atomNames = (structure: Structure) => {
  const s = engineHeavyNames(structure);
  return residuesOf(s.atoms).map((r) => {
    const names: string[] = [];
    for (let i = r.start; i < r.end; i++) if (s.atoms.element[i] !== 'H' && s.atoms.name[i] !== 'OXT') names.push(s.atoms.name[i]);
    return names.sort().join(' ');
  });
};

describe('UCG beads: chains of models', () => {
  let dir: string;
  let input: vscode.Uri;
  let truth: Structure;
  let fixtures: string;
  const modelsDir = () => path.join(wsRoot(), '.backmap', 'models');
  let madeBackmapFolder = false;

  before(async () => {
    const ext = vscode.extensions.getExtension(EXT_ID)!;
    await ext.activate();
    await vscode.workspace.getConfiguration('backmapStudio').update('model', undefined, vscode.ConfigurationTarget.Workspace);
    fixtures = path.join(ext.extensionPath, 'test', 'fixtures', 'ucg');
    // A folder of its own: the trajectory command lists the trajectories beside its topology (there are none here).
    dir = path.join(wsRoot(), 'ucg');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(fixtures, 'heldout.ucg.pdb'), path.join(dir, 'heldout.ucg.pdb'));
    input = vscode.Uri.file(path.join(dir, 'heldout.ucg.pdb'));
    truth = readStructureFile(path.join(fixtures, 'heldout.aa.pdb'));
    madeBackmapFolder = !fs.existsSync(path.join(wsRoot(), '.backmap'));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(dir, { recursive: true, force: true });
    // Later runs must not meet the UCG model (auto choice would consider it).
    if (madeBackmapFolder) fs.rmSync(path.join(wsRoot(), '.backmap'), { recursive: true, force: true });
    else for (const f of MODEL_FILES) fs.rmSync(path.join(modelsDir(), f), { force: true });
  });

  it('with no installed model that takes the beads, says what to train and writes nothing', async () => {
    const before = fs.readdirSync(dir).sort();
    const r = await vscode.commands.executeCommand('backmapStudio.backmap', input);
    assert.equal(r, undefined);
    const e = await lastError();
    assert.equal(e?.command, 'backmapStudio.backmap');
    assert.equal(e?.name, 'InputError');
    assert.match(e!.message, /holds 7 UCG beads, but no installed model takes them \(train one/);
    assert.deepEqual(fs.readdirSync(dir).sort(), before);
  });

  it('offers the chain (UCG stage → shipped C-alpha model); running it writes every residue with all heavy atoms', async () => {
    fs.mkdirSync(modelsDir(), { recursive: true });
    for (const f of MODEL_FILES) fs.copyFileSync(path.join(fixtures, f), path.join(modelsDir(), f));
    const run = vscode.commands.executeCommand<BackmapResult>('backmapStudio.backmap', input);
    const labels = await answerOffer(0);
    assert.deepEqual(labels, ['Run the chain', 'C-alpha trace only']);
    const r = await run;
    assert.ok(r, `backmap failed: ${JSON.stringify(await lastError())}`);
    assert.match(path.basename(r.output), /^heldout\.ucg\.backmapped(-\d+)?\.pdb$/);
    assert.equal(r.model, 'ucg-ca → ca-protein');
    const s = readStructureFile(r.output);
    assert.equal(s.models.length, FRAMES, 'every model of the input is a frame of the output');
    assert.equal(residuesOf(s.atoms).length, RESIDUES);
    assert.deepEqual(atomNames(s), atomNames(truth));
    assert.deepEqual(reportStages(r.report), [['ucg-ca', 'ucg → ca'], ['ca-protein', 'ca → atoms']]);
  });

  it('"C-alpha trace only" runs the first stage alone: one CA per residue', async () => {
    const run = vscode.commands.executeCommand<BackmapResult>('backmapStudio.backmap', input);
    await answerOffer(1);
    const r = await run;
    assert.ok(r, `backmap failed: ${JSON.stringify(await lastError())}`);
    assert.match(path.basename(r.output), /^heldout\.ucg\.ca(-\d+)?\.pdb$/);
    const s = readStructureFile(r.output);
    assert.equal(s.atoms.count, RESIDUES);
    assert.ok(s.atoms.name.every((n) => n === 'CA'));
    assert.deepEqual(reportStages(r.report), [['ucg-ca', 'ucg → ca']]);
  });

  it('dismissing the offer runs nothing', async () => {
    const before = fs.readdirSync(dir).sort();
    const run = vscode.commands.executeCommand('backmapStudio.backmap', input);
    await answerOffer(null);
    assert.equal(await run, undefined);
    assert.deepEqual(fs.readdirSync(dir).sort(), before);
  });

  it('"Backmap trajectory…" on the multi-model UCG PDB runs every frame through the chain', async () => {
    const run = vscode.commands.executeCommand<{ output: string; frames: number; report: string }>('backmapStudio.backmapTrajectory', input);
    // First the trajectory pick (none beside the file: "No trajectory", the first item), then the chain offer.
    await sleep(1500);
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    await answerOffer(0);
    const r = await run;
    assert.ok(r, `trajectory backmap failed: ${JSON.stringify(await lastError())}`);
    assert.equal(r.frames, FRAMES);
    const s = readStructureFile(r.output);
    assert.equal(s.models.length, FRAMES);
    assert.deepEqual(atomNames(s), atomNames(truth));
    assert.equal(reportStages(r.report).length, 2);
  });
});
