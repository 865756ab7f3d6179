// UI end-to-end plumbing: the packaged linux-x64 VSIX installed into a fresh code-server profile, a fresh fixture
// workspace, headless Debian Chromium (playwright-core), and small helpers that drive the workbench like a user.
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
// @ts-expect-error plain ESM helper without types
import { CHROMIUM, CHROMIUM_ARGS, ROOT, freePort, installVsix, makeProfile, requireCodeServer, startCodeServer } from '../../scripts/harness/common.mjs';

export const RESULTS = join(ROOT, 'test-results');

export interface Session {
  page: Page;
  ctx: BrowserContext;
  ws: string;
  url: string;
  /** Where code-server unpacked the VSIX. */
  extensionDir: string;
  /** The extension's global storage in this profile (the stored report: last-report.md). */
  globalStorage: string;
  close(): Promise<void>;
}

/** Packages (unless E2E_VSIX names one) and installs the VSIX, writes fixtures, starts code-server + Chromium. */
export async function openSession(): Promise<Session> {
  requireCodeServer();
  mkdirSync(RESULTS, { recursive: true });
  let vsix = process.env.E2E_VSIX;
  if (!vsix) {
    vsix = join(ROOT, 'out', 'vsix', 'backmap-studio-linux-x64.vsix');
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'harness', 'package.mjs'), '--target', 'linux-x64'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('packaging the VSIX failed');
  }
  if (!existsSync(vsix)) throw new Error(`VSIX not found: ${vsix}`);
  const ws = mkdtempSync(join(tmpdir(), 'backmap-e2e-ws-'));
  const fx = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'harness', 'make-fixtures.ts'), ws], { cwd: ROOT, stdio: 'inherit' });
  if (fx.status !== 0) throw new Error('fixture generation failed');
  const profile = makeProfile('backmap-e2e-');
  await installVsix(profile, vsix);
  const extensionDir = readdirSync(profile.exts).filter((d) => d.startsWith('backmap-studio.backmap-studio-')).map((d) => join(profile.exts, d))[0];
  if (!extensionDir) throw new Error(`the VSIX was not unpacked into ${profile.exts}`);
  const port = await freePort();
  const cs = await startCodeServer(profile, port);
  let ctx: BrowserContext;
  try {
    ctx = await chromium.launchPersistentContext(join(profile.dir, 'chromium'), {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 900 },
    });
  } catch (e) {
    await cs.stop(); // never leave a code-server behind
    throw e;
  }
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.setDefaultTimeout(30000);
  // The workbench console (when-clause parse errors, webview failures) goes to test-results/e2e-console.log.
  const consoleLog = createWriteStream(join(RESULTS, 'e2e-console.log'));
  page.on('console', (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => consoleLog.write(`[pageerror] ${e.message}\n`));
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`;
  await page.goto(url);
  return {
    page, ctx, ws, url, extensionDir, globalStorage: join(profile.udd, 'User', 'globalStorage', 'backmap-studio.backmap-studio'),
    async close() {
      await ctx.close().catch(() => {});
      await cs.stop();
      if (!process.env.KEEP) {
        rmSync(ws, { recursive: true, force: true });
        rmSync(profile.dir, { recursive: true, force: true });
      } else console.log(`kept workspace ${ws} and profile ${profile.dir}`);
    },
  };
}

export const explorerRow = (page: Page, name: string): Locator =>
  page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();

/** Runs a palette command by its full title ("Category: Title"). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible' });
  await input.fill('>' + title);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

/**
 * Right-click `row`, then choose `entry` — hover until focused, then Enter (a click during the menu's fade-in can be
 * lost). Contributed entries appear only once the extension host has registered the installed extensions, so a
 * menu without the entry is closed and opened again (up to `ms`).
 */
export async function contextMenu(page: Page, row: Locator, entry: string, ms = 60000): Promise<void> {
  const end = Date.now() + ms;
  const item = page.locator('.monaco-menu .action-item', { hasText: entry }).first();
  for (;;) {
    await row.click({ button: 'right' });
    await page.locator('.monaco-menu').first().waitFor({ state: 'visible' });
    if (await item.isVisible().catch(() => false) || (await item.waitFor({ state: 'visible', timeout: 1500 }).then(() => true, () => false))) break;
    if (Date.now() > end) throw new Error(`context menu has no entry "${entry}" after ${ms} ms`);
    await page.keyboard.press('Escape');
    await page.waitForTimeout(1000);
  }
  await item.hover();
  await page.waitForFunction((el) => el?.classList.contains('focused'), await item.elementHandle(), { timeout: 5000 });
  await page.keyboard.press('Enter');
}

export async function poll<T>(fn: () => T | Promise<T>, ms: number, what: string): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
