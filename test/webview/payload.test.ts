import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyseFrame, buildComparisonPayload, defaultCgBonds, lineOfResidue, residuesOnLines, superposeReference, toLoadMessage } from '../../src/extension/compare/payload';
import { compareCsp, compareHtml } from '../../src/extension/compare/html';
import { reloadComparison } from '../../src/extension/compare/reload';
import { formatPdb, parsePdb } from '../../src/core/structure/pdb';
import { isExtensionToWebview } from '../../src/shared/webview-protocol';
import { makeFixture } from './fixtures';
import { compareStructures } from '../../src/core/metrics';

const fx = makeFixture(30, 3);

test('payload: layers, per-residue deviation, torsions, fit', () => {
  const p = buildComparisonPayload(fx.cg, fx.backmapped, fx.reference, { source: { backmapped: '/x/bm.pdb' } });
  assert.deepEqual(Object.keys(p.layers).sort(), ['backmapped', 'cg', 'reference']);
  assert.equal(p.layers.backmapped!.models, 3);
  assert.equal(p.layers.reference!.models, 1);
  assert.equal(p.frames?.count, 3);
  assert.equal(p.perResidue.length, 30);
  // Issue 26 item 6: one RMSD definition, the backmapping report's (no superposition, atoms matched by chain,
  // residue number and name), stated with the numbers. The fixture was moved 35° away, so it shows here.
  const report = compareStructures(fx.backmapped, fx.reference);
  assert.equal(p.summary!.rmsd_all, report.rmsd_all);
  assert.equal(p.summary!.matched, report.matched);
  assert.ok(p.summary!.rmsd_bb! > 5, `rmsd_bb ${p.summary!.rmsd_bb} (not superposed)`);
  assert.match(p.summary!.definition!, /no superposition/);
  assert.match(p.summary!.definition!, /matched by chain, residue number/);
  // In the reference's frame (as a backmap of a CG made from it is), residues whose side chain was built in
  // another rotamer deviate more than the rest, and backbones stay close.
  const fit = superposeReference(fx.backmapped, fx.reference)!.matrix;
  const rc = fx.reference.coords.map((_, i) => { const a = i - (i % 3), d = i % 3; return fit[d] * fx.reference.coords[a] + fit[4 + d] * fx.reference.coords[a + 1] + fit[8 + d] * fx.reference.coords[a + 2] + fit[12 + d]; });
  const fitted = { ...fx.reference, coords: rc, models: [rc] };
  const q = buildComparisonPayload(fx.cg, fx.backmapped, fitted);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const flipped = q.perResidue.filter((_, i) => i % 5 === 2 && !['GLY', 'ALA'].includes(q.perResidue[i].resName)).map((r) => r.rmsd!);
  const others = q.perResidue.filter((_, i) => i % 5 !== 2).map((r) => r.rmsd!);
  assert.ok(mean(flipped) > mean(others) + 0.5, `flipped ${mean(flipped)} vs others ${mean(others)}`);
  assert.ok(q.summary!.rmsd_bb! < 1.5, `rmsd_bb ${q.summary!.rmsd_bb}`);
  // χ1 of a flipped residue: 180 in the backmapped copy, not in the reference.
  const k = p.torsions.backmapped!.findIndex((t, i) => i % 5 === 2 && t.chi1 !== null);
  assert.ok(Math.abs(Math.abs(p.torsions.backmapped![k].chi1!) - 180) < 1);
  assert.ok(Math.abs(Math.abs(p.torsions.reference![k].chi1!) - 180) > 30);
  // Termini have no φ (first) / ψ (last): null, not NaN.
  assert.equal(p.torsions.reference![0].phi, null);
  assert.equal(p.torsions.reference![29].psi, null);
  // The transform moves reference Cα onto backmapped Cα.
  const t = p.superposition!;
  assert.equal(t.layer, 'reference');
  assert.equal(t.matched, 30);
  const ca = (s: typeof fx.reference) => [...Array(s.atoms.count).keys()].filter((i) => s.atoms.name[i] === 'CA').map((i) => [s.coords[3 * i], s.coords[3 * i + 1], s.coords[3 * i + 2]]);
  const m = t.matrix;
  const moved = ca(fx.reference).map(([x, y, z]) => [0, 1, 2].map((d) => m[d] * x + m[4 + d] * y + m[8 + d] * z + m[12 + d]));
  const target = ca(fx.backmapped);
  const rmsd = Math.sqrt(moved.reduce((s, p2, i) => s + p2.reduce((a, v, d) => a + (v - target[i][d]) ** 2, 0), 0) / moved.length);
  assert.ok(Math.abs(rmsd - t.rmsd!) < 1e-6 && rmsd < 1, `fit rmsd ${rmsd}`);
  // The load message is valid on the wire, JSON round trip included.
  const msg = toLoadMessage(p, { backmapped: { format: 'pdb', data: p.layers.backmapped!.text }, reference: { format: 'pdb', uri: 'https://x/ref.pdb' } });
  assert.ok(isExtensionToWebview(msg));
  assert.ok(isExtensionToWebview(JSON.parse(JSON.stringify(msg))));
});

test('payload: a single layer and the CG-only fit', () => {
  const p = buildComparisonPayload(fx.cg, undefined, fx.reference);
  assert.equal(p.perResidue.length, 0);
  assert.equal(p.superposition?.matched, 30); // reference Cα onto CG backbone beads
  assert.ok(p.superposition!.rmsd! < 2.5);
  const only = buildComparisonPayload(undefined, undefined, fx.reference);
  assert.equal(only.superposition, undefined);
  assert.throws(() => buildComparisonPayload());
});

test('per-frame analysis follows the model', () => {
  const a0 = analyseFrame(fx.cg, fx.backmapped, fx.reference, 0);
  const a2 = analyseFrame(fx.cg, fx.backmapped, fx.reference, 2);
  assert.notDeepEqual(a0.perResidue.map((r) => r.rmsd), a2.perResidue.map((r) => r.rmsd));
  assert.ok(a2.summary!.rmsd_all! > a0.summary!.rmsd_all!, 'frame 2 has extra noise');
});

test('CG bonds: backbone chain, side chains, chain breaks left open', () => {
  const bonds = defaultCgBonds(fx.cg);
  const a = fx.cg.atoms;
  const bb = [...Array(a.count).keys()].filter((i) => a.name[i] === 'BB');
  const set = new Set(bonds.map(([i, j]) => `${i}-${j}`));
  for (let k = 1; k < bb.length; k++) assert.ok(set.has(`${bb[k - 1]}-${bb[k]}`), `BB ${k}`);
  for (let i = 0; i < a.count; i++) if (a.name[i] === 'SC1') assert.ok(set.has(`${i - 1}-${i}`), 'BB-SC1');
  // Pull the second half away: no bond across the gap.
  const far = { ...fx.cg, coords: fx.cg.coords.slice() };
  const mid = bb[15];
  for (let i = mid; i < a.count; i++) far.coords[3 * i] += 50;
  const b2 = new Set(defaultCgBonds(far).map(([i, j]) => `${i}-${j}`));
  assert.ok(!b2.has(`${bb[14]}-${bb[15]}`));
  // The PDB for Mol* carries them as CONECT records.
  const p = buildComparisonPayload(fx.cg);
  const conect = p.layers.cg!.text.split('\n').filter((l) => l.startsWith('CONECT'));
  assert.ok(conect.length >= bb.length);
  assert.match(p.layers.cg!.text, /END\n$/);
});

test('editor lines ↔ residues', () => {
  const text = formatPdb(fx.reference);
  const s = parsePdb(text, 'ref.pdb');
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.startsWith('ATOM') && l.slice(22, 26).trim() === '7');
  assert.deepEqual(residuesOnLines(s, [i, i + 1]), [{ chainId: 'A', resSeq: 7, iCode: '' }]);
  assert.equal(lineOfResidue(s, { chainId: 'A', resSeq: 7, iCode: '' }), i + 1);
  assert.equal(lineOfResidue(s, { chainId: 'A', resSeq: 999, iCode: '' }), undefined);
  assert.equal(superposeReference(fx.backmapped, { ...fx.reference, atoms: { ...fx.reference.atoms, name: fx.reference.atoms.name.map(() => 'X') } }), undefined);
});

test('reload reads the layers back from their files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-compare-'));
  try {
    writeFileSync(join(dir, 'ref.pdb'), formatPdb(fx.reference));
    writeFileSync(join(dir, 'bm.pdb'), formatPdb(fx.backmapped));
    const r = reloadComparison({ backmapped: join(dir, 'bm.pdb'), reference: join(dir, 'ref.pdb') });
    assert.equal(r.backmapped!.models.length, 3);
    assert.equal(r.reference!.atoms.count, fx.reference.atoms.count);
    assert.throws(() => reloadComparison({}));
    assert.throws(() => reloadComparison({ reference: join(dir, 'missing.pdb') }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('HTML: strict CSP with a nonce', () => {
  const html = compareHtml({ cspSource: 'https://x.vscode-cdn.net', nonce: 'abc123', scriptUri: 'https://x/webview.js', styleUri: 'https://x/webview.css', title: '<b>t</b>' });
  const csp = compareCsp({ cspSource: 'https://x.vscode-cdn.net', nonce: 'abc123' });
  assert.ok(html.includes(csp));
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-abc123'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.match(html, /<script nonce="abc123" src="https:\/\/x\/webview.js">/);
  assert.ok(html.includes('&#60;b&#62;t&#60;/b&#62;'));
  assert.equal((html.match(/<script/g) ?? []).length, 1);
});
