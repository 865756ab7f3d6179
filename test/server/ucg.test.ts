// UCG mapping files (docs/ucg-mapping.md) through the language server over LSP: UCG diagnostics with exact ranges and
// never the HEroBM/CGmap ones, hover on a bead, one symbol per bead, the swap quick fix, completion, and closed UCG
// files of a mapping folder in workspace diagnostics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { startServer, posOf, type Client } from './lsp-client';

const GOOD = `# UCG mapping of 1OYV
format: backmap-ucg/1
name: 1OYV
site: ca-centroid
method: segments
sequence:
  A: MKVLAAGIVG
beads:
  U1: A:1-9
  U2: A:10-18, A:40-42
`;
const BAD = GOOD.replace('A:40-42', 'A:42-40').replace('U1: A:1-9', 'U1: A:1-9, oops') + 'colour: red\n';

let dir = '';
let client: Client;
const uri = (f: string) => pathToFileURL(join(dir, f)).toString();
type Range = { start: { line: number; character: number }; end: { line: number; character: number } };
type Diag = { code: string; severity: number; message: string; range: Range };
const pull = async (u: string) => (await client.request<{ items: Diag[] }>('textDocument/diagnostic', { textDocument: { uri: u } })).items;
const rangeOf = (text: string, needle: string): Range => {
  const start = posOf(text, needle);
  return { start, end: { line: start.line, character: start.character + needle.length } };
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bms-lsp-ucg-'));
  writeFileSync(join(dir, 'p.ucg.yaml'), GOOD);
  client = await startServer({ rootPath: dir });
});
after(async () => {
  await client?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('diagnostics: UCG codes with exact ranges, none from the CGmap parser', async () => {
  client.open(uri('p.ucg.yaml'), GOOD);
  assert.deepEqual(await pull(uri('p.ucg.yaml')), []);
  client.change(uri('p.ucg.yaml'), BAD, 2);
  const items = await pull(uri('p.ucg.yaml'));
  assert.deepEqual(items.map((d) => d.code).sort(), ['U4', 'U5', 'U9']);
  const byCode = (c: string) => items.find((d) => d.code === c)!;
  assert.deepEqual(byCode('U5').range, rangeOf(BAD, 'A:42-40'));
  assert.equal(byCode('U5').severity, 1);
  assert.deepEqual(byCode('U4').range, rangeOf(BAD, 'oops'));
  assert.deepEqual(byCode('U9').range, rangeOf(BAD, 'colour'));
  assert.equal(byCode('U9').severity, 2);
  // A UCG file being written under its usual name (no format line yet) is still read as UCG.
  client.open(uri('new.ucg.yaml'), 'name: x\n');
  const fresh = await pull(uri('new.ucg.yaml'));
  assert.deepEqual(fresh.map((d) => d.code).sort(), ['U2', 'U3']);
  // Detected by content under any name.
  client.open(uri('other.yaml'), BAD);
  assert.ok((await pull(uri('other.yaml'))).some((d) => d.code === 'U5'));
  assert.deepEqual(client.errors, []);
});

test('quick fix: swap a reversed range', async () => {
  const actions = await client.request<{ title: string; edit: { changes: Record<string, { range: Range; newText: string }[]> } }[]>('textDocument/codeAction', {
    textDocument: { uri: uri('p.ucg.yaml') }, range: rangeOf(BAD, 'A:42-40'), context: { diagnostics: [] },
  });
  const swap = actions.find((a) => a.title === 'Swap the ends: A:40-42');
  assert.ok(swap, actions.map((a) => a.title).join(' | '));
  const doc = TextDocument.create(uri('p.ucg.yaml'), 'backmap-mapping', 1, BAD);
  assert.match(TextDocument.applyEdits(doc, swap.edit.changes[uri('p.ucg.yaml')]), /U2: A:10-18, A:40-42\n/);
});

test('hover on a bead key: residue count and ranges; symbols: one per bead', async () => {
  client.change(uri('p.ucg.yaml'), GOOD, 3);
  const h = await client.request<{ contents: { value: string }; range: Range }>('textDocument/hover', { textDocument: { uri: uri('p.ucg.yaml') }, position: posOf(GOOD, 'U2', 1) });
  assert.match(h.contents.value, /UCG bead U2\*\* — 12 residues in chain A/);
  assert.match(h.contents.value, /`A:10-18`: 9 residues/);
  assert.match(h.contents.value, /`A:40-42`: 3 residues/);
  assert.deepEqual(h.range, rangeOf(GOOD, 'U2'));
  const none = await client.request<unknown>('textDocument/hover', { textDocument: { uri: uri('p.ucg.yaml') }, position: posOf(GOOD, 'segments', 1) });
  assert.equal(none, null);
  const syms = await client.request<{ name: string; detail: string; selectionRange: Range }[]>('textDocument/documentSymbol', { textDocument: { uri: uri('p.ucg.yaml') } });
  assert.deepEqual(syms.map((s) => [s.name, s.detail]), [['U1', '9 residues: A:1-9'], ['U2', '12 residues: A:10-18, A:40-42']]);
  assert.deepEqual(syms[1].selectionRange, rangeOf(GOOD, 'U2'));
});

test('completion: the next free bead name and the values of method', async () => {
  const text = GOOD + '  ';
  client.change(uri('p.ucg.yaml'), text, 4);
  const lines = text.split('\n');
  const items = await client.request<{ label: string }[]>('textDocument/completion', { textDocument: { uri: uri('p.ucg.yaml') }, position: { line: lines.length - 1, character: 2 } });
  assert.deepEqual(items.map((i) => i.label), ['U3']);
  const methods = await client.request<{ label: string }[]>('textDocument/completion', { textDocument: { uri: uri('p.ucg.yaml') }, position: { line: 4, character: 'method: '.length } });
  assert.deepEqual(methods.map((i) => i.label), ['segments', 'spatial', 'manual']);
  client.change(uri('p.ucg.yaml'), GOOD, 5);
});

test('workspace diagnostics: a closed UCG file in a mapping set gets UCG codes and E8, never CGmap parse errors', async () => {
  const set = join(dir, 'mappings', 'custom');
  mkdirSync(set, { recursive: true });
  writeFileSync(join(set, 'ala.yaml'), 'molecule: ALA\natoms:\n  N: BB P2AA\n  CA: BB P1A\n  C: BB P2AB\n  O: BB P3BA\n  CB: SC1 P1A\n');
  writeFileSync(join(set, 'stray.ucg.yaml'), BAD);
  // Opening a file of the set makes the server analyse its folder now (the folder scan is cached for 10 s).
  client.open(pathToFileURL(join(set, 'ala.yaml')).toString(), 'molecule: ALA\natoms:\n  N: BB P2AA\n  CA: BB P1A\n  C: BB P2AB\n  O: BB P3BA\n  CB: SC1 P1A\n');
  const r = await client.request<{ items: { uri: string; items: Diag[] }[] }>('workspace/diagnostic', { previousResultIds: [] });
  const stray = r.items.find((x) => x.uri === pathToFileURL(join(set, 'stray.ucg.yaml')).toString());
  assert.ok(stray, JSON.stringify(r.items.map((x) => x.uri)));
  const codes = stray.items.map((d) => d.code).sort();
  assert.deepEqual(codes, ['E8', 'U4', 'U5', 'U9']);
  // An open UCG document outside any mapping set has no E8 and does not turn its folder into a set: a closed YAML
  // file beside it gets no HEroBM/CGmap diagnostics (the second pull adds the folders of open documents).
  assert.ok(!(await pull(uri('p.ucg.yaml'))).some((d) => d.code === 'E8'));
  writeFileSync(join(dir, 'config.yaml'), 'colour: red\n');
  const again = await client.request<{ items: { uri: string }[] }>('workspace/diagnostic', { previousResultIds: [] });
  assert.ok(again.items.some((x) => x.uri === pathToFileURL(join(set, 'stray.ucg.yaml')).toString()));
  assert.ok(!again.items.some((x) => x.uri === uri('config.yaml')), JSON.stringify(again.items.map((x) => x.uri)));
});
