// The comparison webview (Mol*) opened by the extension's commands: it must actually draw what was sent.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readStructureFile } from '../../../src/core/structure/read';
import { lineOfResidue } from '../../../src/extension/compare/payload';
import { TRAJECTORY_FRAMES } from '../../../scripts/harness/fixture-data';
import { EXT_ID, waitFor, wsFile } from './util';

interface CompareState {
  title?: string; renders: number; rendered: { atoms: number; layers: string[]; ms: number; frame: number } | null;
  frames?: number; layers?: string[]; viewColumn?: number; active?: boolean; panels?: number;
}
const state = () => vscode.commands.executeCommand<CompareState>('backmapStudio.internal.compareState');

/** Runs `fn`, then waits for the next draw of the comparison view. */
async function drawnAfter<T>(fn: () => Thenable<T>, until: (r: NonNullable<CompareState['rendered']>) => boolean = () => true): Promise<{ result: T; drawn: NonNullable<CompareState['rendered']> }> {
  const before = (await state()).renders;
  const result = await fn();
  const s = await waitFor(async () => { const x = await state(); return x.renders > before && x.rendered && until(x.rendered) ? x : undefined; }, 60000, 'the comparison view to draw');
  return { result, drawn: s.rendered! };
}

const webviewTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => ({ t, g }))).filter(({ t }) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('backmapStudio.compare'));
const message = (m: unknown) => vscode.commands.executeCommand('backmapStudio.internal.compareMessage', m);
const setModel = (v: string | undefined) => vscode.workspace.getConfiguration('backmapStudio').update('model', v, vscode.ConfigurationTarget.Workspace);

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

  it('clicking a per-residue bar keeps the comparison tab and opens the source beside it, pinned, without focus', async () => {
    await setModel('template');
    try {
      const { result } = await drawnAfter(() => vscode.commands.executeCommand<{ output: string }>('backmapStudio.backmap', wsFile('cg.pdb')));
      const panelTab = webviewTabs()[0];
      assert.ok(panelTab, 'comparison tab');
      for (const resSeq of [5, 12]) {
        // What the webview sends when a bar (or an atom) is clicked.
        await message({ type: 'revealResidue', residue: { chainId: 'A', resSeq, iCode: '' }, layer: 'backmapped' });
        const editor = await waitFor(() => vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === result.output && e.selection.start.line === lineOfResidue(readStructureFile(result.output), { chainId: 'A', resSeq, iCode: '' })! - 1), 10000, `the source at residue ${resSeq}`);
        const tabs = webviewTabs();
        assert.equal(tabs.length, 1, 'the comparison tab is still open');
        assert.notEqual(editor.viewColumn, tabs[0].g.viewColumn, 'the source opens beside the panel, not in its group');
        const textTab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputText && t.input.uri.fsPath === result.output)!;
        assert.equal(textTab.isPreview, false, 'a pinned tab, not a preview the next reveal would replace');
        assert.ok(tabs[0].t.isActive, 'the panel stays the active tab of its group');
      }
      assert.notEqual(vscode.window.activeTextEditor?.document.uri.fsPath, result.output, 'focus stays on the panel');
    } finally {
      await setModel(undefined);
    }
  });

  it('"Compare with reference…" on the shown backmapped file adds the reference and keeps the CG beads', async () => {
    await setModel('template');
    try {
      const { result } = await drawnAfter(() => vscode.commands.executeCommand<{ output: string }>('backmapStudio.backmap', wsFile('cg.pdb')));
      const { result: rmsd, drawn } = await drawnAfter(
        () => vscode.commands.executeCommand<{ rmsd_all: number; matched: number }>('backmapStudio.compareWithReference', vscode.Uri.file(result.output), wsFile('reference', 'aa-reference.pdb')),
        (r) => r.layers.includes('reference'),
      );
      assert.ok(rmsd && Number.isFinite(rmsd.rmsd_all));
      assert.deepEqual([...drawn.layers].sort(), ['backmapped', 'cg', 'reference']);
    } finally {
      await setModel(undefined);
    }
  });

  describe('trajectories', () => {
    let output = '';
    let topology = '';
    before(async () => {
      await setModel('template');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });
    after(async () => { await setModel(undefined); });

    it('after "Backmap trajectory…" the view has every frame (no "(first frame)"), in a column of its own', async () => {
      const groupsBefore = vscode.window.tabGroups.all.length;
      const { result, drawn } = await drawnAfter(() => vscode.commands.executeCommand<{ output: string; topology: string; frames: number }>('backmapStudio.backmapTrajectory', wsFile('cg.xtc'), wsFile('cg.pdb')));
      assert.ok(result, 'trajectory backmap failed');
      output = result.output;
      topology = result.topology;
      const s = await state();
      assert.equal(s.frames, TRAJECTORY_FRAMES);
      assert.doesNotMatch(s.title ?? '', /first frame/);
      assert.match(s.title ?? '', new RegExp(`${TRAJECTORY_FRAMES} frames`));
      assert.deepEqual([...drawn.layers].sort(), ['backmapped', 'cg']);
      assert.equal(vscode.window.tabGroups.all.length, groupsBefore, 'opened in the active group, not a new narrow split');
      // A frame asked for by the slider: coordinates read from the backmapped XTC and the CG XTC, drawn.
      const f = await drawnAfter(() => message({ type: 'requestFrame', index: TRAJECTORY_FRAMES - 1 }), (r) => r.frame === TRAJECTORY_FRAMES - 1);
      assert.equal(f.drawn.atoms, drawn.atoms);
    });

    it('"Open in comparison view" on the backmapped XTC with its topology plays it', async () => {
      const { result, drawn } = await drawnAfter(() => vscode.commands.executeCommand<{ layer: string; frames: number; atoms: number }>('backmapStudio.openComparison', vscode.Uri.file(output), vscode.Uri.file(topology)));
      assert.equal(result.layer, 'backmapped');
      assert.equal(result.frames, TRAJECTORY_FRAMES);
      assert.deepEqual(drawn.layers, ['backmapped']);
      assert.equal(drawn.atoms, readStructureFile(topology).atoms.count);
      const f = await drawnAfter(() => message({ type: 'requestFrame', index: 1 }), (r) => r.frame === 1);
      assert.equal(f.drawn.atoms, drawn.atoms);
    });

    it('"Open in comparison view" on a CG XTC picks its same-stem topology (cg.pdb) first', async () => {
      const { result, drawn } = await drawnAfter(async () => {
        const p = vscode.commands.executeCommand<{ layer: string; frames: number }>('backmapStudio.openComparison', wsFile('cg.xtc'));
        // The topology quick pick: the same-stem cg.pdb is the first (preselected) item.
        await new Promise((r) => setTimeout(r, 1500));
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        return p;
      });
      assert.equal(result.layer, 'cg');
      assert.equal(result.frames, TRAJECTORY_FRAMES);
      assert.deepEqual(drawn.layers, ['cg']);
    });

    it('clicking an XTC opens it in the trajectory view (custom editor), not the binary editor', async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const { drawn } = await drawnAfter(async () => {
        // Opening resolves once the editor is set up, i.e. after the topology quick pick is answered.
        const opened = vscode.commands.executeCommand('vscode.open', vscode.Uri.file(output));
        await new Promise((r) => setTimeout(r, 1500));
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        await opened;
      });
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab!;
      assert.ok(tab.input instanceof vscode.TabInputCustom, `tab input ${tab.input?.constructor.name}`);
      assert.equal((tab.input as vscode.TabInputCustom).viewType, 'backmapStudio.trajectory');
      assert.equal(path.basename((tab.input as vscode.TabInputCustom).uri.fsPath), path.basename(output));
      assert.deepEqual(drawn.layers, ['backmapped']);
      const s = await state();
      assert.equal(s.frames, TRAJECTORY_FRAMES);
    });
  });
});
