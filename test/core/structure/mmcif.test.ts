import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMmcif, formatMmcif, cifValue } from '../../../src/core/structure/mmcif';
import { parsePdb } from '../../../src/core/structure/pdb';
import { StructureBuilder } from '../../../src/core/structure/builder';
import { assertInputError, tripeptideLines } from '../../helpers/io';

const F = 'test.cif';
const header = `data_TEST
#
_struct.title 'A test structure'
_cell.length_a 40.000
_cell.length_b 50.000
_cell.length_c 60.000
_cell.angle_alpha 90.00
_cell.angle_beta 100.00
_cell.angle_gamma 90.00
#
loop_
_atom_site.group_PDB
_atom_site.id
_atom_site.type_symbol
_atom_site.label_atom_id
_atom_site.label_alt_id
_atom_site.label_comp_id
_atom_site.label_asym_id
_atom_site.label_seq_id
_atom_site.pdbx_PDB_ins_code
_atom_site.Cartn_x
_atom_site.Cartn_y
_atom_site.Cartn_z
_atom_site.occupancy
_atom_site.B_iso_or_equiv
_atom_site.auth_seq_id
_atom_site.auth_comp_id
_atom_site.auth_asym_id
_atom_site.auth_atom_id
_atom_site.pdbx_PDB_model_num
`;
const L = header.split('\n').length; // line of the first row
const rows = [
  `ATOM 1 N N . ALA A 1 ? 1.000 2.000 3.000 1.00 10.00 10 ALA X N 1`,
  `ATOM 2 C CA . ALA A 1 ? 2.460 2.000 3.000 1.00 10.00 10 ALA X CA 1`,
  `ATOM 3 O OG A SER A 2 ? 4.000 1.000 3.000 0.30 10.00 11 SER X OG 1`,
  `ATOM 4 O OG B SER A 2 ? 4.000 -1.000 3.000 0.70 10.00 11 SER X OG 1`,
  `ATOM 5 C "C5'" . DA B 1 A 7.000 1.000 3.000 1.00 10.00 12 DA Y "C5'" 1`,
  `HETATM 6 O O . HOH C . ? 9.000 9.000 9.000 1.00 30.00 501 HOH X O 1`,
];

test('parseMmcif: auth_* preferred, altloc by occupancy, quoted names, ins code, cell, HETATM', () => {
  const s = parseMmcif(header + rows.join('\n') + '\n#\n', F);
  assert.equal(s.atoms.count, 5);
  assert.equal(s.title, 'A test structure');
  assert.deepEqual(s.box, { a: 40, b: 50, c: 60, alpha: 90, beta: 100, gamma: 90 });
  assert.deepEqual(s.atoms.chainId, ['X', 'X', 'X', 'Y', 'X']);
  assert.deepEqual(Array.from(s.atoms.resSeq), [10, 10, 11, 12, 501]);
  assert.equal(s.atoms.altLoc[2], 'B');
  assert.equal(s.coords[3 * 2 + 1], -1);
  assert.equal(s.atoms.name[3], "C5'");
  assert.equal(s.atoms.iCode[3], 'A');
  assert.equal(s.atoms.hetero[4], 1);
  assert.equal(s.atoms.element[1], 'C');
  assert.equal(s.atoms.sourceLine[0], L);
  assert.equal(s.atoms.sourceLine[4], L + 5);
});

test('parseMmcif: pdbx_PDB_model_num -> models; models must match', () => {
  const m2 = rows.map((r) => r.replace(/ 1$/, ' 2').replace('1.000 2.000', '5.000 2.000'));
  const s = parseMmcif(header + [...rows, ...m2].join('\n'), F);
  assert.equal(s.models.length, 2);
  assert.equal(s.models[1][0], 5);
  const bad = m2.slice(0, 5);
  bad[1] = bad[1].replace(' CA 2', ' CX 2');
  assertInputError(() => parseMmcif(header + [...rows, ...bad].join('\n'), F), F, L + 7, /model 2 does not have the same atoms/);
});

test('parseMmcif errors name the file and the line', () => {
  assertInputError(() => parseMmcif('', F), F, 1, /empty/);
  assertInputError(() => parseMmcif('data_x\n_cell.length_a 10\n', F), F, 1, /no atom_site loop/);
  const r = [...rows];
  r[2] = r[2].replace('4.000 1.000', '4.000 abc');
  assertInputError(() => parseMmcif(header + r.join('\n'), F), F, L + 2, /Cartn_y "abc"/);
  const n = [...rows];
  n[1] = n[1].replace('2.460', 'nan');
  assertInputError(() => parseMmcif(header + n.join('\n'), F), F, L + 1, /Cartn_x "nan" is not a finite number/);
  const big = [...rows];
  big[1] = big[1].replace('2.460', '2e6');
  assertInputError(() => parseMmcif(header + big.join('\n'), F), F, L + 1, /absurd/);
  // truncated: last row cut
  assertInputError(() => parseMmcif(header + rows.join('\n') + '\nATOM 7 C CB . ALA A 1 ? 1.0 1.0', F), F, L + 6, /incomplete row/);
  // duplicate atom names both lines
  const d = [...rows.slice(0, 2), rows[1].replace('ATOM 2', 'ATOM 9').replace('2.460 2.000', '2.500 2.100')];
  assertInputError(() => parseMmcif(header + d.join('\n'), F), F, L + 2, new RegExp(`duplicate atom CA .* lines ${L + 1} and ${L + 2}`));
  assertInputError(() => parseMmcif(header + rows.join('\n') + "\nATOM 7 C 'CB . ALA", F), F, L + 6, /unterminated quoted value/);
  assertInputError(() => parseMmcif('data_x\nloop_\n_atom_site.id\n_atom_site.label_atom_id\n1 N\n', F), F, 2, /Cartn_x/);
});

test('parseMmcif: data names are case-insensitive, comments and text fields are skipped', () => {
  const text = header.replace('_atom_site.Cartn_x', '_ATOM_SITE.CARTN_X').replace('loop_', '# a comment\n_pdbx.note\n;multi\nline text\n;\nLOOP_') + rows.join('\n');
  const s = parseMmcif(text, F);
  assert.equal(s.atoms.count, 5);
  assert.equal(s.coords[3], 2.46);
});

test('cifValue quotes what needs quoting', () => {
  assert.equal(cifValue('CA'), 'CA');
  assert.equal(cifValue("O5'"), `"O5'"`);
  assert.equal(cifValue('a b'), `'a b'`);
  assert.equal(cifValue(''), '.');
  assert.equal(cifValue('.'), `'.'`);
  assert.equal(cifValue('_x'), `'_x'`);
  assert.equal(cifValue('data_x'), `'data_x'`);
});

test('formatMmcif round trip keeps names (with quotes), chains, numbers, coordinates, models and cell', () => {
  const s = parsePdb(tripeptideLines().join('\n'), 'x.pdb');
  const b = new StructureBuilder();
  for (let i = 0; i < s.atoms.count; i++) {
    b.addAtom({ name: s.atoms.name[i], resName: s.atoms.resName[i], chainId: 'A', resSeq: s.atoms.resSeq[i], x: s.coords[3 * i], y: s.coords[3 * i + 1], z: s.coords[3 * i + 2], element: s.atoms.element[i] });
  }
  b.addAtom({ name: "O5'", resName: 'DA', chainId: 'B', resSeq: 1, iCode: 'C', x: 1, y: 2, z: 3, element: 'O', hetero: false });
  b.addAtom({ name: 'O', resName: 'HOH', chainId: 'W', resSeq: 77, x: 4, y: 5, z: -6.125, element: 'O', hetero: true, bFactor: 12.5 });
  const m2 = new Float64Array(3 * (s.atoms.count + 2)).map((_, k) => k * 0.5);
  const orig = b.build('mem', 'round trip', { a: 10, b: 11, c: 12, alpha: 80, beta: 90, gamma: 100 }, [m2]);
  const text = formatMmcif(orig);
  assert.match(text, /ATOM 16 O "O5'" \. DA B 2 1 C /);
  const back = parseMmcif(text, 'rt.cif');
  assert.deepEqual(back.atoms.name, orig.atoms.name);
  assert.deepEqual(back.atoms.chainId, orig.atoms.chainId);
  assert.deepEqual(Array.from(back.atoms.resSeq), Array.from(orig.atoms.resSeq));
  assert.deepEqual(back.atoms.iCode, orig.atoms.iCode);
  assert.deepEqual(Array.from(back.atoms.hetero), Array.from(orig.atoms.hetero));
  assert.deepEqual(Array.from(back.coords), Array.from(orig.coords));
  assert.deepEqual(Array.from(back.models[1]), Array.from(m2));
  assert.deepEqual(back.box, orig.box);
  assert.equal(back.title, 'round trip');
  assert.equal(back.atoms.bFactor[back.atoms.count - 1], 12.5);
});
