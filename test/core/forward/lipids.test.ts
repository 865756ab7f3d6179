/**
 * Lipids and sterols in the bundled martini3 set: forward mapping of a small CHARMM36 fixture (always runs), the
 * mapping hierarchy (true vectors rebuild the atoms exactly), the model-free template's accuracy on it, the
 * protein model's view of the set (unchanged by the lipid beads), and with ../shared the real CHARMM36 bilayers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { readStructureFile } from '../../../src/core/structure/read';
import { mapToCg } from '../../../src/core/forward';
import { reconstruct, targetVectors } from '../../../src/core/reconstruct';
import { templateVectors } from '../../../src/core/template';
import { compareStructures } from '../../../src/core/metrics';
import { CHARMM36_MEMBRANES, lipidAccuracy, loadMembrane } from '../../../src/core/dataset/lipids';
import { LIPIDS } from '../../../src/core/chemistry';
import { HAVE_SHARED, SHARED_DATA, filterAtoms, isHydrogen, median } from '../../helpers/reference-data';

const FIXTURE = join(__dirname, 'fixtures', 'popc-chl1.pdb');
const set = loadMappingSet('martini3');

test('martini3 maps a CHARMM36 POPC/cholesterol fixture: Martini 3 bead names, every atom used', () => {
  const aa = readStructureFile(FIXTURE);
  const fw = mapToCg(aa, set);
  assert.equal(fw.report.unmappedAtoms.length, 0, JSON.stringify(fw.report.unmappedAtoms.slice(0, 3)));
  assert.equal(fw.report.missingAtoms.length, 0);
  assert.equal(fw.report.unknownResidues.length, 0);
  const names = (resName: string) => fw.system.residues.find((r) => r.resName === resName)!.molecule.beads.map((b) => b.name);
  assert.deepEqual(names('POPC'), ['NC3', 'PO4', 'GL1', 'GL2', 'C1A', 'D2A', 'C3A', 'C4A', 'C1B', 'C2B', 'C3B', 'C4B']);
  assert.deepEqual(names('CHL1'), ['ROH', 'R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'C1', 'C2']);
  assert.equal(fw.system.beads.length, 2 * 12 + 2 * 9);
  // Bead positions sit among their atoms: PO4 within 0.5 Å of P, R5 on C18, every bead within 1.6 Å of a member.
  const sys = fw.system;
  const at = (r: number, name: string) => {
    for (let i = 0; i < aa.atoms.count; i++) if (aa.atoms.resSeq[i] === sys.residues[r].resSeq && aa.atoms.name[i] === name) return [aa.coords[3 * i], aa.coords[3 * i + 1], aa.coords[3 * i + 2]];
    throw new Error(name);
  };
  const bead = (r: number, name: string) => {
    const k = sys.residues[r].molecule.beadIndex.get(name)!;
    const b = sys.residues[r].beads[k];
    return [sys.coords[3 * b], sys.coords[3 * b + 1], sys.coords[3 * b + 2]];
  };
  const dist = (p: number[], q: number[]) => Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
  const popc = sys.residues.findIndex((r) => r.resName === 'POPC');
  const chl = sys.residues.findIndex((r) => r.resName === 'CHL1');
  assert.ok(dist(bead(popc, 'PO4'), at(popc, 'P')) < 0.5);
  // Our fit of the Martini 3 sterol model (mappings/cholesterol-fit.ts): R5 is the C19 methyl, R6 the C18 one.
  assert.ok(dist(bead(chl, 'R5'), at(chl, 'C19')) < 1e-6);
  assert.ok(dist(bead(chl, 'R6'), at(chl, 'C18')) < 1e-6);
  for (let r = 0; r < sys.residues.length; r++)
    for (const b of sys.residues[r].molecule.beads) {
      const p = bead(r, b.name);
      const nearest = Math.min(...b.members.filter((_, m) => b.weights[m] > 0).map((a) => dist(p, at(r, sys.residues[r].molecule.atoms[a].names[0]))));
      assert.ok(nearest < 1.6, `${sys.residues[r].resName} ${b.name}: ${nearest.toFixed(2)} Å from its nearest atom`);
    }
});

test('lipid hierarchies are complete: the true slot vectors rebuild every heavy atom exactly', () => {
  const aa = readStructureFile(FIXTURE);
  const fw = mapToCg(aa, set);
  const rebuilt = reconstruct(fw.system, targetVectors(fw.system, aa.coords, fw.slotAtoms));
  const truth = filterAtoms(aa, (i) => !isHydrogen(aa, i));
  assert.equal(rebuilt.atoms.count, truth.atoms.count);
  const cmp = compareStructures(rebuilt, truth);
  assert.ok(cmp.rmsd_all < 1e-4 && cmp.matched === truth.atoms.count, `rebuilt from true vectors: ${cmp.rmsd_all} Å, ${cmp.matched} matched`);
  // At most R = 5 rebuilt atoms per bead (the protein model's slot count).
  assert.equal(set.maxSlots, 5);
  for (const name of Object.keys(LIPIDS)) for (const b of set.molecules.get(name)!.beads) assert.ok(b.slots.length <= 5, `${name} ${b.name}`);
});

test('the protein model sees the martini3 set as it was trained: same bead-type ids, R and slot count', () => {
  const card = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'models', 'martini3-protein.json'), 'utf8')) as { beadTypes: string[]; R: number };
  assert.equal(card.R, set.maxSlots);
  card.beadTypes.forEach((names, id) => {
    for (const n of names.split('|').filter(Boolean)) assert.equal(set.beadTypes.get(n), id, `${n}`);
  });
  // Lipid and sterol types come after, never on an id the protein model knows.
  for (const [idname, id] of set.beadTypes) if (LIPIDS[idname.split('_')[0]]) assert.equal(card.beadTypes[id] ?? '', '', `${idname} on protein id ${id}`);
});

test('template backmapper on the fixture: lipids within 1.6 Å, cholesterol within 1.0 Å, tail C–C bonds in range', () => {
  const aa = readStructureFile(FIXTURE);
  const fw = mapToCg(aa, set);
  const out = reconstruct(fw.system, templateVectors(fw.system));
  const truth = filterAtoms(aa, (i) => !isHydrogen(aa, i));
  const cmp = compareStructures(out, truth);
  for (const r of cmp.perResidue) assert.ok(r.rmsd < (r.resName === 'CHL1' ? 1.0 : 1.6), `${r.resName} ${r.resSeq}: ${r.rmsd.toFixed(2)} Å`);
  let bad = 0;
  let all = 0;
  const idx = new Map<string, number>();
  for (let i = 0; i < out.atoms.count; i++) idx.set(`${out.atoms.resSeq[i]}:${out.atoms.name[i]}`, i);
  for (const r of fw.system.residues) {
    if (r.resName !== 'POPC') continue;
    for (const [a, b] of LIPIDS.POPC.bonds) {
      if (!/^C[23]\d+$/.test(a) || !/^C[23]\d+$/.test(b)) continue;
      const x = idx.get(`${r.resSeq}:${a}`)!;
      const y = idx.get(`${r.resSeq}:${b}`)!;
      const d = Math.hypot(out.coords[3 * x] - out.coords[3 * y], out.coords[3 * x + 1] - out.coords[3 * y + 1], out.coords[3 * x + 2] - out.coords[3 * y + 2]);
      all++;
      if (d < 1.28 || d > 1.7) bad++;
    }
  }
  assert.ok(all > 60 && bad <= 0.05 * all, `${bad} of ${all} tail C–C bonds outside 1.28–1.70 Å`);
});

test('template backmapper on the held-out CHARMM36 leaflets: median RMSD per molecule and tail bonds', { skip: !HAVE_SHARED && '../shared absent: real-data accuracy skipped' }, () => {
  // Measured 2026-12: POPC 1.06, POPE 0.96, DOPC 1.02, DPPC 0.87, DMPC 1.05, DLPC 1.03, DLPE 0.90, CHL1 0.58 Å;
  // 100 % of tail C–C bonds in range. Bounds leave room, a broken fit gives several Å.
  const bound = (name: string) => (name === 'CHL1' ? 0.75 : 1.25);
  const all = new Map<string, number[]>();
  let total = 0;
  let within = 0;
  for (const src of CHARMM36_MEMBRANES.filter((s) => s.id.startsWith('openmm') || s.id === 'nmrlipids-POPC-50chol')) {
    const m = loadMembrane(SHARED_DATA, src, set);
    assert.equal(m.forward.report.unmappedAtoms.length, 0, `${src.id}: unmapped atoms`);
    const acc = lipidAccuracy(m, templateVectors(m.forward.system));
    for (const [k, l] of acc.rmsd) all.set(k, [...(all.get(k) ?? []), ...l]);
    total += acc.tailBonds.total;
    within += acc.tailBonds.within;
  }
  for (const [name, l] of all) assert.ok(median(l) < bound(name), `${name}: median ${median(l).toFixed(2)} Å over ${l.length}`);
  assert.ok(within >= 0.95 * total, `${within} of ${total} tail bonds in range`);
});

test('the older 8-bead cholesterol (martini3-chol8): C19 inside R1, no R6, template within 1.0 Å', () => {
  const chol8 = loadMappingSet('martini3-chol8');
  const aa = readStructureFile(FIXTURE);
  const fw = mapToCg(aa, chol8);
  const chl = fw.system.residues.filter((r) => r.resName === 'CHL1');
  assert.equal(chl.length, 2);
  assert.deepEqual(chl[0].molecule.beads.map((b) => b.name), ['ROH', 'R1', 'R2', 'R3', 'R4', 'R5', 'C1', 'C2']);
  const r1 = chl[0].molecule.beads[1];
  assert.ok(r1.members.some((a) => chl[0].molecule.atoms[a].names[0] === 'C19'));
  const out = reconstruct(fw.system, templateVectors(fw.system));
  const truth = filterAtoms(aa, (i) => !isHydrogen(aa, i) && aa.atoms.resName[i] === 'CHL1');
  for (const r of compareStructures(out, truth).perResidue) assert.ok(r.rmsd < 1.0, `CHL1 ${r.resSeq}: ${r.rmsd.toFixed(2)} Å`);
});
