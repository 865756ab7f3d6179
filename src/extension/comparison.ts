// Opens the comparison view (the webview engineer's ComparePanel, src/extension/compare/) for up to three structures.
import * as vscode from 'vscode';
import { ComparePanel, TrajectoryEditorProvider, type ComparisonInput } from './compare';
import { log } from './log';

export type { ComparisonInput };

/** Draws counted over all panels, so tests can wait for the draw that follows their command. */
let renders = 0;
const watched = new WeakSet<ComparePanel>();

export async function showComparison(ctx: vscode.ExtensionContext, input: ComparisonInput, column?: vscode.ViewColumn): Promise<ComparePanel> {
  const p = ComparePanel.show(ctx, input, column);
  watch(ctx, p);
  return p;
}

function watch(ctx: vscode.ExtensionContext, p: ComparePanel): void {
  if (!watched.has(p)) {
    watched.add(p);
    ctx.subscriptions.push(p.onDidRender((r) => {
      renders++;
      log().info(`comparison view drew ${r.atoms} atoms (${r.layers.join(', ')}) in ${Math.round(r.ms)} ms`);
    }));
  }
}

/** Reload serializer + selection highlighting of the panel, and a test hook reporting what it last drew. */
export function registerComparison(ctx: vscode.ExtensionContext): void {
  ComparePanel.register(ctx);
  TrajectoryEditorProvider.register(ctx);
  // Trajectory editors are made by VS Code, not by showComparison: count their draws too.
  ComparePanel.onDidCreate((p) => watch(ctx, p));
  ctx.subscriptions.push(
    vscode.commands.registerCommand('backmapStudio.internal.compareState', () => {
      const p = ComparePanel.all.find((x) => x.panel.active) ?? ComparePanel.current;
      if (!p) return { renders, rendered: null, panels: 0 };
      const frames = p.shown.trajectory?.count ?? p.shown.frames?.count ?? Math.max(p.shown.cg?.models.length ?? 1, p.shown.backmapped?.models.length ?? 1);
      return {
        title: p.panel.title, visible: p.panel.visible, active: p.panel.active, viewColumn: p.panel.viewColumn, renders, rendered: p.lastRendered ?? null,
        frames, layers: (['cg', 'backmapped', 'reference'] as const).filter((l) => p.shown[l]), panels: ComparePanel.all.length,
      };
    }),
    // Test hook: a message as if the webview had sent it (e.g. a click on a per-residue bar → revealResidue).
    vscode.commands.registerCommand('backmapStudio.internal.compareMessage', async (m: unknown) => {
      const p = ComparePanel.all.find((x) => x.panel.active) ?? ComparePanel.current;
      if (!p) throw new Error('no comparison view open');
      await p.receive(m);
    }),
  );
}
