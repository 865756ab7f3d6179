// IUPAC renaming of equivalent side-chain atoms (src/core/structure/nomenclature.ts), used on training targets and
// on the benchmark's "IUPAC-ref." columns: swaps exactly the residues that break the rule, in every model, and
// nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { residuesOf } from '../../../src/core/structure/builder';
import { dihedralAt } from '../../../src/core/geometry/dihedral';
import { applyIupacNaming, withIupacNaming } from '../../../src/core/structure/nomenclature';
import type { Structure } from '../../../src/core/structure/types';

const idx = (s: Structure, resSeq: number, name: string) => {
  for (let i = 0; i < s.atoms.count; i++) if (s.atoms.resSeq[i] === resSeq && s.atoms.name[i] === name) return i;
  throw new Error(`${name} ${resSeq} not found`);
};
const xyz = (s: Structure, i: number) => Array.from(s.coords.slice(3 * i, 3 * i + 3));
const swapCoords = (s: Structure, a: number, b: number) => {
  for (let k = 0; k < 3; k++) [s.coords[3 * a + k], s.coords[3 * b + k]] = [s.coords[3 * b + k], s.coords[3 * a + k]];
};

// ASP χ2 150 (breaks the rule), GLU χ3 -120 (breaks it), ASP χ2 -15 (follows it), ARG built with NH1 cis to CD,
// PHE χ2 120 (outside ±90°, but PHE is deliberately not renamed).
const peptide = () =>
  buildPeptide('ADEDRF', { chi: [undefined, [-65, 150], [-65, 180, -120], [-65, -15], undefined, [-65, 120]] });

test('applyIupacNaming swaps ASP/GLU pairs that break the rule and only those', () => {
  const s = peptide();
  const before = Float64Array.from(s.coords);
  const sum = applyIupacNaming(s);
  assert.equal(sum.checked, 4, 'two ASP, one GLU, one ARG checked (PHE is not in the rule set)');
  assert.equal(sum.swapped, 2);
  assert.deepEqual(sum.byResidue.ASP, { checked: 2, swapped: 1 });
  assert.deepEqual(sum.byResidue.GLU, { checked: 1, swapped: 1 });
  assert.deepEqual(sum.byResidue.ARG, { checked: 1, swapped: 0 });
  const res = residuesOf(s.atoms);
  const torsion = (r: number, names: string[]) => dihedralAt(s.coords, ...(names.map((n) => idx(s, r, n)) as [number, number, number, number]));
  for (const r of res) {
    if (r.resName === 'ASP') assert.ok(Math.abs(torsion(r.resSeq, ['CA', 'CB', 'CG', 'OD1'])) <= 90, `ASP ${r.resSeq} χ2 now within ±90°`);
    if (r.resName === 'GLU') assert.ok(Math.abs(torsion(r.resSeq, ['CB', 'CG', 'CD', 'OE1'])) <= 90, 'GLU χ3 now within ±90°');
  }
  // the swapped ASP (residue 2): OD1 now where OD2 was, and no other atom moved
  const od1 = idx(s, 2, 'OD1'), od2 = idx(s, 2, 'OD2');
  assert.deepEqual(xyz(s, od1), Array.from(before.slice(3 * od2, 3 * od2 + 3)));
  assert.deepEqual(xyz(s, od2), Array.from(before.slice(3 * od1, 3 * od1 + 3)));
  const moved = new Set([od1, od2, idx(s, 3, 'OE1'), idx(s, 3, 'OE2')]);
  for (let i = 0; i < s.atoms.count; i++) if (!moved.has(i)) assert.deepEqual(xyz(s, i), Array.from(before.slice(3 * i, 3 * i + 3)), s.atoms.name[i]);
  // PHE ring left alone even though its χ2 is 120°
  assert.ok(Math.abs(torsion(6, ['CA', 'CB', 'CG', 'CD1'])) > 90);
  assert.equal(applyIupacNaming(s).swapped, 0, 'idempotent');
});

test('applyIupacNaming puts ARG NH1 back cis to CD, in every model', () => {
  const s = peptide();
  const nh1 = idx(s, 5, 'NH1'), nh2 = idx(s, 5, 'NH2');
  const good = [xyz(s, nh1), xyz(s, nh2)];
  swapCoords(s, nh1, nh2); // a file that names them the other way round
  const second = Float64Array.from(s.coords);
  s.models.push(second);
  const sum = applyIupacNaming(s);
  assert.deepEqual(sum.byResidue.ARG, { checked: 1, swapped: 1 });
  assert.deepEqual([xyz(s, nh1), xyz(s, nh2)], good);
  assert.deepEqual(Array.from(second.slice(3 * nh1, 3 * nh1 + 3)), good[0], 'the second model is renamed too');
});

test('applyIupacNaming skips residues missing an atom or holding NaN; withIupacNaming leaves the input alone', () => {
  const s = peptide();
  s.coords[3 * idx(s, 2, 'CG')] = NaN; // swapped ASP, now unmeasurable
  s.atoms.name[idx(s, 3, 'OE2')] = 'OXX'; // GLU without its pair
  const before = Float64Array.from(s.coords);
  const { structure, summary } = withIupacNaming(s);
  assert.deepEqual(summary.byResidue.ASP, { checked: 1, swapped: 0 });
  assert.equal(summary.byResidue.GLU, undefined);
  assert.deepEqual(Array.from(s.coords), Array.from(before), 'input coordinates untouched');
  assert.notEqual(structure.coords, s.coords);
  assert.equal(structure.models[0], structure.coords);
});
