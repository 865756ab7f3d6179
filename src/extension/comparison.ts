// Opens the comparison view (the webview engineer's ComparePanel, src/extension/compare/) for up to three structures.
import * as vscode from 'vscode';
import { ComparePanel, type ComparisonInput } from './compare';

export type { ComparisonInput };

export async function showComparison(ctx: vscode.ExtensionContext, input: ComparisonInput): Promise<ComparePanel> {
  return ComparePanel.show(ctx, input);
}

/** Reload serializer + selection highlighting of the panel, and a test hook reporting what it last drew. */
export function registerComparison(ctx: vscode.ExtensionContext): void {
  ComparePanel.register(ctx);
  ctx.subscriptions.push(
    vscode.commands.registerCommand('backmapStudio.internal.compareState', () => {
      const p = ComparePanel.current;
      return p ? { title: p.panel.title, visible: p.panel.visible, rendered: p.lastRendered ?? null } : null;
    }),
  );
}
