// The mapping language client: starts dist/server.js (the mapping engineer's server) over Node IPC for
// documents of language `backmap-mapping`.
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { log } from './log';

export const MAPPING_LANGUAGE = 'backmap-mapping';

export async function startLanguageClient(ctx: vscode.ExtensionContext): Promise<LanguageClient> {
  const module = vscode.Uri.joinPath(ctx.extensionUri, 'dist', 'server.js').fsPath;
  if (!fs.existsSync(module)) throw new Error(`language server not found at ${module} (run "npm run build")`);
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: MAPPING_LANGUAGE }],
    // The server reads backmapStudio.* (reference structure, residue-name map) through workspace/configuration.
    synchronize: { configurationSection: 'backmapStudio' },
    outputChannel: log(),
    initializationOptions: { extensionPath: ctx.extensionUri.fsPath },
  };
  const client = new LanguageClient('backmapStudio.mapping', 'Backmap Studio mapping server', serverOptions, clientOptions);
  const t0 = Date.now();
  await client.start();
  log().info(`language server started in ${Date.now() - t0} ms (${module})`);
  return client;
}
