// Extension entry point. Activation wires: the log channel, the command set (each wrapped by the factory in
// commands.ts), YAML content detection and the mapping language client. A failure while activating is shown to
// the user and logged, then rethrown so VS Code marks the activation as failed instead of half-working silently.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { startLanguageClient } from './client';
import { registerComparison } from './comparison';
import { registerMappingDetection } from './detect';
import { describeError, disposeLog, log } from './log';
import { disposeEngine } from './engine';
import { registerCommands } from './registry';
import { registerPrepare } from './prepare';

let client: LanguageClient | undefined;

export async function activate(ctx: vscode.ExtensionContext): Promise<ExtensionApi> {
  const t0 = Date.now();
  try {
    log().info(`Backmap Studio ${ctx.extension.packageJSON.version} activating (node ${process.version}, ${process.platform}-${process.arch})`);
    registerCommands(ctx);
    registerPrepare(ctx);
    registerComparison(ctx);
    registerMappingDetection(ctx);
    log().info(`activated in ${Date.now() - t0} ms`);
  } catch (e) {
    log().error(`activation failed: ${describeError(e)}`);
    void vscode.window.showErrorMessage(`Backmap Studio failed to activate: ${e instanceof Error ? e.message : String(e)}`, 'Show Log')
      .then((c) => c && log().show(true));
    throw e;
  }
  // The language server is not needed by the commands; start it without blocking activation, but surface failures.
  const ready = startLanguageClient(ctx).then(
    (c) => { client = c; return c; },
    (e) => {
      log().error(`mapping language server failed to start: ${describeError(e)}`);
      void vscode.window.showErrorMessage(`Backmap Studio: the mapping language server failed to start: ${e instanceof Error ? e.message : String(e)}`, 'Show Log')
        .then((c) => c && log().show(true));
      return undefined;
    },
  );
  return { languageClientReady: ready, log: log() };
}

/** Returned from `activate`; tests use it to wait for the server. */
export interface ExtensionApi {
  languageClientReady: Promise<LanguageClient | undefined>;
  log: vscode.LogOutputChannel;
}

export async function deactivate(): Promise<void> {
  try {
    disposeEngine();
    await client?.stop();
  } finally {
    client = undefined;
    disposeLog();
  }
}
