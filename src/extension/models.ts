// "Select model…": the shipped models (registry), the model-free template, `auto`, or an .onnx file. The choice is
// stored in `backmapStudio.model` (workspace settings when a folder is open, else user settings).
import * as vscode from 'vscode';
import { accuracySummary, formatAccuracy, listModels } from '../core/model/registry';
import { log } from './log';

interface ModelItem extends vscode.QuickPickItem {
  value: string | 'browse';
}

export async function selectModel(): Promise<string | undefined> {
  const current = vscode.workspace.getConfiguration('backmapStudio').get<string>('model', 'auto');
  const items: ModelItem[] = [
    { label: 'auto', description: 'the shipped model that matches the input mapping', value: 'auto' },
    { label: 'template', description: 'model-free: ideal-geometry fragments on the beads (no ONNX)', value: 'template' },
  ];
  const cards = listModels();
  if (cards.length) items.push({ label: 'Shipped models', kind: vscode.QuickPickItemKind.Separator, value: '' });
  for (const c of cards) {
    // The first route is the model's own mapping on held-out chains (bench:accuracy); the detail line lists all.
    const acc = accuracySummary(c);
    const rmsd = acc.length ? ` · ALL ${acc[0].all.toFixed(2)} Å` : '';
    const detail = acc.length ? `held-out median RMSD BB/SC/ALL: ${formatAccuracy(acc)}` : c.description;
    items.push({ label: c.id, description: `mapping ${c.mapping.id}${rmsd}`, detail, value: c.id });
  }
  items.push({ label: 'Other', kind: vscode.QuickPickItemKind.Separator, value: '' });
  items.push({ label: '$(folder-opened) Browse for an .onnx model…', value: 'browse' });
  for (const it of items) {
    if (it.value !== current) continue;
    it.picked = true;
    it.label = `$(check) ${it.label}`;
  }
  const chosen = await vscode.window.showQuickPick(items, { title: 'Backmap Studio: backmapping model', placeHolder: `current: ${current}`, matchOnDescription: true });
  if (!chosen) return undefined;
  let value = chosen.value;
  if (value === 'browse') {
    const r = await vscode.window.showOpenDialog({ title: 'ONNX model (its .json card beside it)', filters: { 'ONNX model': ['onnx'] }, canSelectMany: false });
    if (!r?.[0]) return undefined;
    value = r[0].fsPath;
  }
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration('backmapStudio').update('model', value, target);
  log().info(`model set to ${value}`);
  void vscode.window.showInformationMessage(`Backmap Studio: model set to ${value}.`);
  return value;
}
