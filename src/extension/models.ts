// Models beyond the shipped ones: every workspace folder's `.backmap/models` (where "Train model for this mapping…"
// writes) and the `backmapStudio.models.folders` setting. Every backmap request carries them as `modelDirs`, and
// "Select model…" lists them beside the shipped models, the model-free template, `auto`, or an .onnx file. The choice
// is stored in `backmapStudio.model` (workspace settings when a folder is open, else user settings).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelCard } from '../core/model/contract';
import { accuracySummary, formatAccuracy, listModelEntries, type ModelProblem } from '../core/model/registry';
import { readSettings, type Settings } from './config';
import { log } from './log';
import { resolveWorkspacePath } from './pick';

/** The models folder of a workspace folder (trained models land here). */
export const workspaceModelsFolder = (workspaceFolder: string) => path.join(workspaceFolder, '.backmap', 'models');

const warnedMissing = new Set<string>();

/**
 * `modelDirs` of a backmap request: `<each workspace folder>/.backmap/models` (whether it exists yet or not), then
 * the setting's folders (relative ones against the workspace folder of `s.scope`). A configured folder that does not
 * exist is logged once, so a typo does not go unnoticed.
 */
export function modelDirs(s: Settings = readSettings()): string[] {
  const scope = s.scope ? vscode.Uri.file(s.scope) : undefined;
  const ws = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => workspaceModelsFolder(f.uri.fsPath));
  const configured = s.modelFolders.map((d) => resolveWorkspacePath(d, scope));
  for (const d of configured) {
    if (fs.existsSync(d) || warnedMissing.has(d)) continue;
    warnedMissing.add(d);
    log().warn(`backmapStudio.models.folders: ${d} does not exist (no models taken from it)`);
  }
  return [...new Set([...ws, ...configured])];
}

/** Median validation heavy-atom RMSD the card records (training/export.py: `training.validation.all` = [median, mean], Å). */
export function cardValidationRmsd(card: ModelCard): number | undefined {
  const all = (card.training?.validation as { all?: unknown } | null | undefined)?.all;
  const median = Array.isArray(all) ? all[0] : undefined;
  return typeof median === 'number' && Number.isFinite(median) ? median : undefined;
}

interface ModelItem extends vscode.QuickPickItem {
  value: string | 'browse';
}

const samePath = (a: string, b: string) => path.isAbsolute(a) && path.isAbsolute(b) && path.resolve(a) === path.resolve(b);

export async function selectModel(): Promise<string | undefined> {
  const current = vscode.workspace.getConfiguration('backmapStudio').get<string>('model', 'auto');
  const items: ModelItem[] = [
    { label: 'auto', description: 'the shipped or workspace model that matches the input mapping', value: 'auto' },
    { label: 'template', description: 'model-free: ideal-geometry fragments on the beads (no ONNX)', value: 'template' },
  ];
  const problems: ModelProblem[] = [];
  const entries = listModelEntries(modelDirs(), problems);
  for (const p of problems) log().warn(`${p.file}: ${p.message}`);
  const shipped = entries.filter((e) => e.source === 'shipped');
  const mine = entries.filter((e) => e.source === 'folder');
  if (shipped.length) items.push({ label: 'Shipped models', kind: vscode.QuickPickItemKind.Separator, value: '' });
  for (const { card: c } of shipped) {
    // The first route is the model's own mapping on held-out chains (bench:accuracy); the detail line lists all.
    const acc = accuracySummary(c);
    const rmsd = acc.length ? ` · ALL ${acc[0].all.toFixed(2)} Å` : '';
    const detail = acc.length ? `held-out median RMSD BB/SC/ALL: ${formatAccuracy(acc)}` : c.description;
    items.push({ label: c.id, description: `mapping ${c.mapping.id}${rmsd}`, detail, value: c.id });
  }
  if (mine.length) items.push({ label: 'Workspace and folder models', kind: vscode.QuickPickItemKind.Separator, value: '' });
  for (const e of mine) {
    // Chosen by path: a trained model's id need not be unique across folders.
    const v = cardValidationRmsd(e.card);
    items.push({
      label: e.card.id,
      description: `mapping ${e.card.mapping.id}${v !== undefined ? ` · validation ${v.toFixed(3)} Å` : ''}`,
      detail: vscode.workspace.asRelativePath(e.onnxPath),
      value: e.onnxPath,
    });
  }
  items.push({ label: 'Other', kind: vscode.QuickPickItemKind.Separator, value: '' });
  items.push({ label: '$(folder-opened) Browse for an .onnx model…', value: 'browse' });
  for (const it of items) {
    if (it.value !== current && !samePath(it.value, current)) continue;
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
