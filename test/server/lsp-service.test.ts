// Language features at service level (no transport): quick-fix edits, renumbering, weights, formatting, completion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { parseMappingDocument } from '../../src/core/mapping/parse';
import { applyEdits } from '../../src/core/mapping/hierarchy';
import { codeActions, normaliseWeights, renumberBead } from '../../src/server/features/code-actions';
import { completion, nextRules } from '../../src/server/features/completion';
import { format } from '../../src/server/features/formatting';

const doc = (t: string) => TextDocument.create('file:///x/m.yaml', 'backmap-mapping', 1, t);
const atoms = (...l: string[]) => `molecule: XXX\natoms:\n${l.map((x) => `  ${x}\n`).join('')}`;

test('renumber IDs removes duplicate (level, ID) and re-anchors only on the bonded atom', () => {
  // Issue 26: the old renumbering anchored O on N here (P3AA); the carbonyl O is bonded to C.
  const ala = (...l: string[]) => atoms(...l).replace('molecule: XXX', 'molecule: ALA');
  const t = ala('CA: BB P1A', 'N: BB P2AA', 'C: BB P2AA', 'O: BB P3AA');
  const p = parseMappingDocument(t, 'm');
  assert.ok(p.diagnostics.some((d) => d.code === 'W2'));
  const out = applyEdits(t, renumberBead(p, 'BB')!);
  const q = parseMappingDocument(out, 'm');
  assert.deepEqual(q.diagnostics.map((d) => d.code), []);
  assert.match(out, /C: BB P2AB/);
  assert.match(out, /O: BB P3BA/, 'O anchored on C (level 2 ID B)');
  // Without chemistry or a reference nobody knows which atom O hangs on: no automatic re-anchoring.
  assert.equal(renumberBead(parseMappingDocument(atoms('CA: BB P1A', 'N: BB P2AA', 'C: BB P2AA', 'O: BB P3AA'), 'm'), 'BB'), null);
  // Missing root (IDs B, C only at level 1): the CM atom becomes the root, CB is anchored on it (bonded).
  const u = ala('CA: BB P1B CM', 'CB: BB P1C');
  const r = applyEdits(u, renumberBead(parseMappingDocument(u, 'm'), 'BB')!);
  assert.deepEqual(parseMappingDocument(r, 'm').diagnostics.map((d) => d.code), []);
  assert.match(r, /CA: BB P1A CM/);
  // Two candidates for the root and nothing says which: no fix.
  assert.equal(renumberBead(parseMappingDocument(ala('CA: BB P1B', 'CB: BB P1C'), 'm'), 'BB'), null);
  assert.equal(renumberBead(parseMappingDocument(atoms('CA: BB P1A', 'N: BB P2AA'), 'm'), 'BB'), null, 'already canonical');
});

test('weights quick fix scales shared weights to sum to 1 with the same proportions', () => {
  const t = atoms('CA: BB P1A', 'CB: BB,SC1 P2AA,P1A 1/2,1/3');
  const p = parseMappingDocument(t, 'm');
  const e = p.entries[1];
  const out = applyEdits(t, normaliseWeights(p, e)!.edits);
  assert.match(out, /3\/5,2\/5/);
  const q = parseMappingDocument(out, 'm');
  assert.ok(!q.diagnostics.some((d) => d.code === 'W10'));
  const acts = codeActions(p, doc(t), { start: { line: 3, character: 2 }, end: { line: 3, character: 4 } }, []);
  // The title now previews the change (issue 26): it used to be exactly 'Scale shared weights to sum to 1'.
  assert.ok(acts.some((a) => a.title === 'Scale shared weights to sum to 1 (1/2,1/3 → 3/5,2/5)'), acts.map((a) => a.title).join(' | '));
});

test('quick fixes: quote boolean-like keys, remove underscores, digit-last names, pad fields', () => {
  const t = atoms('CA: BB P1A', 'ON: BB P2AA', 'C_1: BB P2AB', '1HB: BB !', 'CZ: BB,SC1 P2AC 1/2,1/2', 'CE: SC1 P1A');
  const p = parseMappingDocument(t, 'm');
  const all = codeActions(p, doc(t), { start: { line: 0, character: 0 }, end: { line: 9, character: 0 } }, []);
  const titles = all.map((a) => a.title);
  for (const want of ['Quote "ON"', 'Rename to C1', 'Rename to HB1', 'Pad to 2 parts']) assert.ok(titles.includes(want), `${want} in ${titles.join(' | ')}`);
  const fixed = applyEdits(t, p.diagnostics.flatMap((d) => (d.fixes?.[0] && ['E2', 'E5', 'X2', 'E3'].includes(d.code) ? d.fixes[0].edits : [])));
  assert.ok(!parseMappingDocument(fixed, 'm').diagnostics.some((d) => d.severity === 'error'), fixed);
});

test('formatting: quoted entries, comments, blank lines and tabs-free indentation preserved', () => {
  const t = 'molecule: A\natoms:\n  "P" : "A P7CA"\n  "OP1": "A P8AA"   # phosphate\n\n  # base\n  "N9" : "A P1A"\n';
  const d = doc(t);
  const out = TextDocument.applyEdits(d, format(parseMappingDocument(t, 'm'), d));
  assert.match(out, /# base/);
  assert.match(out, /\n\n/);
  const a = parseMappingDocument(t, 'm').molecule!;
  const b = parseMappingDocument(out, 'm').molecule!;
  assert.deepEqual(b.atoms.map((x) => x.membership), a.atoms.map((x) => x.membership));
  // never formats what YAML cannot parse
  const broken = 'molecule: [\n  CA: BB\n';
  assert.deepEqual(format(parseMappingDocument(broken, 'm'), doc(broken)), []);
});

test('completion contexts: top-level keys, beads, settings', () => {
  const t = atoms('CA: BB P1A', 'N: BB P2AA', 'C: ');
  const p = parseMappingDocument(t, 'm');
  const d = doc(t);
  const lastLine = t.split('\n').length - 2;
  const beads = completion(p, d, d.offsetAt({ line: lastLine, character: 5 }), new Map());
  assert.deepEqual(beads.map((i) => i.label), ['BB']);
  assert.deepEqual(nextRules(p, 'BB').map((r) => r.label), ['P2AB', 'P3AA']);
  assert.deepEqual(nextRules(p, 'NEW').map((r) => r.label), ['P1A']);
  const top = completion(p, d, 0, new Map());
  assert.ok(top.some((i) => i.label === 'molecule'));
});
