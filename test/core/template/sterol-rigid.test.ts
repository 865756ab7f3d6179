/**
 * The template backmapper's rigid sterol ring (molecule-template.ts): on the real Martini 3 bilayer fixture
 * (GROMACS output, virtual-site sterol beads ~5 % further apart than mapped CHARMM36 cholesterol), the ring beads
 * (ROH, R1–R6, found from the ring system of the bond graph) are fitted as one body and, rebuilt on the template's
 * `centres`, the ring atoms are exactly one stored conformation's; phospholipids are untouched by the option.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readStructureFile } from '../../../src/core/structure/read';
import { assignCg } from '../../../src/core/cg';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { templateVectors } from '../../../src/core/template';
import { reconstructCoords, reconstructionTopology } from '../../../src/core/reconstruct';
import { LIPIDS } from '../../../src/core/chemistry/lipids';
import { LIPID_CONFORMATIONS } from '../../../src/core/chemistry/lipid-conformations';
import { kabsch } from '../../../src/core/geometry/kabsch';
import { ROOT } from '../../cli/helpers';

const GRO = join(ROOT, 'test', 'fixtures', 'martini3-bilayer', 'bilayer.gro');
const RING_BEADS = ['ROH', 'R1', 'R2', 'R3', 'R4', 'R5', 'R6'];

function fixture() {
  const set = loadMappingSet('martini3');
  const { system } = assignCg(readStructureFile(GRO), set, { partial: true });
  const centres = new Float64Array(system.coords.length);
  const vectors = templateVectors(system, { centres });
  return { set, system, centres, vectors, plain: templateVectors(system) };
}

test('sterol ring: placed whole, its atoms exactly a stored conformation, ring bonds in 1.45–1.65 Å', () => {
  const { system, centres, vectors } = fixture();
  const xyz = reconstructCoords(system, vectors, centres);
  const topo = reconstructionTopology(system);
  const chl1 = LIPIDS.CHL1;
  const mol = system.residues.find((r) => r.molecule.name === 'CHL1')!.molecule;
  const ringAtoms = mol.beads.filter((b) => RING_BEADS.includes(b.name)).flatMap((b) => b.slots.map((s) => mol.atoms[s.atom].names[0]));
  assert.equal(ringAtoms.length, 19, 'ROH, R1–R6 rebuild the 4 rings, O3, C18 and C19');
  const confs = LIPID_CONFORMATIONS.CHL1.map((c) => Float64Array.from(ringAtoms.flatMap((a) => {
    const k = chl1.atoms.indexOf(a);
    return [c[3 * k], c[3 * k + 1], c[3 * k + 2]];
  })));
  // C–C single bonds among them (C5=C6 is the double bond, C3–O3 a C–O).
  const ringBonds = chl1.bonds.filter(([x, y]) => ringAtoms.includes(x) && ringAtoms.includes(y) && x[0] === 'C' && y[0] === 'C' && `${x}${y}` !== 'C5C6');
  let n = 0;
  system.residues.forEach((res, ri) => {
    if (res.molecule.name !== 'CHL1') return;
    n++;
    const at = new Map<string, number>();
    for (let o = topo.residueOffset[ri]; o < topo.count && topo.residue[o] === ri; o++) at.set(topo.names[o], o);
    const built = Float64Array.from(ringAtoms.flatMap((a) => [0, 1, 2].map((d) => xyz[3 * at.get(a)! + d])));
    // Rigid (no scaling) superposition onto the closest stored conformation: float32 vectors only.
    const best = Math.min(...confs.map((c) => kabsch(c, built).rmsd));
    assert.ok(best < 2e-3, `CHL1 ${res.resSeq}: ring atoms ${best.toFixed(4)} Å from every stored conformation`);
    for (const [x, y] of ringBonds) {
      const d = Math.hypot(...[0, 1, 2].map((k) => xyz[3 * at.get(x)! + k] - xyz[3 * at.get(y)! + k]));
      assert.ok(d >= 1.45 && d <= 1.65, `CHL1 ${res.resSeq} ${x}–${y} ${d.toFixed(3)} Å`);
    }
    // Only the ring beads leave the input bead positions.
    res.beads.forEach((b, k) => {
      const moved = [0, 1, 2].some((d) => centres[3 * b + d] !== system.coords[3 * b + d]);
      assert.equal(moved, RING_BEADS.includes(mol.beads[k].name), `CHL1 ${res.resSeq} bead ${mol.beads[k].name}`);
    });
  });
  assert.equal(n, 30);
});

test('sterol ring: phospholipids are the same with and without centres, and stay on their beads', () => {
  const { system, centres, vectors, plain } = fixture();
  const R = system.set.maxSlots;
  let checked = 0;
  for (const res of system.residues) {
    if (LIPIDS[res.molecule.name]?.kind !== 'lipid') continue;
    for (const b of res.beads) {
      for (let d = 0; d < 3; d++) assert.equal(centres[3 * b + d], system.coords[3 * b + d]);
      for (let j = 0; j < 3 * R; j++) assert.ok(Object.is(vectors[b * 3 * R + j], plain[b * 3 * R + j]), `${res.molecule.name} ${res.resSeq}`);
      checked++;
    }
  }
  assert.ok(checked > 1000, `${checked} phospholipid beads`);
});

test('sterol ring: centres too short for the system is a RangeError', () => {
  const set = loadMappingSet('martini3');
  const { system } = assignCg(readStructureFile(GRO), set, { partial: true });
  assert.throws(() => templateVectors(system, { centres: new Float64Array(3) }), RangeError);
});
