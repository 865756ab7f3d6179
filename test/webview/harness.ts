// Headless-Chromium harness for the comparison webview: bundles webview/main.ts like esbuild.mjs does,
// serves it in the panel's own HTML (same CSP, nonce) with a fake `acquireVsCodeApi`, and screenshots.
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as esbuild from 'esbuild';
import { PNG } from 'pngjs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { compareHtml, makeNonce } from '../../src/extension/compare/html';

export const ROOT = resolve(__dirname, '../..');
export const RESULTS = join(ROOT, 'test-results', 'webview');
export const CHROMIUM = '/usr/bin/chromium';
export const chromiumMissing = (): string | false => (existsSync(CHROMIUM) ? false : `${CHROMIUM} absent`);

/** Same options as the webview entry of esbuild.mjs (kept in step by hand), into a test-only folder. */
export async function buildWebview(outdir = join(RESULTS, 'bundle')): Promise<{ js: string; css: string; ms: number }> {
  const t0 = Date.now();
  mkdirSync(outdir, { recursive: true });
  await esbuild.build({
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    minify: true,
    sourcemap: false,
    entryPoints: [join(ROOT, 'webview/main.ts')],
    outfile: join(outdir, 'webview.js'),
    logLevel: 'error',
    legalComments: 'none',
    loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl' },
    define: { 'process.env.NODE_ENV': '"production"', __MOLSTAR_DEBUG_TIMESTAMP__: '0' },
  });
  return { js: join(outdir, 'webview.js'), css: join(outdir, 'webview.css'), ms: Date.now() - t0 };
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.pdb': 'text/plain', '.cif': 'text/plain' };

export interface TestServer {
  origin: string;
  /** Serve `body` at `path` (e.g. a structure the page fetches like a webview URI). */
  put(path: string, body: string | Buffer): void;
  close(): Promise<void>;
}

/**
 * Serves the bundle and `/index.html`: the panel's HTML with the fake VS Code API injected before the
 * bundle (same nonce, so the strict CSP is exercised as in VS Code). The fake keeps posted messages in
 * `window.__posted`, CSP violations and the state in sessionStorage (it survives `page.reload()`, like `vscode.setState`).
 */
export async function startServer(bundleDir: string): Promise<TestServer> {
  const files = new Map<string, string | Buffer>();
  const server: Server = createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let body = files.get(p);
    if (body === undefined && /^\/webview\.(js|css)$/.test(p)) body = readFileSync(join(bundleDir, p.slice(1)));
    if (body === undefined) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(p)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const nonce = makeNonce();
  const fake = `<script nonce="${nonce}">
window.__posted = [];
window.acquireVsCodeApi = () => ({
  postMessage: (m) => window.__posted.push(m),
  getState: () => JSON.parse(sessionStorage.getItem('vscodeState') || 'null') || undefined,
  setState: (s) => sessionStorage.setItem('vscodeState', JSON.stringify(s)),
});
// Violations are kept in sessionStorage so they survive page.reload() like the state does.
window.addEventListener('securitypolicyviolation', (e) => sessionStorage.setItem('csp', JSON.stringify([...JSON.parse(sessionStorage.getItem('csp') || '[]'), e.violatedDirective + ' ' + e.blockedURI])));
</script>
`;
  const html = compareHtml({ cspSource: origin, nonce, scriptUri: `${origin}/webview.js`, styleUri: `${origin}/webview.css`, title: 'test' });
  files.set('/index.html', html.replace(`<script nonce="${nonce}" src=`, `${fake}<script nonce="${nonce}" src=`));
  return {
    origin,
    put: (path, body) => files.set(path, body),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface Browser {
  ctx: BrowserContext;
  page: Page;
  logs: string[];
  close(): Promise<void>;
}

/** Debian's Chromium with the flags from ../shared/vscode-harness/RECIPE.md (never --use-gl=swiftshader). */
export async function launch(width = 1200, height = 760): Promise<Browser> {
  const udd = mkdtempSync(join(tmpdir(), 'bm-webview-'));
  const ctx = await chromium.launchPersistentContext(udd, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width, height },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  return {
    ctx,
    page,
    logs,
    close: async () => {
      await ctx.close();
      rmSync(udd, { recursive: true, force: true });
    },
  };
}

/** Posts a message to the webview as the extension would, and waits until it reports `rendered` again. */
export async function postAndWaitRendered(page: Page, msg: unknown, timeout = 30000): Promise<{ ms: number; atoms: number }> {
  const before = await page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === 'rendered').length);
  await page.evaluate((m) => window.postMessage(m, '*'), msg as never);
  await page.waitForFunction(
    (n) => {
      const posted = (window as unknown as { __posted: { type: string }[] }).__posted;
      return posted.filter((m) => m.type === 'rendered').length > n || posted.some((m) => m.type === 'error');
    },
    before,
    { timeout },
  );
  const posted = await page.evaluate(() => (window as unknown as { __posted: { type: string; message?: string; ms?: number; atoms?: number }[] }).__posted);
  const err = posted.find((m) => m.type === 'error');
  if (err) throw new Error(`webview error: ${err.message}`);
  const r = posted.filter((m) => m.type === 'rendered').pop()!;
  return { ms: r.ms!, atoms: r.atoms! };
}

export interface PixelStats {
  nonBackground: number;
  distinctColours: number;
  /** Pixels whose colour is close to `rgb` (per target). */
  near: number[];
}

/** Fraction of pixels differing from the corner colour, distinct colours, and counts near target colours. */
export function pixelStats(png: PNG, rect: [number, number, number, number], targets: [number, number, number][] = [], tol = 40): PixelStats {
  const [x0, y0, w, h] = rect;
  const i0 = (y0 * png.width + x0) * 4;
  const bg = [png.data[i0], png.data[i0 + 1], png.data[i0 + 2]];
  let diff = 0;
  const colours = new Set<number>();
  const near = targets.map(() => 0);
  for (let y = y0; y < y0 + h; y++)
    for (let x = x0; x < x0 + w; x++) {
      const i = (y * png.width + x) * 4;
      const r = png.data[i], g = png.data[i + 1], b = png.data[i + 2];
      colours.add(((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3));
      if (Math.abs(r - bg[0]) + Math.abs(g - bg[1]) + Math.abs(b - bg[2]) > 30) diff++;
      targets.forEach((t, k) => {
        if (Math.abs(r - t[0]) + Math.abs(g - t[1]) + Math.abs(b - t[2]) < tol) near[k]++;
      });
    }
  return { nonBackground: diff / (w * h), distinctColours: colours.size, near };
}

/** Screenshot of the 3D viewport only, saved under test-results/webview/. */
export async function shotViewport(page: Page, name: string): Promise<{ png: PNG; file: string }> {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${name}.png`);
  await page.waitForTimeout(150);
  // Software GL on a busy machine can take many seconds per frame.
  await page.locator('#viewport').screenshot({ path: file, timeout: 90000 });
  return { png: PNG.sync.read(readFileSync(file)), file };
}

/** Pixels that differ between two same-size screenshots (fraction). */
export function pixelDiff(a: PNG, b: PNG): number {
  let d = 0;
  for (let i = 0; i < a.data.length; i += 4)
    if (Math.abs(a.data[i] - b.data[i]) + Math.abs(a.data[i + 1] - b.data[i + 1]) + Math.abs(a.data[i + 2] - b.data[i + 2]) > 30) d++;
  return d / (a.width * a.height);
}

/** The view as every suite opens it: the bundle built, served, and a headless Chromium of the given size. */
export async function openViewer(width = 1200, height = 760): Promise<{ server: TestServer; browser: Browser }> {
  const b = await buildWebview();
  const server = await startServer(b.js.replace(/webview\.js$/, ''));
  return { server, browser: await launch(width, height) };
}
