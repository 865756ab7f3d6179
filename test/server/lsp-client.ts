// Minimal LSP client for protocol-level tests: spawns the server and speaks JSON-RPC over stdio.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';

export const ROOT = join(__dirname, '..', '..');

export interface Client {
  conn: MessageConnection;
  proc: ChildProcess;
  stderr: () => string;
  request<R = unknown>(method: string, params: unknown, timeoutMs?: number): Promise<R>;
  notify(method: string, params: unknown): void;
  open(uri: string, text: string, version?: number): void;
  change(uri: string, text: string, version: number): void;
  close(): Promise<void>;
  applied: unknown[];
  /** window/logMessage messages of type Error (handlers that threw). */
  errors: string[];
}

/** Spawn the server from source through tsx (or from dist/server.js when BMS_SERVER_BUNDLE=1 and it exists). */
export async function startServer(opts: { rootPath?: string; configuration?: Record<string, unknown> } = {}): Promise<Client> {
  const bundle = join(ROOT, 'dist', 'server.js');
  const args = process.env.BMS_SERVER_BUNDLE === '1' && existsSync(bundle) ? [bundle, '--stdio'] : ['--import', 'tsx', join(ROOT, 'src', 'server', 'main.ts'), '--stdio'];
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => { err += d.toString(); });
  const conn = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
  const applied: unknown[] = [];
  conn.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => p.items.map((i) => (i.section === 'backmapStudio.mapping' ? opts.configuration ?? {} : null)));
  conn.onRequest('workspace/applyEdit', (p: unknown) => { applied.push(p); return { applied: true }; });
  conn.onRequest('workspace/diagnostic/refresh', () => null);
  conn.onRequest('client/registerCapability', () => null);
  const errors: string[] = [];
  conn.onNotification('window/logMessage', (m: { type: number; message: string }) => { if (m.type === 1) errors.push(m.message); });
  conn.onNotification('window/showMessage', () => undefined);
  conn.listen();
  const request = async <R>(method: string, params: unknown, timeoutMs = 10000): Promise<R> => {
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`${method} timed out after ${timeoutMs} ms\n${err}`)), timeoutMs); });
    try { return await Promise.race([conn.sendRequest(method, params) as Promise<R>, t]); } finally { clearTimeout(timer); }
  };
  const rootUri = opts.rootPath ? `file://${opts.rootPath}` : null;
  await request('initialize', {
    processId: process.pid, rootUri, workspaceFolders: rootUri ? [{ uri: rootUri, name: 'root' }] : null,
    capabilities: { workspace: { configuration: true, applyEdit: true, diagnostics: { refreshSupport: true } }, textDocument: { diagnostic: {} } },
  }, 30000);
  conn.sendNotification('initialized', {});
  return {
    conn, proc, applied, request, errors,
    stderr: () => err,
    notify: (m, p) => { void conn.sendNotification(m, p); },
    open: (uri, text, version = 1) => { void conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'backmap-mapping', version, text } }); },
    change: (uri, text, version) => { void conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] }); },
    close: async () => {
      try { await request('shutdown', null, 3000); conn.sendNotification('exit'); } catch { /* already gone */ }
      await new Promise((r) => setTimeout(r, 50));
      conn.dispose();
      if (proc.exitCode === null) proc.kill();
    },
  };
}

export function posOf(text: string, needle: string, delta = 0, nth = 0): { line: number; character: number } {
  let idx = -1;
  for (let i = 0; i <= nth; i++) idx = text.indexOf(needle, idx + 1);
  if (idx < 0) throw new Error(`needle ${needle} not found`);
  const off = idx + delta;
  const before = text.slice(0, off);
  const line = before.split('\n').length - 1;
  return { line, character: off - (before.lastIndexOf('\n') + 1) };
}
