// Helpers shared by the extension-host tests.
import * as path from 'node:path';
import * as vscode from 'vscode';

export const EXT_ID = 'backmap-studio.backmap-studio';

export function wsRoot(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  if (!f) throw new Error('no workspace folder open');
  return f.uri.fsPath;
}

export const wsFile = (...p: string[]) => vscode.Uri.file(path.join(wsRoot(), ...p));

/** Polls `cond` every 100 ms; throws with `what` after `ms`. */
export async function waitFor<T>(cond: () => T | Promise<T>, ms: number, what: string): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
