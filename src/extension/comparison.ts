// Opens the comparison view (the webview engineer's ComparePanel, src/extension/compare/) for up to three structures.
import * as vscode from 'vscode';
import { ComparePanel, type ComparisonInput } from './compare';
import { log } from './log';

export type { ComparisonInput };

/** Draws counted over all panels, so tests can wait for the draw that follows their command. */
let renders = 0;
const watched = new WeakSet<ComparePanel>();

export async function showComparison(ctx: vscode.ExtensionContext, input: ComparisonInput): Promise<ComparePanel> {
  const p = ComparePanel.show(ctx, input);
  if (!watched.has(p)) {
    watched.add(p);
    ctx.subscriptions.push(p.onDidRender((r) => {
      renders++;
      log().info(`comparison view drew ${r.atoms} atoms (${r.layers.join(', ')}) in ${Math.round(r.ms)} ms`);
    }));
  }
  return p;
}

/** Reload serializer + selection highlighting of the panel, and a test hook reporting what it last drew. */
export function registerComparison(ctx: vscode.ExtensionContext): void {
  ComparePanel.register(ctx);
  ctx.subscriptions.push(
    vscode.commands.registerCommand('backmapStudio.internal.compareState', () => {
      const p = ComparePanel.current;
      return p ? { title: p.panel.title, visible: p.panel.visible, renders, rendered: p.lastRendered ?? null } : { renders, rendered: null };
    }),
  );
}
