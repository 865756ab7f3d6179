/** Split lists (`../shared/data/splits/*.tsv`) and where the shared data lives. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../errors';

export interface TsvRow {
  line: number; // 1-based line in the list file
  [column: string]: string | number;
}

/** Reads a tab-separated list with a header row; blank lines and `#` comments are skipped. */
export function readTsv(path: string): { columns: string[]; rows: TsvRow[] } {
  if (!existsSync(path)) throw new InputError('list file not found', path);
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  const columns = (lines[0] ?? '').split('\t').map((c) => c.trim());
  if (!columns[0]) throw new InputError('list file has no header row', path, 1);
  const rows: TsvRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i];
    if (!l.trim() || l.startsWith('#')) continue;
    const parts = l.split('\t');
    const row: TsvRow = { line: i + 1 };
    columns.forEach((c, k) => (row[c] = (parts[k] ?? '').trim()));
    rows.push(row);
  }
  return { columns, rows };
}

/** Walks up from this file to the repository root (the folder holding package.json). */
export function repoRoot(from: string = __dirname): string {
  let d = resolve(from);
  for (;;) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'src'))) return d;
    const up = dirname(d);
    if (up === d) return resolve(from);
    d = up;
  }
}

/** `../shared/data` beside the repository (env BACKMAP_SHARED_DATA overrides); null when absent. */
export function sharedDataRoot(): string | null {
  const env = process.env.BACKMAP_SHARED_DATA;
  if (env) return existsSync(env) ? env : null;
  const p = join(repoRoot(), '..', 'shared', 'data');
  return existsSync(p) ? p : null;
}

/** Every cluster id named in a benchmark list (never train or tune on them). */
export function benchmarkClusters(dataRoot: string): Set<string> {
  const out = new Set<string>();
  const splits = join(dataRoot, 'splits');
  for (const f of [
    'benchmark_all_cluster_members.tsv',
    'benchmark.tsv',
    'benchmark_martini3_paired_aa.tsv',
    'benchmark_idp_ped.tsv',
  ]) {
    const p = join(splits, f);
    if (!existsSync(p)) {
      if (f === 'benchmark_all_cluster_members.tsv') throw new InputError('benchmark cluster list missing: refusing to build a training set', p);
      continue;
    }
    for (const r of readTsv(p).rows) if (r.cluster) out.add(String(r.cluster));
  }
  return out;
}
