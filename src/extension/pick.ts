// Which file a command acts on: the Uri a menu passes, else the active editor's file when it fits, else a picker.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { fileFormatOf, fileStem, STRUCTURE_FILE_EXTENSIONS, TRAJECTORY_FILE_EXTENSIONS } from '../core/io/formats';
import { nonClobberingPath } from '../core/structure/write';

export const STRUCTURE_FILTER = { 'Structures (PDB, GRO, mmCIF)': [...STRUCTURE_FILE_EXTENSIONS] };
export const TRAJECTORY_FILTER = { 'Trajectories (XTC, DCD, TRR)': [...TRAJECTORY_FILE_EXTENSIONS] };

export const isStructurePath = (p: string) => fileFormatOf(p)?.kind === 'structure';
export const isTrajectoryPath = (p: string) => fileFormatOf(p)?.kind === 'trajectory';

/** The Uri passed by a menu (explorer passes (uri, selected[]), editor/title passes uri), if it is a file Uri. */
export function argUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg) return vscode.Uri.file(arg);
  return undefined;
}

function defaultFolder(): vscode.Uri | undefined {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file') return vscode.Uri.file(path.dirname(active.fsPath));
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

export async function pickFile(title: string, filters: Record<string, string[]>): Promise<vscode.Uri | undefined> {
  const r = await vscode.window.showOpenDialog({ title, canSelectMany: false, canSelectFiles: true, canSelectFolders: false, filters, defaultUri: defaultFolder(), openLabel: 'Select' });
  return r?.[0];
}

export async function pickFolder(title: string): Promise<vscode.Uri | undefined> {
  const r = await vscode.window.showOpenDialog({ title, canSelectMany: false, canSelectFiles: false, canSelectFolders: true, defaultUri: defaultFolder(), openLabel: 'Select folder' });
  return r?.[0];
}

/** The structure a command should act on, or undefined when the user cancelled the picker (`filters`: what it offers). */
export async function structureTarget(arg: unknown, title: string, filters: Record<string, string[]> = STRUCTURE_FILTER): Promise<vscode.Uri | undefined> {
  const uri = argUri(arg);
  if (uri) return uri;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file' && isStructurePath(active.fsPath)) return active;
  return pickFile(title, filters);
}

/** Resolves `p` against the first workspace folder when relative; `~` is not expanded (VS Code settings convention). */
export function resolveWorkspacePath(p: string, scope?: vscode.Uri): string {
  if (path.isAbsolute(p)) return p;
  const folder = (scope && vscode.workspace.getWorkspaceFolder(scope)) ?? vscode.workspace.workspaceFolders?.[0];
  return folder ? path.join(folder.uri.fsPath, p) : path.resolve(p);
}

/** `<dir>/<stem>.<tag>.<ext>` beside `input`, never an existing file. */
export function outputBeside(input: string, tag: string, ext: string): string {
  return nonClobberingPath(path.join(path.dirname(input), `${fileStem(input)}.${tag}.${ext}`));
}
