import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { StructureBuilder } from '../../../src/core/structure/builder';
import type { Structure } from '../../../src/core/structure/types';
import { angle, dihedral, distance } from '../../../src/core/geometry/dihedral';
import { add, getAt, normalize, scale, sub, cross, type Vec3 } from '../../../src/core/geometry/vec';
import { addHydrogens, hydrogenSummary } from '../../../src/core/hydrogens';
import { atomNameFor, residueNameFor } from '../../../src/core/ffnames';
import { UsageError } from '../../../src/core/errors';
import { byResidue, disulfidePair } from './helpers';

/** A copy of `s` with extra atoms appended (each its own residue unless it shares resSeq/name with the previous). */
function withAtoms(s: Structure, extra: { name: string; resName: string; chainId: string; resSeq: number; element: string; at: Vec3 }[]): Structure {
  const sb = new StructureBuilder(s.atoms.count + extra.length);
  const a = s.atoms;
  for (let i = 0; i < a.count; i++)
    sb.addAtom({ name: a.name[i], resName: a.resName[i], chainId: a.chainId[i], resSeq: a.resSeq[i], element: a.element[i], x: s.coords[3 * i], y: s.coords[3 * i + 1], z: s.coords[3 * i + 2] });
  for (const e of extra) sb.addAtom({ name: e.name, resName: e.resName, chainId: e.chainId, resSeq: e.resSeq, element: e.element, x: e.at[0], y: e.at[1], z: e.at[2] });
  return sb.build(s.source);
}

const atom = (s: Structure, resSeq: number, name: string, chainId = 'A'): Vec3 => {
  for (let i = 0; i < s.atoms.count; i++) if (s.atoms.resSeq[i] === resSeq && s.atoms.name[i] === name && s.atoms.chainId[i] === chainId) return getAt(s.coords, i);
  throw new Error(`${chainId}${resSeq} ${name} not found`);
};
const has = (s: Structure, resSeq: number, name: string, chainId = 'A') => {
  for (let i = 0; i < s.atoms.count; i++) if (s.atoms.resSeq[i] === resSeq && s.atoms.name[i] === name && s.atoms.chainId[i] === chainId) return true;
  return false;
};
const resName = (s: Structure, resSeq: number, chainId = 'A') => byResidue(s).find((r) => r.resSeq === resSeq && r.chainId === chainId)!.resName;

// ALA-HIS-ALA in a β conformation (the ring points away from the backbone); probes sit on a ring N's exterior bisector.
const AHA = buildPeptide('AHA', { phi: -120, psi: 130, chainId: 'A' });
const bisector = (s: Structure, n: string, x: string, y: string): Vec3 => {
  const p = atom(s, 2, n);
  return normalize(add(normalize(sub(p, atom(s, 2, x))), normalize(sub(p, atom(s, 2, y)))));
};
const probe = (n: string, x: string, y: string, resName: string, name: string, element: string, resSeq: number) => ({
  name, resName, chainId: 'B', resSeq, element, at: add(atom(AHA, 2, n), scale(bisector(AHA, n, x, y), 2.85)),
});
const ND1 = ['ND1', 'CG', 'CE1'] as const;
const NE2 = ['NE2', 'CE1', 'CD2'] as const;

test('HIS tautomer from the hydrogen-bond network: the ring N facing an acceptor carries the H, the one facing a donor does not', () => {
  const cases: [string, ReturnType<typeof probe>[], string][] = [
    ['carboxylate O at ND1', [probe(...ND1, 'GLU', 'OE1', 'O', 1)], 'HSD'],
    ['carboxylate O at NE2', [probe(...NE2, 'GLU', 'OE1', 'O', 1)], 'HSE'],
    ['LYS NZ (donor) at ND1', [probe(...ND1, 'LYS', 'NZ', 'N', 1)], 'HSE'],
    ['LYS NZ (donor) at NE2', [probe(...NE2, 'LYS', 'NZ', 'N', 1)], 'HSD'],
    ['carboxylates at both N', [probe(...ND1, 'GLU', 'OE1', 'O', 1), probe(...NE2, 'ASP', 'OD1', 'O', 2)], 'HSP'],
  ];
  for (const [what, extra, want] of cases) {
    const s = withAtoms(AHA, extra);
    const { structure, report } = addHydrogens(s, { names: 'charmm' });
    assert.equal(report.histidines.length, 1, what);
    assert.equal(report.histidines[0].state, want, what);
    assert.equal(report.histidines[0].reason, 'hydrogen bonds', what);
    assert.equal(resName(structure, 2), want, what);
    assert.equal(has(structure, 2, 'HD1'), want !== 'HSE', `${what}: HD1`);
    assert.equal(has(structure, 2, 'HE2'), want !== 'HSD', `${what}: HE2`);
    // the N–H points at its acceptor: H···O = 2.85 − 1.01 Å
    if (want === 'HSD' && extra[0].element === 'O') assert.ok(Math.abs(distance(atom(structure, 2, 'HD1'), extra[0].at) - 1.84) < 0.01, what);
  }
  // nothing around: HSE, the common tautomer
  const alone = addHydrogens(AHA).report.histidines[0];
  assert.deepEqual([alone.state, alone.reason], ['HSE', 'default']);
});

test('HIS: pH below 6 protonates both ring N; a tautomer the residue name fixes is kept; names per force field', () => {
  const acidic = addHydrogens(AHA, { ph: 5 });
  assert.deepEqual([acidic.report.histidines[0].state, acidic.report.histidines[0].reason], ['HSP', 'pH']);
  assert.ok(has(acidic.structure, 2, 'HD1') && has(acidic.structure, 2, 'HE2'));
  // HID named by the user stays δ even with an acceptor at NE2
  const named = withAtoms(AHA, [probe(...NE2, 'GLU', 'OE1', 'O', 1)]);
  named.atoms.resName.forEach((r, i) => (named.atoms.resName[i] = named.atoms.resSeq[i] === 2 && named.atoms.chainId[i] === 'A' ? 'HID' : r));
  const kept = addHydrogens(named, { names: 'amber' });
  assert.deepEqual([kept.report.histidines[0].state, kept.report.histidines[0].reason], ['HSD', 'name']);
  assert.equal(resName(kept.structure, 2), 'HID');
  assert.ok(has(kept.structure, 2, 'HD1') && !has(kept.structure, 2, 'HE2'));
  assert.equal(resName(addHydrogens(named, { names: 'gromacs' }).structure, 2), 'HISD');
  assert.equal(resName(addHydrogens(named, { names: 'charmm' }).structure, 2), 'HSD');
  assert.match(hydrogenSummary(kept.report), /HIS tautomers: HID A2 \(name\)/);
});


test('disulfide (SG–SG < 2.5 Å): no HG on either CYS, CYS/CYS2 naming; far apart both keep HG', () => {
  const s = disulfidePair(2.04);
  assert.ok(Math.abs(distance(atom(s, 2, 'SG', 'A'), atom(s, 2, 'SG', 'B')) - 2.04) < 1e-9);
  const { structure, report } = addHydrogens(s, { names: 'charmm' });
  assert.equal(report.disulfides, 1);
  for (const c of ['A', 'B']) {
    assert.ok(!has(structure, 2, 'HG1', c), `chain ${c}: no HG1`);
    assert.equal(resName(structure, 2, c), 'CYS', 'CHARMM keeps CYS (DISU patch)');
  }
  assert.equal(resName(addHydrogens(s, { names: 'amber' }).structure, 2, 'B'), 'CYS', 'pdb2gmx links CYS… only, then builds CYX');
  assert.equal(resName(addHydrogens(s, { names: 'gromacs' }).structure, 2, 'B'), 'CYS2');
  const far = addHydrogens(disulfidePair(4.0), { names: 'charmm' });
  assert.equal(far.report.disulfides, 0);
  for (const c of ['A', 'B']) assert.ok(has(far.structure, 2, 'HG1', c));
  assert.ok(has(addHydrogens(disulfidePair(4.0), { names: 'amber' }).structure, 2, 'HG'), 'AMBER names the thiol H HG');
});

test('termini: NH3+ (HT1-3 / H1-3), PRO NH2+, OXT added in the carboxylate plane; a chain break (C–N > 2 Å) makes two more termini', () => {
  const pep = buildPeptide('GAAAAA', { chainId: 'A' });
  // break between residues 3 and 4: move 4-6 by 6 Å
  const sb = new StructureBuilder(pep.atoms.count);
  for (let i = 0; i < pep.atoms.count; i++) {
    const shift = pep.atoms.resSeq[i] >= 4 ? 6 : 0;
    sb.addAtom({ name: pep.atoms.name[i], resName: pep.atoms.resName[i], chainId: 'A', resSeq: pep.atoms.resSeq[i], element: pep.atoms.element[i], x: pep.coords[3 * i] + shift, y: pep.coords[3 * i + 1], z: pep.coords[3 * i + 2] });
  }
  const broken = sb.build('broken');
  const { structure, report } = addHydrogens(broken, { names: 'charmm' });
  assert.deepEqual(report.termini, { n: 2, c: 2 });
  assert.equal(report.oxtAdded, 1, 'residue 3 lacked OXT');
  for (const r of [1, 4]) {
    for (const h of ['HT1', 'HT2', 'HT3']) assert.ok(has(structure, r, h), `${r} ${h}`);
    assert.ok(!has(structure, r, 'HN'));
  }
  for (const r of [2, 3, 5, 6]) assert.ok(has(structure, r, 'HN'), `${r} HN`);
  // C-termini: CHARMM OT1/OT2; the placed OXT at 1.231 Å, CA-C-OXT 117°, in the O-CA-C plane
  for (const r of [3, 6]) {
    assert.ok(has(structure, r, 'OT1') && has(structure, r, 'OT2') && !has(structure, r, 'O'), `${r} OT1/OT2`);
  }
  const oxt = atom(structure, 3, 'OT2'), c = atom(structure, 3, 'C'), ca = atom(structure, 3, 'CA'), o = atom(structure, 3, 'OT1');
  assert.ok(Math.abs(distance(c, oxt) - 1.231) < 1e-6);
  assert.ok(Math.abs(angle(ca, c, oxt) - 117) < 1e-6);
  assert.ok(Math.abs(Math.abs(dihedral(o, ca, c, oxt)) - 180) < 1e-6);
  // AMBER/GROMACS: H1-3 and O/OXT
  const amber = addHydrogens(broken, { names: 'amber' }).structure;
  for (const h of ['H1', 'H2', 'H3']) assert.ok(has(amber, 4, h));
  assert.ok(has(amber, 3, 'O') && has(amber, 3, 'OXT') && has(amber, 2, 'H'));
  // N-terminal PRO: two H on N, none named HN
  const pro = addHydrogens(buildPeptide('PAA'), { names: 'charmm' }).structure;
  assert.ok(has(pro, 1, 'HT1') && has(pro, 1, 'HT2') && !has(pro, 1, 'HT3') && !has(pro, 1, 'HN'));
  assert.ok(Math.abs(angle(atom(pro, 1, 'HT1'), atom(pro, 1, 'N'), atom(pro, 1, 'HT2')) - 109.5) < 1);
});

test('pH: ASP/GLU protonated below their pKa, LYS neutral above; names per force field', () => {
  const s = buildPeptide('ADEKA');
  const low = addHydrogens(s, { ph: 3, names: 'charmm' });
  assert.deepEqual([resName(low.structure, 2), resName(low.structure, 3), resName(low.structure, 4)], ['ASPP', 'GLUP', 'LYS']);
  assert.ok(has(low.structure, 2, 'HD2') && has(low.structure, 3, 'HE2'));
  // the acid H is syn (cis to the other O) unless that position is crowded
  const syn = dihedral(atom(low.structure, 2, 'OD1'), atom(low.structure, 2, 'CG'), atom(low.structure, 2, 'OD2'), atom(low.structure, 2, 'HD2'));
  assert.ok(Math.abs(syn) < 1 || Math.abs(Math.abs(syn) - 180) < 1, `${syn}`);
  const amber = addHydrogens(s, { ph: 3, names: 'amber' }).structure;
  assert.deepEqual([resName(amber, 2), resName(amber, 3)], ['ASH', 'GLH']);
  const gmx = addHydrogens(s, { ph: 3, names: 'gromacs' }).structure;
  assert.deepEqual([resName(gmx, 2), resName(gmx, 3)], ['ASH', 'GLH'], 'pdb2gmx resets ASPH/GLUH to charged');
  const high = addHydrogens(s, { ph: 11, names: 'charmm' });
  assert.equal(resName(high.structure, 4), 'LSN');
  assert.ok(has(high.structure, 4, 'HZ1') && has(high.structure, 4, 'HZ2') && !has(high.structure, 4, 'HZ3'));
  assert.deepEqual(high.report.states, { LSN: 1 });
  assert.equal(resName(addHydrogens(s, { ph: 11, names: 'amber' }).structure, 4), 'LYN');
  const neutral = addHydrogens(s, { names: 'charmm' });
  assert.deepEqual([resName(neutral.structure, 2), resName(neutral.structure, 3), resName(neutral.structure, 4)], ['ASP', 'GLU', 'LYS']);
  assert.ok(!has(neutral.structure, 2, 'HD2') && has(neutral.structure, 4, 'HZ3'));
  // terminal ASP/LYS keep their usual state: no force-field port has terminal ASH/LYN building blocks
  const ends = addHydrogens(buildPeptide('DAK'), { ph: 3, names: 'amber' });
  assert.deepEqual([resName(ends.structure, 1), ends.report.terminalKept], ['ASP', 1]);
  assert.deepEqual([resName(addHydrogens(buildPeptide('DAK'), { ph: 11 }).structure, 3), addHydrogens(buildPeptide('DAK'), { ph: 11 }).report.terminalKept], ['LYS', 1]);
  assert.throws(() => addHydrogens(s, { ph: 15 }), UsageError);
  assert.throws(() => addHydrogens(s, { names: 'opls' as never }), UsageError);
});

const angDiff = (a: number, b: number) => Math.abs(((a - b + 540) % 360) - 180);

test('a rotatable H takes the staggered position with the fewest contacts, then the one that makes a hydrogen bond', () => {
  const s = buildPeptide('ASA', { phi: -120, psi: 130 });
  const on = atom(s, 2, 'OG'), cb = atom(s, 2, 'CB'), ca = atom(s, 2, 'CA');
  const hgOf = (x: Structure) => dihedral(ca, cb, on, atom(addHydrogens(x).structure, 2, 'HG1'));
  const t0 = hgOf(s);
  assert.ok([180, 60, -60].some((t) => angDiff(t, t0) < 1e-6), `staggered: ${t0}`);
  // a carbon 1.2 Å beyond the default position: the H turns away from it
  const h0 = placeAt(ca, cb, on, t0);
  const t1 = hgOf(withAtoms(s, [{ name: 'C1', resName: 'LIG', chainId: 'B', resSeq: 1, element: 'C', at: add(h0, scale(normalize(sub(h0, on)), 1.2)) }]));
  assert.ok(angDiff(t1, t0) > 100, `moved away from ${t0.toFixed(0)}°, got ${t1.toFixed(0)}°`);
  // an acceptor O 1.9 Å beyond another staggered position: the H turns to it
  for (const want of [180, 60, -60].filter((t) => angDiff(t, t0) > 100)) {
    const h = placeAt(ca, cb, on, want);
    const t2 = hgOf(withAtoms(s, [{ name: 'O1', resName: 'LIG', chainId: 'B', resSeq: 1, element: 'O', at: add(h, scale(normalize(sub(h, on)), 1.9)) }]));
    assert.ok(angDiff(t2, want) < 1e-6, `H-bonded torsion ${want}°, got ${t2.toFixed(0)}°`);
  }
});

/** H at torsion t (CA-CB-OG-H) with the table's SER geometry (0.96 Å, C–O–H 108.5°). */
function placeAt(ca: Vec3, cb: Vec3, og: Vec3, t: number): Vec3 {
  // build in the local frame of CB→OG
  const b = normalize(sub(og, cb));
  const n = normalize(cross(sub(cb, ca), b));
  const m = cross(n, b);
  const th = (108.5 * Math.PI) / 180, ph = (t * Math.PI) / 180;
  const d: Vec3 = [-0.96 * Math.cos(th), 0.96 * Math.sin(th) * Math.cos(ph), 0.96 * Math.sin(th) * Math.sin(ph)];
  return [og[0] + b[0] * d[0] + m[0] * d[1] + n[0] * d[2], og[1] + b[1] * d[0] + m[1] * d[1] + n[1] * d[2], og[2] + b[2] * d[0] + m[2] * d[1] + n[2] * d[2]];
}

test('force-field names: CHARMM HN/HB1-2/ILE CD/HG1, AMBER and GROMACS H/swapped methylene numbering/HG; residue names per state', () => {
  const none = { nTerminal: false, cTerminal: false };
  assert.equal(atomNameFor('ALA', 'HN', 'charmm', none), 'HN');
  assert.equal(atomNameFor('ALA', 'HN', 'amber', none), 'H');
  assert.equal(atomNameFor('ILE', 'CD1', 'charmm', none), 'CD');
  assert.equal(atomNameFor('ILE', 'CD1', 'amber', none), 'CD');
  assert.equal(atomNameFor('ILE', 'HG11', 'amber', none), 'HG12');
  assert.equal(atomNameFor('SER', 'HG1', 'charmm', none), 'HG1');
  assert.equal(atomNameFor('SER', 'HG1', 'gromacs', none), 'HG');
  assert.equal(atomNameFor('THR', 'HG1', 'amber', none), 'HG1');
  assert.equal(atomNameFor('LYS', 'HB1', 'amber', none), 'HB2');
  assert.equal(atomNameFor('PRO', 'HB1', 'amber', none), 'HB1', 'the ports keep CHARMM numbering on PRO');
  assert.equal(atomNameFor('GLY', 'HA1', 'gromacs', none), 'HA2');
  assert.equal(atomNameFor('ALA', 'O', 'charmm', { nTerminal: false, cTerminal: true }), 'OT1');
  assert.equal(atomNameFor('ALA', 'OXT', 'charmm', { nTerminal: false, cTerminal: true }), 'OT2');
  assert.equal(atomNameFor('ALA', 'OXT', 'amber', { nTerminal: false, cTerminal: true }), 'OXT');
  assert.equal(atomNameFor('ALA', 'HT2', 'gromacs', { nTerminal: true, cTerminal: false }), 'H2');
  assert.deepEqual(['HSD', 'HSE', 'HSP', 'CYX', 'ASPP', 'GLUP', 'LSN'].map((st) => residueNameFor(st as never, 'amber')), ['HID', 'HIE', 'HIP', 'CYS', 'ASH', 'GLH', 'LYN']);
  assert.deepEqual(['HSD', 'HSE', 'HSP', 'CYX', 'ASPP', 'GLUP', 'LSN'].map((st) => residueNameFor(st as never, 'gromacs')), ['HISD', 'HISE', 'HISH', 'CYS2', 'ASH', 'GLH', 'LYSN']);
  assert.equal(residueNameFor('LEU', 'amber'), 'LEU');
});

test('input hydrogens and force-field heavy-atom names are read back: a CHARMM-named protonated structure round-trips', () => {
  const s = buildPeptide('MKIHSC');
  const once = addHydrogens(s, { names: 'charmm' }).structure;
  const twice = addHydrogens(once, { names: 'charmm' });
  assert.equal(twice.report.replaced, once.atoms.count - s.atoms.count);
  assert.deepEqual(twice.structure.atoms.name, once.atoms.name);
  assert.deepEqual(twice.structure.atoms.resName, once.atoms.resName);
  for (let k = 0; k < once.coords.length; k++) assert.ok(Math.abs(twice.structure.coords[k] - once.coords[k]) < 1e-9);
  // names alone (no hydrogens): heavy atoms renamed, OXT kept, nothing added
  const renamed = addHydrogens(s, { hydrogens: false, names: 'charmm' });
  assert.equal(renamed.structure.atoms.count, s.atoms.count);
  assert.equal(renamed.report.added, 0);
  assert.ok(renamed.structure.atoms.name.includes('CD') && !renamed.structure.atoms.name.includes('CD1'), 'ILE CD');
  assert.equal(resName(renamed.structure, 4), 'HSE');
});
