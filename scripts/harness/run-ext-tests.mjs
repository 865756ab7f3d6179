#!/usr/bin/env node
// Runs the extension-host tests (test/vscode/suite/*.test.ts, mocha inside VS Code's Node extension host) in a real
// VS Code: code-server 4.100.3 from .harness/, driven by headless Debian Chromium through playwright-core. The tests
// are passed with the workbench `payload` URL parameter (extensionDevelopmentPath + extensionTestsPath), which is
// what `code --extensionTestsPath` does on the desktop.
// Usage: node scripts/harness/run-ext-tests.mjs [--no-build] [--grep PATTERN]
// Env: TEST_TIMEOUT_MS (default 600000), VERBOSE=1 (echo the page console), KEEP=1 (keep the temp workspace).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, ROOT, bundleExtTests, freePort, makeProfile, makeWorkspace, requireCodeServer, startCodeServer } from './common.mjs';

const argv = process.argv.slice(2);
const grep = argv.includes('--grep') ? argv[argv.indexOf('--grep') + 1] : process.env.MOCHA_GREP;
const t0 = Date.now();
requireCodeServer();

if (!argv.includes('--no-build')) {
  const b = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const testsIndex = await bundleExtTests();
// A fresh workspace with project-made fixtures for every run: tests write outputs next to their inputs.
const ws = await makeWorkspace();

const profile = makeProfile('backmap-ext-');
const resultsFile = join(profile.dir, 'results.json');
const port = await freePort();
const host = `127.0.0.1:${port}`;
const cs = await startCodeServer(profile, port, { BACKMAP_TEST_RESULTS: resultsFile, BACKMAP_TEST_WORKSPACE: ws, MOCHA_GREP: grep ?? '' });
console.log(`code-server (pid ${cs.pid}) up after ${cs.startupMs} ms on ${host}`);

let exitCode = 1;
let outcome = 'timeout';
let ctx;
try {
  ctx = await chromium.launchPersistentContext(join(profile.dir, 'chromium'), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const done = new Promise((resolve) => {
    void page.exposeFunction('codeAutomationExit', (code) => { exitCode = code; outcome = 'exit'; resolve(); });
    // Extension-host console output (mocha's reporter) is forwarded here in extension-development mode.
    void page.exposeFunction('codeAutomationLog', (_type, args) => {
      const t = format(...(args || []));
      if (!/ENOTFOUND|^\s+at /.test(t)) console.log(t);
    });
  });
  if (process.env.VERBOSE) page.on('console', (m) => console.log('[page]', m.text()));
  const remote = (p) => `vscode-remote://${host}${p}`;
  const payload = JSON.stringify([['extensionDevelopmentPath', remote(ROOT)],
    ['extensionTestsPath', remote(testsIndex)], ['skipWelcome', 'true']]);
  await page.goto(`http://${host}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(payload)}`);
  const timeout = new Promise((r) => setTimeout(r, +(process.env.TEST_TIMEOUT_MS || 600000)));
  await Promise.race([done, timeout]);
} finally {
  await ctx?.close().catch(() => {});
  await cs.stop();
}

let results;
if (existsSync(resultsFile)) results = JSON.parse(readFileSync(resultsFile, 'utf8'));
if (!process.env.KEEP) rmSync(ws, { recursive: true, force: true });
rmSync(profile.dir, { recursive: true, force: true });
const secs = ((Date.now() - t0) / 1000).toFixed(1);
if (outcome === 'timeout') console.log(`TIMEOUT waiting for the extension host after ${secs} s`);
if (!results) {
  console.log(`extension-host tests did not report results (exit ${exitCode}, ${secs} s)`);
  console.log('0 passed, 1 failed');
  process.exit(2);
}
for (const f of results.failures) console.log(`FAILED: ${f.title}\n  ${f.error}`);
console.log(`extension-host tests: ${results.passed} passed, ${results.failed} failed, ${results.pending} skipped in ${secs} s`);
console.log(`${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed > 0 || exitCode !== 0 ? 1 : 0);
