// The extension activates in a real extension host, contributes its commands and settings, and recognises
// mapping files by content.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXT_ID, waitFor, wsFile } from './util';

const COMMANDS = ['backmap', 'backmapTrajectory', 'mapToCg', 'compareWithReference', 'selectModel', 'showReport',
  'openComparison', 'completeHierarchy', 'previewMapping', 'trainModel', 'prepareForSimulation'].map((c) => `backmapStudio.${c}`);

describe('activation', () => {
  it('activates and registers every contributed command', async () => {
    const ext = vscode.extensions.getExtension(EXT_ID);
    assert.ok(ext, `${EXT_ID} not found`);
    await ext.activate();
    assert.equal(ext.isActive, true);
    const all = new Set(await vscode.commands.getCommands(true));
    const contributed = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    assert.deepEqual([...contributed].sort(), [...COMMANDS].sort());
    for (const c of COMMANDS) assert.ok(all.has(c), `${c} not registered`);
  });

  it('declares every setting with a markdownDescription and reads defaults', () => {
    const ext = vscode.extensions.getExtension(EXT_ID)!;
    const props = ext.packageJSON.contributes.configuration.properties as Record<string, { markdownDescription?: string }>;
    for (const [k, v] of Object.entries(props)) assert.ok(v.markdownDescription && v.markdownDescription.length > 20, `${k} lacks markdownDescription`);
    const c = vscode.workspace.getConfiguration('backmapStudio');
    assert.equal(c.get('device'), 'auto');
    assert.equal(c.get('model'), 'auto');
    assert.equal(c.get('mapping.referenceStructure'), '');
  });

  it('switches a YAML file with molecule: and atoms: to backmap-mapping', async () => {
    const doc = await vscode.workspace.openTextDocument(wsFile('detect-me.yaml'));
    await waitFor(() => doc.languageId === 'backmap-mapping' || vscode.workspace.textDocuments.some((d) => d.uri.toString() === doc.uri.toString() && d.languageId === 'backmap-mapping'), 10000, 'language switch');
  });

  it('leaves other YAML files alone', async () => {
    const doc = await vscode.workspace.openTextDocument(wsFile('plain.yaml'));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(doc.languageId, 'yaml');
  });

  it('runs in the Node extension host with the workspace made by the fixture script', () => {
    assert.ok(process.versions.node);
    assert.ok(fs.existsSync(path.join(process.env.BACKMAP_TEST_WORKSPACE!, 'detect-me.yaml')));
  });
});
