#!/usr/bin/env node
// Runs the TypeScript unit/integration tests with Node's own test runner (through tsx).
// Usage: node scripts/run-tests.mjs [dir-or-file ...]   (default: every node:test suite; the extension-host and UI suites run on their own)
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('-'));
const defaults = ['test/core', 'test/cli', 'test/engine', 'test/server', 'test/webview', 'test/training'];
const files = [];
const walk = (p) => {
  if (!existsSync(p)) return;
  if (statSync(p).isDirectory()) for (const f of readdirSync(p).sort()) walk(join(p, f));
  else if (/\.test\.(ts|mjs|js)$/.test(p)) files.push(p);
};
for (const r of roots.length ? roots : defaults) walk(r);
if (!files.length) { console.error('run-tests: no test files found'); process.exit(1); }
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...passThrough, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
