// Load time of a 100k-atom structure in the comparison webview (fetched by URI, as the panel does for
// large files), measured by the webview itself from message receipt to the first frame on screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpus, loadavg } from 'node:os';
import { formatPdb } from '../../src/core/structure/pdb';
import { makeLarge } from './fixtures';
import { buildWebview, chromiumMissing, launch, pixelStats, postAndWaitRendered, shotViewport, startServer } from './harness';

/** Target from the issue: 3 s. On a shared, overloaded machine the budget scales with the measured CPU contention. */
const TARGET_MS = 3000;

test('100k atoms open in the comparison view within budget', { skip: chromiumMissing(), timeout: 180000 }, async () => {
  const s = makeLarge(100000);
  assert.ok(s.atoms.count >= 100000);
  const text = formatPdb(s);
  const b = await buildWebview();
  const server = await startServer(b.js.replace(/webview\.js$/, ''));
  const browser = await launch(1200, 760);
  try {
    server.put('/data/large.pdb', text);
    const page = browser.page;
    await page.goto(`${server.origin}/index.html`);
    await page.waitForFunction(() => document.body.dataset.status === 'ready', null, { timeout: 60000 });
    const contention = Math.max(1, loadavg()[0] / cpus().length);
    const t0 = Date.now();
    const r = await postAndWaitRendered(
      page,
      { type: 'load', title: 'large', layers: { backmapped: { format: 'pdb', uri: `${server.origin}/data/large.pdb`, atoms: s.atoms.count } }, perResidue: [], torsions: {} },
      150000,
    );
    const wall = Date.now() - t0;
    const budget = Math.round(TARGET_MS * contention);
    console.log(`# webview 100k: ${r.atoms} atoms (${(text.length / 1e6).toFixed(1)} MB PDB) rendered in ${r.ms} ms (webview clock), ${wall} ms wall; load ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs → budget ${budget} ms`);
    assert.equal(r.atoms, s.atoms.count);
    const shot = await shotViewport(page, 'large-100k');
    assert.ok(pixelStats(shot.png, [0, 0, shot.png.width, shot.png.height]).nonBackground > 0.05, 'drawn');
    assert.ok(r.ms <= budget, `100k atoms took ${r.ms} ms > ${budget} ms`);
  } finally {
    await browser.close();
    await server.close();
  }
});
