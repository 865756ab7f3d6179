// Language-server diagnostics timing: a 200-line mapping file (target ≤ 20 ms) and a 30-file folder (≤ 200 ms).
// Usage: npm run bench:lsp   (in-process through the same MappingWorkspace the server uses; medians of repeated runs)
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { parseMappingDocument } from '../src/core/mapping/parse';
import { bundledMappingsRoot } from '../src/core/mapping/load';
import { documentDiagnostics } from '../src/server/features/diagnostics';
import { MappingWorkspace } from '../src/server/workspace';

/**
 * A deterministic, valid 200-line mapping: beads of 12 heavy atoms in a binary-tree hierarchy (root P1A, atom k
 * anchored on atom (k−1)/2) plus 8 hydrogens with `!`, shared atoms with 1/2,1/2 weights, flags and comments.
 */
function bigFile(lines = 200, mol = 'BIG'): string {
  const out = [`molecule: ${mol}`, '# synthetic benchmark molecule', 'atoms:'];
  const levelOf = (k: number) => Math.floor(Math.log2(k + 1)) + 1;
  const idOf = (k: number) => String.fromCharCode(65 + k - (2 ** (levelOf(k) - 1) - 1));
  let bead = 0;
  while (out.length < lines) {
    for (let k = 0; k < 12 && out.length < lines; k++) {
      const rule = k === 0 ? 'P1A' : `P${levelOf(k)}${idOf(Math.floor((k - 1) / 2))}${idOf(k)}`;
      out.push(`  C${bead}x${k}:  B${bead}  ${rule}${k === 0 ? '  CM' : ''}${k === 5 ? '  # branch' : ''}`);
    }
    for (let h = 0; h < 8 && out.length < lines; h++) out.push(`  H${bead}x${h}:  B${bead}  !`);
    bead++;
  }
  return out.join('\n') + '\n';
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Wall-clock ms per run; CPU ms (user+system) per run are collected alongside (the machine may be shared). */
const cpuOf = new Map<number[], number[]>();
function time(fn: () => void, n: number): number[] {
  const out: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  cpuOf.set(out, cpu);
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'bms-bench-lsp-'));
try {
  // Folder: the bundled Martini 3 set (or synthetic files) topped up to 30 files, plus the 200-line file.
  const src = join(bundledMappingsRoot(), 'martini3');
  let n = 0;
  if (existsSync(src)) {
    for (const f of readdirSync(src).sort()) {
      if (!f.endsWith('.yaml')) continue;
      writeFileSync(join(dir, f), readFileSync(join(src, f)));
      if (!f.startsWith('bead_types')) n++;
    }
  }
  const big = bigFile(200);
  writeFileSync(join(dir, 'big.yaml'), big);
  n++;
  for (let k = 0; n < 30; k++, n++) writeFileSync(join(dir, `syn${k}.yaml`), bigFile(60, `SY${k}`));
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && !f.startsWith('bead_types'));

  const rows: [string, number, number, string, number][] = [];
  // 1. parse + compile of the 200-line file alone.
  const tParse = time(() => parseMappingDocument(big, 'big.yaml'), 50);
  rows.push(['parse 200-line file (core)', median(tParse), Math.max(...tParse), '—', median(cpuOf.get(tParse)!)]);

  // 2. LSP diagnostics for the 200-line file after an edit, with the folder context warm (typing).
  const ws = new MappingWorkspace();
  const uri = pathToFileURL(join(dir, 'big.yaml')).toString();
  let version = 1;
  ws.open(TextDocument.create(uri, 'backmap-mapping', version, big));
  documentDiagnostics(ws, uri);
  const tEdit = time(() => {
    version++;
    const edited = big.replace('C5:', version % 2 ? 'C5:' : 'C5 :');
    ws.open(TextDocument.create(uri, 'backmap-mapping', version, edited + `# v${version}\n`));
    documentDiagnostics(ws, uri);
  }, 40);
  rows.push(['diagnostics, 200-line file after an edit (in a 30-file folder)', median(tEdit), Math.max(...tEdit), '≤ 20 ms', median(cpuOf.get(tEdit)!)]);

  // 3. Cold: a fresh workspace analyses the whole 30-file folder and reports every file.
  const tFolder = time(() => {
    const w = new MappingWorkspace();
    for (const f of files) {
      const u = pathToFileURL(join(dir, f)).toString();
      w.open(TextDocument.create(u, 'backmap-mapping', 1, readFileSync(join(dir, f), 'utf8')));
    }
    for (const f of files) documentDiagnostics(w, pathToFileURL(join(dir, f)).toString());
  }, 15);
  rows.push([`diagnostics, ${files.length}-file folder cold (all files)`, median(tFolder), Math.max(...tFolder), '≤ 200 ms', median(cpuOf.get(tFolder)!)]);

  const pad = (s: string, w: number) => s.padEnd(w);
  console.log(`${pad('case', 64)} ${pad('median ms', 10)} ${pad('cpu ms', 8)} ${pad('max ms', 8)} target`);
  for (const [c, m, x, t, cpu] of rows) {
    const ok = t === '—' ? '' : m <= parseFloat(t.replace(/[^\d.]/g, '')) ? '  ok' : '  MISSED';
    console.log(`${pad(c, 64)} ${pad(m.toFixed(2), 10)} ${pad(cpu.toFixed(2), 8)} ${pad(x.toFixed(2), 8)} ${t}${ok}`);
  }
  console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
  console.log(`(node ${process.version}, ${files.length} mapping files, big.yaml ${big.split('\n').length - 1} lines)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
