// The mapping language server (dist/server.js over IPC) through the real client: diagnostics in VS Code's model.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { parseMappingText } from '../../../src/core/mapping/parse';
import { BAD_MAPPING } from '../../../scripts/harness/fixture-data';
import { EXT_ID, waitFor, wsFile } from './util';

describe('mapping language server', () => {
  before(async () => {
    const api = await vscode.extensions.getExtension(EXT_ID)!.activate();
    const client = await (api as { languageClientReady: Promise<unknown> }).languageClientReady;
    assert.ok(client, 'the language client did not start (see the Backmap Studio log)');
  });

  it('files under mappings/ get the backmap-mapping language and its grammar', async () => {
    const doc = await vscode.workspace.openTextDocument(wsFile('mappings', 'bad', 'ala.yaml'));
    assert.equal(doc.languageId, 'backmap-mapping');
  });

  it('publishes the diagnostics the core parser finds, at the same lines', async () => {
    const uri = wsFile('mappings', 'bad', 'ala.yaml');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const expected = parseMappingText(BAD_MAPPING, uri.fsPath).diagnostics.filter((d) => d.severity === 'error');
    assert.ok(expected.length >= 2);
    const diags = await waitFor(() => {
      const d = vscode.languages.getDiagnostics(uri);
      return d.filter((x) => x.severity === vscode.DiagnosticSeverity.Error).length >= expected.length ? d : undefined;
    }, 30000, 'error diagnostics');
    for (const e of expected) {
      const hit = diags.find((d) => d.severity === vscode.DiagnosticSeverity.Error && d.range.start.line === e.span.line - 1 && String(typeof d.code === 'object' ? d.code.value : d.code) === e.code);
      assert.ok(hit, `no ${e.code} diagnostic at line ${e.span.line}: got ${JSON.stringify(diags.map((d) => [d.code, d.range.start.line, d.message]))}`);
    }
  });

  it('diagnostics follow edits (fixing the duplicate bead removes E6)', async () => {
    const uri = wsFile('mappings', 'bad', 'ala.yaml');
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc);
    const line = doc.getText().split('\n').findIndex((l) => l.includes('BB,BB'));
    assert.ok(line >= 0);
    await editor.edit((e) => e.replace(doc.lineAt(line).range, '  CA:  BB     P1A'));
    const code = (d: vscode.Diagnostic) => String(typeof d.code === 'object' ? d.code.value : d.code);
    await waitFor(() => !vscode.languages.getDiagnostics(uri).some((d) => code(d) === 'E6'), 30000, 'E6 to disappear');
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });
});

describe('complete hierarchy (server command)', () => {
  it('adds P-rules derived from a structure to a mapping without them', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const ext = vscode.extensions.getExtension(EXT_ID)!;
    const src = fs.readFileSync(path.join(ext.extensionPath, 'mappings', 'martini3', 'ala.yaml'), 'utf8');
    const stripped = src.replace(/[ \t]+P\d+[A-Z]+\b/g, '');
    assert.ok(!/\bP\d+[A-Z]/.test(stripped.replace(/#.*$/gm, '')), 'fixture still has rules');
    const dir = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'mappings', 'norules');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'ala.yaml');
    fs.writeFileSync(file, stripped);
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const r = await vscode.commands.executeCommand<{ applied: boolean; edits: number }>('backmapStudio.completeHierarchy', doc.uri, wsFile('aa.pdb'));
    assert.ok(r, 'command failed');
    assert.equal(r.applied, true);
    assert.ok(r.edits > 0);
    const text = doc.getText().replace(/#.*$/gm, '');
    for (const atom of ['N', 'CA', 'C', 'CB']) assert.match(text, new RegExp(`^\\s+${atom}[,:].*\\bP\\d+[A-Z]{1,2}\\b`, 'm'), `${atom} has no rule`);
  });
});
