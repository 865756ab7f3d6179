import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kabsch, applyTransform, quaternionToMatrix } from '../../../src/core/geometry/kabsch';
import { dihedral, angle, distance, angleDiff } from '../../../src/core/geometry/dihedral';
import { cellListNeighbors, bruteForceNeighbors } from '../../../src/core/geometry/neighbors';
import { rotationAbout } from '../../../src/core/geometry/vec';
import { InputError } from '../../../src/core/errors';
import { rng } from '../../helpers/rng';

const det3 = (R: number[]) =>
  R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) + R[2] * (R[3] * R[7] - R[4] * R[6]);

function randomRotation(r: () => number): number[] {
  return quaternionToMatrix([r() - 0.5, r() - 0.5, r() - 0.5, r() - 0.5]);
}

test('kabsch recovers a rigid motion exactly', () => {
  const r = rng(1);
  const P = new Float64Array(3 * 50).map(() => 20 * r() - 10);
  const R = randomRotation(r);
  const Q = applyTransform(P, { R, t: [3, -7, 11] }, new Float64Array(P.length));
  const res = kabsch(P, Q);
  assert.ok(res.rmsd < 1e-9, `rmsd ${res.rmsd}`);
  for (let k = 0; k < 9; k++) assert.ok(Math.abs(res.R[k] - R[k]) < 1e-9);
  assert.ok(Math.abs(det3(res.R) - 1) < 1e-12);
});

test('kabsch: many random rotations and every 180° rotation axis (fast path and fallback)', () => {
  const r = rng(11);
  const P = new Float64Array(3 * 7).map(() => 10 * r() - 5);
  const axes = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 1], [1, 1, 1]];
  const rots = [...axes.map((a) => rotationAbout(a, 180)), ...axes.map((a) => rotationAbout(a, 179.9999)), ...Array.from({ length: 300 }, () => randomRotation(r))];
  for (const R of rots) {
    const Q = applyTransform(P, { R, t: [1, -2, 3] }, new Float64Array(P.length));
    const k = kabsch(P, Q);
    assert.ok(k.rmsd < 1e-8, `rmsd ${k.rmsd}`);
    for (let i = 0; i < 9; i++) assert.ok(Math.abs(k.R[i] - R[i]) < 1e-8);
  }
});

test('kabsch never reflects: a mirror image keeps det +1 and a non-zero rmsd', () => {
  const r = rng(2);
  const P = new Float64Array(3 * 20).map(() => 10 * r());
  const Q = P.slice();
  for (let i = 0; i < 20; i++) Q[3 * i] = -Q[3 * i]; // mirror in x
  const res = kabsch(P, Q);
  assert.ok(Math.abs(det3(res.R) - 1) < 1e-12);
  assert.ok(res.rmsd > 0.1);
});

test('kabsch is robust for degenerate sets (1 point, 2 points, colinear)', () => {
  const one = kabsch([1, 2, 3], [4, 5, 6]);
  assert.ok(one.rmsd < 1e-12);
  assert.deepEqual(one.t.map((x) => Math.round(x * 1e9) / 1e9), [3, 3, 3]);
  const P = [0, 0, 0, 1, 0, 0];
  const Q = [5, 5, 5, 5, 6, 5];
  const two = kabsch(P, Q);
  assert.ok(two.rmsd < 1e-9, `rmsd ${two.rmsd}`);
  assert.ok(Math.abs(det3(two.R) - 1) < 1e-12);
  const line = [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3];
  const R = rotationAbout([1, 2, 3], 70);
  const moved = applyTransform(new Float64Array(line), { R, t: [1, 1, 1] }, new Float64Array(12));
  const lr = kabsch(line, moved);
  assert.ok(lr.rmsd < 1e-9);
  assert.ok(Math.abs(det3(lr.R) - 1) < 1e-12);
});

test('kabsch weights: zero-weight points are ignored', () => {
  const r = rng(3);
  const P = new Float64Array(3 * 10).map(() => 10 * r());
  const R = randomRotation(r);
  const Q = applyTransform(P, { R, t: [1, 2, 3] }, new Float64Array(P.length));
  Q[0] += 50; // corrupt point 0
  const w = new Float64Array(10).fill(1);
  w[0] = 0;
  assert.ok(kabsch(P, Q, w).rmsd < 1e-9);
  assert.ok(kabsch(P, Q).rmsd > 1);
});

test('dihedral, angle, distance known values', () => {
  const a = [1, 0, 0], b = [0, 0, 0], c = [0, 0, 1];
  assert.ok(Math.abs(dihedral(a, b, c, [1, 0, 1]) - 0) < 1e-12);
  assert.ok(Math.abs(Math.abs(dihedral(a, b, c, [-1, 0, 1])) - 180) < 1e-12);
  // IUPAC: looking from b along b->c (+z), the front bond b->a (+x) turned clockwise (< 180°) onto
  // c->d is positive; seen looking along +z, +x -> +y is clockwise.
  assert.ok(Math.abs(dihedral(a, b, c, [0, 1, 1]) - 90) < 1e-12, String(dihedral(a, b, c, [0, 1, 1])));
  assert.ok(Math.abs(dihedral(a, b, c, [0, -1, 1]) + 90) < 1e-12);
  assert.ok(Math.abs(dihedral(a, b, c, [Math.cos(Math.PI / 3), Math.sin(Math.PI / 3), 3]) - 60) < 1e-9);
  assert.ok(Number.isNaN(dihedral([0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 1, 0])));
  assert.ok(Math.abs(angle([1, 0, 0], [0, 0, 0], [0, 1, 0]) - 90) < 1e-12);
  assert.ok(Math.abs(angle([1, 0, 0], [0, 0, 0], [-1, 1e-9, 0]) - 180) < 1e-6);
  assert.equal(distance([0, 0, 0], [3, 4, 0]), 5);
  assert.equal(angleDiff(170, -170), -20);
  assert.equal(angleDiff(-170, 170), 20);
});

test('cellListNeighbors matches brute force (ordering by distance then index)', () => {
  const r = rng(4);
  const n = 600;
  const c = new Float64Array(3 * n).map(() => 25 * r());
  // exact duplicates and ties
  c.set([1, 1, 1], 0); c.set([1, 1, 1], 3); c.set([2, 1, 1], 6); c.set([0, 1, 1], 9);
  for (const [cut, K] of [[4, 8], [6, 40], [2.5, 1], [30, 5]] as const) {
    const a = cellListNeighbors(c, cut, K);
    const b = bruteForceNeighbors(c, cut, K);
    assert.deepEqual(a.count, b.count, `count cut=${cut}`);
    assert.deepEqual(a.index, b.index, `index cut=${cut}`);
  }
  const t = cellListNeighbors(c, 4, 8);
  assert.deepEqual(Array.from(t.index.subarray(0, 3)), [1, 2, 3]); // d=0, then ties at 1 by index
});

test('cellListNeighbors on a sparse system (far clusters) and Float32 input', () => {
  const c = new Float32Array([0, 0, 0, 1, 0, 0, 1e5, 1e5, 1e5, 1e5 + 1.5, 1e5, 1e5]);
  const nb = cellListNeighbors(c, 2, 3);
  assert.deepEqual(Array.from(nb.count), [1, 1, 1, 1]);
  assert.deepEqual(Array.from(nb.index), [1, -1, -1, 0, -1, -1, 3, -1, -1, 2, -1, -1]);
});

test('cellListNeighbors rejects NaN coordinates with an InputError', () => {
  const c = new Float64Array([0, 0, 0, NaN, 0, 0]);
  assert.throws(() => cellListNeighbors(c, 2, 3, 'x.pdb'), (e: unknown) => e instanceof InputError && /x\.pdb.*atom\/bead 2/.test((e as Error).message));
});

test('cellListNeighbors handles 1M points', { timeout: 120_000 }, () => {
  const n = 1_000_000;
  const side = 100; // 100^3 grid, spacing 3.8 Å like CA-CA
  const c = new Float64Array(3 * n);
  const r = rng(5);
  for (let i = 0; i < n; i++) {
    c[3 * i] = 3.8 * (i % side) + 0.3 * r();
    c[3 * i + 1] = 3.8 * (Math.floor(i / side) % side) + 0.3 * r();
    c[3 * i + 2] = 3.8 * Math.floor(i / (side * side)) + 0.3 * r();
  }
  const t0 = performance.now();
  const nb = cellListNeighbors(c, 8, 16);
  const ms = performance.now() - t0;
  assert.equal(nb.count.length, n);
  // an interior point has 6 nearest neighbours at ~3.8 Å, and 16 within 8 Å are always found
  const mid = 50 + 50 * side + 50 * side * side;
  assert.equal(nb.count[mid], 16);
  const d = (i: number, j: number) => Math.hypot(c[3 * i] - c[3 * j], c[3 * i + 1] - c[3 * j + 1], c[3 * i + 2] - c[3 * j + 2]);
  for (let k = 1; k < 16; k++) assert.ok(d(mid, nb.index[mid * 16 + k - 1]) <= d(mid, nb.index[mid * 16 + k]));
  console.log(`# cellListNeighbors 1M points, cutoff 8, K 16: ${ms.toFixed(0)} ms`);
});
