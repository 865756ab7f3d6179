import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { RESIDUES, ONE_TO_THREE, backboneIdeal, BACKBONE } from '../../../src/core/chemistry/amino-acids';
import { idealGeometry } from '../../../src/core/chemistry/ideal';
import { residuesOf } from '../../../src/core/structure/builder';
import { dihedralAt, distanceAt, angleAt, angleDiff } from '../../../src/core/geometry/dihedral';
import { InputError } from '../../../src/core/errors';
import type { Structure, Residue } from '../../../src/core/structure/types';
import { rng } from '../../helpers/rng';

const ALL20 = 'ACDEFGHIKLMNPQRSTVWY';
const near = (a: number, b: number, tol: number, msg: string) => assert.ok(Math.abs(a - b) <= tol, `${msg}: ${a} vs ${b}`);

function atomIndex(s: Structure, r: Residue): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = r.start; i < r.end; i++) m.set(s.atoms.name[i], i);
  return m;
}

test('buildPeptide: atoms, names, elements, OXT only on the last residue', () => {
  const s = buildPeptide(ALL20, { chainId: 'B' });
  const res = residuesOf(s.atoms);
  assert.equal(res.length, 20);
  let expected = 0;
  for (const r of res) {
    const t = RESIDUES[r.resName];
    const names = s.atoms.name.slice(r.start, r.end);
    const wantNames = r.index === 19 ? [...t.atoms, 'OXT'] : t.atoms;
    assert.deepEqual(names, wantNames, r.resName);
    expected += wantNames.length;
    assert.equal(r.chainId, 'B');
    assert.equal(r.resSeq, r.index + 1);
  }
  assert.equal(s.atoms.count, expected);
  for (let i = 0; i < s.atoms.count; i++) assert.equal(s.atoms.element[i], s.atoms.name[i][0]);
  assert.ok(s.coords.every(Number.isFinite));
});

test('buildPeptide: bond lengths and angles equal the Engh–Huber table values', () => {
  const s = buildPeptide(ALL20 + ALL20, { phi: -65, psi: 140 });
  const res = residuesOf(s.atoms);
  let checked = 0;
  for (const r of res) {
    const m = atomIndex(s, r);
    const bb = backboneIdeal(r.resName);
    const t = RESIDUES[r.resName];
    near(distanceAt(s.coords, m.get('N')!, m.get('CA')!), bb.nCa, 1e-9, 'N-CA');
    near(distanceAt(s.coords, m.get('CA')!, m.get('C')!), bb.caC, 1e-9, 'CA-C');
    near(distanceAt(s.coords, m.get('C')!, m.get('O')!), bb.cO, 1e-9, 'C-O');
    near(angleAt(s.coords, m.get('N')!, m.get('CA')!, m.get('C')!), bb.nCaC, 1e-9, 'N-CA-C');
    near(angleAt(s.coords, m.get('CA')!, m.get('C')!, m.get('O')!), bb.caCO, 1e-9, 'CA-C-O');
    if (t.name3 !== 'GLY') {
      near(distanceAt(s.coords, m.get('CA')!, m.get('CB')!), bb.caCb, 1e-9, 'CA-CB');
      near(angleAt(s.coords, m.get('N')!, m.get('CA')!, m.get('CB')!), bb.nCaCb, 1e-9, `${r.resName} N-CA-CB`);
      near(angleAt(s.coords, m.get('C')!, m.get('CA')!, m.get('CB')!), bb.cCaCb, 1e-9, `${r.resName} C-CA-CB`);
    }
    for (const ic of t.sidechain) {
      near(distanceAt(s.coords, m.get(ic.c)!, m.get(ic.name)!), ic.bond, 1e-9, `${r.resName} ${ic.c}-${ic.name}`);
      near(angleAt(s.coords, m.get(ic.b)!, m.get(ic.c)!, m.get(ic.name)!), ic.angle, 1e-9, `${r.resName} ${ic.b}-${ic.c}-${ic.name}`);
      checked++;
    }
    if (r.index > 0) {
      const p = atomIndex(s, res[r.index - 1]);
      near(distanceAt(s.coords, p.get('C')!, m.get('N')!), bb.cN, 1e-9, 'C-N');
      near(angleAt(s.coords, p.get('C')!, m.get('N')!, m.get('CA')!), bb.cNCa, 1e-9, 'C-N-CA');
      near(angleAt(s.coords, p.get('CA')!, p.get('C')!, m.get('N')!), backboneIdeal(res[r.index - 1].resName).caCN, 1e-9, 'CA-C-N');
      near(angleDiff(dihedralAt(s.coords, p.get('CA')!, p.get('C')!, m.get('N')!, m.get('CA')!), 180), 0, 1e-9, 'omega');
    }
    // ring closures: close to chemically sensible lengths (they are not built from the table)
    if (t.name3 === 'PRO') near(distanceAt(s.coords, m.get('CD')!, m.get('N')!), 1.473, 1e-6, 'PRO CD-N');
    if (t.name3 === 'PHE' || t.name3 === 'TYR') near(distanceAt(s.coords, m.get('CE2')!, m.get('CZ')!), 1.38, 0.02, 'ring CE2-CZ');
    if (t.name3 === 'HIS') near(distanceAt(s.coords, m.get('CE1')!, m.get('NE2')!), 1.32, 0.04, 'HIS CE1-NE2');
    if (t.name3 === 'TRP') {
      near(distanceAt(s.coords, m.get('NE1')!, m.get('CE2')!), 1.37, 0.04, 'TRP NE1-CE2');
      near(distanceAt(s.coords, m.get('CZ3')!, m.get('CH2')!), 1.40, 0.04, 'TRP CZ3-CH2');
    }
  }
  assert.ok(checked > 100);
});

test('buildPeptide: φ/ψ/ω/χ read back equal the requested ones', () => {
  const r = rng(7);
  const seq = ALL20 + ALL20;
  const n = seq.length;
  const phi = Array.from({ length: n }, () => -180 + 360 * r());
  const psi = Array.from({ length: n }, () => -180 + 360 * r());
  const omega = Array.from({ length: n }, () => (r() < 0.2 ? 0 : 175 + 10 * r()));
  const chi = Array.from({ length: n }, () => [0, 0, 0, 0].map(() => -180 + 360 * r()));
  const s = buildPeptide(seq, { phi, psi, omega, chi });
  const res = residuesOf(s.atoms);
  let n4 = 0;
  for (const rr of res) {
    const m = atomIndex(s, rr);
    const i = rr.index;
    if (i > 0) {
      const p = atomIndex(s, res[i - 1]);
      near(angleDiff(dihedralAt(s.coords, p.get('C')!, m.get('N')!, m.get('CA')!, m.get('C')!), phi[i]), 0, 1e-7, `phi ${i}`);
      near(angleDiff(dihedralAt(s.coords, p.get('CA')!, p.get('C')!, m.get('N')!, m.get('CA')!), omega[i]), 0, 1e-7, `omega ${i}`);
    }
    if (i < n - 1) {
      const q = atomIndex(s, res[i + 1]);
      near(angleDiff(dihedralAt(s.coords, m.get('N')!, m.get('CA')!, m.get('C')!, q.get('N')!), psi[i]), 0, 1e-7, `psi ${i}`);
    } else {
      near(angleDiff(dihedralAt(s.coords, m.get('N')!, m.get('CA')!, m.get('C')!, m.get('OXT')!), psi[i]), 0, 1e-7, 'psi via OXT');
    }
    const t = RESIDUES[rr.resName];
    t.chis.forEach((names, k) => {
      if (t.name3 === 'PRO' && k === 1) return; // χ2 closes the ring
      const v = dihedralAt(s.coords, m.get(names[0])!, m.get(names[1])!, m.get(names[2])!, m.get(names[3])!);
      near(angleDiff(v, t.name3 === 'PRO' ? chi[i][k] : chi[i][k]), 0, 1e-7, `${t.name3} chi${k + 1}`);
      n4++;
    });
  }
  assert.ok(n4 > 50);
});

test('buildPeptide: L-chirality at CA and default helix handedness', () => {
  const s = buildPeptide(ALL20);
  const res = residuesOf(s.atoms);
  for (const r of res) {
    if (r.resName === 'GLY') continue;
    const m = atomIndex(s, r);
    // improper C-N-CA-CB ≈ -122° for L amino acids (≈ +122° would be D)
    near(dihedralAt(s.coords, m.get('C')!, m.get('N')!, m.get('CA')!, m.get('CB')!), -122, 4, `${r.resName} chirality`);
  }
  const ca = res.map((r) => atomIndex(s, r).get('CA')!);
  // right-handed α-helix: CA(i..i+3) virtual dihedral ≈ +50°
  near(dihedralAt(s.coords, ca[3], ca[4], ca[5], ca[6]), 50, 5, 'CA virtual dihedral');
  near(distanceAt(s.coords, ca[3], ca[6]), 5.0, 0.5, 'CA i,i+3');
});

test('buildPeptide: a 30-residue helix with all 20 amino acids has no clashes', () => {
  const seq = 'SPEDLIKKFAEWLRHCMNYQTVGAELKKLA';
  assert.equal(new Set(seq).size, 20);
  // residue 1 precedes a proline: ψ ≈ 150 (pre-Pro residues avoid α, whose N(i-1)…CD(i) contact is 2.5 Å)
  const s = buildPeptide(seq, { psi: [150, ...Array(29).fill(-47)] });
  const n = s.atoms.count;
  // bond graph: topology bonds + peptide bonds; pairs ≥ 4 bonds apart must be ≥ 2.6 Å apart
  const res = residuesOf(s.atoms);
  const adj: number[][] = Array.from({ length: n }, () => []);
  for (const r of res) {
    const m = atomIndex(s, r);
    const bonds = [...RESIDUES[r.resName].bonds];
    if (m.has('OXT')) bonds.push(['C', 'OXT']);
    for (const [a, b] of bonds) { adj[m.get(a)!].push(m.get(b)!); adj[m.get(b)!].push(m.get(a)!); }
    if (r.index > 0) {
      const c = atomIndex(s, res[r.index - 1]).get('C')!, nn = m.get('N')!;
      adj[c].push(nn); adj[nn].push(c);
    }
  }
  let min = Infinity, pair = '';
  for (let i = 0; i < n; i++) {
    const dist = new Map<number, number>([[i, 0]]);
    let frontier = [i];
    for (let d = 1; d <= 3; d++) {
      const next: number[] = [];
      for (const u of frontier) for (const v of adj[u]) if (!dist.has(v)) { dist.set(v, d); next.push(v); }
      frontier = next;
    }
    for (let j = i + 1; j < n; j++) {
      if (dist.has(j)) continue;
      const d = distanceAt(s.coords, i, j);
      if (d < min) { min = d; pair = `${s.atoms.resName[i]}${s.atoms.resSeq[i]}:${s.atoms.name[i]}-${s.atoms.resName[j]}${s.atoms.resSeq[j]}:${s.atoms.name[j]}`; }
    }
  }
  assert.ok(min >= 2.6, `closest non-bonded pair ${pair} at ${min.toFixed(2)} Å`);
});

test('buildPeptide: input errors and options', () => {
  assert.throws(() => buildPeptide('ACXZ'), (e: unknown) => e instanceof InputError && /'X' at position 3/.test((e as Error).message));
  assert.throws(() => buildPeptide('  '), InputError);
  assert.throws(() => buildPeptide('AAA', { phi: [1, 2] }), InputError);
  const s = buildPeptide('a c d', { firstResSeq: 10 });
  assert.equal(residuesOf(s.atoms).map((r) => r.resSeq).join(','), '10,11,12');
  assert.equal(Object.keys(ONE_TO_THREE).length, 20);
  assert.equal(BACKBONE.cN, 1.329);
});

test('idealGeometry: every residue has bond/angle ideals in sensible ranges', () => {
  for (const name3 of Object.keys(RESIDUES)) {
    const g = idealGeometry(name3);
    const heavy = RESIDUES[name3].atoms.length;
    assert.ok(g.bonds.length >= heavy, name3); // tree bonds + peptide + OXT (+ ring closures)
    for (const b of g.bonds) assert.ok(b.ideal > 1.2 && b.ideal < 1.85, `${name3} ${b.a.name}-${b.b.name} ${b.ideal}`);
    for (const a of g.angles) assert.ok(a.ideal > 100 && a.ideal < 135, `${name3} ${a.a.name}-${a.b.name}-${a.c.name} ${a.ideal}`);
  }
});
