// The C-alpha trace relaxation between a UCG → C-alpha stage and the C-alpha model (src/core/ucg/relax.ts): a valid
// trace is left as it is, two CA atoms on top of each other are separated into a valid trace, and neither a chain
// break (another chain id) nor a gap in the numbering is pulled together as if it were a bond.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StructureBuilder } from '../../../src/core/structure/builder';
import type { Structure } from '../../../src/core/structure/types';
import { CA_TRACE, relaxCaTrace } from '../../../src/core/ucg/relax';

type P = [number, number, number];

/**
 * An α-helix-like trace with CA–CA exactly 3.8 Å: radius from the twist (100°) and rise (1.5 Å), which makes
 * CA(i)–CA(i+2) 5.4 Å, CA(i)–CA(i+3) 5.0 Å and every other pair farther (no constraint active).
 */
function helix(n: number, origin: P = [0, 0, 0]): P[] {
  const twist = (100 * Math.PI) / 180, rise = 1.5;
  const r = Math.sqrt((CA_TRACE.bond ** 2 - rise ** 2) / (2 * (1 - Math.cos(twist))));
  return Array.from({ length: n }, (_, i) => [origin[0] + r * Math.cos(i * twist), origin[1] + r * Math.sin(i * twist), origin[2] + i * rise]);
}

function trace(points: P[], chains?: string[], numbers?: number[]): Structure {
  const b = new StructureBuilder();
  points.forEach(([x, y, z], i) => b.addAtom({ name: 'CA', resName: 'ALA', element: 'C', chainId: chains?.[i] ?? 'A', resSeq: numbers?.[i] ?? i + 1, x, y, z }));
  return b.build('trace.pdb');
}

const dist = (s: Structure, i: number, j: number) =>
  Math.hypot(s.coords[3 * i] - s.coords[3 * j], s.coords[3 * i + 1] - s.coords[3 * j + 1], s.coords[3 * i + 2] - s.coords[3 * j + 2]);

function largestMove(before: Float64Array, after: Float64Array): number {
  let m = 0;
  for (let i = 0; i < before.length; i += 3) m = Math.max(m, Math.hypot(after[i] - before[i], after[i + 1] - before[i + 1], after[i + 2] - before[i + 2]));
  return m;
}

test('a valid trace (3.8 Å steps, no close pairs) is left where it is', () => {
  const s = trace(helix(20));
  // The test trace really is valid: bonds 3.8 Å, i+2 ≥ 4.8 Å, every other pair ≥ 4.0 Å.
  for (let i = 0; i < 20; i++)
    for (let j = i + 1; j < 20; j++) {
      const d = dist(s, i, j);
      if (j === i + 1) assert.ok(Math.abs(d - 3.8) < 1e-9);
      else assert.ok(d >= (j === i + 2 ? CA_TRACE.i2 : CA_TRACE.contact), `${i}–${j} ${d}`);
    }
  const before = Float64Array.from(s.coords);
  const r = relaxCaTrace(s);
  const moved = largestMove(before, s.coords);
  assert.ok(moved < 1e-6, `moved ${moved} Å`);
  assert.ok(r.maxMove < 1e-6 && r.rmsMove < 1e-6);
  assert.deepEqual([r.violationsBefore, r.violationsAfter], [0, 0]);
});

test('two CA atoms on top of each other are separated: after, no non-bonded pair under 3.9 Å and bonds 3.8 ± 0.05 Å', () => {
  const points = helix(16);
  points[9] = [...points[2]]; // residue 10 lands exactly on residue 3 (a typical failure of a UCG → C-alpha model)
  const s = trace(points);
  assert.equal(dist(s, 2, 9), 0);
  const before = Float64Array.from(s.coords);
  const r = relaxCaTrace(s);
  assert.ok(r.violationsBefore > 0, 'the overlap counts as a violation');
  assert.equal(r.violationsAfter, 0);
  for (let i = 0; i < 16; i++)
    for (let j = i + 1; j < 16; j++) {
      const d = dist(s, i, j);
      if (j === i + 1) assert.ok(Math.abs(d - 3.8) <= 0.05, `bond ${i + 1}–${j + 1}: ${d.toFixed(3)} Å`);
      else assert.ok(d >= 3.9, `non-bonded ${i + 1}–${j + 1}: ${d.toFixed(3)} Å`);
    }
  assert.ok(Math.abs(r.maxMove - largestMove(before, s.coords)) < 1e-9, 'the report says how far the trace moved');
  assert.ok(r.maxMove > 1, 'the overlapping atoms had to move apart');
});

test('only CA atoms move: other atoms of the structure are left', () => {
  const b = new StructureBuilder();
  const pts = helix(6);
  pts[4] = [...pts[1]];
  pts.forEach(([x, y, z], i) => {
    b.addAtom({ name: 'CA', resName: 'ALA', element: 'C', chainId: 'A', resSeq: i + 1, x, y, z });
    b.addAtom({ name: 'CB', resName: 'ALA', element: 'C', chainId: 'A', resSeq: i + 1, x: x + 1, y, z });
  });
  const s = b.build('x.pdb');
  const before = Float64Array.from(s.coords);
  relaxCaTrace(s);
  for (let i = 0; i < s.atoms.count; i++) {
    if (s.atoms.name[i] !== 'CB') continue;
    for (let c = 0; c < 3; c++) assert.equal(s.coords[3 * i + c], before[3 * i + c]);
  }
  assert.ok(largestMove(before, s.coords) > 1, 'the overlapping CA atoms moved');
});

test('a chain break (another chain id) is not linked: its ends stay 6 Å apart instead of being pulled to 3.8 Å', () => {
  // Chain B continues A's helix after a longer step along the axis, so that A's last and B's first CA are 6 Å apart.
  const lateral = CA_TRACE.bond ** 2 - 1.5 ** 2; // squared in-plane part of a step (rise 1.5 Å)
  const extra = Math.sqrt(36 - lateral) - 1.5;
  const pts = helix(16).map(([x, y, z], i) => [x, y, i >= 8 ? z + extra : z] as P);
  const [a, bb] = [pts.slice(0, 8), pts.slice(8)];
  const s = trace([...a, ...bb], [...Array(8).fill('A'), ...Array(8).fill('B')], [...Array.from({ length: 8 }, (_, i) => i + 1), ...Array.from({ length: 8 }, (_, i) => i + 9)]);
  assert.ok(Math.abs(dist(s, 7, 8) - 6) < 1e-9);
  // Every pair between the chains is at least 4.0 Å apart, so nothing at all should move.
  for (let i = 0; i < 8; i++) for (let j = 8; j < 16; j++) assert.ok(dist(s, i, j) >= CA_TRACE.contact, `A${i + 1}–B${j + 1}: ${dist(s, i, j)}`);
  const before = Float64Array.from(s.coords);
  const r = relaxCaTrace(s);
  assert.ok(Math.abs(dist(s, 7, 8) - 6) < 1e-6, `the chain ends are ${dist(s, 7, 8).toFixed(3)} Å apart after`);
  assert.ok(largestMove(before, s.coords) < 1e-6);
  assert.equal(r.violationsBefore, 0);

  // Same chain id with a gap in the numbering: a break too.
  const gap = trace([...a, ...bb], Array(16).fill('A'), [...Array.from({ length: 8 }, (_, i) => i + 1), ...Array.from({ length: 8 }, (_, i) => i + 20)]);
  relaxCaTrace(gap);
  assert.ok(Math.abs(dist(gap, 7, 8) - 6) < 1e-6, 'a numbering gap is not linked');

  // Control: the same coordinates as one chain numbered without a gap are linked and pulled to 3.8 Å.
  const joined = trace([...a, ...bb], Array(16).fill('A'));
  relaxCaTrace(joined);
  assert.ok(Math.abs(dist(joined, 7, 8) - 3.8) < 0.05, `linked ends: ${dist(joined, 7, 8).toFixed(3)} Å`);
});

test('chain ends in contact across a break are pushed to the contact distance, not to a bond length', () => {
  const a = helix(6);
  const b = helix(6).map(([x, y, z]) => [x + 3, y, z + 20] as P);
  // B's first CA 2.5 Å from A's last: a contact (≥ 4.0 Å), not a bond (3.8 Å).
  const off: P = [a[5][0] + 2.5 - b[0][0], a[5][1] - b[0][1], a[5][2] - b[0][2]];
  const bb = b.map(([x, y, z]) => [x + off[0], y + off[1], z + off[2]] as P);
  const s = trace([...a, ...bb], [...Array(6).fill('A'), ...Array(6).fill('B')]);
  relaxCaTrace(s);
  const d = dist(s, 5, 6);
  assert.ok(d >= 3.9 && d < 4.1, `ends across the break: ${d.toFixed(3)} Å`);
});
