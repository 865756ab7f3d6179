// Protocol-level tests: spawn the language server and speak LSP JSON-RPC over stdio.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { startServer, posOf, type Client } from './lsp-client';
import { parseMappingDocument } from '../../src/core/mapping/parse';
import { buildPeptide } from '../../src/core/chemistry/peptide';
import { formatPdb } from '../../src/core/structure/pdb';

const PHE = `molecule: PHE
# comment kept
atoms:
  N:    BB   P2AA
  H,HN: BB
  CA:   BB   P1A
  HA:   BB   !
  CB:   SC1  P2AA
  CG:   SC1  P1A
  CD1:  SC1,SC2  P2AB,P2AA  1/3,2/3
  CE1:  SC2  P1A
  CZ:   SC2,SC3  P2AB,P2AB  1/2,1/2
  CD2:  SC1,SC3  P2AC,P2AA  1/3,2/3
  CE2:  SC3  P1A
  C:    BB   P2AB
  O:    BB   P3BAc
`;

let dir = '';
let client: Client;
const uri = (f: string) => pathToFileURL(join(dir, f)).toString();
type Diag = { code: string; severity: number; message: string; range: { start: { line: number; character: number }; end: { line: number; character: number } }; data?: unknown };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bms-lsp-'));
  writeFileSync(join(dir, 'phe.yaml'), PHE);
  writeFileSync(join(dir, 'bead_types.yaml'), 'PHE_BB: 0\nPHE_SC1: 1\nPHE_SC2: 2\nPHE_SC3: 3\nALA_BB: 4\nALA_SC1: 5\n');
  writeFileSync(join(dir, 'ala.yaml'), 'molecule: ALA\natoms:\n  N: BB P2AA\n  CA: BB P1A\n  C: BB P2AB\n  O: BB P3BA\n  CB: SC1 P1A\n  HB1: SC1\n');
  client = await startServer({ rootPath: dir });
});
after(async () => {
  await client?.close();
  rmSync(dir, { recursive: true, force: true });
});

const pull = async (u: string) => (await client.request<{ kind: string; items: Diag[] }>('textDocument/diagnostic', { textDocument: { uri: u } })).items;

test('initialize advertises pull diagnostics and the editor features', async () => {
  // capabilities were validated by startServer; re-check a feature through a request
  const syms = await client.request<unknown[]>('textDocument/documentSymbol', { textDocument: { uri: uri('none.yaml') } });
  assert.deepEqual(syms, []);
});

test('didOpen + pull diagnostics: exact codes, severities and ranges', async () => {
  client.open(uri('phe.yaml'), PHE);
  const items = await pull(uri('phe.yaml'));
  const w7 = items.find((d) => d.code === 'W7')!;
  assert.ok(w7, JSON.stringify(items.map((d) => d.code)));
  assert.equal(w7.severity, 2);
  assert.deepEqual(w7.range.start, posOf(PHE, 'P3BAc'));
  assert.equal(w7.range.end.character - w7.range.start.character, 5);
  // Issue 26: information on a set the user has not edited is a hint (was: severity 3 right after opening).
  assert.ok(items.some((d) => d.code === 'W14' && d.severity === 4), 'untouched: W14 as a hint');
  assert.ok(!items.some((d) => d.severity === 3));
  assert.ok(!items.some((d) => d.severity === 1));
  // Introduce a crash (E3) and a bad key (E2).
  const bad = PHE.replace('CZ:   SC2,SC3  P2AB,P2AB  1/2,1/2', 'CZ:   SC2,SC3  P2AB  1/2,1/2').replace('  HA:   BB   !', '  yes:  BB   !');
  client.change(uri('phe.yaml'), bad, 2);
  const items2 = await pull(uri('phe.yaml'));
  const e3 = items2.find((d) => d.code === 'E3')!;
  assert.equal(e3.severity, 1);
  assert.deepEqual(e3.range.start, posOf(bad, 'P2AB  1/2', 0, 0));
  assert.ok(items2.some((d) => d.code === 'E2' && d.severity === 1));
  assert.ok(items2.some((d) => d.code === 'W14' && d.severity === 3), 'edited: W14 as information');
  client.change(uri('phe.yaml'), PHE, 3);
  assert.ok(!(await pull(uri('phe.yaml'))).some((d) => d.severity === 1));
});

test('hover on a rule shows level, anchor, ID and the resolved anchor atom', async () => {
  const h = await client.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: uri('phe.yaml') }, position: posOf(PHE, 'P3BAc', 1) });
  assert.match(h.contents.value, /level 3, anchor B, ID A/);
  assert.match(h.contents.value, /Anchor atom: \*\*C\*\*/);
  const hb = await client.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: uri('phe.yaml') }, position: posOf(PHE, 'SC1,SC2', 4) });
  assert.match(hb.contents.value, /Bead SC2/);
  assert.match(hb.contents.value, /effective CM weight/);
  const ha = await client.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: uri('phe.yaml') }, position: posOf(PHE, 'CD1', 1) });
  assert.match(ha.contents.value, /Element C \(mass 12\.01/);
});

test('completion: bead names, next free rule, flags, atom names from templates', async () => {
  const text = PHE + '  OXT:  BB  \n';
  client.change(uri('phe.yaml'), text, 4);
  const line = text.split('\n').length - 2;
  const items = await client.request<{ label: string }[]>('textDocument/completion', { textDocument: { uri: uri('phe.yaml') }, position: { line, character: '  OXT:  BB  '.length } });
  const labels = items.map((i) => i.label);
  assert.ok(labels.includes('P2AC'), labels.join(' ')); // level 2 of BB has A, B → next C anchored on A
  assert.ok(labels.includes('P4AA'), labels.join(' '));
  assert.ok(labels.includes('CM') && labels.includes('!'));
  const beads = await client.request<{ label: string }[]>('textDocument/completion', { textDocument: { uri: uri('phe.yaml') }, position: { line, character: '  OXT:  '.length } });
  assert.deepEqual(beads.map((i) => i.label).sort(), ['BB', 'SC1', 'SC2', 'SC3']);
  // Atom keys: the ALA file of the folder is a template for ALA, bundled martini3 for PHE when present.
  const alaText = 'molecule: ALA\natoms:\n  N: BB P2AA\n  \n';
  client.open(uri('ala2.yaml'), alaText);
  const keys = await client.request<{ label: string }[]>('textDocument/completion', { textDocument: { uri: uri('ala2.yaml') }, position: { line: 3, character: 2 } });
  const kl = keys.map((k) => k.label);
  assert.ok(kl.includes('CA') && kl.includes('HB1') && !kl.includes('N'), kl.join(' '));
  client.change(uri('phe.yaml'), PHE, 5);
});

test('definition: rule → anchor atom entry; bead → first occurrence', async () => {
  const locs = await client.request<{ uri: string; range: { start: { line: number; character: number } } }[]>('textDocument/definition', { textDocument: { uri: uri('phe.yaml') }, position: posOf(PHE, 'P3BAc', 2) });
  assert.equal(locs.length, 1);
  assert.deepEqual(locs[0].range.start, posOf(PHE, '  C:', 2));
  const b = await client.request<{ range: { start: unknown } }[]>('textDocument/definition', { textDocument: { uri: uri('phe.yaml') }, position: posOf(PHE, 'SC2', 1, 2) });
  assert.deepEqual(b[0].range.start, posOf(PHE, 'SC2'));
  const refs = await client.request<unknown[]>('textDocument/references', { textDocument: { uri: uri('phe.yaml') }, position: posOf(PHE, 'SC3', 1), context: { includeDeclaration: true } });
  assert.equal(refs.length, 3);
  const anchored = await client.request<unknown[]>('textDocument/references', { textDocument: { uri: uri('phe.yaml') }, position: posOf(PHE, '  CA:', 2), context: { includeDeclaration: false } });
  assert.equal(anchored.length, 2, 'N and C are anchored on CA');
});

test('document symbols: beads with their atoms', async () => {
  const syms = await client.request<{ name: string; children: { name: string; detail: string }[] }[]>('textDocument/documentSymbol', { textDocument: { uri: uri('phe.yaml') } });
  assert.deepEqual(syms.map((s) => s.name), ['BB', 'SC1', 'SC2', 'SC3']);
  assert.deepEqual(syms[1].children.map((c) => c.name), ['CB', 'CG', 'CD1', 'CD2']);
  assert.equal(syms[1].children[2].detail, 'P2AB');
});

test('code actions: canonical rule spelling fixes the W7 diagnostic', async () => {
  const diags = await pull(uri('phe.yaml'));
  const w7 = diags.find((d) => d.code === 'W7')!;
  const actions = await client.request<{ title: string; edit: { changes: Record<string, { newText: string }[]> } }[]>('textDocument/codeAction', { textDocument: { uri: uri('phe.yaml') }, range: w7.range, context: { diagnostics: [w7] } });
  const a = actions.find((x) => x.title === 'Replace with P3BA')!;
  assert.ok(a, actions.map((x) => x.title).join(' | '));
  assert.equal(a.edit.changes[uri('phe.yaml')][0].newText, 'P3BA');
});

test('code action: a bead missing from bead_types.yaml is added with the id CGmap would assign', async () => {
  const text = PHE.replace('  CE2:  SC3  P1A', '  CE2:  SC4  P1A');
  client.change(uri('phe.yaml'), text, 10);
  const diags = await pull(uri('phe.yaml'));
  const w17 = diags.find((d) => d.code === 'W17')!;
  assert.ok(w17, JSON.stringify(diags.map((d) => d.code)));
  const actions = await client.request<{ title: string; edit: { changes: Record<string, { newText: string }[]> } }[]>('textDocument/codeAction', { textDocument: { uri: uri('phe.yaml') }, range: w17.range, context: { diagnostics: [w17] } });
  const a = actions.find((x) => x.title.startsWith('Add PHE_SC4'))!;
  assert.ok(a, actions.map((x) => x.title).join(' | '));
  assert.equal(a.edit.changes[uri('bead_types.yaml')][0].newText, 'PHE_SC4: 6\n');
  client.change(uri('phe.yaml'), PHE, 11);
});

test('formatting aligns columns, keeps comments and entry order, changes no semantics', async () => {
  const messy = 'molecule: PHE\n# comment kept\natoms:\n  N: BB P2AA # n\n  CA:      BB   P1A\n  CB:   SC1  P1A\n  CG: SC1 P2AA\n  "HB2": SC1 !\n';
  client.open(uri('fmt.yaml'), messy);
  const edits = await client.request<{ range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[]>('textDocument/formatting', { textDocument: { uri: uri('fmt.yaml') }, options: { tabSize: 2, insertSpaces: true } });
  assert.ok(edits.length > 0);
  const out = TextDocument.applyEdits(TextDocument.create('x', 'y', 1, messy), edits);
  assert.match(out, /# comment kept/);
  assert.match(out, /P2AA\s+# n/);
  const a = parseMappingDocument(messy, 'f').molecule!;
  const b = parseMappingDocument(out, 'f').molecule!;
  assert.deepEqual(b.atoms.map((x) => [x.names, x.membership]), a.atoms.map((x) => [x.names, x.membership]));
  const keys = out.split('\n').slice(3).filter(Boolean).map((l) => l.indexOf(':') >= 0 ? l.trim().split(/[:\s]/)[0] : '');
  assert.deepEqual(keys, ['N', 'CA', 'CB', 'CG', '"HB2"']);
  // Columns aligned: bead column starts at the same offset.
  const cols = out.split('\n').slice(3).filter(Boolean).map((l) => l.search(/(BB|SC1)/));
  assert.equal(new Set(cols).size, 1, out);
  client.change(uri('fmt.yaml'), out, 2);
  const again = await client.request<unknown[]>('textDocument/formatting', { textDocument: { uri: uri('fmt.yaml') }, options: { tabSize: 2, insertSpaces: true } });
  assert.deepEqual(again, [], 'idempotent');
});

test('rename a bead: every occurrence in the file and the bead_types entry', async () => {
  const prep = await client.request<{ start: unknown } | null>('textDocument/prepareRename', { textDocument: { uri: uri('phe.yaml') }, position: posOf(PHE, 'SC1', 1) });
  assert.ok(prep);
  const we = await client.request<{ changes: Record<string, { newText: string }[]> }>('textDocument/rename', { textDocument: { uri: uri('phe.yaml') }, position: posOf(PHE, 'SC1', 1), newName: 'R1' });
  assert.equal(we.changes[uri('phe.yaml')].length, 4);
  assert.deepEqual(we.changes[uri('bead_types.yaml')].map((e) => e.newText), ['PHE_R1']);
  await assert.rejects(client.request('textDocument/rename', { textDocument: { uri: uri('phe.yaml') }, position: posOf(PHE, 'SC1', 1), newName: 'R_1' }));
});

test('workspace diagnostics cover files of the folder that are not open; folder checks (E8) reach open files', async () => {
  writeFileSync(join(dir, 'broken.yaml'), 'molecule: BRK\natoms:\n  CA: BB P1A\n  MG: BB\n');
  const r = await client.request<{ items: { uri: string; items: Diag[] }[] }>('workspace/diagnostic', { previousResultIds: [] });
  const br = r.items.find((x) => x.uri === uri('broken.yaml'));
  assert.ok(br && br.items.some((d) => d.code === 'E4'), JSON.stringify(r.items.map((x) => x.uri)));
  // A re-pull with the previous result ids answers `unchanged` while nothing changed.
  const again = await client.request<{ items: { uri: string; kind: string }[] }>('workspace/diagnostic', { previousResultIds: (r.items as unknown as { uri: string; resultId: string }[]).map((x) => ({ uri: x.uri, value: x.resultId })) });
  assert.equal(again.items.find((x) => x.uri === uri('broken.yaml'))!.kind, 'unchanged');
  rmSync(join(dir, 'broken.yaml'));
});

test('executeCommand completeHierarchy applies edits through workspace/applyEdit', async () => {
  const pdb = join(dir, 'ref.pdb');
  writeFileSync(pdb, formatPdb(buildPeptide('AFA')));
  const noRules = 'molecule: PHE\natoms:\n  N:    BB\n  CA:   BB  CM\n  C:    BB\n  O:    BB   # carbonyl\n  CB:   SC1\n  CG:   SC1\n  CD1:  SC1,SC2 P2AA,P1A 1/3,2/3\n  CE1:  SC2\n  CZ:   SC2,SC3 1/2,1/2\n  CD2:  SC1,SC3 1/3,2/3\n  CE2:  SC3\n';
  client.open(uri('hier.yaml'), noRules);
  const before = client.applied.length;
  const res = await client.request<{ applied: boolean; edits: number }>('workspace/executeCommand', { command: 'backmapStudio.server.completeHierarchy', arguments: [uri('hier.yaml'), pdb] }, 20000);
  assert.equal(res.applied, true);
  assert.ok(res.edits > 0);
  assert.equal(client.applied.length, before + 1);
  const edit = client.applied[client.applied.length - 1] as { edit: { changes: Record<string, { range: never; newText: string }[]> } };
  const out = TextDocument.applyEdits(TextDocument.create('x', 'y', 1, noRules), edit.edit.changes[uri('hier.yaml')]);
  assert.match(out, /# carbonyl/);
  const p = parseMappingDocument(out, 'hier.yaml');
  assert.deepEqual(p.diagnostics.filter((d) => d.severity !== 'information').map((d) => d.code), []);
  const bb = p.molecule!.beads[0];
  assert.equal(p.molecule!.atoms[bb.slots.find((s) => s.local === 0)!.atom].names[0], 'CA', 'CM atom is the root');
  assert.ok(p.molecule!.beads.every((b) => b.slots.every((s) => s.resolved)));
  assert.equal(readFileSync(join(dir, 'phe.yaml'), 'utf8'), PHE, 'files on disk untouched');
});

test('backmapStudio.mapping.showInfo: "always" shows information on untouched files, "hints" never', async () => {
  for (const [showInfo, want] of [['always', 3], ['hints', 4]] as const) {
    const c = await startServer({ rootPath: dir, configuration: { showInfo } });
    try {
      c.open(uri('ala.yaml'), readFileSync(join(dir, 'ala.yaml'), 'utf8'));
      const items = (await c.request<{ items: Diag[] }>('textDocument/diagnostic', { textDocument: { uri: uri('ala.yaml') } })).items;
      const w14 = items.filter((d) => d.code === 'W14');
      assert.ok(w14.length && w14.every((d) => d.severity === want), `${showInfo}: ${JSON.stringify(items.map((d) => [d.code, d.severity]))}`);
      if (showInfo === 'hints') {
        c.change(uri('ala.yaml'), readFileSync(join(dir, 'ala.yaml'), 'utf8') + '  HB2: SC1\n', 2);
        const after = (await c.request<{ items: Diag[] }>('textDocument/diagnostic', { textDocument: { uri: uri('ala.yaml') } })).items;
        assert.ok(after.filter((d) => d.code === 'W14').every((d) => d.severity === 4), 'hints even when edited');
      }
    } finally {
      await c.close();
    }
  }
});
