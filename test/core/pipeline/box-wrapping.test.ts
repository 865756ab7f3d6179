// Whole systems come back wrapped as GROMACS writes them: placed waters inside the box (solvent.ts), every
// molecule's centre inside the box, whole (run.ts putBackInBox), and cholesterol routed to the template while the
// shipped lipid model's card leaves CHL1 out of its molecules (plan.ts); a protein alone keeps its place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readStructureFile } from '../../../src/core/structure/read';
import { StructureBuilder, residuesOf } from '../../../src/core/structure/builder';
import type { Structure } from '../../../src/core/structure/types';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { LIPIDS } from '../../../src/core/chemistry/lipids';
import { backmapStructure, mapStructureToCg, planBackmap } from '../../../src/core/pipeline';
import { placeWaters, SOLUTE_MIN, WATER_MIN } from '../../../src/core/pipeline/solvent';
import { listModels } from '../../../src/core/model/registry';

const FIXTURE = join(__dirname, '..', 'forward', 'fixtures', 'popc-chl1.pdb');

/** Smallest distance between two points under the minimum image of a rectangular box. */
function minImage(p: ArrayLike<number>, i: number, q: ArrayLike<number>, j: number, L: number[]): number {
  let s = 0;
  for (let k = 0; k < 3; k++) {
    let d = p[3 * i + k] - q[3 * j + k];
    d -= Math.round(d / L[k]) * L[k];
    s += d * d;
  }
  return Math.sqrt(s);
}

test('placeWaters with a box: every oxygen inside it, clear of the solute and of each other through the faces', () => {
  const L: [number, number, number] = [30, 30, 30];
  // Beads on faces, edges and a corner; solute atoms just across the faces from them.
  const beads = Float64Array.of(0.2, 0.2, 0.2, 29.9, 15, 0.1, 15, 29.95, 15, 0.1, 15, 29.8, 15, 15, 15);
  const solute = Float64Array.of(29.6, 0.4, 0.3, 0.5, 15, 1.2, 15, 1.0, 15, 28.9, 15, 28.0);
  const counts = [4, 4, 4, 4, 4];
  const { oxygens, crowded } = placeWaters(beads, counts, solute, L);
  assert.equal(crowded, 0);
  const n = oxygens.length / 3;
  assert.equal(n, 20);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < 3; k++) assert.ok(oxygens[3 * i + k] >= 0 && oxygens[3 * i + k] < L[k], `oxygen ${i} axis ${k}: ${oxygens[3 * i + k].toFixed(2)}`);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < solute.length / 3; j++) assert.ok(minImage(oxygens, i, solute, j, L) >= SOLUTE_MIN - 1e-9, `oxygen ${i} – solute ${j}`);
    for (let j = i + 1; j < n; j++) assert.ok(minImage(oxygens, i, oxygens, j, L) >= WATER_MIN - 1e-9, `oxygens ${i}, ${j}`);
  }
  // Without a box the same beads put waters outside [0, 30): the wrapping is the box's doing.
  const free = placeWaters(beads, counts, solute).oxygens;
  assert.ok(free.some((v) => v < 0 || v >= 30));
});

/** The CG POPC/cholesterol fixture in its box, one CHL1 and one POPC moved by a box vector (whole, centre outside), W beads on the faces. */
function shiftedCg(): { cg: Structure; L: number[] } {
  const cg = mapStructureToCg(readStructureFile(FIXTURE), 'martini3').cg;
  const box = cg.box!;
  const L = [box.a, box.b, box.c];
  const sb = new StructureBuilder(256);
  const a = cg.atoms;
  for (let i = 0; i < a.count; i++) {
    const shift = a.resName[i] === 'CHL1' && a.resSeq[i] === 81 ? [-L[0], 0, 0] : a.resName[i] === 'POPC' && a.resSeq[i] === 1 ? [0, L[1], 0] : [0, 0, 0];
    sb.addAtom({ name: a.name[i], resName: a.resName[i], chainId: a.chainId[i], resSeq: a.resSeq[i], element: a.element[i], x: cg.coords[3 * i] + shift[0], y: cg.coords[3 * i + 1] + shift[1], z: cg.coords[3 * i + 2] + shift[2] });
  }
  const w = [[0.3, 0.3, 0.3], [L[0] - 0.1, 28, 1], [28, L[1] - 0.05, L[2] - 0.2], [0.1, 40, 44]];
  w.forEach(([x, y, z], k) => sb.addAtom({ name: 'W', resName: 'W', chainId: '', resSeq: 500 + k, element: 'O', x, y, z }));
  return { cg: sb.build('shifted.gro', 'POPC/CHL1 moved by box vectors', box), L };
}

const centre = (s: Structure, start: number, end: number, k: number) => {
  let c = 0;
  for (let i = start; i < end; i++) c += s.coords[3 * i + k];
  return c / (end - start);
};

test('a whole system comes back wrapped: molecules whole with their centre in the box, waters (with their hydrogens) in the box', async () => {
  const { cg, L } = shiftedCg();
  // The input: two molecules whole with their centre outside, the W beads clear of the solute.
  const outside = residuesOf(cg.atoms).filter((r) => [0, 1, 2].some((k) => centre(cg, r.start, r.end, k) < 0 || centre(cg, r.start, r.end, k) >= L[k]));
  assert.ok(outside.length >= 2, `${outside.length} molecules with their centre outside`);
  const out = await backmapStructure(cg, { hydrogens: true });
  const s = out.structure;
  let waters = 0;
  for (const r of residuesOf(s.atoms)) {
    const name = s.atoms.resName[r.start];
    if (name === 'TIP3') {
      waters++;
      const o = [...Array(r.end - r.start).keys()].map((k) => r.start + k).find((i) => s.atoms.element[i] === 'O')!;
      for (let k = 0; k < 3; k++) assert.ok(s.coords[3 * o + k] >= 0 && s.coords[3 * o + k] < L[k], `water ${r.resSeq} oxygen axis ${k}: ${s.coords[3 * o + k].toFixed(2)}`);
      for (let i = r.start; i < r.end; i++) if (i !== o) assert.ok(minImage(s.coords, i, s.coords, o, [1e9, 1e9, 1e9]) < 1.1, `water ${r.resSeq}: hydrogen on its oxygen, not wrapped apart`);
      continue;
    }
    for (let k = 0; k < 3; k++) {
      const c = centre(s, r.start, r.end, k);
      assert.ok(c >= 0 && c < L[k], `${name} ${r.resSeq}: centre ${c.toFixed(2)} outside the box on axis ${k}`);
    }
  }
  assert.equal(waters, 16);
  // Whole: every CHL1 ring bond and POPC tail bond short (no atoms left across the box).
  for (const r of residuesOf(s.atoms)) {
    const topo = LIPIDS[s.atoms.resName[r.start]];
    if (!topo) continue;
    const at = new Map<string, number>();
    for (let i = r.start; i < r.end; i++) at.set(s.atoms.name[i], i);
    for (const [x, y] of topo.bonds) {
      const d = minImage(s.coords, at.get(x)!, s.coords, at.get(y)!, [1e9, 1e9, 1e9]);
      assert.ok(d < 2, `${topo.name} ${r.resSeq} ${x}–${y}: ${d.toFixed(2)} Å`);
    }
  }
});

const lipidModel = listModels().find((c) => c.id === 'martini3-lipids');

test('cholesterol goes to the template when the lipid model\'s card leaves CHL1 out of its molecules; its rings intact', { skip: !lipidModel && 'martini3-lipids not shipped' }, async () => {
  assert.ok(lipidModel!.molecules && !lipidModel!.molecules.includes('CHL1'), 'the card lists its molecules without CHL1');
  assert.ok(lipidModel!.beadTypes.includes('CHL1_ROH'), 'the card still knows the CHL1 bead types (so only the list keeps CHL1 away)');
  const { cg } = shiftedCg();
  const plan = planBackmap(cg, {});
  const byGroup = new Map(plan.groups.map((g) => [g.choice.modelId, [...new Set([...g.residues].map((r) => plan.system.residues[r].molecule.name))]]));
  assert.deepEqual(byGroup.get('martini3-lipids'), ['POPC']);
  assert.deepEqual(byGroup.get('template'), ['CHL1']);
  const note = plan.groups.find((g) => g.choice.modelId === 'template')!.choice.note;
  assert.match(note, /template for CHL1 \(model martini3-lipids knows its bead types but its card leaves CHL1 out of the molecules it backmaps\)/);
  const out = await backmapStructure(cg, {});
  assert.match(out.report.modelNote ?? '', /CHL1 \(model martini3-lipids/);
  // Ring single bonds (C5=C6 is double) of the template's cholesterols.
  const s = out.structure;
  const ring = LIPIDS.CHL1.bonds.filter(([x, y]) => /^C(\d|1[0-7])$/.test(x) && /^C(\d|1[0-7])$/.test(y) && `${x}${y}` !== 'C5C6');
  let n = 0;
  for (const r of residuesOf(s.atoms)) {
    if (s.atoms.resName[r.start] !== 'CHL1') continue;
    const at = new Map<string, number>();
    for (let i = r.start; i < r.end; i++) at.set(s.atoms.name[i], i);
    for (const [x, y] of ring) {
      const d = minImage(s.coords, at.get(x)!, s.coords, at.get(y)!, [1e9, 1e9, 1e9]);
      assert.ok(d >= 1.45 && d <= 1.65, `CHL1 ${r.resSeq} ${x}–${y}: ${d.toFixed(2)} Å`);
      n++;
    }
  }
  assert.equal(n, 2 * 19);
});

test('a protein alone keeps its place in a box (a crystal cell is not a simulation box): not wrapped', async () => {
  const pep = buildPeptide('MKTAYIAKQR', { phi: -65, psi: -40, chainId: 'A' });
  const sb = new StructureBuilder(512);
  for (let i = 0; i < pep.atoms.count; i++)
    sb.addAtom({ name: pep.atoms.name[i], resName: pep.atoms.resName[i], chainId: 'A', resSeq: pep.atoms.resSeq[i], element: pep.atoms.element[i], x: pep.coords[3 * i] - 12, y: pep.coords[3 * i + 1] + 5, z: pep.coords[3 * i + 2] + 5 });
  const aa = sb.build('pep.pdb', '', { a: 40, b: 40, c: 40, alpha: 90, beta: 90, gamma: 90 });
  const cg = mapStructureToCg(aa, 'martini3').cg;
  const out = await backmapStructure(cg, { model: 'template' });
  const cx = centre(out.structure, 0, out.structure.atoms.count, 0);
  assert.ok(Math.abs(cx - centre(aa, 0, aa.atoms.count, 0)) < 1.5 && cx < 0, `centre x ${cx.toFixed(2)}: left where the input had it`);
});
