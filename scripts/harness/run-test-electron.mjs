#!/usr/bin/env node
// The same extension-host tests through @vscode/test-electron (downloads a desktop VS Code, so it needs internet;
// on this offline CI use `npm run test:vscode-server`, which runs them in code-server instead).
// Usage: node scripts/harness/run-test-electron.mjs [--no-build]   (VSCODE_VERSION overrides the default 1.100.3)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { ROOT, bundleExtTests, makeWorkspace } from './common.mjs';

if (!process.argv.includes('--no-build')) {
  const b = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const extensionTestsPath = await bundleExtTests();
const ws = await makeWorkspace();
const tmp = mkdtempSync(join(tmpdir(), 'backmap-electron-'));
const resultsFile = join(tmp, 'results.json');
let code = 0;
try {
  await runTests({
    version: process.env.VSCODE_VERSION || '1.100.3',
    extensionDevelopmentPath: ROOT,
    extensionTestsPath,
    launchArgs: [ws, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', join(tmp, 'udd')],
    extensionTestsEnv: { BACKMAP_TEST_RESULTS: resultsFile, BACKMAP_TEST_WORKSPACE: ws, MOCHA_GREP: process.env.MOCHA_GREP ?? '' },
  });
} catch (e) {
  console.error(`test-electron: ${e instanceof Error ? e.message : e}`);
  code = 1;
}
if (existsSync(resultsFile)) {
  const r = JSON.parse(readFileSync(resultsFile, 'utf8'));
  console.log(`${r.passed} passed, ${r.failed} failed`);
  if (r.failed) code = 1;
} else {
  console.log('0 passed, 1 failed');
  code = 1;
}
rmSync(tmp, { recursive: true, force: true });
rmSync(ws, { recursive: true, force: true });
process.exit(code);
