// Fuzz: thousands of seeded random edits of real mapping files (deletions, insertions of `:,!P_ 0-9 A-Z`, line
// swaps) never crash or hang the server; every response arrives within a timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startServer, ROOT } from './lsp-client';
import { rng } from '../helpers/rng';
import { mutate } from './mutate';

const EDITS = Number(process.env.BMS_FUZZ_EDITS ?? 3000);
const SHARED = join(ROOT, '..', 'shared', 'mapping-format', 'mappings');

function corpus(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  const pick = (dir: string, files: string[]) => { for (const f of files) if (existsSync(join(dir, f))) out.push({ name: f, text: readFileSync(join(dir, f), 'utf8') }); };
  if (existsSync(SHARED)) {
    pick(join(SHARED, 'cgmap.martini3'), ['phe.yaml', 'trp.yaml', 'arg.yaml']);
    pick(join(SHARED, 'cgmap.rna.cm'), ['A.yaml']);
    pick(join(SHARED, 'cgmap.martini3.membrane'), ['popc.charmm36.yaml']);
    pick(join(SHARED, 'cgmap.chc_old.hist'), ['chc.yaml']);
  } else {
    const m3 = join(ROOT, 'mappings', 'martini3');
    if (existsSync(m3)) pick(m3, readdirSync(m3).filter((f) => f.endsWith('.yaml') && !f.startsWith('bead_types')).slice(0, 5));
  }
  if (!out.length) out.push({ name: 'phe.yaml', text: 'molecule: PHE\natoms:\n  N: BB P2AA\n  CA: BB P1A\n  C: BB P2AB\n  O: BB P3BA\n  CB: SC1 P1A\n  CG: SC1,SC2 P2AA,P1A 1/2,1/2\n' });
  return out;
}

test(`fuzz: ${EDITS} seeded random edits never crash or hang the server`, { timeout: 600_000 }, async (t) => {
  if (!existsSync(SHARED)) t.diagnostic('../shared absent: fuzzing the bundled mappings/martini3 files instead of the shared corpus');
  const dir = mkdtempSync(join(tmpdir(), 'bms-fuzz-'));
  const files = corpus();
  for (const f of files) writeFileSync(join(dir, f.name), f.text);
  writeFileSync(join(dir, 'bead_types.yaml'), 'PHE_BB: 0\n');
  const client = await startServer({ rootPath: dir });
  const random = rng(20261121);
  const docs = files.map((f) => ({ uri: pathToFileURL(join(dir, f.name)).toString(), text: f.text, version: 1 }));
  for (const d of docs) client.open(d.uri, d.text, 1);
  let maxMs = 0;
  let requests = 0;
  try {
    for (let i = 0; i < EDITS; i++) {
      const d = docs[Math.floor(random() * docs.length)];
      let text = mutate(d.text, random);
      // Keep files from degenerating into nothing: restore the original now and then.
      if (text.length < 20 || random() < 0.01) text = files[docs.indexOf(d)].text;
      d.text = text;
      d.version++;
      client.change(d.uri, text, d.version);
      const line = Math.floor(random() * Math.max(1, text.split('\n').length));
      const position = { line, character: Math.floor(random() * 20) };
      const t0 = performance.now();
      const kind = i % 10;
      if (kind < 6) await client.request('textDocument/diagnostic', { textDocument: { uri: d.uri } }, 5000);
      else if (kind === 6) await client.request('textDocument/hover', { textDocument: { uri: d.uri }, position }, 5000);
      else if (kind === 7) await client.request('textDocument/completion', { textDocument: { uri: d.uri }, position }, 5000);
      else if (kind === 8) await client.request('textDocument/codeAction', { textDocument: { uri: d.uri }, range: { start: position, end: position }, context: { diagnostics: [] } }, 5000);
      else await client.request('textDocument/formatting', { textDocument: { uri: d.uri }, options: { tabSize: 2, insertSpaces: true } }, 5000);
      maxMs = Math.max(maxMs, performance.now() - t0);
      requests++;
      assert.equal(client.proc.exitCode, null, `server exited after edit ${i}: ${client.stderr()}`);
    }
    // Still healthy afterwards: a full round trip on a fresh, valid document.
    const okUri = pathToFileURL(join(dir, 'fresh.yaml')).toString();
    client.open(okUri, 'molecule: ALA\natoms:\n  CA: BB P1A\n  N: BB P2AA\n');
    const res = await client.request<{ items: { severity: number }[] }>('textDocument/diagnostic', { textDocument: { uri: okUri } }, 5000);
    assert.ok(!res.items.some((x) => x.severity === 1));
    assert.deepEqual(client.errors, [], 'no handler threw');
    assert.doesNotMatch(client.stderr(), /Error/, 'nothing on stderr');
    t.diagnostic(`${requests} requests after ${EDITS} edits; slowest response ${maxMs.toFixed(1)} ms`);
  } finally {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
