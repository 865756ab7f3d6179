// The one output channel of the extension. Every module logs here (rust-analyzer/vscode-eslint style) so a user
// can send one log; `{ log: true }` gives levels, timestamps and the "Set Log Level" UI for free.
import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

export function log(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('Backmap Studio', { log: true });
  return channel;
}

export function disposeLog(): void {
  channel?.dispose();
  channel = undefined;
}

/** `e` as one loggable string, stack included for internal errors. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.stack && !isUserFacing(e) ? e.stack : e.message;
  return String(e);
}

function isUserFacing(e: Error): boolean {
  return e.name === 'InputError' || e.name === 'CancellationError' || e.name === 'AbortError' || e.name === 'CancelledError' || e.name === 'SetupError' || e.name === 'UsageError';
}
