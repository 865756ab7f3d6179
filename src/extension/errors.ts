// How errors reach the user. An InputError (bad user input) names file:line and offers "Open", which reveals the
// location; anything else is an internal error: shown briefly, logged in full. Cancellation is silent.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { describeError, log } from './log';

/** The location fields of an InputError. Duck-typed: errors rebuilt from the worker or another bundle qualify too. */
export interface ErrorLocation {
  file: string;
  line?: number;
  column?: number;
  detail: string;
}

export function inputErrorLocation(e: unknown): ErrorLocation | undefined {
  if (!(e instanceof Error) && (typeof e !== 'object' || e === null)) return undefined;
  const o = e as { name?: unknown; file?: unknown; line?: unknown; column?: unknown; message?: unknown; detail?: unknown };
  if (o.name !== 'InputError' || typeof o.file !== 'string') return undefined;
  const line = typeof o.line === 'number' && o.line > 0 ? o.line : undefined;
  const column = typeof o.column === 'number' && o.column > 0 ? o.column : undefined;
  const detail = typeof o.detail === 'string' ? o.detail : String(o.message ?? '');
  return { file: o.file, line, column, detail };
}

export function isCancellation(e: unknown): boolean {
  if (e instanceof vscode.CancellationError) return true;
  const name = (e as { name?: unknown } | null)?.name;
  // CancelledError: the engine's (a run stopped on request, also when it crossed the worker boundary).
  return name === 'AbortError' || name === 'CancellationError' || name === 'Canceled' || name === 'CancelledError';
}

/** Opens `file` at 1-based `line`/`column` (whole line selected when no column). */
export async function revealLocation(file: string, line?: number, column?: number): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const l = Math.min(Math.max((line ?? 1) - 1, 0), Math.max(doc.lineCount - 1, 0));
  const range = column
    ? new vscode.Range(l, column - 1, l, column - 1)
    : doc.lineAt(l).range;
  const editor = await vscode.window.showTextDocument(doc, { preview: false });
  editor.selection = new vscode.Selection(range.start, range.end);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return editor;
}

/** Shows `e` to the user the way its kind deserves. Resolves once the message is dismissed or acted on. */
export async function reportError(e: unknown, context: string): Promise<void> {
  if (isCancellation(e)) {
    log().info(`${context}: cancelled`);
    return;
  }
  const loc = inputErrorLocation(e);
  if (loc) {
    const where = loc.line ? `${path.basename(loc.file)}:${loc.line}` : path.basename(loc.file);
    log().warn(`${context}: ${loc.file}${loc.line ? `:${loc.line}` : ''}: ${loc.detail}`);
    const choice = await vscode.window.showErrorMessage(`${where}: ${loc.detail}`, 'Open');
    if (choice === 'Open') await revealLocation(loc.file, loc.line, loc.column);
    return;
  }
  if ((e as { name?: unknown } | null)?.name === 'SetupError') {
    // Something to install or configure (training's Python with PyTorch): not a bug, so no stack; the setting that
    // names the interpreter is one click away.
    const message = e instanceof Error ? e.message : String(e);
    log().warn(`${context}: ${message}`);
    const choice = await vscode.window.showErrorMessage(`Backmap Studio: ${message}`, 'Open Settings', 'Show Log');
    if (choice === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'backmapStudio.training.python');
    if (choice === 'Show Log') log().show(true);
    return;
  }
  log().error(`${context} failed: ${describeError(e)}`);
  const choice = await vscode.window.showErrorMessage(
    `Backmap Studio: ${context} failed: ${e instanceof Error ? e.message : String(e)}`,
    'Show Log',
  );
  if (choice === 'Show Log') log().show(true);
}
