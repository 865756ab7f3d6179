// Property: a quick fix never makes a mapping wrong (issue 26). Every code action offered on every mapping of
// mappings/ and on seeded mutated copies is applied; the result must not gain an error, must not write NaN or
// Infinity, and must not change an atom's anchor to an atom the chemistry table says it is not bonded to. The bond
// check here reads the chemistry table directly, independently of the server's own safety net.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeAction, TextEdit } from 'vscode-languageserver';
import { buildPeptide, residueBonds } from '../../src/core/chemistry';
import { parseMappingDocument, type ParsedMapping } from '../../src/core/mapping/parse';
import { codeActions } from '../../src/server/features/code-actions';
import { bondKnowledge } from '../../src/server/bonds';
import { rng } from '../helpers/rng';
import { mutate, mutateSettings } from './mutate';
import { ROOT } from './lsp-client';

const MUTANTS = Number(process.env.BMS_FIX_MUTANTS ?? 12);

function corpus(): { file: string; text: string }[] {
  const root = join(ROOT, 'mappings');
  const out: { file: string; text: string }[] = [];
  for (const set of readdirSync(root)) {
    const dir = join(root, set);
    if (!statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir).sort()) if (/\.ya?ml$/.test(f) && !f.startsWith('bead_types')) out.push({ file: join(dir, f), text: readFileSync(join(dir, f), 'utf8') });
  }
  return out;
}

/** Bonded per the chemistry table (canonical heavy-atom names, C–OXT added), undefined when it does not know. */
function tableBonded(molecule: string | null, a: string, b: string): boolean | undefined {
  const bonds = molecule ? residueBonds(molecule) : undefined;
  if (!bonds) return undefined;
  const all = [...bonds, ['C', 'OXT'] as const];
  const known = new Set(all.flat());
  if (!known.has(a) || !known.has(b)) return undefined;
  return all.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
}

/** (bead, atom) → the canonical name of the anchor atom, '' for the root / level 0 / self-anchored. */
function anchors(p: ParsedMapping): Map<string, string> {
  const out = new Map<string, string>();
  for (const b of p.molecule?.beads ?? []) b.slots.forEach((s, si) => {
    out.set(`${b.name} ${p.molecule!.atoms[s.atom].names[0]}`, s.anchor === si ? '' : p.molecule!.atoms[b.slots[s.anchor].atom].names[0]);
  });
  return out;
}

const errorCounts = (p: ParsedMapping) => {
  const m = new Map<string, number>();
  for (const d of p.diagnostics) if (d.severity === 'error') m.set(d.code, (m.get(d.code) ?? 0) + 1);
  return m;
};

function editsOf(a: CodeAction, uri: string): TextEdit[] {
  if (a.edit?.changes) return a.edit.changes[uri] ?? [];
  return (a.edit?.documentChanges ?? []).flatMap((c) => ('edits' in c && c.textDocument.uri === uri ? (c.edits as TextEdit[]) : []));
}

test(`every quick fix on mappings/ and ${MUTANTS} mutants per file keeps the mapping right`, { timeout: 600_000 }, (t) => {
  const random = rng(26_07);
  let texts = 0;
  let applied = 0;
  let reanchored = 0;
  const titles = new Map<string, number>();
  const problems: string[] = [];
  for (const { file, text: original } of corpus()) {
    const variants = [original];
    for (let k = 0; k < MUTANTS; k++) {
      let v = original;
      const n = 1 + Math.floor(random() * 2);
      for (let j = 0; j < n; j++) v = random() < 0.7 ? mutateSettings(v, random) : mutate(v, random);
      variants.push(v);
    }
    for (const text of variants) {
      texts++;
      const uri = `file://${file}`;
      const doc = TextDocument.create(uri, 'backmap-mapping', 1, text);
      const before = parseMappingDocument(text, file);
      const end = doc.positionAt(text.length);
      const actions = codeActions(before, doc, { start: { line: 0, character: 0 }, end }, [], { bonds: bondKnowledge(before.moleculeName) });
      const errorsBefore = errorCounts(before);
      const anchorsBefore = anchors(before);
      for (const a of actions) {
        const edits = editsOf(a, uri);
        if (!edits.length) continue;
        applied++;
        const kind = /→/.test(a.title) && /anchor|ID|level|rule/.test(a.title) ? 'hierarchy repair' : a.title.split(/[\s:(]/)[0];
        titles.set(kind, (titles.get(kind) ?? 0) + 1);
        const fixed = TextDocument.applyEdits(doc, edits);
        const where = `${file} «${a.title}»\n--- before\n${text}\n--- after\n${fixed}`;
        if (edits.some((x) => /NaN|Infinity/.test(x.newText))) problems.push(`writes a non-finite number: ${where}`);
        const after = parseMappingDocument(fixed, file);
        for (const [code, n] of errorCounts(after)) if (n > (errorsBefore.get(code) ?? 0)) problems.push(`adds error ${code}: ${where}`);
        for (const [key, anchor] of anchors(after)) {
          const old = anchorsBefore.get(key);
          if (!anchor || anchor === old) continue;
          reanchored++;
          const atom = key.split(' ')[1];
          if (tableBonded(after.moleculeName, atom, anchor) === false) problems.push(`anchors ${key} on ${anchor} (not bonded; was ${old || 'none'}): ${where}`);
        }
      }
    }
  }
  t.diagnostic(`${texts} texts, ${applied} fixes applied, ${reanchored} anchors changed; by kind: ${[...titles].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  assert.deepEqual(problems.slice(0, 3), []);
  // Not vacuous: the corpus and the slips exercise many fixes, hierarchy repairs among them.
  assert.ok(applied > 200, `only ${applied} fixes applied`);
  assert.ok((titles.get('hierarchy repair') ?? 0) > 20, [...titles].join(', '));
});

test('issue 26: the carbonyl O keeps its bonded anchor and 1/0 is never replaced by NaN', () => {
  const file = join(ROOT, 'mappings', 'martini3', 'ala.yaml');
  const text = readFileSync(file, 'utf8').replace(/(O,OT1,OC1,O1:\s+BB\s+)P3BA/, '$1P3CA').replace(/(CB:\s+SC1\s+P1A)/, '$1 1/0');
  const doc = TextDocument.create(`file://${file}`, 'backmap-mapping', 1, text);
  const p = parseMappingDocument(text, file);
  assert.ok(p.diagnostics.some((d) => d.code === 'W1'), 'P3CA has no anchor C on level 2');
  const all = codeActions(p, doc, { start: { line: 0, character: 0 }, end: doc.positionAt(text.length) }, []);
  const titles = all.map((a) => a.title);
  assert.ok(titles.includes('O: anchor P3CA → P3BA (bonded to C)'), titles.join(' | '));
  assert.ok(titles.includes('Remove the weight 1/0 (bead SC1 then weighs 1.0)'), titles.join(' | '));
  assert.ok(!titles.some((x) => /NaN|Infinity/.test(x)), titles.join(' | '));
  // Offered only on the lines it concerns: not on the CB line, and not on N.
  const onLine = (l: number) => codeActions(p, doc, { start: { line: l, character: 2 }, end: { line: l, character: 2 } }, []).map((a) => a.title);
  const lineOf = (re: RegExp) => text.split('\n').findIndex((l) => re.test(l));
  assert.ok(onLine(lineOf(/^\s+O,OT1/)).some((x) => x.startsWith('O: anchor')));
  assert.ok(!onLine(lineOf(/^\s+N:/)).some((x) => x.startsWith('O: anchor')));
  // Without any knowledge of the bonds (unknown molecule), no automatic re-anchoring is offered at all.
  const unknown = text.replace('molecule: ALA', 'molecule: XYZ');
  const q = parseMappingDocument(unknown, file);
  const none = codeActions(q, TextDocument.create(`file://${file}`, 'backmap-mapping', 1, unknown), { start: { line: 0, character: 0 }, end: doc.positionAt(unknown.length) }, []);
  assert.ok(!none.some((a) => /anchor|Renumber/.test(a.title)), none.map((a) => a.title).join(' | '));
});

test('a reference structure tells the bonds of a molecule the chemistry table does not know', () => {
  // XAL: alanine under a name the chemistry table does not know; the reference residue has its coordinates.
  const ref = buildPeptide('A');
  for (let i = 0; i < ref.atoms.count; i++) ref.atoms.resName[i] = 'XAL';
  const text = 'molecule: XAL\natoms:\n  N: BB P2AA\n  CA: BB P1A\n  C: BB P2AB\n  O: BB P3CA\n  CB: SC1 P1A\n';
  const doc = TextDocument.create('file:///x/xal.yaml', 'backmap-mapping', 1, text);
  const p = parseMappingDocument(text, '/x/xal.yaml');
  const all = { start: { line: 0, character: 0 }, end: doc.positionAt(text.length) };
  assert.ok(!codeActions(p, doc, all, []).some((a) => /anchor/.test(a.title)), 'nothing known without the reference');
  const titles = codeActions(p, doc, all, [], { bonds: bondKnowledge('XAL', ref) }).map((a) => a.title);
  assert.ok(titles.includes('O: anchor P3CA → P3BA (bonded to C)'), titles.join(' | '));
});
