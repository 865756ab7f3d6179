import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { bondAngleStats, clashReport } from '../../../src/core/metrics';
import { residuesOf } from '../../../src/core/structure/builder';
import type { Structure } from '../../../src/core/structure/types';
import { refineStructure, refineBackbone, _internal } from '../../../src/core/refine';

/** Deterministic noise (Park–Miller). */
function rng(seed: number) {
  let s = seed;
  return () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
}

const clone = (s: Structure): Structure => {
  const coords = Float64Array.from(s.coords);
  return { ...s, coords, models: [coords] };
};

function perturbed(seq: string, amp: number, seed = 7): { ideal: Structure; s: Structure } {
  const ideal = buildPeptide(seq, { phi: -65, psi: -40, chainId: 'A' });
  const s = clone(ideal);
  const r = rng(seed);
  for (let i = 0; i < s.atoms.count; i++) if (s.atoms.name[i] !== 'CA') for (let c = 0; c < 3; c++) s.coords[3 * i + c] += amp * r();
  return { ideal, s };
}

const caCoords = (s: Structure) => {
  const out: number[] = [];
  for (let i = 0; i < s.atoms.count; i++) if (s.atoms.name[i] === 'CA') out.push(s.coords[3 * i], s.coords[3 * i + 1], s.coords[3 * i + 2]);
  return out;
};

test('energy gradients match finite differences (bond, angle, dihedral, repulsion, tether)', () => {
  const { energy, newTerms } = _internal;
  const r = rng(3);
  const x = Float64Array.from({ length: 18 }, () => 3 * r());
  const t = newTerms();
  t.bonds.push(0, 1);
  t.bondRef.push(1.5, 3);
  t.angles.push(0, 1, 2);
  t.angleRef.push(1.9, 2);
  t.dihedrals.push(1, 2, 3, 4);
  t.dihedralRef.push(2.5, 1.7);
  t.repulsive.push(0, 5);
  t.repulsion = 10;
  t.repulsionK = 0.3;
  t.tether = new Float64Array(18);
  t.tetherK = 0.1;
  const mov = new Uint8Array(6).fill(1);
  const act = Int32Array.from([0, 1, 2, 3, 4, 5]);
  const g = new Float64Array(18);
  energy(x, t, g, mov, act);
  for (let q = 0; q < 18; q++) {
    const h = 1e-6;
    const xp = Float64Array.from(x);
    xp[q] += h;
    const xm = Float64Array.from(x);
    xm[q] -= h;
    const num = (energy(xp, t, null, mov, act) - energy(xm, t, null, mov, act)) / (2 * h);
    assert.ok(Math.abs(num - g[q]) < 1e-5, `component ${q}: analytic ${g[q]} vs numeric ${num}`);
  }
});

test('backbone refinement restores bonds and angles of a perturbed peptide and never moves CA', () => {
  const { s } = perturbed('MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ', 0.25);
  const before = bondAngleStats(s);
  const ca0 = caCoords(s);
  const rep = refineStructure(s, { backbone: true, clashes: false });
  const after = bondAngleStats(s);
  assert.deepEqual(caCoords(s), ca0, 'CA coordinates are bit-identical');
  assert.ok(rep.backbone && rep.backbone.energyAfter < 0.2 * rep.backbone.energyBefore, JSON.stringify(rep.backbone));
  assert.ok(after.bonds.rmsDev < 0.8 * before.bonds.rmsDev, `bond RMS deviation ${before.bonds.rmsDev} → ${after.bonds.rmsDev}`);
  assert.ok(after.angles.rmsDev < 0.8 * before.angles.rmsDev, `angle RMS deviation ${before.angles.rmsDev} → ${after.angles.rmsDev}`);
  assert.ok(after.bonds.outliers + after.angles.outliers < before.bonds.outliers + before.angles.outliers);
});

test('carbonyl O is optimised with N and C: C=O length, planarity and bisection improve toward ideal', () => {
  const { s } = perturbed('AGSLVEKA', 0.3, 11);
  const res = residuesOf(s.atoms);
  const at = (r: number, name: string) => {
    for (let i = res[r].start; i < res[r].end; i++) if (s.atoms.name[i] === name) return [s.coords[3 * i], s.coords[3 * i + 1], s.coords[3 * i + 2]];
    throw new Error(name);
  };
  const sub = (a: number[], b: number[]) => a.map((v, k) => v - b[k]);
  const norm = (a: number[]) => Math.hypot(a[0], a[1], a[2]);
  const dot = (a: number[], b: number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  const cross = (a: number[], b: number[]) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  /** Summed deviations of every inner carbonyl: |C=O − 1.231|, O out of the CA–C–N(+1) plane, |∠CA–C–O − ∠O–C–N| − 3.6°. */
  const carbonylError = () => {
    let len = 0, plane = 0, bisect = 0;
    for (let r = 0; r + 1 < res.length; r++) {
      const C = at(r, 'C'), O = at(r, 'O'), CA = at(r, 'CA'), N2 = at(r + 1, 'N');
      len += Math.abs(norm(sub(O, C)) - 1.231);
      const n = cross(sub(CA, C), sub(N2, C));
      plane += Math.abs(dot(n, sub(O, C))) / norm(n);
      const a1 = Math.acos(dot(sub(CA, C), sub(O, C)) / norm(sub(CA, C)) / norm(sub(O, C)));
      const a2 = Math.acos(dot(sub(N2, C), sub(O, C)) / norm(sub(N2, C)) / norm(sub(O, C)));
      bisect += Math.abs(Math.abs(a1 - a2) - (3.6 * Math.PI) / 180);
    }
    return { len, plane, bisect };
  };
  const before = carbonylError();
  const rep = refineBackbone(s);
  const after = carbonylError();
  assert.equal(rep?.oxygens, res.length - 1, 'every O with a following residue is optimised (the last moves with its C)');
  assert.ok(after.len < 0.3 * before.len, `C=O length error ${before.len} → ${after.len}`);
  assert.ok(after.plane < 0.75 * before.plane, `out-of-plane ${before.plane} → ${after.plane}`);
  assert.ok(after.bisect < 0.5 * before.bisect, `bisection ${before.bisect} → ${after.bisect}`);
});

test('backbone refinement is tethered: a near-ideal prediction keeps its place while its geometry improves', () => {
  // A model's backbone is already close (about 0.1 Å); refinement may mend its bonds but must not walk away from it.
  const { s } = perturbed('MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ', 0.06, 13);
  const start = Float64Array.from(s.coords);
  const before = bondAngleStats(s);
  refineStructure(s, { backbone: true, clashes: false });
  const after = bondAngleStats(s);
  let sq = 0, n = 0;
  for (let i = 0; i < s.atoms.count; i++)
    if (['N', 'C', 'O'].includes(s.atoms.name[i])) {
      for (let c = 0; c < 3; c++) sq += (s.coords[3 * i + c] - start[3 * i + c]) ** 2;
      n++;
    }
  assert.ok(Math.sqrt(sq / n) < 0.06, `backbone moved ${Math.sqrt(sq / n).toFixed(3)} Å RMS`);
  assert.ok(after.bonds.rmsDev < 0.8 * before.bonds.rmsDev, `bond RMS deviation ${before.bonds.rmsDev} → ${after.bonds.rmsDev}`);
});

test('side-chain idealisation: a GLU carboxylate pulled in between its candidates gets its bonds back; CB and backbone stay', () => {
  const ideal = buildPeptide('AKEDRQNA', { phi: -65, psi: -40, chainId: 'A' });
  const s = clone(ideal);
  const res = residuesOf(s.atoms);
  const find = (r: number, name: string) => {
    for (let i = res[r].start; i < res[r].end; i++) if (s.atoms.name[i] === name) return i;
    throw new Error(name);
  };
  // The hedged output of a network: both oxygens 30 % of the way toward their mean (C=O about 1.0 Å).
  const [cd, oe1, oe2] = [find(2, 'CD'), find(2, 'OE1'), find(2, 'OE2')];
  for (let c = 0; c < 3; c++) {
    const m = (s.coords[3 * oe1 + c] + s.coords[3 * oe2 + c]) / 2;
    s.coords[3 * oe1 + c] += 0.3 * (m - s.coords[3 * oe1 + c]);
    s.coords[3 * oe2 + c] += 0.3 * (m - s.coords[3 * oe2 + c]);
  }
  const d = (i: number, j: number) => Math.hypot(s.coords[3 * i] - s.coords[3 * j], s.coords[3 * i + 1] - s.coords[3 * j + 1], s.coords[3 * i + 2] - s.coords[3 * j + 2]);
  const before = bondAngleStats(s);
  assert.ok(before.bonds.outliers >= 2 && d(cd, oe1) < 1.15, `planted: C–O ${d(cd, oe1)}`);
  const fixed = new Set(['N', 'CA', 'C', 'O', 'CB']);
  const kept = () => { const v: number[] = []; for (let i = 0; i < s.atoms.count; i++) if (fixed.has(s.atoms.name[i])) v.push(s.coords[3 * i], s.coords[3 * i + 1], s.coords[3 * i + 2]); return v; };
  const k0 = kept();
  const rep = refineStructure(s, { backbone: false, clashes: false, sidechains: true });
  const after = bondAngleStats(s);
  assert.deepEqual(kept(), k0, 'backbone and CB are bit-identical');
  assert.equal(after.bonds.outliers + after.angles.outliers, 0, JSON.stringify(after.worst?.slice(0, 3)));
  assert.ok(Math.abs(d(cd, oe1) - 1.25) < 0.03 && Math.abs(d(cd, oe2) - 1.25) < 0.03, `C–O ${d(cd, oe1)} ${d(cd, oe2)}`);
  assert.ok(rep.sidechains && rep.sidechains.atomsMoved > 0 && rep.sidechains.maxShift < 0.5, JSON.stringify(rep.sidechains));
  // Untouched side chains (already ideal) barely move.
  const nz = find(1, 'NZ');
  assert.ok(Math.hypot(s.coords[3 * nz] - ideal.coords[3 * nz], s.coords[3 * nz + 1] - ideal.coords[3 * nz + 1], s.coords[3 * nz + 2] - ideal.coords[3 * nz + 2]) < 1e-3);
});

test('predicted φ/ψ pull the backbone towards them', () => {
  const ideal = buildPeptide('AAAAAAAAAA', { phi: -65, psi: -40 });
  const s = clone(ideal);
  const nres = residuesOf(s.atoms).length;
  // Ask for β-strand torsions; CA stay fixed, so only a partial move is possible — it must go the right way.
  const tor = new Float32Array(nres * 4);
  const phi = (-120 * Math.PI) / 180;
  const psi = (130 * Math.PI) / 180;
  for (let k = 0; k < nres; k++) tor.set([Math.cos(phi), Math.sin(phi), Math.cos(psi), Math.sin(psi)], 4 * k);
  const ca0 = caCoords(s);
  const r0 = refineBackbone(clone(ideal));
  const r1 = refineBackbone(s, { torsions: tor });
  assert.deepEqual(caCoords(s), ca0);
  assert.ok(r1 && r0 && r1.energyBefore > r0.energyBefore, 'torsion restraints add energy for a helix asked to be a strand');
  assert.ok(r1.energyAfter < r1.energyBefore);
});

test('clash relief removes heavy-atom clashes by moving side chains only, CA fixed', () => {
  const { s } = perturbed('KLVEYFWRDLQHMNSTKAIE', 0.05, 5);
  // Drop a side-chain atom of residue 3 onto the CB of residue 9 region: a hard clash (< 1.2 Å).
  const res = residuesOf(s.atoms);
  const find = (r: number, name: string) => {
    for (let i = res[r].start; i < res[r].end; i++) if (s.atoms.name[i] === name) return i;
    throw new Error(name);
  };
  const mover = find(2, 'CG1'); // VAL
  const target = find(6, 'CG'); // TRP
  for (let c = 0; c < 3; c++) s.coords[3 * mover + c] = s.coords[3 * target + c] + (c === 0 ? 0.7 : 0.2);
  const before = clashReport(s);
  assert.ok(before.pairs > 0, 'the test structure clashes');
  const ca0 = caCoords(s);
  const bb0: number[] = [];
  for (let i = 0; i < s.atoms.count; i++) if (['N', 'C', 'O'].includes(s.atoms.name[i])) bb0.push(s.coords[3 * i]);
  const rep = refineStructure(s, { backbone: false, clashes: true });
  const after = clashReport(s);
  assert.equal(after.pairs, 0, `clashing pairs ${before.pairs} → ${after.pairs} (${JSON.stringify(rep.clashes)})`);
  assert.deepEqual(caCoords(s), ca0);
  const bb1: number[] = [];
  for (let i = 0; i < s.atoms.count; i++) if (['N', 'C', 'O'].includes(s.atoms.name[i])) bb1.push(s.coords[3 * i]);
  assert.deepEqual(bb1, bb0, 'backbone atoms are not moved by clash relief');
  assert.ok(rep.clashes && rep.clashes.maxShift < 3, 'atoms move only locally');
});
