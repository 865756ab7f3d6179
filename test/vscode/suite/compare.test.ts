// The comparison webview (Mol*) opened by the extension's commands: it must actually draw what was sent.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { readStructureFile } from '../../../src/core/structure/read';
import { EXT_ID, waitFor, wsFile } from './util';

interface CompareState { title?: string; renders: number; rendered: { atoms: number; layers: string[]; ms: number } | null }
const state = () => vscode.commands.executeCommand<CompareState>('backmapStudio.internal.compareState');

/** Runs `fn`, then waits for the next draw of the comparison view. */
async function drawnAfter<T>(fn: () => Thenable<T>): Promise<{ result: T; drawn: NonNullable<CompareState['rendered']> }> {
  const before = (await state()).renders;
  const result = await fn();
  const s = await waitFor(async () => { const x = await state(); return x.renders > before && x.rendered ? x : undefined; }, 60000, 'the comparison view to draw');
  return { result, drawn: s.rendered! };
}

describe('comparison view', () => {
  before(async () => { await vscode.extensions.getExtension(EXT_ID)!.activate(); });

  it('"Open in comparison view" on a CG file draws its beads', async () => {
    const { result, drawn } = await drawnAfter(() => vscode.commands.executeCommand<{ layer: string; atoms: number }>('backmapStudio.openComparison', wsFile('cg.pdb')));
    assert.equal(result.layer, 'cg');
    assert.deepEqual(drawn.layers, ['cg']);
    assert.equal(drawn.atoms, readStructureFile(wsFile('cg.pdb').fsPath).atoms.count);
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview);
    assert.ok(tabs.some((t) => (t.input as vscode.TabInputWebview).viewType.endsWith('backmapStudio.compare')), `no comparison tab among ${tabs.map((t) => (t.input as vscode.TabInputWebview).viewType)}`);
  });

  it('"Compare with reference" of identical structures gives zero RMSD and draws both layers', async () => {
    const { result, drawn } = await drawnAfter(() => vscode.commands.executeCommand<{ rmsd_all: number; matched: number }>('backmapStudio.compareWithReference', wsFile('aa.pdb'), wsFile('reference', 'aa-reference.pdb')));
    assert.ok(result, 'command failed');
    assert.ok(result.rmsd_all < 1e-3, `rmsd ${result.rmsd_all}`);
    assert.equal(result.matched, readStructureFile(wsFile('aa.pdb').fsPath).atoms.count);
    assert.deepEqual([...drawn.layers].sort(), ['backmapped', 'reference']);
  });

  it('backmapping shows the CG input and the backmapped structure together', async () => {
    await vscode.workspace.getConfiguration('backmapStudio').update('model', 'template', vscode.ConfigurationTarget.Workspace);
    try {
      const { result, drawn } = await drawnAfter(() => vscode.commands.executeCommand<{ output: string; atoms: number }>('backmapStudio.backmap', wsFile('cg.pdb')));
      assert.ok(result, 'backmap failed');
      assert.deepEqual([...drawn.layers].sort(), ['backmapped', 'cg']);
      assert.equal(drawn.atoms, result.atoms + readStructureFile(wsFile('cg.pdb').fsPath).atoms.count);
    } finally {
      await vscode.workspace.getConfiguration('backmapStudio').update('model', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
