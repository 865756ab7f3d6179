/** Shared helpers of the CLI tests: in-process runs, temp dirs, hashes, project-made inputs. */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../../src/cli/main';
import { buildPeptide } from '../../src/core/chemistry/peptide';
import { writeStructureFile } from '../../src/core/structure/write';

export const ROOT = resolve(__dirname, '..', '..');
export const DEMO = join(ROOT, 'examples', 'demo-protein.pdb');

export interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in-process (fast), capturing stdout and stderr. */
export async function cli(...argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

export const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

export function tempDir(tag: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `backmap-cli-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An ideal-geometry peptide (heavy atoms + OXT) written with the project's own writer. */
export function writePeptide(path: string, sequence: string, chainId = 'A'): string {
  writeStructureFile(path, buildPeptide(sequence, { chainId }));
  return path;
}

/** A copy of the bundled martini3 set (project-made) for defect injection. */
export function copyMartini3(dest: string): string {
  cpSync(join(ROOT, 'mappings', 'martini3'), dest, { recursive: true });
  return dest;
}

/** Replaces exactly one occurrence of `from` in a file (the test fails loudly if the text moved). */
export function patchFile(path: string, from: string | RegExp, to: string): void {
  const text = readFileSync(path, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`patchFile: ${String(from)} not found in ${path}`);
  writeFileSync(path, next);
}

/** 1-based line number of the first line of `path` matching `re`. */
export function lineOf(path: string, re: RegExp): number {
  const lines = readFileSync(path, 'utf8').split('\n');
  const i = lines.findIndex((l) => re.test(l));
  if (i < 0) throw new Error(`lineOf: ${re} not in ${path}`);
  return i + 1;
}

/** No internal-error marker and no stack frame in the CLI's stderr. */
export function noCrash(r: Run): boolean {
  return !/: internal error:/.test(r.err) && !/^\s+at .+\(.+:\d+:\d+\)$/m.test(r.err);
}

export { existsSync };
