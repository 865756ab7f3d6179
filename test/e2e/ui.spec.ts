// UI end-to-end: a user session in code-server with the packaged linux-x64 VSIX installed into a fresh profile.
// Right-click → Backmap this PDB, the comparison view's pixels, the Problems panel, palette commands.
// Screenshots: test-results/e2e-*.png.  Run: npm run test:e2e   (E2E_VSIX=path skips packaging; KEEP=1 keeps temp dirs)
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPeptide } from '../../src/core/chemistry/peptide';
import { protonationParent } from '../../src/core/chemistry/variants';
import { engineHeavyNames } from '../../src/core/hydrogens';
import { parseMappingText } from '../../src/core/mapping/parse';
import { parsePdb } from '../../src/core/structure/pdb';
import { listModels } from '../../src/core/model/registry';
import { residuesOf } from '../../src/core/structure/builder';
import type { Structure } from '../../src/core/structure/types';
import { BAD_MAPPING, FIXTURE_SEQUENCE } from '../../scripts/harness/fixture-data';
import { RESULTS, contextMenu, explorerRow, openSession, poll, runCommand, type Session } from './harness';
import { pixstats } from './pixstats';

/** Screenshot of the Mol* canvas of a comparison webview, for pixel statistics. */
async function canvasShot(inner: ReturnType<Session['page']['frameLocator']>, name: string): Promise<string> {
  const file = join(RESULTS, `e2e-${name}.png`);
  await inner.locator('canvas').first().screenshot({ path: file });
  return file;
}

/** residue label → sorted heavy-atom names, under PDB names (outputs carry hydrogens and CHARMM names: HSE, OT1, ILE CD) */
function heavyAtomsByResidue(structure: Structure): Map<string, string[]> {
  const s = engineHeavyNames(structure);
  const out = new Map<string, string[]>();
  for (const r of residuesOf(s.atoms)) {
    const names: string[] = [];
    for (let i = r.start; i < r.end; i++) if (s.atoms.element[i] !== 'H') names.push(s.atoms.name[i]);
    out.set(`${r.chainId}:${protonationParent(r.resName) ?? r.resName}${r.resSeq}`, names.sort());
  }
  return out;
}

describe('Backmap Studio in code-server (packaged VSIX)', { timeout: 900000 }, () => {
  let s: Session;
  const shot = (name: string) => join(RESULTS, `e2e-${name}.png`);
  /** `it` that leaves test-results/e2e-failed-<n>.png behind when it fails, then resets transient UI (menus, pickers). */
  let n = 0;
  const step = (title: string, fn: () => Promise<void>) => it(title, async () => {
    const k = ++n;
    try {
      await fn();
    } catch (e) {
      await s.page.screenshot({ path: shot(`failed-${k}`) }).catch(() => {});
      throw e;
    } finally {
      await s.page.keyboard.press('Escape').catch(() => {});
    }
  });

  before(async () => { s = await openSession(); }, { timeout: 300000 });
  after(async () => { await s?.close(); });

  step('the installed VSIX carries only its platform\'s onnxruntime-node, and it loads', async () => {
    const bin = join(s.extensionDir, 'node_modules', 'onnxruntime-node', 'bin');
    const platforms = readdirSync(bin).flatMap((napi) => readdirSync(join(bin, napi)).flatMap((os) => readdirSync(join(bin, napi, os)).map((arch) => `${os}/${arch}`)));
    assert.deepEqual(platforms, ['linux/x64']);
    assert.deepEqual(readdirSync(join(s.extensionDir, 'node_modules')).sort(), ['onnxruntime-common', 'onnxruntime-node']);
    // Loading the package loads the native binding and libonnxruntime from the VSIX (no repo node_modules on the path).
    const probe = 'const o = require(process.argv[1]); if (typeof o.InferenceSession?.create !== "function") process.exit(5);' +
      'console.log(require("fs").readFileSync("/proc/self/maps", "utf8").split("\\n").filter((l) => /onnxruntime/.test(l)).map((l) => l.split(/\\s+/).pop()).join("\\n"))';
    const r = spawnSync(process.execPath, ['-e', probe, join(s.extensionDir, 'node_modules', 'onnxruntime-node')], { cwd: s.extensionDir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const mapped = new Set(r.stdout.split('\n').filter(Boolean));
    for (const lib of ['libonnxruntime.so.1', 'onnxruntime_binding.node'])
      assert.ok([...mapped].some((m) => m.startsWith(s.extensionDir) && m.endsWith(lib)), `${lib} not mapped from the VSIX: ${[...mapped]}`);
  });

  step('opens the fixture workspace', async () => {
    await explorerRow(s.page, 'cg.pdb').waitFor({ state: 'visible', timeout: 90000 });
    await s.page.screenshot({ path: shot('workspace') });
  });

  step('Explorer context menu "Backmap this PDB" writes the all-atom structure beside the input', async () => {
    const before = new Set(readdirSync(s.ws));
    await contextMenu(s.page, explorerRow(s.page, 'cg.pdb'), 'Backmap this PDB');
    const out = await poll(() => readdirSync(s.ws).find((f) => !before.has(f) && /^cg.*\.pdb$/.test(f)), 180000, 'the backmapped file');
    // The file is complete once the worker renamed it into place; parse it as a user's tool would.
    const model = parsePdb(readFileSync(join(s.ws, out), 'utf8'), out);
    const ref = buildPeptide(FIXTURE_SEQUENCE);
    const got = heavyAtomsByResidue(model);
    const want = heavyAtomsByResidue(ref);
    assert.deepEqual([...got.keys()], [...want.keys()], 'residues differ from the peptide the CG input was made from');
    for (const [k, names] of want) assert.deepEqual(got.get(k), names, `heavy atoms of ${k}`);
    // What the user sees: the file in the Explorer, the success message, the comparison tab.
    await explorerRow(s.page, out).waitFor({ state: 'visible', timeout: 30000 });
    await s.page.locator('.notifications-toasts', { hasText: `Backmapped cg.pdb → ${out}` }).first().waitFor({ timeout: 30000 });
    await s.page.locator('.tab', { hasText: `${out} (from cg.pdb)` }).first().waitFor({ timeout: 30000 });
    await s.page.screenshot({ path: shot('backmapped') });
  });

  step('the comparison view renders the structures (WebGL pixels)', async () => {
    const frame = s.page.locator('iframe.webview.ready').first();
    await frame.waitFor({ state: 'visible', timeout: 60000 });
    const inner = s.page.frameLocator('iframe.webview.ready').first().frameLocator('#active-frame');
    await inner.locator('canvas').first().waitFor({ state: 'visible', timeout: 60000 });
    await s.page.waitForTimeout(4000); // Mol* fades the structure in
    await frame.screenshot({ path: shot('compare') });
    // The check looks at the Mol* canvas alone (the side plots would add colour even if WebGL drew nothing).
    const canvas = inner.locator('canvas').first();
    await canvas.screenshot({ path: shot('compare-canvas') });
    const st = pixstats(shot('compare-canvas'));
    console.log(`compare canvas pixels: ${JSON.stringify(st)}`);
    assert.ok(st.nonBackgroundFraction > 0.02, `only ${st.nonBackgroundFraction} of the view differs from the background`);
    assert.ok(st.distinctColours > 50, `only ${st.distinctColours} distinct colours`);
  });

  /** The comparison webview's inner document (the last one: a trajectory editor opens a second webview). */
  const webview = (last = false) => {
    const outer = s.page.frameLocator('iframe.webview.ready');
    return (last ? outer.last() : outer.first()).frameLocator('#active-frame');
  };

  step('the comparison view draws cartoon + side chains by default, with legends on the plots', async () => {
    const inner = webview();
    await inner.locator('#repr-backmapped').waitFor({ timeout: 30000 });
    assert.equal(await inner.locator('#repr-backmapped').inputValue(), 'cartoon');
    const legends = await inner.locator('.plot-legend').allTextContents();
    assert.ok(legends.some((t) => /backmapped \(colour: RMSD\)/.test(t)), legends.join(' | '));
    assert.match((await inner.locator('.plot-empty-bars').textContent()) ?? '', /No reference/);
    assert.equal(await inner.locator('aside h3', { hasText: 'χ1' }).evaluate((e) => getComputedStyle(e).textTransform), 'none');
  });

  step('with a reference, clicking a per-residue bar opens the source beside the comparison, which stays', async () => {
    const out = readdirSync(s.ws).find((f) => /^cg\.backmapped(-\d+)?\.pdb$/.test(f))!;
    // Explorer: select the backmapped file and aa.pdb, right-click → Compare with reference… (the other one is the reference).
    await explorerRow(s.page, out).click();
    await explorerRow(s.page, 'aa.pdb').click({ modifiers: ['Control'] });
    await contextMenu(s.page, explorerRow(s.page, out), 'Compare with reference');
    const inner = webview();
    await inner.locator('svg.plot-bars .bar').first().waitFor({ timeout: 60000 });
    assert.equal(await inner.locator('#layer-cg').isChecked(), true, 'the CG beads stay with the reference');
    assert.match((await inner.locator('header .summary').getAttribute('title')) ?? '', /no superposition/);
    await s.page.waitForTimeout(1500);
    await s.page.locator('iframe.webview.ready').first().screenshot({ path: shot('compare-reference') });
    const box = (await inner.locator('svg.plot-bars').boundingBox())!;
    await inner.locator('svg.plot-bars').hover({ position: { x: box.width * 0.5, y: box.height * 0.7 } });
    await inner.locator('.plot-readout', { hasText: /— all [\d.]+ Å/ }).waitFor({ timeout: 10000 });
    await inner.locator('svg.plot-bars').click({ position: { x: box.width * 0.5, y: box.height * 0.7 } });
    // The PDB text opens in a second editor group beside the panel; the comparison tab is still there.
    // (Selecting the file in the Explorer above opened it as a preview in the panel's group: that one stays behind.)
    const groups = s.page.locator('.editor-group-container');
    await poll(async () => (await groups.count()) >= 2, 30000, 'a second editor group with the source');
    await groups.nth(1).locator('.tab', { hasText: out }).first().waitFor({ timeout: 30000 });
    await groups.nth(0).locator('.tab', { hasText: 'vs aa.pdb' }).first().waitFor({ timeout: 10000 });
    await s.page.waitForTimeout(1000);
    await s.page.screenshot({ path: shot('reveal-beside') });
  });

  step('"Backmap trajectory…" opens a playing trajectory in the comparison view (play, speed, loop, frame number)', async () => {
    await runCommand(s.page, 'View: Close All Editors');
    await contextMenu(s.page, explorerRow(s.page, 'cg.xtc'), 'Backmap trajectory');
    // Topology: the structures beside the trajectory.
    const input = s.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible' });
    await input.fill('cg.pdb');
    await s.page.locator('.quick-input-list .monaco-list-row', { hasText: 'cg.pdb' }).first().waitFor();
    await s.page.keyboard.press('Enter');
    await s.page.locator('.tab', { hasText: /cg\.backmapped(-\d+)?\.xtc \(\d+ frames/ }).first().waitFor({ timeout: 180000 });
    const inner = webview();
    await inner.locator('footer #play').waitFor({ state: 'visible', timeout: 60000 });
    const frame = s.page.locator('iframe.webview.ready').first();
    const fb = (await frame.boundingBox())!;
    assert.ok(fb.width > 900, `the view has a column of its own (${Math.round(fb.width)} px wide)`);
    assert.match((await inner.locator('.frame-label').textContent()) ?? '', /^1 \/ 3/);
    await inner.locator('#speed').selectOption('2');
    await inner.locator('#play').click();
    await inner.locator('.frame-label', { hasText: /^2 \/ 3 · \d+ ps/ }).waitFor({ timeout: 60000 });
    await s.page.waitForTimeout(300);
    await frame.screenshot({ path: shot('trajectory-playing') });
    await inner.locator('.frame-label', { hasText: /^1 \/ 3/ }).waitFor({ timeout: 60000 }); // looped
    await inner.locator('#play').click();
    const st = pixstats(await canvasShot(inner, 'trajectory-canvas'));
    assert.ok(st.nonBackgroundFraction > 0.02, `trajectory canvas ${JSON.stringify(st)}`);
  });

  step('clicking the backmapped .xtc opens it in the trajectory view, not the binary editor', async () => {
    const xtc = readdirSync(s.ws).find((f) => /^cg\.backmapped(-\d+)?\.xtc$/.test(f))!;
    await runCommand(s.page, 'View: Close All Editors');
    await explorerRow(s.page, xtc).dblclick();
    const input = s.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 30000 });
    await s.page.locator('.quick-input-list .monaco-list-row', { hasText: 'topology.pdb' }).first().waitFor();
    await s.page.keyboard.press('Enter');
    const inner = webview(true);
    await inner.locator('footer #play').waitFor({ state: 'visible', timeout: 60000 });
    assert.equal(await s.page.locator('.monaco-editor .binary', { hasText: 'binary' }).count(), 0);
    await inner.locator('#play').click();
    await inner.locator('.frame-label', { hasText: /^2 \/ 3/ }).waitFor({ timeout: 60000 });
    await s.page.waitForTimeout(300);
    await s.page.screenshot({ path: shot('trajectory-editor') });
    await inner.locator('#play').click();
  });

  const caModel = listModels().find((m) => m.mapping.id === 'ca');
  step(`C-alpha input through the shipped model ${caModel?.id ?? '(none shipped: skipped)'} on onnxruntime-node from the VSIX`, async () => {
    if (!caModel) { console.log('no C-alpha model in models/: onnxruntime-node inference from the VSIX not exercised'); return; }
    const before = new Set(readdirSync(s.ws));
    await contextMenu(s.page, explorerRow(s.page, 'ca.pdb'), 'Backmap this PDB');
    const out = await poll(() => readdirSync(s.ws).find((f) => !before.has(f) && /^ca.*\.pdb$/.test(f)), 180000, 'the backmapped C-alpha file');
    const model = parsePdb(readFileSync(join(s.ws, out), 'utf8'), out);
    assert.deepEqual([...heavyAtomsByResidue(model).keys()], [...heavyAtomsByResidue(buildPeptide(FIXTURE_SEQUENCE)).keys()]);
    const report = await poll(() => {
      const f = join(s.ws, out.replace(/\.pdb$/, '.report.md')); // one report per run, beside its output
      const t = existsSync(f) ? readFileSync(f, 'utf8') : '';
      return t.includes(`/${out}`) || t.includes('ca.pdb') ? t : '';
    }, 30000, 'the stored report of the C-alpha run');
    assert.match(report, new RegExp(`\\*\\*Model:\\*\\* ${caModel.id}`));
    assert.match(report, /\*\*Execution provider:\*\* cpu/);
  });

  step('the Problems panel shows the mapping diagnostics', async () => {
    const expected = parseMappingText(BAD_MAPPING, 'ala.yaml').diagnostics.filter((d) => d.severity === 'error');
    assert.ok(expected.length >= 2, 'fixture should have at least two errors');
    // Quick Open: the palette without its '>' prefix searches files.
    await s.page.keyboard.press('F1');
    const input = s.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible' });
    await input.fill('mappings/bad/ala.yaml');
    await s.page.locator('.quick-input-list .monaco-list-row', { hasText: 'ala.yaml' }).first().waitFor();
    await s.page.keyboard.press('Enter');
    await runCommand(s.page, 'Problems: Focus on Problems View');
    const panel = s.page.locator('.markers-panel');
    for (const d of expected) {
      // The Problems panel shows the first line of the message.
      const first = d.message.split('\n')[0].slice(0, 60);
      await panel.getByText(first, { exact: false }).first().waitFor({ timeout: 60000 });
    }
    await s.page.screenshot({ path: shot('problems') });
  });

  step('palette "Backmap Studio: Select model…" stores the choice in the workspace settings', async () => {
    await runCommand(s.page, 'Backmap Studio: Select model…');
    const row = s.page.locator('.quick-input-list .monaco-list-row', { hasText: 'template' }).first();
    await row.waitFor();
    await s.page.screenshot({ path: shot('select-model') });
    await row.click();
    const settings = join(s.ws, '.vscode', 'settings.json');
    await poll(() => existsSync(settings) && /"backmapStudio\.model":\s*"template"/.test(readFileSync(settings, 'utf8')), 20000, 'backmapStudio.model = template');
  });

  step('palette "Backmap Studio: Show backmapping report" opens the report preview', async () => {
    await runCommand(s.page, 'Backmap Studio: Show backmapping report');
    await s.page.locator('.tab', { hasText: '.report.md' }).first().waitFor({ timeout: 30000 });
    // The preview is a webview: find the frame that rendered the report's heading.
    await poll(async () => {
      for (const f of s.page.frames()) {
        const h = await f.locator('h1', { hasText: 'Backmapping report' }).count().catch(() => 0);
        if (h) return true;
      }
      return false;
    }, 30000, 'the rendered report heading');
    await s.page.screenshot({ path: shot('report') });
  });
});
