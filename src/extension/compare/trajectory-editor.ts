// Clicking an XTC, DCD or TRR file opens it in the comparison view (a read-only custom editor) instead of VS
// Code's binary-file editor: the topology beside it is asked for, then the frames play in the panel.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { ComparePanel } from './panel';
import { chooseTopology, trajectoryComparison } from './open-trajectory';

export class TrajectoryEditorProvider implements vscode.CustomReadonlyEditorProvider {
  static readonly viewType = 'backmapStudio.trajectory';

  static register(context: vscode.ExtensionContext): vscode.Disposable {
    const d = vscode.window.registerCustomEditorProvider(TrajectoryEditorProvider.viewType, new TrajectoryEditorProvider(context), {
      webviewOptions: { retainContextWhenHidden: true },
      supportsMultipleEditorsPerDocument: true,
    });
    context.subscriptions.push(d);
    return d;
  }

  private constructor(private readonly context: vscode.ExtensionContext) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => {} };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    const file = document.uri.fsPath;
    const p = ComparePanel.attach(this.context, panel);
    const topology = await chooseTopology(file);
    if (!topology) {
      p.showMessage(`No topology chosen for ${path.basename(file)}: reopen the file, or use "Open in comparison view" on it, to pick one.`);
      return;
    }
    try {
      await p.load(trajectoryComparison(file, topology));
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      p.showMessage(`Cannot show ${path.basename(file)}: ${message}`);
      void vscode.window.showErrorMessage(`Backmap Studio: cannot show ${path.basename(file)}: ${message}`);
    }
  }
}
