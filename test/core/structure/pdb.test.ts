import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePdb, formatPdb } from '../../../src/core/structure/pdb';
import { StructureBuilder } from '../../../src/core/structure/builder';
import { readWarnings } from '../../../src/core/structure/read';
import { hy36decode, hy36encode } from '../../../src/core/io/hybrid36';
import { assertInputError, pdbAtom, tripeptideLines } from '../../helpers/io';

const F = 'test.pdb';

test('hybrid-36 encode/decode matches the published examples and round-trips', () => {
  // Examples from the hybrid-36 specification (cci.lbl.gov/hybrid_36).
  assert.equal(hy36encode(5, 99999), '99999');
  assert.equal(hy36encode(5, 100000), 'A0000');
  assert.equal(hy36encode(5, 100001), 'A0001');
  assert.equal(hy36encode(4, 9999), '9999');
  assert.equal(hy36encode(4, 10000), 'A000');
  assert.equal(hy36encode(4, 10000 + 26 * 36 ** 3), 'a000');
  assert.equal(hy36encode(4, -999), '-999');
  assert.throws(() => hy36encode(4, 10000 + 2 * 26 * 36 ** 3));
  for (const w of [4, 5]) {
    for (const v of [0, 1, 9999, 10000, 10001, 99999, 100000, 123456, 1000000, 2436111]) {
      if (w === 4 && v > 2436111) continue;
      const s = hy36encode(w, v);
      assert.equal(s.length, w);
      assert.equal(hy36decode(s, 0, s.length), v, `${w} ${v} ${s}`);
    }
  }
  assert.ok(Number.isNaN(hy36decode('*****', 0, 5)));
});

test('parsePdb reads ATOM/HETATM fields, elements, CRYST1, TITLE and TER', () => {
  const text = [
    'TITLE     TEST PEPTIDE',
    'CRYST1   50.000   60.000   70.000  90.00  90.00 120.00 P 1           1',
    ...tripeptideLines(),
    'TER      16      SER A   3',
    pdbAtom({ serial: 17, name: 'ZN', resName: 'ZN', chain: 'B', resSeq: 101, x: 1, y: 2, z: 3, het: true, element: 'ZN' }),
    // no element columns: guessed from the name
    pdbAtom({ serial: 18, name: 'CL', resName: 'CL', chain: 'B', resSeq: 102, x: 4, y: 5, z: 6, het: true }).slice(0, 66),
    'END',
  ].join('\n');
  const s = parsePdb(text, F);
  assert.equal(s.atoms.count, 17);
  assert.equal(s.title, 'TEST PEPTIDE');
  assert.deepEqual(s.box, { a: 50, b: 60, c: 70, alpha: 90, beta: 90, gamma: 120 });
  assert.equal(s.atoms.name[1], 'CA');
  assert.equal(s.atoms.element[1], 'C');
  assert.equal(s.atoms.resName[5], 'GLY');
  assert.equal(s.atoms.resSeq[5], 2);
  assert.equal(s.atoms.chainId[15], 'B');
  assert.equal(s.atoms.hetero[15], 1);
  assert.equal(s.atoms.element[15], 'ZN');
  assert.equal(s.atoms.element[16], 'CL');
  assert.equal(s.atoms.sourceLine[0], 3);
  assert.equal(s.coords[3], 1.46);
  assert.equal(s.models.length, 1);
  assert.equal(s.coords, s.models[0]);
});

test('parsePdb: altlocs keep blank or the highest occupancy (first on ties), insertion codes are residues', () => {
  const lines = [
    pdbAtom({ serial: 1, name: 'N', resName: 'SER', resSeq: 5, x: 0, y: 0, z: 0 }),
    pdbAtom({ serial: 2, name: 'CA', resName: 'SER', resSeq: 5, x: 1.5, y: 0, z: 0 }),
    pdbAtom({ serial: 3, name: 'OG', resName: 'SER', resSeq: 5, altLoc: 'A', occ: 0.4, x: 2, y: 1, z: 0 }),
    pdbAtom({ serial: 4, name: 'OG', resName: 'SER', resSeq: 5, altLoc: 'B', occ: 0.6, x: 2, y: -1, z: 0 }),
    pdbAtom({ serial: 5, name: 'CB', resName: 'SER', resSeq: 5, altLoc: 'A', occ: 0.5, x: 3, y: 1, z: 0 }),
    pdbAtom({ serial: 6, name: 'CB', resName: 'SER', resSeq: 5, altLoc: 'B', occ: 0.5, x: 3, y: -1, z: 0 }),
    pdbAtom({ serial: 7, name: 'N', resName: 'GLY', resSeq: 5, iCode: 'A', x: 4, y: 0, z: 0 }),
    pdbAtom({ serial: 8, name: 'CA', resName: 'GLY', resSeq: 5, iCode: 'A', x: 5, y: 0, z: 0 }),
  ];
  const s = parsePdb(lines.join('\n'), F);
  assert.deepEqual(s.atoms.name, ['N', 'CA', 'OG', 'CB', 'N', 'CA']);
  assert.equal(s.atoms.altLoc[2], 'B'); // higher occupancy wins
  assert.equal(s.coords[3 * 2 + 1], -1);
  assert.equal(s.atoms.altLoc[3], 'A'); // tie: first kept
  assert.equal(s.coords[3 * 3 + 1], 1);
  assert.equal(s.atoms.sourceLine[2], 4);
  assert.equal(s.atoms.iCode[4], 'A');
  assert.equal(s.atoms.resSeq[4], 5);
});

test('parsePdb: multi-model files become models; models must have the same atoms', () => {
  const model = (k: number, dx: number) => [`MODEL     ${k}`, ...tripeptideLines('A', 1, dx), 'TER', 'ENDMDL'];
  const s = parsePdb([...model(1, 0), ...model(2, 10), 'END'].join('\n'), F);
  assert.equal(s.models.length, 2);
  assert.equal(s.atoms.count, 15);
  assert.equal(s.models[1][0] - s.models[0][0], 10);
  // model 2 lacks its last atom
  const m2 = model(2, 10);
  m2.splice(m2.length - 3, 1);
  assertInputError(() => parsePdb([...model(1, 0), ...m2].join('\n'), F), F, 35, /model 2 .* has 14 atoms but model 1 has 15/);
  // model 2 has a different atom at position 2: the error names that line
  const m3 = model(2, 10);
  m3[2] = m3[2].slice(0, 12) + ' CX ' + m3[2].slice(16);
  assertInputError(() => parsePdb([...model(1, 0), ...m3].join('\n'), F), F, 21, /model 2 does not have the same atoms/);
  // GROMACS/VMD frames separated by END only
  const vmd = parsePdb([...tripeptideLines(), 'END', ...tripeptideLines('A', 1, 5), 'END'].join('\n'), F);
  assert.equal(vmd.models.length, 2);
});

test('parsePdb: > 99,999 atoms with hybrid-36, wrapped (GROMACS) and ***** (VMD) serials, > 9,999 residues', () => {
  const n = 120000;
  const mk = (serialOf: (i: number) => string, resOf: (r: number) => string) => {
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = Math.floor(i / 3) + 1;
      lines.push(pdbAtom({ serial: serialOf(i + 1), name: ['N', 'CA', 'C'][i % 3], resName: 'GLY', chain: 'A', resSeq: resOf(r), x: (i % 50) * 1.3, y: Math.floor(i / 50) % 50, z: Math.floor(i / 2500) }));
    }
    return lines.join('\n');
  };
  const hy = parsePdb(mk((i) => hy36encode(5, i), (r) => hy36encode(4, r)), F);
  const wrapped = parsePdb(mk((i) => String(i % 100000), (r) => String(r % 10000)), F);
  const stars = parsePdb(mk((i) => (i > 99999 ? '*****' : String(i)), (r) => hy36encode(4, r)), F);
  for (const s of [hy, wrapped, stars]) {
    assert.equal(s.atoms.count, n);
    assert.equal(s.atoms.serial[n - 1], n);
    assert.equal(s.atoms.serial[100000], 100001);
    assert.equal(s.atoms.resSeq[n - 1], n / 3);
    assert.equal(s.atoms.resSeq[3 * 10000], 10001);
  }
  // round trip through the writer keeps everything
  const back = parsePdb(formatPdb(hy), F);
  assert.deepEqual(Array.from(back.atoms.resSeq), Array.from(hy.atoms.resSeq));
  assert.deepEqual(Array.from(back.coords), Array.from(hy.coords));
  assert.match(formatPdb(hy), /^ATOM {2}A0000 {2}N {3}GLY AAI06/m); // serial 100000, residue 33334
});

test('parsePdb errors name the file and the line', () => {
  const good = tripeptideLines();
  const withLine = (k: number, line: string) => {
    const l = [...good];
    l[k] = line;
    return l.join('\n');
  };
  assertInputError(() => parsePdb('', F), F, 1, /empty/);
  assertInputError(() => parsePdb('   \n\n', F), F, 1, /empty/);
  assertInputError(() => parsePdb('REMARK nothing here\nEND\n', F), F, 1, /no ATOM\/HETATM/);
  // ATOM line cut before the coordinates
  assertInputError(() => parsePdb(withLine(3, good[3].slice(0, 40)), F), F, 4, /truncated ATOM record/);
  // unparsable number
  assertInputError(() => parsePdb(withLine(2, good[2].slice(0, 38) + '  12.x4 ' + good[2].slice(46)), F), F, 3, /y coordinate "12.x4"/);
  // NaN / Inf
  assertInputError(() => parsePdb(withLine(1, good[1].slice(0, 30) + '     nan' + good[1].slice(38)), F), F, 2, /x coordinate "nan" .* not a finite number/);
  assertInputError(() => parsePdb(withLine(1, good[1].slice(0, 46) + '     inf' + good[1].slice(54)), F), F, 2, /z coordinate/);
  // absurd
  assertInputError(() => parsePdb(withLine(4, good[4].slice(0, 30) + '123456.7' + good[4].slice(38)), F), F, 5, /absurd coordinate/);
  // bad occupancy and residue number
  assertInputError(() => parsePdb(withLine(0, good[0].slice(0, 54) + '  x.xx' + good[0].slice(60)), F), F, 1, /occupancy/);
  assertInputError(() => parsePdb(withLine(0, good[0].slice(0, 22) + ' 1?1' + good[0].slice(26)), F), F, 1, /residue number/);
  // duplicate atom with different coordinates: both lines named
  const dup = [...good.slice(0, 3), pdbAtom({ name: 'CA', resName: 'ALA', resSeq: 1, x: 9, y: 9, z: 9 }), ...good.slice(3)];
  assertInputError(() => parsePdb(dup.join('\n'), F), F, 4, /duplicate atom CA in residue ALA A 1: lines 2 and 4/);
  // binary data
  assertInputError(() => parsePdb(good[0] + '\n' + good[1] + '\n\u0000\u0001\u0002garbage', F), F, 3, /binary data/);
  assertInputError(() => parsePdb(withLine(1, good[1].slice(0, 20) + '\u0007' + good[1].slice(21)), F), F, 2, /binary data/);
});

test('parsePdb: an exact duplicate line is dropped with a warning; a restarted residue is a new residue', () => {
  const good = tripeptideLines();
  const s = parsePdb([...good.slice(0, 3), good[2], ...good.slice(3)].join('\n'), F);
  assert.equal(s.atoms.count, good.length);
  assert.match(readWarnings(s)[0].message, /identical coordinates \(lines 3 and 4\)/);
  // two waters with the same residue number one after the other (insertion code lost)
  const w = [
    pdbAtom({ serial: 1, name: 'O', resName: 'HOH', resSeq: 0, x: 0, y: 0, z: 0, het: true }),
    pdbAtom({ serial: 2, name: 'O', resName: 'HOH', resSeq: 0, x: 3, y: 0, z: 0, het: true }),
  ];
  const ws = parsePdb(w.join('\n'), F);
  assert.equal(ws.atoms.count, 2);
  assert.equal(readWarnings(ws).length, 1);
});

test('formatPdb: columns, TER per chain, MODEL/ENDMDL, CRYST1, END, element columns; round trip', () => {
  const b = new StructureBuilder();
  b.addAtom({ name: 'N', resName: 'ALA', chainId: 'A', resSeq: 1, x: 1.5, y: -2.25, z: 3, element: 'N' });
  b.addAtom({ name: 'CA', resName: 'ALA', chainId: 'A', resSeq: 1, x: 2.5, y: -2.25, z: 3, element: 'C' });
  b.addAtom({ name: 'HD21', resName: 'ASN', chainId: 'B', resSeq: 12345, iCode: 'B', x: -999.5, y: 9999.5, z: 0.0004, element: 'H' });
  b.addAtom({ name: 'FE', resName: 'HEM', chainId: 'C', resSeq: 1, x: 0, y: 0, z: 0, element: 'FE', hetero: true, occupancy: 0.5, bFactor: 12.34 });
  const s = b.build('mem', 'T', { a: 10, b: 20, c: 30, alpha: 90, beta: 90, gamma: 90 }, [new Float64Array([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4])]);
  const text = formatPdb(s);
  const lines = text.split('\n');
  assert.equal(lines[0], 'TITLE     T');
  assert.equal(lines[1], 'CRYST1   10.000   20.000   30.000  90.00  90.00  90.00 P 1           1');
  assert.equal(lines[2], 'MODEL        1');
  assert.equal(lines[3], 'ATOM      1  N   ALA A   1       1.500  -2.250   3.000  1.00  0.00           N');
  assert.equal(lines[4].slice(12, 16), ' CA ');
  assert.equal(lines[5].slice(0, 6), 'TER   ');
  assert.equal(lines[6], 'ATOM      4 HD21 ASN BA1T5B   -999.5009999.500   0.000  1.00  0.00           H');
  assert.equal(lines[8], 'HETATM    6 FE   HEM C   1       0.000   0.000   0.000  0.50 12.34          FE');
  assert.equal(lines.filter((l) => l.startsWith('TER')).length, 6);
  assert.equal(lines.filter((l) => l === 'ENDMDL').length, 2);
  assert.equal(lines[lines.length - 2], 'END');
  for (const l of lines.filter((x) => x.startsWith('ATOM') || x.startsWith('HETATM'))) assert.equal(l.length, 78);
  const back = parsePdb(text, 'rt.pdb');
  assert.equal(back.models.length, 2);
  assert.deepEqual(back.atoms.name, s.atoms.name);
  assert.deepEqual(back.atoms.element, s.atoms.element);
  assert.deepEqual(Array.from(back.atoms.resSeq), [1, 1, 12345, 1]);
  assert.equal(back.atoms.iCode[2], 'B');
  assert.deepEqual(back.box, s.box);
  assert.deepEqual(Array.from(back.models[1]), Array.from(s.models[1]));
  assert.deepEqual(Array.from(back.coords), [1.5, -2.25, 3, 2.5, -2.25, 3, -999.5, 9999.5, 0, 0, 0, 0]);
  assert.equal(back.atoms.occupancy[3], 0.5);
  // coordinates outside the PDB columns are refused rather than written misaligned
  const big = b.build('mem');
  big.coords[0] = 12345.6;
  assertInputError(() => formatPdb(big), 'mem', undefined, /do not fit PDB columns/);
});

test('formatPdb writes hybrid-36 in both letter ranges and reads them back', () => {
  const b = new StructureBuilder();
  const seqs = [-999, 0, 9999, 10000, 10000 + 26 * 36 ** 3 - 1, 10000 + 26 * 36 ** 3, 2436111];
  seqs.forEach((r, k) => b.addAtom({ name: 'CA', resName: 'GLY', chainId: 'A', resSeq: r, x: k, y: 0, z: 0 }));
  const text = formatPdb(b.build('mem'));
  const cols = text.split('\n').filter((l) => l.startsWith('ATOM')).map((l) => l.slice(22, 26));
  assert.deepEqual(cols, seqs.map((r) => hy36encode(4, r)));
  assert.deepEqual(cols.slice(3), ['A000', 'ZZZZ', 'a000', 'zzzz']);
  assert.deepEqual(Array.from(parsePdb(text, F).atoms.resSeq), seqs);
  const tooBig = new StructureBuilder();
  tooBig.addAtom({ name: 'CA', resName: 'GLY', resSeq: 2436112, x: 0, y: 0, z: 0 });
  assertInputError(() => formatPdb(tooBig.build('mem')), 'mem', undefined, /cannot be written to PDB/);
});
