// Shared pieces of the real-VS-Code harness: code-server under .harness/, a throw-away profile, a free port,
// Debian's Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const HARNESS = process.env.HARNESS_DIR || join(ROOT, '.harness');
export const CODE_SERVER = process.env.CODE_SERVER || join(HARNESS, 'cs', 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const USER_SETTINGS = {
  'workbench.startupEditor': 'none', 'workbench.tips.enabled': false, 'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false, 'extensions.ignoreRecommendations': true,
  'update.mode': 'none', 'security.workspace.trust.enabled': false, 'window.restoreWindows': 'none',
  'workbench.enableExperiments': false, 'chat.commandCenter.enabled': false,
};

export function requireCodeServer() {
  if (!existsSync(CODE_SERVER)) {
    console.error(`harness: code-server not found at ${CODE_SERVER}; run "bash scripts/harness/setup.sh" first`);
    process.exit(3);
  }
}

export async function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
  });
}

/** A fresh code-server profile: user settings, extensions dir, XDG dirs (so nothing leaks into ~). */
export function makeProfile(prefix, extraSettings = {}) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, 'udd', 'User'), { recursive: true });
  mkdirSync(join(dir, 'exts'), { recursive: true });
  writeFileSync(join(dir, 'udd', 'User', 'settings.json'), JSON.stringify({ ...USER_SETTINGS, ...extraSettings }, null, 2));
  writeFileSync(join(dir, 'config.yaml'), 'auth: none\ncert: false\n');
  return {
    dir, udd: join(dir, 'udd'), exts: join(dir, 'exts'), config: join(dir, 'config.yaml'),
    env: { XDG_CONFIG_HOME: join(dir, 'xdg', 'config'), XDG_DATA_HOME: join(dir, 'xdg', 'data'), XDG_CACHE_HOME: join(dir, 'xdg', 'cache') },
  };
}

/** Installs a VSIX into the profile's extensions dir with code-server's own CLI. */
export async function installVsix(profile, vsix) {
  const args = ['--config', profile.config, '--user-data-dir', profile.udd, '--extensions-dir', profile.exts,
    '--install-extension', vsix, '--force'];
  const r = await run(CODE_SERVER, args, { ...process.env, ...profile.env });
  if (r.code !== 0 || !/successfully installed/i.test(r.out)) throw new Error(`installing ${vsix} failed:\n${r.out}`);
  return r.out;
}

function run(cmd, args, env) {
  return new Promise((res) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => res({ code, out }));
  });
}

/** Starts code-server on 127.0.0.1:port; resolves once it listens. `stop()` kills its process group. */
export async function startCodeServer(profile, port, env = {}) {
  const t0 = Date.now();
  const cs = spawn(CODE_SERVER, ['--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--config', profile.config,
    '--user-data-dir', profile.udd, '--extensions-dir', profile.exts, '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', '--ignore-last-opened'],
  { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...profile.env, ...env } });
  let log = '';
  cs.stdout.on('data', (d) => (log += d));
  cs.stderr.on('data', (d) => (log += d));
  const exited = new Promise((r) => cs.on('exit', (c) => r(c)));
  for (let i = 0; !/HTTP server listening/.test(log); i++) {
    if (i > 600 || cs.exitCode !== null) throw new Error(`code-server did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: cs.pid, startupMs: Date.now() - t0, log: () => log,
    async stop() {
      try { process.kill(-cs.pid, 'SIGTERM'); } catch { /* already gone */ }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      try { process.kill(-cs.pid, 'SIGKILL'); } catch { /* already gone */ }
    },
  };
}

/** Bundles test/vscode/suite/*.ts → out/test/vscode/suite/*.js (one bundle per file; mocha and vscode stay external). */
export async function bundleExtTests() {
  const esbuild = await import('esbuild');
  const { readdirSync, rmSync } = await import('node:fs');
  const suiteDir = join(ROOT, 'test', 'vscode', 'suite');
  const outDir = join(ROOT, 'out', 'test', 'vscode', 'suite');
  rmSync(outDir, { recursive: true, force: true });
  const entries = readdirSync(suiteDir).filter((f) => /\.ts$/.test(f)).map((f) => join(suiteDir, f));
  await esbuild.build({
    entryPoints: entries, outdir: outDir, bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: 'inline',
    external: ['vscode', 'mocha', 'onnxruntime-node'], logLevel: 'warning',
  });
  return join(outDir, 'index.js');
}

/** A fresh temp workspace filled by scripts/harness/make-fixtures.ts (project-made structures and mappings). */
export async function makeWorkspace(prefix = 'backmap-ws-') {
  const { spawnSync } = await import('node:child_process');
  const ws = mkdtempSync(join(tmpdir(), prefix));
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'harness', 'make-fixtures.ts'), ws], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('fixture generation failed');
  return ws;
}
