// Shared helpers for the io-* tests (not a test file itself).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../src/core/errors';

/** ../shared beside the checkout (BACKMAP_SHARED overrides it, e.g. to test the skip path). */
export const SHARED = process.env.BACKMAP_SHARED ?? resolve(process.cwd(), '../shared');
export const SHARED_DATA = existsSync(`${SHARED}/data`) ? `${SHARED}/data` : null;
export const sharedSkip = SHARED_DATA ? false : '../shared absent: skipped the test on real data';

/** Asserts that fn throws an InputError for `file` at `line` (undefined = any line) whose message matches. */
export function assertInputError(fn: () => unknown, file: string, line: number | undefined, re?: RegExp): InputError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof InputError, `expected an InputError, got ${err === undefined ? 'no error' : String(err)}`);
  const e = err as InputError;
  assert.equal(e.file, file, `wrong file in: ${e.message}`);
  if (line !== undefined) assert.equal(e.line, line, `wrong line in: ${e.message}`);
  if (re) assert.match(e.message, re);
  return e;
}

/** One PDB ATOM/HETATM line built column by column (independent of the writer under test). */
export function pdbAtom(o: {
  serial?: number | string;
  name: string;
  resName: string;
  chain?: string;
  resSeq: number | string;
  iCode?: string;
  altLoc?: string;
  x: number;
  y: number;
  z: number;
  occ?: number;
  b?: number;
  element?: string;
  het?: boolean;
}): string {
  const name = o.name.length >= 4 ? o.name : ' ' + o.name.padEnd(3);
  return (
    (o.het ? 'HETATM' : 'ATOM  ') +
    String(o.serial ?? 1).padStart(5) +
    ' ' +
    name +
    (o.altLoc ?? ' ') +
    o.resName.padEnd(3) +
    ' ' +
    (o.chain ?? 'A') +
    String(o.resSeq).padStart(4) +
    (o.iCode ?? ' ') +
    '   ' +
    o.x.toFixed(3).padStart(8) +
    o.y.toFixed(3).padStart(8) +
    o.z.toFixed(3).padStart(8) +
    (o.occ ?? 1).toFixed(2).padStart(6) +
    (o.b ?? 0).toFixed(2).padStart(6) +
    '          ' +
    (o.element ?? o.name[0]).padStart(2)
  );
}

/** A small ideal-ish tripeptide (heavy atoms) as PDB lines, chain A, residues 1-3. */
export function tripeptideLines(chain = 'A', start = 1, dx = 0): string[] {
  const res: [string, [string, number, number, number][]][] = [
    ['ALA', [['N', 0, 0, 0], ['CA', 1.46, 0, 0], ['C', 2.0, 1.42, 0], ['O', 1.3, 2.4, 0], ['CB', 2.0, -0.8, 1.2]]],
    ['GLY', [['N', 3.3, 1.5, 0], ['CA', 3.9, 2.8, 0], ['C', 5.4, 2.7, 0], ['O', 6.0, 1.6, 0]]],
    ['SER', [['N', 6.0, 3.9, 0], ['CA', 7.4, 4.0, 0], ['C', 8.0, 5.4, 0], ['O', 7.3, 6.4, 0], ['CB', 7.9, 3.2, 1.2], ['OG', 9.3, 3.2, 1.2]]],
  ];
  const out: string[] = [];
  let serial = 1;
  res.forEach(([rn, atoms], k) => {
    for (const [name, x, y, z] of atoms) out.push(pdbAtom({ serial: serial++, name, resName: rn, chain, resSeq: start + k, x: x + dx, y, z }));
  });
  return out;
}
