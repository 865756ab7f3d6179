/**
 * The lipid and sterol table (src/core/chemistry/lipids.ts): composition, bond graphs, names, the residue-name
 * classifier, and (with ../shared) every bond and atom name checked against the CHARMM36 bilayers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LIPIDS, lipidTopology, moleculeKind } from '../../../src/core/chemistry';
import { readStructureFile } from '../../../src/core/structure/read';
import { CHARMM36_MEMBRANES, makeResiduesWhole } from '../../../src/core/dataset/lipids';
import { HAVE_SHARED, SHARED_DATA } from '../../helpers/reference-data';

test('lipid table: the issue\'s lipids and cholesterol, with CHARMM36 heavy-atom counts', () => {
  const heavy: Record<string, number> = { POPC: 52, POPE: 49, POPS: 52, POPG: 51, DOPC: 54, DPPC: 50, DMPC: 46, DLPC: 42, DLPE: 39, CHL1: 28 };
  for (const [name, n] of Object.entries(heavy)) {
    const l = LIPIDS[name];
    assert.ok(l, `${name} missing`);
    assert.equal(l.atoms.length, n, `${name} heavy atoms`);
    assert.equal(new Set(l.atoms).size, n, `${name} duplicate atom names`);
    assert.equal(l.kind, name === 'CHL1' ? 'sterol' : 'lipid');
    assert.deepEqual(l.elements, l.atoms.map((a) => a[0]));
  }
  // Hydrogens: POPC 82 (C42H82NO8P), cholesterol 46 (C27H46O).
  assert.equal(LIPIDS.POPC.hydrogens.length, 82);
  assert.equal(LIPIDS.CHL1.hydrogens.length, 46);
  assert.equal(LIPIDS.POPS.hydrogens.length, 75); // C40H75NO10P-, the CHARMM36 anion (NH3+, COO-, PO4-)
  assert.equal(LIPIDS.POPG.hydrogens.length, 76); // C40H76O10P-, the CHARMM36 anion
});

test('lipid table: bonds connect every heavy atom; acyclic except the four sterol rings', () => {
  for (const l of Object.values(LIPIDS)) {
    const names = new Set(l.atoms);
    for (const [a, b] of l.bonds) assert.ok(names.has(a) && names.has(b), `${l.name}: bond ${a}-${b} names an unknown atom`);
    const seen = new Set([l.atoms[0]]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const [a, b] of l.bonds)
        if (seen.has(a) !== seen.has(b)) { seen.add(a); seen.add(b); grew = true; }
    }
    assert.equal(seen.size, l.atoms.length, `${l.name}: bond graph not connected`);
    assert.equal(l.bonds.length, l.atoms.length - 1 + (l.kind === 'sterol' ? 4 : 0), `${l.name}: ring count`);
    for (const h of l.hydrogens) assert.ok(names.has(h.parent), `${l.name}: hydrogen ${h.names[0]} on unknown ${h.parent}`);
  }
  // Double bonds: the oleoyl carbons 9/10 carry one hydrogen each.
  assert.equal(LIPIDS.POPC.hydrogens.filter((h) => h.parent === 'C29').length, 1);
  assert.equal(LIPIDS.DOPC.hydrogens.filter((h) => h.parent === 'C310').length, 1);
});

test('moleculeKind classifies residue names through the one chemistry table', () => {
  assert.equal(moleculeKind('ALA'), 'amino-acid');
  assert.equal(moleculeKind('HSD'), 'amino-acid');
  assert.equal(moleculeKind('POPC'), 'lipid');
  assert.equal(moleculeKind('DLPE'), 'lipid');
  assert.equal(moleculeKind('CHL1'), 'sterol');
  assert.equal(moleculeKind('CHOL'), 'sterol'); // Martini's name
  assert.equal(lipidTopology('CHOL'), LIPIDS.CHL1);
  assert.equal(moleculeKind('XYZ'), undefined);
});

test('CHARMM36 bilayers: every atom name is in the table and every table bond is ≤ 1.9 Å', { skip: !HAVE_SHARED && '../shared absent: real-data check skipped' }, () => {
  const files = [CHARMM36_MEMBRANES.find((m) => m.id === 'openmm-DOPC')!, CHARMM36_MEMBRANES.find((m) => m.id === 'openmm-POPE')!, CHARMM36_MEMBRANES.find((m) => m.id === 'nmrlipids-POPC-50chol')!];
  for (const src of files) {
    const s = readStructureFile(join(SHARED_DATA, src.path));
    makeResiduesWhole(s);
    const A = s.atoms;
    let checked = 0;
    for (let i = 0; i < A.count; ) {
      let j = i;
      while (j < A.count && A.resSeq[j] === A.resSeq[i] && A.resName[j] === A.resName[i]) j++;
      const name = src.residueNameMap?.[A.resName[i]] ?? A.resName[i];
      const l = lipidTopology(name);
      if (l) {
        const at = new Map<string, number>();
        for (let k = i; k < j; k++) at.set(A.name[k].replace(/^(\d+)(.*)$/, '$2$1'), k);
        const known = new Set([...l.atoms, ...l.hydrogens.flatMap((h) => h.names)]);
        for (const n of at.keys()) assert.ok(known.has(n), `${src.id} ${name}: atom ${n} not in the table`);
        for (const [a, b] of l.bonds) {
          const x = at.get(a)!;
          const y = at.get(b)!;
          const d = Math.hypot(s.coords[3 * x] - s.coords[3 * y], s.coords[3 * x + 1] - s.coords[3 * y + 1], s.coords[3 * x + 2] - s.coords[3 * y + 2]);
          assert.ok(d < 1.9, `${src.id} ${name} ${A.resSeq[i]}: ${a}-${b} = ${d.toFixed(2)} Å`);
        }
        checked++;
      }
      i = j;
    }
    assert.ok(checked > 50, `${src.id}: only ${checked} lipids checked`);
  }
});
