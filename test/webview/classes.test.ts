// Whole systems in the comparison view (issue 31 item 5): the extension classifies every residue name with the
// core's tables and sends the classes with each layer; the view offers a toggle per class present (water hidden
// by default), draws lipids and sterols as sticks and ions as small spheres, keeps the sequence strip and the
// deviation bars to the protein and summarises the other classes. Screenshots in test-results/webview/classes-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { buildComparisonPayload, compositionOf, layerClasses, residueClass, toLoadMessage, type LayerText } from '../../src/extension/compare/payload';
import { isExtensionToWebview, type LoadMessage } from '../../src/shared/webview-protocol';
import { makeMixedSystem, mixedBeadsOf, type MixedCounts } from './fixtures';
import { chromiumMissing, openViewer, pixelDiff, postAndWaitRendered, shotViewport, type Browser, type TestServer } from './harness';

const COUNTS: MixedCounts = { residues: 30, side: 4, sterols: 3, waters: 400, ions: 10 };
const reference = makeMixedSystem(COUNTS);
const backmapped = makeMixedSystem(COUNTS, 0.4, 9);
const cg = mixedBeadsOf(backmapped);

test('residue classes are the engine\'s: all-atom and Martini names of every class', () => {
  const cases: [string, string][] = [
    ['ALA', 'protein'], ['HSD', 'protein'], ['POPC', 'lipid'], ['CHL1', 'sterol'], ['CHOL', 'sterol'], ['TIP3', 'water'], ['SOL', 'water'],
    ['W', 'water'], ['SOD', 'ion'], ['NA', 'ion'], ['ION', 'ion'], ['CLA', 'ion'], ['LIG', 'ligand'], ['ATP', 'ligand'],
  ];
  for (const [name, cls] of cases) assert.equal(residueClass(name), cls, name);
  assert.deepEqual(layerClasses(cg), { protein: layerClasses(cg).protein, lipid: ['POPC'], sterol: ['CHOL'], water: ['W'], ion: ['CL', 'NA'] });
  assert.deepEqual(layerClasses(backmapped).ion, ['CLA', 'SOD']);
  assert.equal(layerClasses(backmapped).ligand, undefined, 'no class without residues');
  // Residues per name, class order then most first: what the line under the sequence strip says.
  assert.deepEqual(compositionOf(backmapped).map((c) => `${c.resName} ${c.count}`), ['POPC 26', 'CHL1 6', 'TIP3 400', 'CLA 10', 'SOD 10']);
});

test('payload of a whole system: protein-only sequence, no water rows, one deviation per other class', () => {
  const p = buildComparisonPayload(cg, backmapped, reference);
  assert.equal(p.sequence!.length, COUNTS.residues);
  assert.ok(p.sequence!.every((r) => residueClass(r.resName) === 'protein'));
  // Rows: protein (no class) and lipids, sterols, ions (classed, for the 3D colours); placed water has none.
  const byClass = new Map<string, number>();
  for (const r of p.perResidue) byClass.set(r.class ?? 'protein', (byClass.get(r.class ?? 'protein') ?? 0) + 1);
  assert.deepEqual(Object.fromEntries(byClass), { protein: 30, lipid: 26, sterol: 6, ion: 20 });
  assert.deepEqual(p.classDeviation!.map((c) => [c.class, c.residues]), [['lipid', 26], ['sterol', 6], ['water', 400], ['ion', 20]]);
  // Every atom moved by up to 0.4 Å per axis (uniform): an RMSD near 0.4 Å per class.
  for (const c of p.classDeviation!) assert.ok(c.rmsd! > 0.3 && c.rmsd! < 0.5, `${c.class} ${c.rmsd}`);
  const m = toLoadMessage(p, { backmapped: { format: 'pdb', data: 'x', classes: p.layers.backmapped!.classes } });
  assert.ok(isExtensionToWebview(m));
  assert.equal(isExtensionToWebview({ ...m, layers: { backmapped: { format: 'pdb', data: 'x', classes: { solvent: ['W'] } } } }), false, 'unknown class refused');
  assert.equal(isExtensionToWebview({ ...m, perResidue: [{ ...m.perResidue[0], class: 'membrane' }] }), false);
});

// ------------------------------------------------------------------ the view (headless Chromium)
const skip = chromiumMissing();
let server: TestServer;
let browser: Browser;
let page: Page;
let load: LoadMessage;

type PartInfo = { part: string; class: string; atoms: number; type?: string; shown: boolean };
type Api = { backmapCompare: { viewer: { drawn(): Promise<void>; parts(l: string): PartInfo[] } } };
const drawn = () => page.evaluate(() => (window as unknown as Api).backmapCompare.viewer.drawn());
const parts = (l: string) => page.evaluate((x) => (window as unknown as Api).backmapCompare.viewer.parts(x), l);
/** Classes drawn (a shown representation with atoms) in a layer. */
const shownClasses = async (l: string) => [...new Set((await parts(l)).filter((p) => p.shown && p.atoms > 0).map((p) => p.class))];
const visibleToggles = () => page.locator('.class-toggles:not([hidden]) .class-toggle:not([hidden])').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.class));

before(async () => {
  if (skip) return;
  ({ server, browser } = await openViewer());
  page = browser.page;
  const p = buildComparisonPayload(cg, backmapped, reference, { title: 'system', source: { backmapped: '/w/system.pdb', reference: '/w/ref.pdb' } });
  // As the panel sends layers (panel.ts layerData): the classes travel with each layer.
  const data = (l: LayerText) => ({ format: l.format, label: l.label, models: l.models, atoms: l.atoms, classes: l.classes, data: l.text });
  load = toLoadMessage(p, { cg: data(p.layers.cg!), backmapped: data(p.layers.backmapped!), reference: data(p.layers.reference!) });
  await page.goto(`${server.origin}/index.html`);
  await page.waitForFunction(() => document.body.dataset.status === 'ready', null, { timeout: 60000 });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('a toggle for exactly the classes there; water hidden by default', { skip, timeout: 120000 }, async () => {
  const r = await postAndWaitRendered(page, load, 90000);
  assert.equal(r.atoms, cg.atoms.count + backmapped.atoms.count + reference.atoms.count);
  assert.deepEqual(await visibleToggles(), ['protein', 'lipid', 'sterol', 'water', 'ion']);
  assert.equal(await page.isChecked('#layer-water'), false);
  for (const c of ['protein', 'lipid', 'sterol', 'ion']) assert.equal(await page.isChecked(`#layer-${c}`), true, c);
  assert.match((await page.locator('label[data-class="lipid"]').getAttribute('title')) ?? '', /POPC/);
  for (const layer of ['cg', 'backmapped', 'reference']) assert.deepEqual(await shownClasses(layer), ['protein', 'lipid', 'sterol', 'ion'], layer);
  // Hidden water has its component (counted for the toggle) but no representation yet: nothing built for it.
  const water = (await parts('backmapped')).find((p) => p.part === 'water')!;
  assert.equal(water.atoms, COUNTS.waters);
  assert.equal(water.type, undefined);
  await shotViewport(page, 'classes-default');
});

test('lipids and sterols as sticks, ions as small spheres, CG beads as beads', { skip, timeout: 60000 }, async () => {
  const type = async (l: string) => Object.fromEntries((await parts(l)).filter((p) => p.type).map((p) => [p.part, p.type]));
  assert.deepEqual(await type('backmapped'), { protein: 'cartoon', side: 'ball-and-stick', lipid: 'ball-and-stick', sterol: 'ball-and-stick', ion: 'spacefill' });
  assert.deepEqual(await type('cg'), { protein: 'ball-and-stick', lipid: 'ball-and-stick', sterol: 'ball-and-stick', ion: 'ball-and-stick' });
  // The atom counts per part are the classes' atoms: every atom in exactly one class.
  const atoms = Object.fromEntries((await parts('reference')).filter((p) => p.part !== 'side').map((p) => [p.part, p.atoms]));
  const count = (names: string[]) => reference.atoms.resName.filter((n) => names.includes(n)).length;
  assert.deepEqual(atoms, { protein: reference.atoms.count - count(['POPC', 'CHL1', 'TIP3', 'SOD', 'CLA']), lipid: count(['POPC']), sterol: count(['CHL1']), ligand: 0, water: 400, ion: 20 });
});

test('toggling a class hides it in every layer, water is built when first shown, and the choice persists', { skip, timeout: 120000 }, async () => {
  const before = await shotViewport(page, 'classes-before-toggle');
  await page.click('#layer-lipid');
  await drawn();
  for (const layer of ['cg', 'backmapped', 'reference']) assert.deepEqual(await shownClasses(layer), ['protein', 'sterol', 'ion'], layer);
  const noLipids = await shotViewport(page, 'classes-without-lipids');
  assert.ok(pixelDiff(before.png, noLipids.png) > 0.002, `hiding lipids changed ${pixelDiff(before.png, noLipids.png)} of the pixels`);
  await page.click('#layer-water');
  await page.waitForFunction(() => (window as unknown as Api).backmapCompare.viewer.parts('backmapped').some((p) => p.part === 'water' && p.shown), null, { timeout: 30000 });
  await drawn();
  for (const layer of ['cg', 'backmapped', 'reference']) assert.deepEqual(await shownClasses(layer), ['protein', 'sterol', 'water', 'ion'], layer);
  const withWater = await shotViewport(page, 'classes-with-water');
  assert.ok(pixelDiff(noLipids.png, withWater.png) > 0.002);
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.status === 'ready', null, { timeout: 60000 });
  await postAndWaitRendered(page, load, 90000);
  assert.equal(await page.isChecked('#layer-lipid'), false);
  assert.equal(await page.isChecked('#layer-water'), true);
  assert.deepEqual(await shownClasses('backmapped'), ['protein', 'sterol', 'water', 'ion']);
  // Back to the defaults for the tests below.
  await page.click('#layer-lipid');
  await page.click('#layer-water');
  await drawn();
  assert.deepEqual(await shownClasses('backmapped'), ['protein', 'lipid', 'sterol', 'ion']);
});

test('the sequence strip holds protein residues only; the other classes are one line and one note', { skip, timeout: 60000 }, async () => {
  assert.equal(await page.locator('#sequence .res').count(), COUNTS.residues);
  assert.equal(await page.locator('#composition').textContent(), 'POPC 26 · CHL1 6 · TIP3 400 · CLA 10 · SOD 10');
  assert.equal(Number(await page.locator('svg.plot-bars').getAttribute('data-points')), COUNTS.residues, 'bars for protein residues only');
  assert.match((await page.locator('.plot-class-note').textContent()) ?? '', /^Not in the bars: lipids 0\.\d\d Å \(26 residues\) · sterols 0\.\d\d Å \(6 residues\) · water 0\.\d\d Å \(400 residues\) · ions 0\.\d\d Å \(20 residues\)$/);
  // Residues without a chain id (every lipid, water and ion the engine writes; GRO has none) are found in 3D:
  // Mol* reads the blank chain column as ' ', the extension's residues have ''.
  const lipid = { chainId: '', resSeq: 1, iCode: '' };
  await page.evaluate((m) => window.postMessage(m, '*'), { type: 'highlightResidues', residues: [lipid], focus: false } as never);
  const inResidue = (t: typeof backmapped) => t.atoms.resSeq.filter((r, i) => r === 1 && t.atoms.chainId[i] === '').length;
  const want = inResidue(backmapped) + inResidue(reference) + inResidue(cg);
  await page.waitForFunction((n) => (window as unknown as { backmapCompare: { viewer: { selectedCount(): number } } }).backmapCompare.viewer.selectedCount() === n, want, { timeout: 10000 });
});

test('a protein-only comparison has no class toggles and no composition line', { skip, timeout: 120000 }, async () => {
  const protein = makeMixedSystem({ ...COUNTS, side: 0, sterols: 0, waters: 0, ions: 0 });
  const p = buildComparisonPayload(undefined, protein, undefined, { title: 'protein' });
  await postAndWaitRendered(page, toLoadMessage(p, { backmapped: { format: 'pdb', data: p.layers.backmapped!.text, classes: p.layers.backmapped!.classes } }), 90000);
  assert.deepEqual(await visibleToggles(), []);
  assert.equal(await page.locator('#composition').isHidden(), true);
  assert.equal(await page.locator('.plot-class-note').isHidden(), true);
});

test('no CSP violation or page error', { skip }, async () => {
  assert.deepEqual(await page.evaluate(() => JSON.parse(sessionStorage.getItem('csp') ?? '[]')), []);
  assert.deepEqual(browser.logs.filter((l) => l.startsWith('pageerror')), []);
});
