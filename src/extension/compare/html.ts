// The comparison webview's HTML, without `vscode` so tests build the very same page for headless Chromium.
import { randomBytes } from 'node:crypto';

export interface CompareHtmlOptions {
  /** `webview.cspSource` (in tests: the origin of the static server). */
  cspSource: string;
  /** URI of `dist/webview.js` as the webview sees it. */
  scriptUri: string;
  /** URI of `dist/webview.css`. */
  styleUri: string;
  nonce: string;
  title?: string;
}

/** 32 random characters for the script nonce; a fresh one for every HTML render. */
export function makeNonce(): string {
  return randomBytes(24).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 32).padEnd(32, '0');
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Strict CSP: nothing loads but our own bundle (by nonce) and stylesheet; `fetch` only to webview
 * resources (large structures); no inline styles or scripts. No `'unsafe-eval'`: the prebuilt Mol*
 * Viewer app needs it (see ../shared/vscode-harness/RECIPE.md), but this lean PluginContext bundle
 * reaches neither of Mol* 5.11's two `new Function` sites (mol-util/string `interpolate`, used only by
 * its servers; the setImmediate shim in mol-task/util/scheduler, only for string callbacks), and the
 * headless render test runs every interaction under this policy with no violation reported.
 */
export function compareCsp(o: Pick<CompareHtmlOptions, 'cspSource' | 'nonce'>): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${o.nonce}'`,
    `style-src ${o.cspSource}`,
    `img-src ${o.cspSource} data: blob:`,
    `font-src ${o.cspSource} data:`,
    `connect-src ${o.cspSource} data: blob:`,
    'worker-src blob:',
  ].join('; ');
}

export function compareHtml(o: CompareHtmlOptions): string {
  const title = escapeHtml(o.title ?? 'Backmap comparison');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${compareCsp(o)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="${escapeHtml(o.styleUri)}">
</head>
<body>
<div id="app"></div>
<div id="boot" class="loading"><div class="spinner"></div><span class="loading-text">Loading the comparison…</span></div>
<script nonce="${o.nonce}" src="${escapeHtml(o.scriptUri)}"></script>
</body>
</html>
`;
}
