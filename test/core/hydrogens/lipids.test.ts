/**
 * Hydrogens of lipids and sterols (src/core/lipid-hydrogens.ts through addHydrogens): the plan of every molecule of
 * the table, ideal geometry on the table's own conformations (always runs), the real CHARMM36 bilayers of
 * ../shared stripped of their hydrogens and rebuilt (names, RMSD, bond lengths, which hydrogen of a pair is which),
 * a backmapped membrane, and OpenMM's charmm36.xml building a system from the result (when OpenMM is installed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHARMM36_HYDROGEN_NAMES, HYDROGEN_HAND_FLIPPED, LIPIDS, lipidDoubleBonds, lipidTopology, type LipidTopology } from '../../../src/core/chemistry/lipids';
import { LIPID_CONFORMATIONS } from '../../../src/core/chemistry/lipid-conformations';
import { LIPID_H_BOND, lipidHydrogenPlan } from '../../../src/core/lipid-hydrogens';
import { addHydrogens } from '../../../src/core/hydrogens';
import { StructureBuilder, residuesOf } from '../../../src/core/structure/builder';
import type { Structure } from '../../../src/core/structure/types';
import { readStructureFile } from '../../../src/core/structure/read';
import { formatPdb, parsePdb } from '../../../src/core/structure/pdb';
import { angle, dihedral, distance } from '../../../src/core/geometry/dihedral';
import { getAt, type Vec3 } from '../../../src/core/geometry/vec';
import { CHARMM36_MEMBRANES, makeResiduesWhole, type MembraneSource } from '../../../src/core/dataset/lipids';
import { mapStructureToCg } from '../../../src/core/pipeline/map';
import { backmapStructure } from '../../../src/core/pipeline';
import { HAVE_SHARED, SHARED_DATA } from '../../helpers/reference-data';
import { DEMO } from './helpers';

const FIXTURE = join(__dirname, '..', 'forward', 'fixtures', 'popc-chl1.pdb');
const NAMES = Object.keys(LIPIDS);
const isH = (s: Structure, i: number) => s.atoms.element[i] === 'H' || (!s.atoms.element[i] && s.atoms.name[i].startsWith('H'));

/** Heavy neighbours of each atom of a table molecule, in `atoms` order. */
function neighbours(l: LipidTopology): Map<string, string[]> {
  const idx = new Map(l.atoms.map((a, k) => [a, k]));
  const out = new Map<string, string[]>(l.atoms.map((a) => [a, []]));
  for (const [a, b] of l.bonds) {
    out.get(a)!.push(b);
    out.get(b)!.push(a);
  }
  for (const v of out.values()) v.sort((x, y) => idx.get(x)! - idx.get(y)!);
  return out;
}

/** The CHARMM36 name written for a table hydrogen. */
const outName = (l: LipidTopology, first: string) => CHARMM36_HYDROGEN_NAMES[l.name]?.[first] ?? first;

/** Per residue of `s`: name → atom index (first occurrence). */
const residueAtoms = (s: Structure) =>
  residuesOf(s.atoms).map((r) => {
    const m = new Map<string, number>();
    for (let i = r.start; i < r.end; i++) if (!m.has(s.atoms.name[i])) m.set(s.atoms.name[i], i);
    return { res: r, atoms: m, hydrogens: Array.from({ length: r.end - r.start }, (_, k) => r.start + k).filter((i) => isH(s, i)).map((i) => s.atoms.name[i]) };
  });

test('lipid plans: every table hydrogen placed once under its CHARMM36 name; sp2 carriers, rotors and hands from the table', () => {
  for (const name of NAMES) {
    const l = LIPIDS[name];
    const plan = lipidHydrogenPlan(name)!;
    assert.ok(plan, name);
    const placed = plan.groups.flatMap((g) => g.names);
    assert.deepEqual(placed.slice().sort(), l.hydrogens.map((h) => outName(l, h.names[0])).sort(), `${name}: hydrogens placed`);
    assert.equal(new Set(placed).size, placed.length, `${name}: a hydrogen placed twice`);
    for (const g of plan.groups) assert.ok(l.hydrogens.filter((h) => h.parent === g.on).length === g.names.length, `${name} ${g.on}`);
    // sp2 exactly on the C=C carbons that carry hydrogen
    const sp2 = new Set(lipidDoubleBonds(l).flat());
    for (const g of plan.groups) assert.equal(g.geometry === 'planar', sp2.has(g.on), `${name} ${g.on}: ${g.geometry}`);
    // rotors: CH3, NH3+ and OH only
    const el = new Map(l.atoms.map((a, k) => [a, l.elements[k]]));
    for (const g of plan.groups.filter((x) => x.geometry === 'rotor')) assert.ok((el.get(g.on) === 'O' && g.names.length === 1) || g.names.length === 3, `${name} ${g.on}`);
    // every flipped carrier carries two or three hydrogens
    for (const c of HYDROGEN_HAND_FLIPPED[name] ?? []) assert.ok(plan.groups.some((g) => g.on === c && g.names.length >= 2), `${name}: flipped ${c} is no CH2/CH3/NH3`);
  }
  assert.equal(lipidHydrogenPlan('CHOL'), lipidHydrogenPlan('CHL1'), 'the Martini name of cholesterol');
  assert.equal(lipidHydrogenPlan('ALA'), undefined);
  assert.deepEqual(lipidDoubleBonds(LIPIDS.POPC), [['C29', 'C210']]);
  assert.deepEqual(lipidDoubleBonds(LIPIDS.DOPC), [['C39', 'C310'], ['C29', 'C210']]);
  assert.deepEqual(lipidDoubleBonds(LIPIDS.CHL1), [['C5', 'C6']]);
  assert.deepEqual(lipidDoubleBonds(LIPIDS.DPPC), []);
  // hydrogen counts: the molecular formulas (POPC C42H82NO8P, POPE C39H76NO8P, POPS C40H75NO10P-, POPG C40H76O10P-,
  // DOPC C44H84NO8P, DPPC C40H80NO8P, DMPC C36H72NO8P, DLPC C32H64NO8P, DLPE C29H58NO8P, cholesterol C27H46O)
  const formula: Record<string, number> = { POPC: 82, POPE: 76, POPS: 75, POPG: 76, DOPC: 84, DPPC: 80, DMPC: 72, DLPC: 64, DLPE: 58, CHL1: 46 };
  for (const [n, h] of Object.entries(formula)) assert.equal(lipidHydrogenPlan(n)!.groups.reduce((k, g) => k + g.names.length, 0), h, n);
  // DOPC's sn-2 double bond hydrogens as CHARMM36 names them; POPC keeps H91/H101
  assert.ok(lipidHydrogenPlan('DOPC')!.byCarrier.get('C29')!.includes('H9R'));
  assert.ok(lipidHydrogenPlan('POPC')!.byCarrier.get('C29')!.includes('H91'));
});

/** One molecule of each kind from the table's own heavy-atom conformations, 40 Å apart. */
function tableMolecules(conf = 0): Structure {
  const sb = new StructureBuilder(600);
  NAMES.forEach((name, m) => {
    const l = LIPIDS[name];
    const x = LIPID_CONFORMATIONS[name][conf];
    l.atoms.forEach((a, k) => sb.addAtom({ name: a, resName: name, chainId: 'L', resSeq: m + 1, element: l.elements[k], x: x[3 * k] + 40 * m, y: x[3 * k + 1], z: x[3 * k + 2] }));
  });
  return sb.build('table-molecules');
}

/**
 * Geometry of every placed lipid hydrogen, checked independently of the placement code: bond length by carrier type,
 * tetrahedral / trigonal angles, sp2 hydrogens in their plane, cis double bonds with both hydrogens on one side, the
 * hand rule of `HYDROGEN_HAND_FLIPPED` for CH2 pairs and CH3/NH3+ triples. Carriers next to a heavy-atom bond
 * outside 1.1–1.75 Å are skipped and returned (a broken input conformation, not a placement matter).
 */
function checkLipidGeometry(s: Structure): { checked: number; skipped: string[] } {
  let checked = 0;
  const skipped: string[] = [];
  for (const r of residueAtoms(s)) {
    const l = lipidTopology(r.res.resName);
    if (!l) continue;
    const nb = neighbours(l);
    const el = new Map(l.atoms.map((a, k) => [a, l.elements[k]]));
    const sp2 = new Set(lipidDoubleBonds(l).flat());
    const flipped = new Set(HYDROGEN_HAND_FLIPPED[l.name] ?? []);
    const at = (n: string): Vec3 => {
      const i = r.atoms.get(n);
      assert.ok(i !== undefined, `${l.name}${r.res.resSeq}: ${n} missing`);
      return getAt(s.coords, i);
    };
    const carriers = new Map<string, string[]>();
    for (const h of l.hydrogens) carriers.set(h.parent, [...(carriers.get(h.parent) ?? []), outName(l, h.names[0])]);
    for (const [c, hs] of carriers) {
      const ns = nb.get(c)!;
      const around = [...ns.map((n) => [c, n]), ...ns.flatMap((n) => nb.get(n)!.filter((m) => m !== c).map((m) => [n, m]))];
      if (around.some(([x, y]) => distance(at(x), at(y)) > 1.75 || distance(at(x), at(y)) < 1.1)) {
        skipped.push(`${l.name} ${c}`);
        continue;
      }
      const pc = at(c);
      const ph = hs.map(at);
      const bond = el.get(c) === 'O' ? LIPID_H_BOND.hydroxyl : el.get(c) === 'N' ? LIPID_H_BOND.ammonium : sp2.has(c) ? LIPID_H_BOND.sp2
        : ns.some((n) => el.get(n) === 'N' && nb.get(n)!.length === 4) ? LIPID_H_BOND.choline : LIPID_H_BOND.sp3;
      ph.forEach((h, m) => {
        assert.ok(Math.abs(distance(pc, h) - bond) < 0.02, `${l.name} ${hs[m]}: ${distance(pc, h).toFixed(3)} Å vs ${bond}`);
        checked++;
      });
      if (sp2.has(c)) {
        // trigonal: in the plane of the carrier and its two neighbours, on the exterior bisector
        const t = Math.abs(dihedral(ph[0], pc, at(ns[0]), at(ns[1])));
        assert.ok(Math.min(t, 180 - t) < 1, `${l.name} ${hs[0]} ${t.toFixed(1)}° out of plane`);
        assert.ok(Math.abs(angle(ph[0], pc, at(ns[0])) - angle(ph[0], pc, at(ns[1]))) < 1, `${l.name} ${hs[0]}: not on the bisector`);
      } else if (el.get(c) !== 'O') {
        // tetrahedral: H–X–H 109.5° within 4° (the heavy angle is not ideal), H–X–heavy between 100 and 118°
        for (let i = 0; i < ph.length; i++) {
          for (let j = i + 1; j < ph.length; j++) assert.ok(Math.abs(angle(ph[i], pc, ph[j]) - 109.5) < 4, `${l.name} ${hs[i]}-${c}-${hs[j]}`);
          for (const n of ns) assert.ok(Math.abs(angle(ph[i], pc, at(n)) - 109.5) < 9, `${l.name} ${hs[i]}-${c}-${n}: ${angle(ph[i], pc, at(n)).toFixed(1)}°`);
        }
      } else assert.ok(Math.abs(angle(ph[0], pc, at(ns[0])) - 106) < 0.5, `${l.name} ${hs[0]}: C–O–H`);
      // which hydrogen is which
      const sign = flipped.has(c) ? 1 : -1;
      if (hs.length === 2) assert.equal(Math.sign(dihedral(at(ns[1]), at(ns[0]), pc, ph[0])), sign, `${l.name} ${c}: ${hs[0]} on the wrong side`);
      if (hs.length === 3) {
        const ref = nb.get(ns[0])!.find((x) => x !== c)!;
        const t = ph.map((h) => dihedral(at(ref), at(ns[0]), pc, h));
        const step = ((t[1] - t[0] + 540) % 360) - 180;
        assert.ok(Math.abs(step - 120 * sign) < 1, `${l.name} ${c}: ${hs[1]} ${step.toFixed(0)}° from ${hs[0]}`);
      }
    }
    // cis double bonds: the two hydrogens on the same side as the chain continues (H–C=C–H follows C–C=C–C)
    for (const [a, b] of lipidDoubleBonds(l)) {
      const [ha, hb] = [carriers.get(a), carriers.get(b)];
      if (!ha || !hb) continue;
      const chain = dihedral(at(nb.get(a)!.find((x) => x !== b)!), at(a), at(b), at(nb.get(b)!.find((x) => x !== a)!));
      const hh = dihedral(at(ha[0]), at(a), at(b), at(hb[0]));
      assert.ok(Math.abs(Math.abs(chain) - Math.abs(hh)) < 2, `${l.name} ${a}=${b}: chain ${chain.toFixed(0)}°, H–C=C–H ${hh.toFixed(0)}°`);
    }
  }
  return { checked, skipped };
}

test('table conformations of all ten molecules: every hydrogen, heavy atoms untouched, ideal geometry, hands and cis double bonds', (t) => {
  for (const conf of [0, 5]) {
    const s = tableMolecules(conf);
    const { structure, report } = addHydrogens(s);
    assert.equal(report.lipids, NAMES.length);
    assert.equal(report.residues, 0);
    assert.equal(report.missing, 0);
    const total = NAMES.reduce((n, name) => n + LIPIDS[name].hydrogens.length, 0);
    assert.equal(report.added, total);
    assert.equal(structure.atoms.count, s.atoms.count + total);
    // heavy atoms in order and in place; each carrier's hydrogens right after it
    let k = 0;
    for (let i = 0; i < structure.atoms.count; i++) {
      if (isH(structure, i)) {
        const plan = lipidHydrogenPlan(structure.atoms.resName[i])!;
        const prev = [...Array(i).keys()].reverse().find((j) => !isH(structure, j))!;
        assert.ok(plan.byCarrier.get(structure.atoms.name[prev])?.includes(structure.atoms.name[i]), `${structure.atoms.name[i]} after ${structure.atoms.name[prev]}`);
        continue;
      }
      assert.equal(structure.atoms.name[i], s.atoms.name[k]);
      assert.deepEqual(getAt(structure.coords, i), getAt(s.coords, k));
      k++;
    }
    for (const r of residueAtoms(structure)) {
      const l = LIPIDS[r.res.resName];
      assert.deepEqual(r.hydrogens.slice().sort(), l.hydrogens.map((h) => outName(l, h.names[0])).sort(), r.res.resName);
    }
    const g = checkLipidGeometry(structure);
    assert.ok(g.checked > 600, `${g.checked} hydrogens checked`);
    // the table's POPS and POPG heads are grafted with a stretched C11–O12 (reported with the conformations)
    assert.ok(g.skipped.every((x) => /^POP[SG] C1[12]$/.test(x)), g.skipped.join(', '));
    t.diagnostic(`conformation ${conf}: ${report.added} hydrogens, ${g.checked} checked; skipped next to a broken heavy bond: ${g.skipped.join(', ') || 'none'}`);
  }
});

test('lipids: input hydrogens are rebuilt; hydrogens: false leaves lipids as they are; a far protein is unaffected', () => {
  const s = tableMolecules();
  const once = addHydrogens(s).structure;
  const twice = addHydrogens(once);
  assert.equal(twice.report.replaced, once.atoms.count - s.atoms.count);
  assert.equal(twice.structure.atoms.count, once.atoms.count);
  assert.deepEqual(Array.from(twice.structure.coords), Array.from(once.coords), 'rebuilding placed hydrogens gives the same ones');
  const off = addHydrogens(once, { hydrogens: false });
  assert.equal(off.report.lipids, 0);
  assert.deepEqual(off.structure.atoms.name, once.atoms.name);
  // the demo protein with the lipids 300 Å away: its atoms are those of the protein alone
  const sb = new StructureBuilder(DEMO.atoms.count + s.atoms.count);
  for (const [src, dx] of [[DEMO, 0], [s, 300]] as const)
    for (let i = 0; i < src.atoms.count; i++)
      sb.addAtom({ name: src.atoms.name[i], resName: src.atoms.resName[i], chainId: src.atoms.chainId[i], resSeq: src.atoms.resSeq[i], element: src.atoms.element[i], x: src.coords[3 * i] + dx, y: src.coords[3 * i + 1], z: src.coords[3 * i + 2] });
  const both = addHydrogens(sb.build('mixed')).structure;
  const alone = addHydrogens(DEMO).structure;
  assert.deepEqual(Array.from(both.coords.subarray(0, 3 * alone.atoms.count)), Array.from(alone.coords));
  assert.deepEqual(both.atoms.name.slice(0, alone.atoms.count), alone.atoms.name);
});

// ---- real CHARMM36 bilayers -------------------------------------------------------------------------------------

/** The lipids of a bilayer under the table's residue and atom names (OpenMM's 4-character names rotated back), whole. */
function bilayer(src: MembraneSource): Structure {
  const s = readStructureFile(join(SHARED_DATA, src.path));
  makeResiduesWhole(s);
  const a = s.atoms;
  const sb = new StructureBuilder(a.count);
  for (let i = 0; i < a.count; i++) {
    const resName = src.residueNameMap?.[a.resName[i]] ?? a.resName[i];
    if (!lipidTopology(resName)) continue;
    sb.addAtom({ name: a.name[i].replace(/^(\d+)(.*)$/, '$2$1'), resName, chainId: a.chainId[i], resSeq: a.resSeq[i], element: a.element[i] || (a.name[i].startsWith('H') ? 'H' : a.name[i][0]), x: s.coords[3 * i], y: s.coords[3 * i + 1], z: s.coords[3 * i + 2] });
  }
  return sb.build(src.path, '', s.box);
}

const without = (s: Structure, drop: (i: number) => boolean): Structure => {
  const sb = new StructureBuilder(s.atoms.count);
  const a = s.atoms;
  for (let i = 0; i < a.count; i++)
    if (!drop(i)) sb.addAtom({ name: a.name[i], resName: a.resName[i], chainId: a.chainId[i], resSeq: a.resSeq[i], element: a.element[i], x: s.coords[3 * i], y: s.coords[3 * i + 1], z: s.coords[3 * i + 2] });
  return sb.build(s.source, s.title, s.box);
};

interface Comparison {
  molecules: number;
  /** Hydrogens compared; names the file has that we did not write, and the reverse. */
  hydrogens: number;
  missing: string[];
  extra: string[];
  /** RMSD (Å) of the non-rotatable hydrogens by name, and with each CH2 pair matched either way round. */
  fixed: number;
  fixedEither: number;
  /** RMSD (Å) of the rotatable ones (CH3, NH3+, OH) by name, and of each group's positions as a set (a freely turning
   *  group's names say nothing about where each hydrogen is). */
  rotors: number;
  rotorSets: number;
  /** CH2 pairs named as the file names them (nearest), of all. */
  pairsSame: number;
  pairs: number;
  /** Largest |file's mean X–H length − ours| over hydrogen names (Å). */
  bondDiff: number;
}

/** Rebuilds the hydrogens of every lipid in `truth` (stripped first) and compares them with the file's, per molecule kind. */
function compare(truth: Structure): Map<string, Comparison> {
  const stripped = without(truth, (i) => isH(truth, i));
  const built = addHydrogens(stripped).structure;
  const T = residueAtoms(truth), B = residueAtoms(built);
  assert.equal(T.length, B.length);
  const out = new Map<string, Comparison & { sums: number[]; lengths: Map<string, number[]>; ours: Map<string, number> }>();
  T.forEach((t, k) => {
    const b = B[k];
    const l = lipidTopology(t.res.resName)!;
    const plan = lipidHydrogenPlan(l.name)!;
    let c = out.get(l.name);
    if (!c) {
      c = { molecules: 0, hydrogens: 0, missing: [], extra: [], fixed: 0, fixedEither: 0, rotors: 0, rotorSets: 0, pairsSame: 0, pairs: 0, bondDiff: 0, sums: [0, 0, 0, 0, 0, 0], lengths: new Map(), ours: new Map() };
      out.set(l.name, c);
    }
    c.molecules++;
    const mine = new Set(b.hydrogens), theirs = new Set(t.hydrogens);
    for (const n of theirs) if (!mine.has(n)) c.missing.push(`${l.name}${t.res.resSeq} ${n}`);
    for (const n of mine) if (!theirs.has(n)) c.extra.push(`${l.name}${t.res.resSeq} ${n}`);
    const tp = (n: string) => getAt(truth.coords, t.atoms.get(n)!), bp = (n: string) => getAt(built.coords, b.atoms.get(n)!);
    for (const g of plan.groups) {
      if (!g.names.every((n) => mine.has(n) && theirs.has(n))) continue;
      for (const n of g.names) {
        const len = distance(tp(n), tp(g.on));
        c.lengths.set(n, [...(c.lengths.get(n) ?? []), len]);
        c.ours.set(n, distance(bp(n), bp(g.on)));
      }
      const d2 = g.names.map((n) => distance(tp(n), bp(n)) ** 2);
      c.hydrogens += g.names.length;
      if (g.geometry === 'rotor') {
        c.sums[2] += d2.reduce((x, y) => x + y, 0);
        c.sums[3] += g.names.length;
        const perms = g.names.length === 1 ? [[0]] : [[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 2, 1], [2, 1, 0], [1, 0, 2]];
        c.sums[5] += Math.min(...perms.map((p) => p.reduce((sum, q, m) => sum + distance(tp(g.names[m]), bp(g.names[q])) ** 2, 0)));
        continue;
      }
      c.sums[0] += d2.reduce((x, y) => x + y, 0);
      c.sums[4] += g.names.length;
      if (g.names.length === 2) {
        const swapped = distance(tp(g.names[0]), bp(g.names[1])) ** 2 + distance(tp(g.names[1]), bp(g.names[0])) ** 2;
        c.pairs++;
        if (d2[0] + d2[1] <= swapped) c.pairsSame++;
        c.sums[1] += Math.min(d2[0] + d2[1], swapped);
      } else c.sums[1] += d2[0];
    }
  });
  for (const c of out.values()) {
    c.fixed = Math.sqrt(c.sums[0] / c.sums[4]);
    c.fixedEither = Math.sqrt(c.sums[1] / c.sums[4]);
    c.rotors = Math.sqrt(c.sums[2] / c.sums[3]);
    c.rotorSets = Math.sqrt(c.sums[5] / c.sums[3]);
    for (const [n, v] of c.lengths) c.bondDiff = Math.max(c.bondDiff, Math.abs(v.reduce((x, y) => x + y, 0) / v.length - c.ours.get(n)!));
  }
  return out;
}

/**
 * Hydrogens within `cut` Å of a heavy atom of another residue. `inherited`: those whose partner is also within 2.6 Å
 * of the hydrogen's carrier (the nearest heavy atom of its residue), a heavy-atom clash of the input that no hydrogen
 * placement avoids.
 */
function interContacts(s: Structure, cut: number): { own: string[]; inherited: string[] } {
  const a = s.atoms;
  const res = new Int32Array(a.count);
  residuesOf(a).forEach((r, k) => res.fill(k, r.start, r.end));
  const cell = new Map<string, number[]>();
  const key = (x: number, y: number, z: number) => `${Math.floor(x / cut)},${Math.floor(y / cut)},${Math.floor(z / cut)}`;
  for (let i = 0; i < a.count; i++) {
    if (isH(s, i)) continue;
    const k = key(s.coords[3 * i], s.coords[3 * i + 1], s.coords[3 * i + 2]);
    cell.set(k, [...(cell.get(k) ?? []), i]);
  }
  const out = { own: [] as string[], inherited: [] as string[] };
  const rs = residuesOf(a);
  for (let i = 0; i < a.count; i++) {
    if (!isH(s, i)) continue;
    const [x, y, z] = getAt(s.coords, i);
    let carrier = -1;
    for (let j = rs[res[i]].start; j < rs[res[i]].end; j++)
      if (!isH(s, j) && (carrier < 0 || distance([x, y, z], getAt(s.coords, j)) < distance([x, y, z], getAt(s.coords, carrier)))) carrier = j;
    for (let dx = -1; dx <= 1; dx++)
      for (let dy = -1; dy <= 1; dy++)
        for (let dz = -1; dz <= 1; dz++)
          for (const j of cell.get(key(x + dx * cut, y + dy * cut, z + dz * cut)) ?? []) {
            if (res[j] === res[i]) continue;
            const d = distance([x, y, z], getAt(s.coords, j));
            if (d >= cut) continue;
            const what = `${a.resName[i]}${a.resSeq[i]} ${a.name[i]} – ${a.resName[j]}${a.resSeq[j]} ${a.name[j]} ${d.toFixed(2)} Å`;
            const heavy = distance(getAt(s.coords, carrier), getAt(s.coords, j));
            if (heavy < 2.6) out.inherited.push(`${what} (${a.name[carrier]}–${a.name[j]} ${heavy.toFixed(2)} Å)`);
            else out.own.push(what);
          }
  }
  return out;
}

const sharedSkip = HAVE_SHARED ? false : '../shared absent: the CHARMM36 bilayer checks are skipped';

test('CHARMM36 bilayers stripped and rebuilt: every hydrogen under the file\'s name, RMSD, bond lengths, pair naming', { skip: sharedSkip }, (t) => {
  // one bilayer per molecule kind; cholesterol from the 50 % bilayer (CHL1; the 20 % one names it CHL and labels
  // eight of its CH2 pairs the other way round)
  const ids = ['openmm-POPC', 'openmm-POPE', 'openmm-DOPC', 'openmm-DPPC', 'openmm-DMPC', 'openmm-DLPC', 'openmm-DLPE', 'nmrlipids-POPC-50chol'];
  const results: [string, string, Comparison][] = [];
  for (const id of ids) {
    const src = CHARMM36_MEMBRANES.find((m) => m.id === id)!;
    for (const [name, c] of compare(bilayer(src))) {
      results.push([id, name, c]);
      t.diagnostic(`${id} ${name}: ${c.molecules} molecules, ${c.hydrogens} H; fixed RMSD ${c.fixed.toFixed(3)} Å by name, ${c.fixedEither.toFixed(3)} Å either way round; ` +
        `rotors ${c.rotors.toFixed(3)} Å by name, ${c.rotorSets.toFixed(3)} Å as sets; CH2 pairs named as the file ${((100 * c.pairsSame) / c.pairs).toFixed(1)} %; bond |Δ| ≤ ${c.bondDiff.toFixed(3)} Å`);
    }
  }
  for (const [id, name, c] of results) {
    {
      assert.deepEqual(c.missing, [], `${id} ${name}: the file has hydrogens we did not write`);
      assert.deepEqual(c.extra, [], `${id} ${name}: we wrote hydrogens the file does not have`);
      assert.equal(c.hydrogens, c.molecules * LIPIDS[name].hydrogens.length);
      // ours are CHARMM36's equilibrium lengths (C–H 1.111 Å), which the NMRlipids and the OpenMM POPC/POPE bilayers
      // average; OpenMM's DOPC, DPPC, DMPC, DLPC and DLPE samples hold every C–H at 1.091–1.093 Å (0.0004 Å spread)
      const tol = /^openmm-D/.test(id) ? 0.021 : 0.02;
      assert.ok(c.bondDiff <= tol, `${id} ${name}: bond lengths ${c.bondDiff.toFixed(4)} Å off the file's mean`);
      assert.ok(c.fixedEither < 0.2, `${id} ${name}: fixed hydrogens ${c.fixedEither.toFixed(3)} Å from the file's`);
      // measured: 97-100 % of the CH2 pairs named as each file names them (DOPC 78 %: its sn-1 chain is labelled
      // either way about as often); by name 0.04-0.35 Å (DOPC 0.81 Å), the pair-swapped ones ~1.8 Å off
      assert.ok(c.pairsSame / c.pairs > (name === 'DOPC' ? 0.75 : 0.95), `${id} ${name}: only ${c.pairsSame}/${c.pairs} CH2 pairs named as the file names them`);
      assert.ok(c.fixed < (name === 'DOPC' ? 0.9 : 0.4), `${id} ${name}: fixed RMSD by name ${c.fixed.toFixed(3)} Å`);
      assert.ok(c.rotorSets < 0.6, `${id} ${name}: rotors ${c.rotorSets.toFixed(3)} Å as sets`);
    }
  }
});

// ---- backmapped membranes --------------------------------------------------------------------------------------

/** Every lipid residue of `s` has exactly the hydrogens its plan lists. */
function assertComplete(s: Structure): { lipids: number; hydrogens: number } {
  let lipids = 0, hydrogens = 0;
  for (const r of residueAtoms(s)) {
    const plan = lipidHydrogenPlan(r.res.resName);
    if (!plan) continue;
    lipids++;
    const want = plan.groups.flatMap((g) => g.names).sort();
    assert.deepEqual(r.hydrogens.slice().sort(), want, `${r.res.resName}${r.res.resSeq}`);
    hydrogens += r.hydrogens.length;
  }
  return { lipids, hydrogens };
}

test('backmapped POPC/cholesterol fixture (martini3, hydrogens: true): every hydrogen of the topology, none within 1.5 Å of another molecule', async (t) => {
  const cg = mapStructureToCg(readStructureFile(FIXTURE), 'martini3').cg;
  for (const model of ['template', 'auto'] as const) {
    const out = await backmapStructure(cg, { model, hydrogens: true });
    const { lipids, hydrogens } = assertComplete(out.structure);
    assert.equal(lipids, 4);
    assert.equal(hydrogens, 2 * 82 + 2 * 46);
    assert.equal(out.report.hydrogens?.lipids, 4);
    assert.equal(out.report.hydrogens?.added, hydrogens);
    assert.equal(out.report.hydrogens?.missing, 0);
    const inter = interContacts(out.structure, 1.5);
    assert.deepEqual([...inter.own, ...inter.inherited], [], model);
    t.diagnostic(`${model} (${out.report.modelId}): ${lipids} molecules, ${hydrogens} hydrogens, ${out.report.hydrogens?.contacts} rotor(s) left within 2 Å, 0 H–heavy contacts < 1.5 Å between molecules`);
  }
});

test('backmapped NMRlipids POPC/cholesterol bilayer (50 %, template): every hydrogen; contacts between molecules counted', { skip: sharedSkip }, async (t) => {
  const src = CHARMM36_MEMBRANES.find((m) => m.id === 'nmrlipids-POPC-50chol')!;
  const cg = mapStructureToCg(bilayer(src), 'martini3').cg;
  const out = await backmapStructure(cg, { model: 'template', hydrogens: true });
  const { lipids, hydrogens } = assertComplete(out.structure);
  assert.equal(lipids, 160);
  const inter = interContacts(out.structure, 1.5);
  t.diagnostic(`${lipids} molecules, ${hydrogens} hydrogens; H–heavy contacts < 1.5 Å between molecules: ${inter.own.length} of the hydrogens' own, ` +
    `${inter.inherited.length} where the heavy atoms already clash${inter.inherited.length ? ` (${inter.inherited.join('; ')})` : ''}`);
  assert.deepEqual(inter.own, []);
  assert.ok(inter.inherited.length <= lipids / 20, `${inter.inherited.length} contacts at heavy-atom clashes`);
});

// ---- OpenMM -------------------------------------------------------------------------------------------------------

/** A Python that imports openmm (BACKMAP_PYTHON, /usr/bin/python3, python3), or null. */
function openmmPython(): string | null {
  for (const py of [process.env.BACKMAP_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p)) {
    const r = spawnSync(py, ['-c', 'import openmm'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}
const PY = openmmPython();

/**
 * Builds an OpenMM system from each PDB with charmm36.xml (bonds from the templates by atom name, the template of the
 * residue's name: CHL1 also matches CLOL) and prints its particle count and potential energy (no cutoff, kJ/mol).
 */
const OPENMM_SCRIPT = `
import sys, json
import openmm as mm
from openmm import app, unit
ff = app.ForceField('charmm36.xml')
out = []
for path in sys.argv[1:]:
    pdb = app.PDBFile(path)
    top = pdb.topology
    known = {}
    for res in top.residues():
        t = ff._templates.get(res.name)
        if t is None:
            continue
        known[res] = res.name
        by = {a.name: a for a in res.atoms()}
        for i, j in t.bonds:
            a, b = t.atoms[i].name, t.atoms[j].name
            if a in by and b in by:
                top.addBond(by[a], by[b])
    system = ff.createSystem(top, residueTemplates=known, nonbondedMethod=app.NoCutoff)
    ctx = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName('Reference'))
    ctx.setPositions(pdb.positions)
    e = ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    out.append({'particles': system.getNumParticles(), 'energy': e})
print(json.dumps(out))
`;

test('OpenMM charmm36.xml builds a system from the backmapped membrane with hydrogens (and from rebuilt CHARMM36 hydrogens)', { skip: PY ? false : 'no Python with openmm (BACKMAP_PYTHON, /usr/bin/python3): skipped' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-lipid-h-'));
  try {
    const fixture = readStructureFile(FIXTURE);
    const rebuilt = addHydrogens(without(fixture, (i) => isH(fixture, i))).structure;
    const cg = mapStructureToCg(fixture, 'martini3').cg;
    const backmapped = (await backmapStructure(cg, { model: 'template', hydrogens: true })).structure;
    const files: [string, Structure][] = [['fixture', fixture], ['rebuilt', rebuilt], ['backmapped', backmapped]];
    for (const [name, s] of files) writeFileSync(join(dir, `${name}.pdb`), formatPdb(s));
    // the PDB round trip keeps every atom (4-character residue and atom names included)
    assert.equal(parsePdb(readFileSync(join(dir, 'backmapped.pdb'), 'utf8'), 'b.pdb').atoms.count, backmapped.atoms.count);
    writeFileSync(join(dir, 'check.py'), OPENMM_SCRIPT);
    const r = spawnSync(PY!, [join(dir, 'check.py'), ...files.map(([n]) => join(dir, `${n}.pdb`))], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, `OpenMM refused:\n${r.stderr.slice(-2000)}`);
    const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as { particles: number; energy: number }[];
    files.forEach(([name, s], k) => {
      assert.equal(res[k].particles, s.atoms.count, name);
      assert.ok(Number.isFinite(res[k].energy), name);
    });
    const per = (e: number) => (e / 4).toFixed(1);
    t.diagnostic(`charmm36.xml, no cutoff, kJ/mol per molecule: the fixture's own hydrogens ${per(res[0].energy)}, ours on its heavy atoms ${per(res[1].energy)}, backmapped (template) ${per(res[2].energy)}`);
    // on the same heavy atoms, our hydrogens start no higher than the MD snapshot's by more than 25 kJ/mol per molecule
    assert.ok(res[1].energy <= res[0].energy + 100, `ours ${per(res[1].energy)} vs the file's ${per(res[0].energy)} kJ/mol per molecule`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
