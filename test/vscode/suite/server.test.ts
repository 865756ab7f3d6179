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

describe('quick fixes and information diagnostics (issue 26)', () => {
  const code = (d: vscode.Diagnostic) => String(typeof d.code === 'object' ? d.code.value : d.code);

  it('an untouched mapping shows W14 as hints; after an edit, as information', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const ext = vscode.extensions.getExtension(EXT_ID)!;
    const dir = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'mappings', 'upstream');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(ext.extensionPath, 'mappings', 'martini3', 'ala.yaml'), path.join(dir, 'ala.yaml'));
    const doc = await vscode.workspace.openTextDocument(path.join(dir, 'ala.yaml'));
    const editor = await vscode.window.showTextDocument(doc);
    const w14 = () => vscode.languages.getDiagnostics(doc.uri).filter((d) => code(d) === 'W14');
    await waitFor(() => w14().length > 0, 30000, 'W14 diagnostics');
    assert.ok(w14().every((d) => d.severity === vscode.DiagnosticSeverity.Hint), JSON.stringify(w14().map((d) => d.severity)));
    await editor.edit((e) => e.insert(new vscode.Position(doc.lineCount - 1, 0), '# authoring\n'));
    await waitFor(() => w14().length > 0 && w14().every((d) => d.severity === vscode.DiagnosticSeverity.Information), 30000, 'W14 as information after the edit');
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the quick fix for a missing anchor re-anchors on the bonded atom and never offers NaN', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const ext = vscode.extensions.getExtension(EXT_ID)!;
    const dir = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'mappings', 'fixme');
    fs.mkdirSync(dir, { recursive: true });
    const text = fs.readFileSync(path.join(ext.extensionPath, 'mappings', 'martini3', 'ala.yaml'), 'utf8')
      .replace(/(O,OT1,OC1,O1:\s+BB\s+)P3BA/, '$1P3CA').replace(/(CB:\s+SC1\s+P1A)/, '$1 1/0');
    fs.writeFileSync(path.join(dir, 'ala.yaml'), text);
    const doc = await vscode.workspace.openTextDocument(path.join(dir, 'ala.yaml'));
    await vscode.window.showTextDocument(doc);
    await waitFor(() => vscode.languages.getDiagnostics(doc.uri).some((d) => code(d) === 'W1'), 30000, 'W1 on P3CA');
    const line = (re: RegExp) => doc.getText().split('\n').findIndex((l) => re.test(l));
    const at = (l: number) => vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, new vscode.Range(l, 2, l, 2));
    const onO = await at(line(/^\s+O,OT1/));
    const fix = onO.find((a) => a.title === 'O: anchor P3CA → P3BA (bonded to C)');
    assert.ok(fix?.edit, onO.map((a) => a.title).join(' | '));
    const cb = line(/^\s+CB:/);
    const onCb = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, new vscode.Range(cb, 0, cb, doc.lineAt(cb).text.length))).map((a) => a.title);
    assert.ok(onCb.includes('Remove the weight 1/0 (bead SC1 then weighs 1.0)'), onCb.join(' | '));
    assert.ok(!onCb.some((t) => /NaN|Infinity/.test(t)), onCb.join(' | '));
    assert.ok(!onCb.some((t) => t.startsWith('O: anchor')), 'the anchor fix is offered only on its line');
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(doc.getText(), /O,OT1,OC1,O1:\s+BB\s+P3BA/);
    await waitFor(() => !vscode.languages.getDiagnostics(doc.uri).some((d) => code(d) === 'W1'), 30000, 'W1 to disappear');
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    fs.rmSync(dir, { recursive: true, force: true });
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
