// Headless render test of the comparison view's controls (issue 26): cartoon by default and per-layer
// representations, trajectory playback from coordinates, refit on resize, the sequence strip, plot legends,
// axes and empty states, and the loading spinner. Screenshots in test-results/webview/view-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { buildComparisonPayload, toLoadMessage, analyseFrame } from '../../src/extension/compare/payload';
import type { FrameMessage, LoadMessage } from '../../src/shared/webview-protocol';
import { niceTicks } from '../../webview/plots';
import { assignSecondaryStructure } from '../../webview/secondary';
import { makeFixture } from './fixtures';
import { join } from 'node:path';
import { chromiumMissing, RESULTS, openViewer, pixelDiff, pixelStats, postAndWaitRendered, shotViewport, type Browser, type TestServer } from './harness';

const skip = chromiumMissing();
let server: TestServer;
let browser: Browser;
let page: Page;
const fx = makeFixture(40, 4);

type Posted = { type: string; [k: string]: unknown };
type Api = { backmapCompare: { viewer: { drawn(): Promise<void>; representationTypes(l: string): string[]; centre(l: string): number[] | null; selectedCount(): number; plugin: { canvas3d: { camera: { state: { radius: number; position: number[] } } } } } } };
const posted = () => page.evaluate(() => (window as unknown as { __posted: Posted[] }).__posted);
const drawn = () => page.evaluate(() => (window as unknown as Api).backmapCompare.viewer.drawn());
const reprTypes = (l: string) => page.evaluate((x) => (window as unknown as Api).backmapCompare.viewer.representationTypes(x), l);
const centre = (l: string) => page.evaluate((x) => (window as unknown as Api).backmapCompare.viewer.centre(x), l);
const dist = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/** A frame as the panel sends it in coordinate mode: coordinates of each layer, the frame's analysis, a label. */
function coordinateFrame(i: number): FrameMessage {
  const at = (s: typeof fx.cg) => ({ ...s, coords: s.models[i], models: [s.models[i]] });
  return { type: 'frame', index: i, layers: {}, coordinates: { cg: Array.from(fx.cg.models[i]), backmapped: Array.from(fx.backmapped.models[i]) }, label: `${i * 100} ps`, ...analyseFrame(at(fx.cg), at(fx.backmapped), undefined, 0) };
}

function trajectoryLoad(): LoadMessage {
  const first = (s: typeof fx.cg) => ({ ...s, models: [s.models[0]] });
  const p = buildComparisonPayload(first(fx.cg), first(fx.backmapped), undefined, { title: 'traj.backmapped.xtc (4 frames)', source: { cg: '/w/cg.pdb', backmapped: '/w/t.topology.pdb', backmappedTrajectory: '/w/t.xtc' } });
  const m = toLoadMessage(p, { cg: { format: p.layers.cg!.format, data: p.layers.cg!.text, atoms: fx.cg.atoms.count }, backmapped: { format: p.layers.backmapped!.format, data: p.layers.backmapped!.text, atoms: fx.backmapped.atoms.count } });
  m.frames = { count: 4, current: 0, coordinates: true, labels: ['0 ps'] };
  m.canAddReference = true;
  return m;
}

before(async () => {
  if (skip) return;
  ({ server, browser } = await openViewer());
  page = browser.page;
  await page.goto(`${server.origin}/index.html`);
  await page.waitForFunction(() => document.body.dataset.status === 'ready', null, { timeout: 60000 });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('nice ticks and φ/ψ secondary structure (pure functions)', () => {
  assert.deepEqual(niceTicks(21, 3, true).ticks, [0, 10, 20, 30]);
  assert.deepEqual(niceTicks(3, 3).ticks, [0, 1, 2, 3]);
  assert.deepEqual(niceTicks(0.7, 3).ticks, [0, 0.25, 0.5, 0.75]);
  assert.deepEqual(niceTicks(12, 3, true).ticks, [0, 5, 10, 15]);
  const row = (resSeq: number, phi: number | null, psi: number | null) => ({ chainId: 'A', resSeq, iCode: '', resName: 'ALA', phi, psi, omega: 180, chi1: null, chi2: null });
  const rows = [row(1, null, 150), ...[2, 3, 4, 5, 6].map((i) => row(i, -60, -45)), row(7, -120, 130), row(8, -120, 130), row(9, -120, 130), row(10, -60, -45), row(11, 60, 40)];
  const ss = assignSecondaryStructure(rows);
  assert.equal([...ss.values()].join(''), 'CHHHHHEEECC'); // a lone helical residue is coil
});

test('a CG + backmapped trajectory: cartoon by default, the frame slider plays coordinates sent per frame', { skip, timeout: 180000 }, async () => {
  // The fake extension answers requestFrame with the frame's coordinates, as the panel does in coordinate mode.
  const frames = [0, 1, 2, 3].map(coordinateFrame);
  await page.evaluate((fs) => {
    const w = window as unknown as { __posted: Posted[]; __frames: unknown[] };
    w.__frames = fs;
    const push = w.__posted.push.bind(w.__posted);
    w.__posted.push = (...ms: Posted[]) => {
      for (const m of ms) if (m.type === 'requestFrame') setTimeout(() => window.postMessage(w.__frames[m.index as number], '*'), 5);
      return push(...ms);
    };
  }, frames as never);
  const r = await postAndWaitRendered(page, trajectoryLoad(), 90000);
  assert.equal(r.atoms, fx.cg.atoms.count + fx.backmapped.atoms.count);
  assert.deepEqual(await reprTypes('backmapped'), ['cartoon', 'ball-and-stick'], 'cartoon + side chains');
  assert.deepEqual(await reprTypes('cg'), ['ball-and-stick']);
  assert.equal(await page.locator('footer').isVisible(), true);
  assert.match((await page.locator('.frame-label').textContent()) ?? '', /^1 \/ 4 · 0 ps/);
  const c0 = (await centre('backmapped'))!;
  const a = await shotViewport(page, 'view-trajectory-frame-1');
  // Play: the frames advance (requestFrame → coordinates → drawn), past the last one back to the first (loop).
  await page.selectOption('#speed', '20');
  await page.click('#play');
  assert.equal(await page.getAttribute('body', 'data-playing'), 'true');
  await page.waitForFunction(() => document.body.dataset.frame === '2', null, { timeout: 60000 });
  await page.screenshot({ path: join(RESULTS, 'view-trajectory-playing.png') });
  await page.waitForFunction(() => document.body.dataset.frame === '3', null, { timeout: 60000 });
  await page.waitForFunction(() => document.body.dataset.frame === '0', null, { timeout: 60000 });
  await page.click('#play');
  assert.equal(await page.getAttribute('body', 'data-playing'), 'false');
  const asked = (await posted()).filter((m) => m.type === 'requestFrame').map((m) => m.index);
  assert.ok([1, 2, 3, 0].every((i) => asked.includes(i)), `frames asked for: ${asked}`);
  // Frame 3 (index 2) drawn from its coordinates: the backmapped atoms moved.
  await page.evaluate(() => window.postMessage({ type: 'setFrame', index: 2 }, '*'));
  await page.waitForFunction(() => document.body.dataset.frame === '2' && (window as unknown as { __posted: Posted[] }).__posted.filter((m) => m.type === 'rendered').slice(-1)[0]?.frame === 2, null, { timeout: 30000 });
  await drawn();
  const c2 = (await centre('backmapped'))!;
  assert.ok(dist(c0, c2) > 0.01, `frame 3 moved the atoms (${dist(c0, c2).toFixed(3)} Å)`);
  assert.match((await page.locator('.frame-label').textContent()) ?? '', /^3 \/ 4 · 200 ps/);
  const b = await shotViewport(page, 'view-trajectory-frame-3');
  assert.ok(pixelDiff(a.png, b.png) > 0.001);
});

test('per-layer representation: ball-and-stick and spacefill through Mol*\'s own representations', { skip, timeout: 120000 }, async () => {
  const cartoon = await shotViewport(page, 'view-cartoon');
  await page.selectOption('#repr-backmapped', 'ball-and-stick');
  await drawn();
  assert.deepEqual(await reprTypes('backmapped'), ['ball-and-stick']);
  const bas = await shotViewport(page, 'view-ball-and-stick');
  assert.ok(pixelDiff(cartoon.png, bas.png) > 0.005);
  await page.selectOption('#repr-backmapped', 'spacefill');
  await page.selectOption('#repr-cg', 'spacefill');
  await drawn();
  assert.deepEqual(await reprTypes('backmapped'), ['spacefill']);
  assert.deepEqual(await reprTypes('cg'), ['spacefill']);
  await shotViewport(page, 'view-spacefill');
  await page.selectOption('#repr-backmapped', 'cartoon');
  await page.selectOption('#repr-cg', 'beads');
  await drawn();
  assert.deepEqual(await reprTypes('backmapped'), ['cartoon', 'ball-and-stick']);
});

test('plots: legends, degree units, no clipped 180°, χ not upper-cased, empty RMSD plot offers a reference', { skip, timeout: 60000 }, async () => {
  const legends = await page.locator('.plot-legend').allTextContents();
  assert.ok(legends.some((t) => /backmapped \(colour: RMSD\)/.test(t) && /reference/.test(t)), legends.join(' | '));
  assert.ok(legends.some((t) => /backmapped/.test(t) && /reference/.test(t)));
  const chiTitle = page.locator('aside h3', { hasText: 'χ1' });
  assert.equal(await chiTitle.evaluate((e) => getComputedStyle(e).textTransform), 'none');
  assert.match(await chiTitle.innerText(), /χ1 \/ χ2/);
  // Every tick label lies inside its plot (the old "180" was cut at the right edge).
  const clipped = await page.evaluate(() => Array.from(document.querySelectorAll('svg.plot text')).filter((t) => {
    const svg = (t as SVGTextElement).ownerSVGElement!;
    if (svg.style.display === 'none') return false;
    const s = svg.getBoundingClientRect(), r = t.getBoundingClientRect();
    return r.width > 0 && (r.right > s.right + 0.5 || r.left < s.left - 0.5);
  }).map((t) => `${(t as SVGTextElement).ownerSVGElement!.getAttribute('class')}: ${t.textContent}`));
  assert.deepEqual(clipped, []);
  const ticks = await page.locator('svg.plot-rama text.tick').allTextContents();
  assert.ok(ticks.includes('180°') && ticks.includes('−180°'), ticks.join(' '));
  // No reference: the per-residue plot says why and offers "Compare with reference…".
  const empty = page.locator('.plot-empty-bars');
  assert.match((await empty.textContent()) ?? '', /No reference: the per-residue RMSD needs/);
  await empty.locator('button', { hasText: 'Compare with reference…' }).click();
  await page.waitForFunction(() => (window as unknown as { __posted: Posted[] }).__posted.some((m) => m.type === 'requestReference'), null, { timeout: 10000 });
});

test('with a reference: bars with a hover readout, round y ticks, the header states the RMSD definition', { skip, timeout: 120000 }, async () => {
  const p = buildComparisonPayload(undefined, { ...fx.backmapped, models: [fx.backmapped.models[0]] }, fx.reference, { title: 'bm vs ref' });
  const m = toLoadMessage(p, { backmapped: { format: 'pdb', data: p.layers.backmapped!.text }, reference: { format: 'pdb', data: p.layers.reference!.text } });
  await postAndWaitRendered(page, m, 90000);
  assert.equal(await page.locator('footer').isVisible(), false, 'no slider for a single structure');
  const yTicks = (await page.locator('svg.plot-bars text.tick[x="27"]').allTextContents()).map(Number);
  const steps = new Set(yTicks.slice(1).map((v, i) => Number((v - yTicks[i]).toFixed(6))));
  assert.equal(steps.size, 1, `evenly spaced y ticks: ${yTicks}`);
  assert.ok([1, 2, 2.5, 5].some((k) => [...steps].some((s) => Math.abs(s / k - 10 ** Math.round(Math.log10(s / k))) < 1e-9)), `round step ${[...steps]}`);
  const title = await page.locator('header .summary').getAttribute('title');
  assert.match(title ?? '', /no superposition/);
  assert.match(title ?? '', /matched by chain, residue number, insertion code and atom name/);
  assert.match((await page.locator('header .summary').textContent()) ?? '', /RMSD bb [\d.]+ · sc [\d.]+ · all [\d.]+ Å \(\d+ atoms, no superposition\)/);
  const box = (await page.locator('svg.plot-bars').boundingBox())!;
  const L = 30, R = 6, W = 340 - L - R, scale = box.width / 340;
  await page.mouse.move(box.x + (L + 4.5 * (W / 40)) * scale, box.y + box.height * 0.7);
  await page.waitForFunction(() => /^\w{3} A:5 — all [\d.]+ Å · backbone/.test(document.querySelector('.plot-readout')?.textContent ?? ''), null, { timeout: 10000 });
  await page.mouse.move(5, 5);
  await page.screenshot({ path: join(RESULTS, 'view-with-reference.png') });
});

test('sequence strip: a click selects the residue in 3D and in the plots; shift-click a range', { skip, timeout: 60000 }, async () => {
  const letters = page.locator('#sequence .res');
  assert.equal(await letters.count(), 40);
  await letters.nth(9).click();
  await page.waitForFunction(() => document.querySelectorAll('#sequence .res.sel').length === 1, null, { timeout: 10000 });
  assert.equal(await page.locator('svg.plot-bars line.sel-line').count(), 1);
  assert.ok((await page.evaluate(() => (window as unknown as Api).backmapCompare.viewer.selectedCount())) > 0);
  await letters.nth(14).click({ modifiers: ['Shift'] });
  await page.waitForFunction(() => document.querySelectorAll('#sequence .res.sel').length === 6, null, { timeout: 10000 });
  const ss = await page.locator('#sequence .res.ss-H').count();
  assert.ok(ss >= 8, `helix residues marked in the strip: ${ss}`);
});

test('the camera is fitted again when the view grows from a narrow split', { skip, timeout: 120000 }, async () => {
  await page.setViewportSize({ width: 560, height: 420 });
  await page.waitForTimeout(600);
  await page.evaluate(() => window.postMessage({ type: 'highlightResidues', residues: [], focus: false }, '*'));
  const before = Number(await page.getAttribute('body', 'data-refits') ?? '0');
  await page.setViewportSize({ width: 1200, height: 760 });
  await page.waitForFunction((n) => Number(document.body.dataset.refits ?? '0') > n, before, { timeout: 20000 });
  await drawn();
  const canvas = await page.evaluate(() => { const c = document.querySelector('#viewport canvas') as HTMLCanvasElement; const v = document.querySelector('#viewport')!; return { cw: c.clientWidth, vw: v.clientWidth }; });
  assert.equal(canvas.cw, canvas.vw, 'canvas follows the container');
  const shot = await shotViewport(page, 'view-after-resize');
  assert.ok(pixelStats(shot.png, [0, 0, shot.png.width, shot.png.height]).nonBackground > 0.01, 'drawn');
  // Fitted: what is drawn spans most of the enlarged view's height or width (not a small picture in a corner).
  const { data, width, height } = shot.png;
  let x0 = width, x1 = 0, y0 = height, y1 = 0;
  for (let y = 0; y < height - 100; y++) // the legend sits in the bottom-left corner
    for (let x = 0; x < width; x++) {
      const i = 4 * (y * width + x);
      if (Math.abs(data[i] - data[0]) + Math.abs(data[i + 1] - data[1]) + Math.abs(data[i + 2] - data[2]) < 40) continue;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  assert.ok((y1 - y0) / height > 0.6 || (x1 - x0) / width > 0.6, `drawn box ${x1 - x0}×${y1 - y0} in ${width}×${height}`);
});

test('a loading message shows the spinner until the next draw', { skip, timeout: 60000 }, async () => {
  await page.evaluate(() => window.postMessage({ type: 'loading', message: 'Loading big.pdb…' }, '*'));
  await page.waitForFunction(() => !(document.getElementById('boot') as HTMLElement).hidden, null, { timeout: 5000 });
  assert.match((await page.locator('#boot').textContent()) ?? '', /Loading big\.pdb…/);
  await postAndWaitRendered(page, trajectoryLoad(), 90000);
  assert.equal(await page.locator('#boot').isHidden(), true);
});

test('no CSP violation or page error', { skip }, async () => {
  assert.deepEqual(await page.evaluate(() => JSON.parse(sessionStorage.getItem('csp') ?? '[]')), []);
  assert.deepEqual(browser.logs.filter((l) => l.startsWith('pageerror')), []);
});
