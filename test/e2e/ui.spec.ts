// UI end-to-end: a user session in code-server with the packaged linux-x64 VSIX installed into a fresh profile.
// Right-click → Backmap this PDB, the comparison view's pixels, the Problems panel, palette commands.
// Screenshots: test-results/e2e-*.png.  Run: npm run test:e2e   (E2E_VSIX=path skips packaging; KEEP=1 keeps temp dirs)
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPeptide } from '../../src/core/chemistry/peptide';
import { parseMappingText } from '../../src/core/mapping/parse';
import { parsePdb } from '../../src/core/structure/pdb';
import { listModels } from '../../src/core/model/registry';
import { residuesOf } from '../../src/core/structure/builder';
import type { Structure } from '../../src/core/structure/types';
import { BAD_MAPPING, FIXTURE_SEQUENCE } from '../../scripts/harness/fixture-data';
import { RESULTS, contextMenu, explorerRow, openSession, poll, runCommand, type Session } from './harness';
import { pixstats } from './pixstats';

/** residue label → sorted heavy-atom names */
function heavyAtomsByResidue(s: Structure): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of residuesOf(s.atoms)) {
    const names: string[] = [];
    for (let i = r.start; i < r.end; i++) if (s.atoms.element[i] !== 'H') names.push(s.atoms.name[i]);
    out.set(`${r.chainId}:${r.resName}${r.resSeq}`, names.sort());
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

  const caModel = listModels().find((m) => m.mapping.id === 'ca');
  step(`C-alpha input through the shipped model ${caModel?.id ?? '(none shipped: skipped)'} on onnxruntime-node from the VSIX`, async () => {
    if (!caModel) { console.log('no C-alpha model in models/: onnxruntime-node inference from the VSIX not exercised'); return; }
    const before = new Set(readdirSync(s.ws));
    await contextMenu(s.page, explorerRow(s.page, 'ca.pdb'), 'Backmap this PDB');
    const out = await poll(() => readdirSync(s.ws).find((f) => !before.has(f) && /^ca.*\.pdb$/.test(f)), 180000, 'the backmapped C-alpha file');
    const model = parsePdb(readFileSync(join(s.ws, out), 'utf8'), out);
    assert.deepEqual([...heavyAtomsByResidue(model).keys()], [...heavyAtomsByResidue(buildPeptide(FIXTURE_SEQUENCE)).keys()]);
    const report = await poll(() => {
      const f = join(s.globalStorage, 'last-report.md');
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
    await s.page.locator('.tab', { hasText: 'last-report' }).first().waitFor({ timeout: 30000 });
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
