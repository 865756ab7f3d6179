#!/usr/bin/env node
// Builds production bundles and one VSIX per platform. Each VSIX carries dist/, models/, mappings/, syntaxes/ and,
// of node_modules, only onnxruntime-node (JS + that platform's native binaries) and onnxruntime-common: everything
// else is bundled by esbuild, and onnxruntime-node is external there, so it is resolved from the VSIX's own
// node_modules at run time.
// Usage: node scripts/harness/package.mjs [--no-build] [--target linux-x64 ...]   → out/vsix/backmap-studio-<target>.vsix
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './common.mjs';

const ALL = { 'linux-x64': 'linux/x64', 'linux-arm64': 'linux/arm64', 'darwin-arm64': 'darwin/arm64', 'win32-x64': 'win32/x64', 'win32-arm64': 'win32/arm64' };
const argv = process.argv.slice(2);
const targets = argv.flatMap((a, i) => (argv[i - 1] === '--target' ? [a] : []));
const chosen = targets.length ? targets : Object.keys(ALL);
for (const t of chosen) if (!ALL[t]) { console.error(`unknown target ${t} (known: ${Object.keys(ALL).join(', ')})`); process.exit(2); }

const sh = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts });
  if (r.status !== 0) { console.error(`${cmd} ${args.join(' ')} failed (${r.status})`); process.exit(r.status ?? 1); }
};
if (!argv.includes('--no-build')) sh(process.execPath, ['esbuild.mjs', '--production']);
for (const f of ['dist/extension.js', 'dist/server.js', 'dist/worker.js']) {
  if (!existsSync(join(ROOT, f))) { console.error(`package: ${f} missing (build failed?)`); process.exit(1); }
}

const outDir = join(ROOT, 'out', 'vsix');
mkdirSync(outDir, { recursive: true });
const base = readFileSync(join(ROOT, '.vscodeignore'), 'utf8');
const vsce = join(ROOT, 'node_modules', '.bin', 'vsce');
for (const target of chosen) {
  const bin = `node_modules/onnxruntime-node/bin/napi-v*/${ALL[target]}`;
  const ignore = join(outDir, `.vscodeignore.${target}`);
  writeFileSync(ignore, `${base}\n# ${target}\n!${bin}/**\n`);
  const out = join(outDir, `backmap-studio-${target}.vsix`);
  rmSync(out, { force: true });
  const t0 = Date.now();
  sh(vsce, ['package', '--target', target, '--ignoreFile', ignore, '--allow-missing-repository', '--skip-license', '-o', out],
    { env: { ...process.env, npm_config_loglevel: 'error' } });
  console.log(`package: ${target} → ${out} (${(statSync(out).size / 1048576).toFixed(1)} MiB, ${Date.now() - t0} ms)`);
}
