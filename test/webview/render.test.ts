// Headless render test of the comparison webview: the real bundle in the panel's HTML (strict CSP),
// a project-made peptide comparison, pixels checked per layer, plots, messages, frames and reload.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { analyseFrame, buildComparisonPayload, toLoadMessage, type LayerText } from '../../src/extension/compare/payload';
import type { LoadMessage, ResidueKey } from '../../src/shared/webview-protocol';
import { deviationRgb } from '../../webview/scale';
import { cpus, loadavg } from 'node:os';
import { formatPdb } from '../../src/core/structure/pdb';
import { makeFixture, makeLarge } from './fixtures';
import { join } from 'node:path';
import { chromiumMissing, RESULTS, openViewer, pixelDiff, pixelStats, postAndWaitRendered, shotViewport, type Browser, type TestServer } from './harness';

const skip = chromiumMissing();
let server: TestServer;
let browser: Browser;
let page: Page;
let load: LoadMessage;
const fx = makeFixture(40, 3);

type Posted = { type: string; [k: string]: unknown };
const posted = () => page.evaluate(() => (window as unknown as { __posted: Posted[] }).__posted);
const drawn = () => page.evaluate(() => (window as unknown as { backmapCompare: { viewer: { drawn(): Promise<void> } } }).backmapCompare.viewer.drawn());
const centre = (layer: string) =>
  page.evaluate((l) => (window as unknown as { backmapCompare: { viewer: { centre(l: string): number[] | null } } }).backmapCompare.viewer.centre(l), layer);
const selectedCount = () => page.evaluate(() => (window as unknown as { backmapCompare: { viewer: { selectedCount(): number } } }).backmapCompare.viewer.selectedCount());
const dist = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
// Deviation scale colours as drawn (lighting shifts them; the tolerance in pixelStats absorbs it).
const SCALE = [0, 0.75, 1.5, 2.25, 3].map((v) => deviationRgb(v, 3));

async function openPage(): Promise<void> {
  await page.goto(`${server.origin}/index.html`);
  await page.waitForFunction(() => document.body.dataset.status === 'ready', null, { timeout: 60000 });
}

before(async () => {
  if (skip) return;
  ({ server, browser } = await openViewer());
  page = browser.page;
  const p = buildComparisonPayload(fx.cg, fx.backmapped, fx.reference, { source: { backmapped: '/w/backmapped.pdb', reference: '/w/reference.pdb' } });
  // The backmapped layer travels as a URI (the large-file path), the others inline.
  server.put('/data/backmapped.pdb', p.layers.backmapped!.text);
  const meta = (l: LayerText) => ({ format: l.format, label: l.label, models: l.models, atoms: l.atoms });
  load = toLoadMessage(p, {
    cg: { ...meta(p.layers.cg!), data: p.layers.cg!.text },
    backmapped: { ...meta(p.layers.backmapped!), uri: `${server.origin}/data/backmapped.pdb` },
    reference: { ...meta(p.layers.reference!), data: p.layers.reference!.text },
  });
  await openPage();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('loads three layers and draws them; each toggle changes the pixels', { skip, timeout: 120000 }, async () => {
  const r = await postAndWaitRendered(page, load, 90000);
  assert.equal(r.atoms, fx.cg.atoms.count + fx.backmapped.atoms.count + fx.reference.atoms.count);
  console.log(`# webview: ${r.atoms} atoms in 3 layers rendered in ${r.ms} ms`);
  const all = await shotViewport(page, 'all-layers');
  const rect: [number, number, number, number] = [0, 0, all.png.width, all.png.height];
  const sAll = pixelStats(all.png, rect, SCALE, 60);
  assert.ok(sAll.nonBackground > 0.02, `non-background ${sAll.nonBackground}`);
  assert.ok(sAll.distinctColours > 100, `colours ${sAll.distinctColours}`);
  for (const layer of ['cg', 'backmapped', 'reference']) {
    await page.click(`#layer-${layer}`);
    await drawn();
    const off = await shotViewport(page, `without-${layer}`);
    const d = pixelDiff(all.png, off.png);
    assert.ok(d > 0.002, `hiding ${layer} changed ${d} of the pixels`);
    if (layer === 'backmapped') {
      // The deviation colours come from the backmapped layer: fewer of them without it.
      const sOff = pixelStats(off.png, rect, SCALE, 60);
      const on = sAll.near.reduce((a, b) => a + b, 0), without = sOff.near.reduce((a, b) => a + b, 0);
      assert.ok(on > without * 1.2 && on > 200, `deviation-coloured pixels ${on} with vs ${without} without`);
    }
    await page.click(`#layer-${layer}`);
  }
});

test('superposition moves the reference onto the backmapped structure', { skip, timeout: 120000 }, async () => {
  const before = (await centre('reference'))!, target = (await centre('backmapped'))!;
  assert.ok(dist(before, target) > 8, 'fixture is moved apart');
  const a = await shotViewport(page, 'before-superpose');
  await page.click('#superpose');
  await page.waitForFunction(() => document.querySelector('#superpose')?.classList.contains('active'), null, { timeout: 30000 });
  await drawn();
  const after = (await centre('reference'))!;
  assert.ok(dist(after, target) < 2, `reference centre ${dist(after, target).toFixed(2)} Å from backmapped after the fit`);
  const b = await shotViewport(page, 'superposed');
  assert.ok(pixelDiff(a.png, b.png) > 0.005);
});

test('plots render points; clicking a bar reveals and marks the residue', { skip, timeout: 120000 }, async () => {
  const points = await page.evaluate(() => Object.fromEntries(Array.from(document.querySelectorAll('svg.plot')).map((s) => [s.getAttribute('class')!.split(' ')[1], Number((s as SVGElement).dataset.points)])));
  assert.equal(points['plot-bars'], 40);
  assert.ok(points['plot-rama'] >= 38, `rama ${points['plot-rama']}`);
  assert.ok(points['plot-chi1'] > 20 && points['plot-chi2'] > 10, JSON.stringify(points));
  assert.ok((await page.locator('svg.plot-rama path.bm-dot').count()) > 0);
  assert.equal(await page.locator('svg.plot-rama rect.rama-allowed').count(), 4);
  assert.match((await page.locator('.plot-stats').textContent()) ?? '', /χ1 within 40°: \d+\/\d+/);
  // Click the 10th bar.
  const box = (await page.locator('svg.plot-bars').boundingBox())!;
  const L = 30, R = 6, W = 340 - L - R, scale = box.width / 340;
  await page.mouse.click(box.x + (L + 9.5 * (W / 40)) * scale, box.y + box.height * 0.6);
  await page.waitForFunction(() => (window as unknown as { __posted: Posted[] }).__posted.some((m) => m.type === 'revealResidue'), null, { timeout: 30000 });
  const reveal = (await posted()).filter((m) => m.type === 'revealResidue').pop()!;
  assert.deepEqual(reveal.residue, { chainId: 'A', resSeq: 10, iCode: '' });
  assert.equal(reveal.layer, 'backmapped');
  assert.equal(await page.locator('svg.plot-bars line.sel-line').count(), 1);
  assert.ok((await selectedCount()) > 0, 'residue 10 marked in 3D');
  await drawn();
  await shotViewport(page, 'picked-residue-10');
});

test('highlightResidues from the extension marks residues in the plots and in 3D', { skip, timeout: 120000 }, async () => {
  const residues: ResidueKey[] = [20, 21, 22].map((resSeq) => ({ chainId: 'A', resSeq, iCode: '' }));
  await page.mouse.move(5, 5); // no plot hover highlight in the picture
  await page.evaluate((m) => window.postMessage(m, '*'), { type: 'highlightResidues', residues, focus: true } as never);
  await page.waitForFunction(() => document.querySelectorAll('svg.plot-rama circle.sel-ring').length === 3, null, { timeout: 30000 });
  // Marked in Mol*: the atoms of residues 20-22 in the backmapped, reference and CG layers.
  const a = fx.backmapped.atoms, b = fx.cg.atoms;
  const inRes = (t: typeof a) => [...Array(t.count).keys()].filter((i) => t.resSeq[i] >= 20 && t.resSeq[i] <= 22).length;
  assert.equal(await selectedCount(), 2 * inRes(a) + inRes(b));
  await drawn();
  await shotViewport(page, 'highlighted-20-22');
  await page.screenshot({ path: join(RESULTS, 'panel.png') });
});

test('frame slider: setFrame switches the model and asks for the frame analysis', { skip, timeout: 120000 }, async () => {
  assert.equal(await page.locator('footer').isVisible(), true);
  const c0 = (await centre('backmapped'))!;
  const a = await shotViewport(page, 'frame-1');
  const n = (await posted()).length;
  await page.evaluate(() => window.postMessage({ type: 'setFrame', index: 2 }, '*'));
  await page.waitForFunction((k) => (window as unknown as { __posted: Posted[] }).__posted.slice(k).some((m) => m.type === 'requestFrame'), n, { timeout: 20000 });
  const req = (await posted()).slice(n).find((m) => m.type === 'requestFrame')!;
  assert.equal(req.index, 2);
  assert.equal(await page.inputValue('#frame'), '2');
  assert.match((await page.locator('.frame-label').textContent()) ?? '', /^3 \/ 3/);
  // Answer as the extension does: the frame's deviation and torsions.
  const r = await postAndWaitRendered(page, { type: 'frame', index: 2, layers: {}, ...analyseFrame(fx.cg, fx.backmapped, fx.reference, 2) });
  assert.ok(r.atoms > 0);
  const c2 = (await centre('backmapped'))!;
  assert.ok(dist(c0, c2) > 0.01 && dist(c0, c2) < 3, `model 3 differs slightly from model 1 (${dist(c0, c2).toFixed(3)} Å)`);
  const b = await shotViewport(page, 'frame-3');
  assert.ok(pixelDiff(a.png, b.png) > 0.002);
});

test('the view state survives a reload (vscode.setState)', { skip, timeout: 120000 }, async () => {
  await page.click('#layer-cg'); // hide CG
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.status === 'ready', null, { timeout: 60000 });
  // The extension's serializer sends the same comparison again.
  await postAndWaitRendered(page, load, 90000);
  assert.equal(await page.isChecked('#layer-cg'), false);
  assert.equal(await page.isChecked('#layer-backmapped'), true);
  assert.equal(await page.locator('#superpose.active').count(), 1, 'still superposed');
  assert.equal(await page.inputValue('#frame'), '2', 'same frame');
  const st = await page.evaluate(() => JSON.parse(sessionStorage.getItem('vscodeState') ?? '{}'));
  assert.deepEqual(st.source, { backmapped: '/w/backmapped.pdb', reference: '/w/reference.pdb' });
  await shotViewport(page, 'after-reload');
});

test('no CSP violation or page error through all of the above', { skip }, async () => {
  assert.deepEqual(await page.evaluate(() => JSON.parse(sessionStorage.getItem('csp') ?? '[]')), []);
  assert.deepEqual(browser.logs.filter((l) => l.startsWith('pageerror')), []);
});

// The load-time target (3 s for 100k atoms) is a benchmark figure, printed here; the test checks the load works.
// Last, in its own page, so no other render competes with the measurement.
test('100k atoms open in the comparison view (time printed)', { skip, timeout: 180000 }, async () => {
  const s = makeLarge(100000);
  assert.ok(s.atoms.count >= 100000);
  const text = formatPdb(s);
  server.put('/data/large.pdb', text);
  await page.evaluate(() => sessionStorage.clear());
  await openPage();
  const t0 = Date.now();
  // By URI, as the panel sends large files.
  const r = await postAndWaitRendered(
    page,
    { type: 'load', title: 'large', layers: { backmapped: { format: 'pdb', uri: `${server.origin}/data/large.pdb`, atoms: s.atoms.count } }, perResidue: [], torsions: {} },
    150000,
  );
  const wall = Date.now() - t0;
  console.log(`# webview 100k: ${r.atoms} atoms (${(text.length / 1e6).toFixed(1)} MB PDB) rendered in ${r.ms} ms (webview clock), ${wall} ms wall; load ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs (target 3000 ms)`);
  assert.equal(r.atoms, s.atoms.count);
  const shot = await shotViewport(page, 'large-100k');
  assert.ok(pixelStats(shot.png, [0, 0, shot.png.width, shot.png.height]).nonBackground > 0.05, 'drawn');
});
