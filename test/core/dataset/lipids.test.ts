/**
 * The lipid dataset (src/core/dataset/lipids.ts): molecules made whole across the box, the leaflet split, and
 * patch samples whose targets cover only the training leaflet while both leaflets are model input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { readStructureFile } from '../../../src/core/structure/read';
import { makeResiduesWhole, loadMembrane, membraneSamples } from '../../../src/core/dataset/lipids';
import { moleculesAsChains } from '../../../src/core/model/contract';

const FIXTURE = join(__dirname, '..', 'forward', 'fixtures', 'popc-chl1.pdb');
const set = loadMappingSet('martini3');

test('makeResiduesWhole moves atoms of a molecule split by the box next to each other', () => {
  const s = readStructureFile(FIXTURE);
  const box = s.box!;
  const before = Float64Array.from(s.coords);
  // Break the first residue: push every other atom one box length along x and -y.
  const first = s.atoms.resSeq[0];
  for (let i = 0; i < s.atoms.count && s.atoms.resSeq[i] === first; i += 2) {
    s.coords[3 * i] += box.a;
    s.coords[3 * i + 1] -= box.b;
  }
  makeResiduesWhole(s);
  // Whole again: every atom at its original place up to one common lattice shift (none here: atom 0 was moved).
  const sx = s.coords[0] - before[0];
  const sy = s.coords[1] - before[1];
  for (let i = 0; i < s.atoms.count && s.atoms.resSeq[i] === first; i++) {
    assert.ok(Math.abs(s.coords[3 * i] - before[3 * i] - sx) < 1e-9 && Math.abs(s.coords[3 * i + 1] - before[3 * i + 1] - sy) < 1e-9, `atom ${i}`);
  }
  assert.ok(Math.abs(Math.abs(sx) - box.a) < 1e-9 || Math.abs(sx) < 1e-9);
});

test('membrane samples: both leaflets are input, targets only on the training leaflet, one chain per molecule', () => {
  const m = loadMembrane(dirname(FIXTURE), { id: 'fixture', path: 'popc-chl1.pdb' }, set);
  assert.equal(m.forward.system.residues.length, 4);
  // The fixture holds lipids of both leaflets.
  assert.ok(m.heldOut.some((x) => x) && m.heldOut.some((x) => !x), JSON.stringify(m.heldOut));
  const samples = membraneSamples(m, 200, 10); // one patch covering the fixture
  assert.equal(samples.length, 1);
  const s = samples[0];
  assert.equal(s.nBeads, m.forward.system.beads.length);
  assert.equal(new Set(s.chainIndex).size, 4);
  const R = set.maxSlots;
  for (let b = 0; b < s.nBeads; b++) {
    const held = m.heldOut[s.resIndex[b]];
    for (let j = 0; j < R; j++) {
      if (!s.slotExists[b * R + j]) continue;
      assert.equal(s.slotMask[b * R + j], held ? 0 : 1, `bead ${b} slot ${j}`);
      const a = s.slotAtom[b * R + j];
      assert.equal(Number.isFinite(s.atomPos[3 * a]), !held);
    }
  }
  // No bond reaches an atom of a held-out molecule.
  for (let k = 0; k < s.bonds.length; k++) assert.ok(Number.isFinite(s.atomPos[3 * s.bonds[k]]));
  assert.deepEqual(moleculesAsChains(m.forward.system).residues.map((r) => r.chainIndex), [0, 1, 2, 3]);
});
