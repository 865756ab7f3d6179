// The server runs as an esbuild bundle over stdio (`node dist/server.js --stdio`) and over node-ipc (how the VS Code
// client starts it); the reference structure setting feeds folder diagnostics (X9) through workspace/configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { ROOT, startServer } from './lsp-client';
import { buildPeptide } from '../../src/core/chemistry/peptide';
import { formatPdb } from '../../src/core/structure/pdb';

const DOC = 'molecule: ALA\natoms:\n  CA: BB P1A\n  N:  BB P2AA\n  MG: BB\n';

async function roundTrip(conn: MessageConnection, dir: string) {
  conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => ({})));
  conn.onNotification('window/logMessage', () => undefined);
  conn.listen();
  const init = await conn.sendRequest<{ capabilities: Record<string, unknown> }>('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  assert.ok(init.capabilities.diagnosticProvider);
  assert.ok(init.capabilities.hoverProvider);
  await conn.sendNotification('initialized', {});
  const uri = pathToFileURL(join(dir, 'ala.yaml')).toString();
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'backmap-mapping', version: 1, text: DOC } });
  const r = await conn.sendRequest<{ items: { code: string; severity: number }[] }>('textDocument/diagnostic', { textDocument: { uri } });
  assert.ok(r.items.some((d) => d.code === 'E4' && d.severity === 1), JSON.stringify(r.items));
  await conn.sendRequest('shutdown');
  await conn.sendNotification('exit');
}

test('bundled server (esbuild, like dist/server.js) answers over --stdio', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bms-bundle-'));
  try {
    const out = join(dir, 'server.js');
    await esbuild.build({ entryPoints: [join(ROOT, 'src', 'server', 'main.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['vscode', 'onnxruntime-node'], outfile: out, logLevel: 'silent' });
    const proc = spawn(process.execPath, [out, '--stdio'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const conn = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    await roundTrip(conn, dir);
    conn.dispose();
    await new Promise((r) => { if (proc.exitCode !== null) r(null); else proc.on('exit', r); setTimeout(r, 3000); });
    if (proc.exitCode === null) proc.kill();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('server answers over node-ipc (the VS Code client transport)', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bms-ipc-'));
  const child = fork(join(ROOT, 'src', 'server', 'main.ts'), ['--node-ipc'], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['pipe', 'pipe', 'pipe', 'ipc'] });
  try {
    const conn = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    await roundTrip(conn, dir);
    conn.dispose();
  } finally {
    if (child.exitCode === null) child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reference structure setting: residue atoms missing from the mapping are reported (X9)', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bms-ref-'));
  writeFileSync(join(dir, 'ref.pdb'), formatPdb(buildPeptide('GAG')));
  writeFileSync(join(dir, 'ala.yaml'), 'molecule: ALA\natoms:\n  CA: BB P1A\n  N:  BB P2AA\n  C:  BB P2AB\n');
  const client = await startServer({ rootPath: dir, configuration: { referenceStructure: 'ref.pdb' } });
  try {
    const uri = pathToFileURL(join(dir, 'ala.yaml')).toString();
    client.open(uri, 'molecule: ALA\natoms:\n  CA: BB P1A\n  N:  BB P2AA\n  C:  BB P2AB\n');
    const r = await client.request<{ items: { code: string; message: string }[] }>('textDocument/diagnostic', { textDocument: { uri } });
    const x9 = r.items.find((d) => d.code === 'X9');
    assert.ok(x9, JSON.stringify(r.items.map((d) => d.code)));
    assert.match(x9.message, /O, CB/);
  } finally {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
