// Command factory: every command goes through `register`, which logs the invocation and turns any throw into
// a user-facing message (see errors.ts) instead of VS Code's generic "command failed" toast. The wrapped
// command still returns its value, so tests and other extensions can `executeCommand` it.
import * as vscode from 'vscode';
import { reportError } from './errors';
import { log } from './log';

// VS Code passes untyped arguments (URIs, arrays of URIs, test values); each handler declares and checks its own.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CommandHandler = (...args: any[]) => unknown;

/** Last error a command reported (tests read it through `backmapStudio.internal.lastError`). */
let lastError: { command: string; message: string; name: string; stack?: string } | undefined;
export const getLastError = () => lastError;

export function register(ctx: vscode.ExtensionContext, id: string, title: string, fn: CommandHandler): void {
  ctx.subscriptions.push(
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      const t0 = Date.now();
      log().info(`${id}: start`);
      try {
        const r = await fn(...args);
        log().info(`${id}: done in ${Date.now() - t0} ms`);
        return r;
      } catch (e) {
        lastError = { command: id, message: e instanceof Error ? e.message : String(e), name: (e as Error)?.name ?? 'Error', stack: (e as Error)?.stack };
        // Not awaited: the message stays up while the command returns, so callers (and tests) are not blocked on it.
        void reportError(e, title);
        return undefined;
      }
    }),
  );
}
