// Model cards are checked when read: a card whose hydrogen templates (written by `backmap train`) are malformed is
// refused naming the card, before any hydrogen is placed from it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveModel } from '../../../src/core/model/registry';
import { InputError } from '../../../src/core/errors';

test('resolveModel refuses a card with a malformed "hydrogens" table, naming the card and the entry', () => {
  const shipped = resolveModel('ca-protein');
  const dir = mkdtempSync(join(tmpdir(), 'bm-card-'));
  try {
    const onnx = join(dir, 'm.onnx');
    copyFileSync(shipped.onnxPath, onnx);
    const card = JSON.parse(readFileSync(shipped.cardPath, 'utf8'));
    const good = { name: 'H1', element: 'H', parent: 'C1', ref1: 'C2', ref2: 'C3', bond: 1.09, angle: 109.5, dihedral: 60 };
    writeFileSync(join(dir, 'm.json'), JSON.stringify({ ...card, hydrogens: { LIG: [good] } }));
    assert.equal(resolveModel(onnx).card.hydrogens?.LIG?.[0].name, 'H1');
    writeFileSync(join(dir, 'm.json'), JSON.stringify({ ...card, hydrogens: { LIG: [{ ...good, bond: 3.2 }] } }));
    assert.throws(() => resolveModel(onnx), (e: unknown) => e instanceof InputError && /hydrogens\.LIG\[0\].*3\.2 Å is not a bond/.test((e as Error).message) && (e as InputError).file === join(dir, 'm.json'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
