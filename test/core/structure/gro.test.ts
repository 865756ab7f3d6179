import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGro, formatGro } from '../../../src/core/structure/gro';
import { StructureBuilder } from '../../../src/core/structure/builder';
import { assertInputError } from '../../helpers/io';

const F = 'test.gro';
const groAtom = (resnr: number, res: string, name: string, nr: number, x: number, y: number, z: number, vel = '') =>
  `${String(resnr % 100000).padStart(5)}${res.padEnd(5)}${name.padStart(5)}${String(nr % 100000).padStart(5)}${x.toFixed(3).padStart(8)}${y.toFixed(3).padStart(8)}${z.toFixed(3).padStart(8)}${vel}`;

const small = [
  'Two residues t= 0.0',
  '    5',
  groAtom(1, 'MET', 'BB', 1, 4.924, 4.903, 1.039, '  0.1000 -0.2000  0.3000'),
  groAtom(1, 'MET', 'SC1', 2, 4.711, 4.697, 1.312),
  groAtom(2, 'GLN', 'BB', 3, 4.797, 5.155, 1.127),
  groAtom(2, 'GLN', 'SC1', 4, 4.6, 5.3, 1.2),
  groAtom(3, 'NA', 'NA', 5, 1.0, 1.0, 1.0),
  '   6.95352   6.95352   4.91688   0.00000   0.00000   0.00000   0.00000   3.47676   3.47676',
];

test('parseGro: nm -> Å, names, residues, velocities ignored, triclinic box', () => {
  const s = parseGro(small.join('\n') + '\n', F);
  assert.equal(s.atoms.count, 5);
  assert.equal(s.title, 'Two residues t= 0.0');
  assert.deepEqual(Array.from(s.coords.slice(0, 3)), [49.24, 49.03, 10.39]);
  assert.deepEqual(s.atoms.name, ['BB', 'SC1', 'BB', 'SC1', 'NA']);
  assert.deepEqual(Array.from(s.atoms.resSeq), [1, 1, 2, 2, 3]);
  assert.equal(s.atoms.resName[2], 'GLN');
  assert.equal(s.atoms.chainId[0], '');
  assert.equal(s.atoms.element[4], 'NA');
  assert.equal(s.atoms.sourceLine[2], 5);
  assert.ok(s.box);
  assert.ok(Math.abs(s.box.a - 69.5352) < 1e-4 && Math.abs(s.box.c - 69.5352) < 1e-3);
  assert.equal(s.box.alpha, 60);
  assert.equal(s.box.beta, 60);
  assert.equal(s.box.gamma, 90);
});

test('parseGro: rectangular box, CRLF line ends, higher precision columns', () => {
  const l = ['hi-prec', '2', '    1ALA      N    1   1.00000   2.00000   3.00000', '    1ALA     CA    2   1.10000   2.00000   3.00000', '   5.0 6.0 7.0'];
  const s = parseGro(l.join('\r\n') + '\r\n', F);
  assert.deepEqual(Array.from(s.coords), [10, 20, 30, 11, 20, 30]);
  assert.deepEqual(s.box, { a: 50, b: 60, c: 70, alpha: 90, beta: 90, gamma: 90 });
});

test('parseGro: several frames become models; counts must agree', () => {
  const frame2 = small.map((l, i) => (i >= 2 && i < 7 ? l.slice(0, 20) + '   1.000   1.000   1.000' : l));
  const s = parseGro([...small, ...frame2].join('\n'), F);
  assert.equal(s.models.length, 2);
  assert.deepEqual(Array.from(s.models[1].slice(0, 3)), [10, 10, 10]);
  const bad = [...small, 'frame 2', '    4', ...small.slice(2, 6), small[7]];
  assertInputError(() => parseGro(bad.join('\n'), F), F, 10, /frame 2 declares 4 atoms but frame 1 has 5/);
});

test('parseGro: > 99,999 atoms with wrapped atom and residue numbers', () => {
  const n = 120000;
  const lines = ['big', String(n)];
  for (let i = 0; i < n; i++) {
    const r = Math.floor(i / 2) + 1; // 60,000 residues: wrap of the residue number needs > 99,999 residues
    lines.push(groAtom(r + 40000, 'W', i % 2 ? 'W2' : 'W1', i + 1, (i % 100) * 0.3, Math.floor(i / 100) % 100 * 0.3, Math.floor(i / 10000) * 0.3));
  }
  lines.push('  30.0  30.0  30.0');
  const s = parseGro(lines.join('\n'), F);
  assert.equal(s.atoms.count, n);
  assert.equal(s.atoms.resSeq[0], 40001);
  assert.equal(s.atoms.resSeq[n - 1], 100000); // 60000 + 40000: written as 0, unwrapped
  assert.equal(s.atoms.resSeq[2 * 59999 - 2], 99999);
  assert.equal(s.atoms.serial[n - 1], n);
  const back = parseGro(formatGro(s), F);
  assert.deepEqual(Array.from(back.atoms.resSeq), Array.from(s.atoms.resSeq));
  assert.equal(back.coords.length, s.coords.length);
  for (let k = 0; k < s.coords.length; k++) assert.ok(Math.abs(back.coords[k] - s.coords[k]) < 1e-9);
});

test('parseGro errors name the file and the line', () => {
  assertInputError(() => parseGro('', F), F, 1, /empty/);
  assertInputError(() => parseGro('title\n  abc\n', F), F, 2, /atom count "abc"/);
  // fewer atom lines than the count: the box line is read as an atom line and is too short
  assertInputError(() => parseGro([...small.slice(0, 6), small[7]].join('\n'), F), F, 7, /looks like the box line: the file has fewer atom lines \(4\) than the count on line 2/);
  // fewer atom lines and no box line at all
  assertInputError(() => parseGro(small.slice(0, 5).join('\n'), F), F, 5, /ends after 3 of the 5 atom lines/);
  // missing box line
  assertInputError(() => parseGro(small.slice(0, 7).join('\n'), F), F, 8, /box line is missing/);
  // truncated atom line
  const t = [...small];
  t[4] = t[4].slice(0, 35);
  assertInputError(() => parseGro(t.join('\n'), F), F, 5, /too short/);
  // unparsable / NaN coordinate
  const u = [...small];
  u[3] = u[3].slice(0, 28) + '   nan  ' + u[3].slice(36);
  assertInputError(() => parseGro(u.join('\n'), F), F, 4, /y coordinate "nan"/);
  const v = [...small];
  v[3] = v[3].slice(0, 20) + '  1.2.3 ' + v[3].slice(28);
  assertInputError(() => parseGro(v.join('\n'), F), F, 4, /x coordinate "1.2.3"/);
  // bad box
  assertInputError(() => parseGro([...small.slice(0, 7), '  5.0  5.0'].join('\n'), F), F, 8, /box line must have 3 or 9 numbers/);
  // duplicate atom (no altloc column in GRO)
  const d = [...small];
  d[4] = groAtom(1, 'MET', 'SC1', 3, 4.8, 4.7, 1.3);
  assertInputError(() => parseGro(d.join('\n'), F), F, 5, /duplicate atom SC1 in residue MET 1: lines 4 and 5/);
  // binary
  assertInputError(() => parseGro('title\n    1\n\u0000\u0000\u0000\u0000', F), F, 3, /binary/);
});

test('formatGro: Å -> nm, wrapped numbers, box, enclosing box when none', () => {
  const b = new StructureBuilder();
  b.addAtom({ name: 'BB', resName: 'ALA', resSeq: 123456, x: 10, y: 20, z: 30 });
  b.addAtom({ name: 'SC1', resName: 'ALA', resSeq: 123456, x: 12, y: 25, z: 36.05 });
  const s = b.build('mem', 'no box');
  const text = formatGro(s);
  const lines = text.split('\n');
  assert.equal(lines[0], 'no box');
  assert.equal(lines[1], '    2');
  assert.equal(lines[2], '23456ALA     BB    1   1.000   2.000   3.000');
  assert.equal(lines[3], '23456ALA    SC1    2   1.200   2.500   3.605');
  // box encloses the atoms (extent + 1 nm)
  const box = lines[4].trim().split(/\s+/).map(Number);
  assert.deepEqual(box, [2.2, 3.5, 4.605]);
  const back = parseGro(text, 'rt.gro');
  assert.deepEqual(Array.from(back.coords), Array.from(s.coords));
  const withBox = b.build('mem', 'box', { a: 50, b: 50, c: 50, alpha: 90, beta: 90, gamma: 90 });
  assert.equal(formatGro(withBox).split('\n')[4], '   5.00000   5.00000   5.00000');
  const tric = b.build('mem', 'box', { a: 69.5352, b: 69.5352, c: 69.5352, alpha: 60, beta: 60, gamma: 90 });
  const tb = parseGro(formatGro(tric), 'rt.gro').box!;
  assert.ok(Math.abs(tb.a - 69.5352) < 1e-3 && Math.abs(tb.alpha - 60) < 1e-3 && Math.abs(tb.beta - 60) < 1e-3 && tb.gamma === 90);
});
