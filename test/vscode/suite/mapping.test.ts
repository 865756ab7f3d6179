// Mapping commands and the mapping language server, through the real VS Code API.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { mapToCg } from '../../../src/core/forward';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { parseMappingText } from '../../../src/core/mapping/parse';
import { readStructureFile } from '../../../src/core/structure/read';
import { residuesOf } from '../../../src/core/structure/builder';
import { revealLocation } from '../../../src/extension/errors';
import { BAD_MAPPING } from '../../../scripts/harness/fixture-data';
import { EXT_ID, waitFor, wsFile, wsRoot } from './util';

const lastError = () => vscode.commands.executeCommand<{ command: string; message: string; name: string } | undefined>('backmapStudio.internal.lastError');

describe('mapping', () => {
  before(async () => { await vscode.extensions.getExtension(EXT_ID)!.activate(); });

  it('mapToCg writes <name>.cg.pdb beside the input with the beads core mapToCg computes', async () => {
    const input = wsFile('aa.pdb');
    const r = await vscode.commands.executeCommand<{ output: string; beads: number; residues: number }>('backmapStudio.mapToCg', input, 'martini3');
    assert.ok(r, `command failed: ${JSON.stringify(await lastError())}`);
    assert.equal(path.dirname(r.output), wsRoot());
    assert.match(path.basename(r.output), /^aa\.cg(-\d+)?\.pdb$/);
    const written = readStructureFile(r.output);
    const expected = mapToCg(readStructureFile(input.fsPath), loadMappingSet('martini3'));
    assert.equal(written.atoms.count, expected.cg.atoms.count);
    assert.equal(r.beads, expected.system.beads.length);
    assert.deepEqual(residuesOf(written.atoms).map((x) => x.resName), residuesOf(expected.cg.atoms).map((x) => x.resName));
    for (let i = 0; i < written.atoms.count; i++) {
      assert.equal(written.atoms.name[i], expected.cg.atoms.name[i]);
      assert.ok(Math.abs(written.coords[3 * i] - expected.cg.coords[3 * i]) < 2e-3, 'bead x differs beyond PDB precision');
    }
  });

  it('mapToCg never overwrites: a second run picks a new name', async () => {
    const a = await vscode.commands.executeCommand<{ output: string }>('backmapStudio.mapToCg', wsFile('aa.pdb'), 'martini3');
    const b = await vscode.commands.executeCommand<{ output: string }>('backmapStudio.mapToCg', wsFile('aa.pdb'), 'martini3');
    assert.ok(a && b);
    assert.notEqual(a.output, b.output);
    assert.ok(fs.existsSync(a.output) && fs.existsSync(b.output));
  });

  it('previewMapping with a defective mapping reports an InputError naming file:line', async () => {
    const bad = wsFile('mappings', 'bad', 'ala.yaml');
    const r = await vscode.commands.executeCommand('backmapStudio.previewMapping', bad, wsFile('aa.pdb'));
    assert.equal(r, undefined);
    const e = await lastError();
    assert.ok(e, 'no error recorded');
    assert.equal(e.command, 'backmapStudio.previewMapping');
    assert.equal(e.name, 'InputError');
    const firstError = parseMappingText(BAD_MAPPING, bad.fsPath).diagnostics.filter((d) => d.severity === 'error').sort((x, y) => x.span.start - y.span.start)[0];
    assert.ok(e.message.includes(`ala.yaml:${firstError.span.line}`), `message lacks ala.yaml:${firstError.span.line}: ${e.message}`);
  });

  it('the "Open" action of an InputError reveals file:line in an editor', async () => {
    const bad = wsFile('mappings', 'bad', 'ala.yaml');
    const editor = await revealLocation(bad.fsPath, 4);
    assert.equal(editor.document.uri.fsPath, bad.fsPath);
    assert.equal(editor.selection.start.line, 3);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, bad.fsPath);
  });

  it('previewMapping on a good mapping folder maps the structure and opens the comparison view', async () => {
    const ext = vscode.extensions.getExtension(EXT_ID)!;
    const good = path.join(wsRoot(), 'mappings', 'm3copy');
    fs.cpSync(path.join(ext.extensionPath, 'mappings', 'martini3'), good, { recursive: true });
    const r = await vscode.commands.executeCommand<{ beads: number; residues: number; report: string }>('backmapStudio.previewMapping', vscode.Uri.file(path.join(good, 'ala.yaml')), wsFile('aa.pdb'));
    assert.ok(r, `command failed: ${JSON.stringify(await lastError())}`);
    const expected = mapToCg(readStructureFile(wsFile('aa.pdb').fsPath), loadMappingSet(good));
    assert.equal(r.beads, expected.system.beads.length);
    assert.equal(r.residues, 20);
    await waitFor(() => vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('backmapStudio.compare')), 10000, 'the comparison webview tab');
  });

  it('Backmap this PDB uses a workspace mapping folder that knows the input, without a setting (issue 26)', async () => {
    const ext = vscode.extensions.getExtension(EXT_ID)!;
    const cfg = () => vscode.workspace.getConfiguration('backmapStudio');
    const mine = path.join(wsRoot(), 'mappings', 'mine');
    fs.cpSync(path.join(ext.extensionPath, 'mappings', 'martini3'), mine, { recursive: true });
    // Edited in the workspace: no longer the bundled set, so the bundled id must not be reported.
    fs.appendFileSync(path.join(mine, 'ala.yaml'), '# edited in this workspace\n');
    const reportOf = async () => {
      const r = await vscode.commands.executeCommand<{ report: string; output: string }>('backmapStudio.backmap', wsFile('cg.pdb'));
      assert.ok(r, `backmap failed: ${JSON.stringify(await lastError())}`);
      return fs.readFileSync(r.report, 'utf8');
    };
    // The template backmapper: the model choice is not what this test is about.
    await cfg().update('model', 'template', vscode.ConfigurationTarget.Workspace);
    try {
      assert.equal(cfg().get('mapping.set'), 'auto');
      assert.match(await reportOf(), /\*\*Mapping set:\*\* mine\b/);
      // The user's setting still picks another set.
      await cfg().update('mapping.set', 'martini3', vscode.ConfigurationTarget.Workspace);
      assert.match(await reportOf(), /\*\*Mapping set:\*\* martini3\b/);
    } finally {
      await cfg().update('mapping.set', undefined, vscode.ConfigurationTarget.Workspace);
      await cfg().update('model', undefined, vscode.ConfigurationTarget.Workspace);
      fs.rmSync(mine, { recursive: true, force: true });
    }
  });
});
