// Whole systems through the two commands users run (issue 31): `backmap map system.gro --mapping martini3 -o cg.gro`
// then `backmap backmap cg.gro -o out.gro`, no other flag; every class present and counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPeptide } from '../../src/core/chemistry/peptide';
import { StructureBuilder } from '../../src/core/structure/builder';
import { readStructureFile } from '../../src/core/structure/read';
import { writeStructureFile } from '../../src/core/structure/write';
import { residuesOf } from '../../src/core/structure/builder';
import type { Structure } from '../../src/core/structure/types';
import { cli, ROOT, tempDir } from './helpers';

const SHARED = join(ROOT, '..', 'shared', 'data', 'raw', 'membranes', 'nmrlipids_charmm36_popc_chol', 'POPCchol', 'chol20pct', 'POPC_20CHOL.gro.gz');
const residues = (s: Structure, name: string) => residuesOf(s.atoms).filter((r) => r.resName === name).length;

/** Peptide + (when ../shared is here) two POPC and a CHL from the NMRlipids bilayer + 41 TIP3 + 3 SOD + 2 CLA, 70 Å box. */
function wholeSystem(): { s: Structure; lipids: number; sterols: number } {
  const sb = new StructureBuilder(4096);
  const pep = buildPeptide('MKTAYIAKQRQISFVKSHFSRQ', { phi: -65, psi: -40, chainId: 'A' });
  for (let i = 0; i < pep.atoms.count; i++)
    sb.addAtom({ name: pep.atoms.name[i], resName: pep.atoms.resName[i], resSeq: pep.atoms.resSeq[i], element: pep.atoms.element[i], x: pep.coords[3 * i] + 15, y: pep.coords[3 * i + 1] + 15, z: pep.coords[3 * i + 2] + 15 });
  let lipids = 0;
  let sterols = 0;
  if (existsSync(SHARED)) {
    const m = readStructureFile(SHARED);
    const rs = residuesOf(m.atoms);
    const pick = [rs.find((r) => r.resName === 'POPC')!, rs.filter((r) => r.resName === 'POPC')[1], rs.find((r) => r.resName === 'CHL')!];
    pick.forEach((r, k) => {
      // Centred at (45 + 10k, 45, 35): away from the peptide and from each other.
      const c = [0, 1, 2].map((d) => { let x = 0; for (let i = r.start; i < r.end; i++) x += m.coords[3 * i + d]; return x / (r.end - r.start); });
      for (let i = r.start; i < r.end; i++)
        sb.addAtom({ name: m.atoms.name[i], resName: r.resName, resSeq: 100 + k, element: m.atoms.element[i], x: m.coords[3 * i] - c[0] + 40 + 12 * k, y: m.coords[3 * i + 1] - c[1] + 45, z: m.coords[3 * i + 2] - c[2] + 35 });
      if (r.resName === 'CHL') sterols++;
      else lipids++;
    });
  }
  let seq = 200;
  // 41 waters on a 3.1 Å grid (6 × 4 per layer): 41 = 9 W + SW + TW after mapping.
  for (let k = 0; k < 41; k++) {
    const x = 5 + 3.1 * (k % 6), y = 50 + 3.1 * (Math.floor(k / 6) % 4), z = 5 + 3.1 * Math.floor(k / 24);
    sb.addAtom({ name: 'OH2', resName: 'TIP3', resSeq: seq, element: 'O', x, y, z });
    sb.addAtom({ name: 'H1', resName: 'TIP3', resSeq: seq, element: 'H', x: x + 0.96, y, z });
    sb.addAtom({ name: 'H2', resName: 'TIP3', resSeq: seq++, element: 'H', x: x - 0.24, y: y + 0.93, z });
  }
  for (const [name, x] of [['SOD', 60], ['SOD', 63], ['SOD', 66], ['CLA', 60], ['CLA', 66]] as const)
    sb.addAtom({ name, resName: name, resSeq: seq++, element: name === 'SOD' ? 'NA' : 'CL', x, y: 10, z: name === 'SOD' ? 10 : 20 });
  return { s: sb.build('system.gro', 'whole system', { a: 70, b: 70, c: 70, alpha: 90, beta: 90, gamma: 90 }), lipids, sterols };
}

test('map system.gro --mapping martini3 → backmap cg.gro: protein, lipids, sterol, water and ions come back, no extra flags', async () => {
  const { dir, cleanup } = tempDir('whole');
  try {
    const { s, lipids, sterols } = wholeSystem();
    const aa = join(dir, 'system.gro');
    writeStructureFile(aa, s);
    const m = await cli('map', aa, '--mapping', 'martini3', '-o', join(dir, 'cg.gro'));
    assert.equal(m.code, 0, m.err);
    const cg = readStructureFile(join(dir, 'cg.gro'));
    assert.equal(residues(cg, 'NA'), 3);
    assert.equal(residues(cg, 'CL'), 2);
    assert.ok(residues(cg, 'W') >= 9, 'water beads');
    assert.equal(residues(cg, 'POPC'), lipids);
    const b = await cli('backmap', join(dir, 'cg.gro'), '-o', join(dir, 'out.gro'), '--report', join(dir, 'report.md'));
    assert.equal(b.code, 0, b.err);
    const out = readStructureFile(join(dir, 'out.gro'));
    assert.equal(residues(out, 'TIP3'), 41);
    assert.equal(residues(out, 'SOD'), 3);
    assert.equal(residues(out, 'CLA'), 2);
    assert.equal(residues(out, 'POPC'), lipids);
    assert.equal(residues(out, 'CHL1'), sterols);
    assert.equal(residues(out, 'MET'), 1);
    assert.ok(out.box && Math.abs(out.box.a - 70) < 0.01);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    assert.match(md, /\| water \| 41 \| 41 \|/);
    assert.match(md, /\| ion \| 5 \| 5 \|/);
    if (lipids) assert.match(md, new RegExp(`\\| lipid \\| ${lipids} \\| ${lipids} \\|`));
  } finally {
    cleanup();
  }
});

test('a CHARMM36 bilayer (NMRlipids POPC + cholesterol + water, ../shared) maps and backmaps whole without flags', { skip: !existsSync(SHARED) && 'no ../shared' }, async () => {
  const { dir, cleanup } = tempDir('bilayer');
  try {
    const m = await cli('map', SHARED, '--mapping', 'martini3', '-o', join(dir, 'cg.gro'));
    assert.equal(m.code, 0, m.err);
    const b = await cli('backmap', join(dir, 'cg.gro'), '-o', join(dir, 'out.gro'));
    assert.equal(b.code, 0, b.err);
    const aa = readStructureFile(SHARED);
    const out = readStructureFile(join(dir, 'out.gro'));
    assert.equal(residues(out, 'POPC'), residues(aa, 'POPC'));
    assert.equal(residues(out, 'CHL1'), residues(aa, 'CHL'));
    assert.equal(residues(out, 'TIP3'), residues(aa, 'SOL'));
  } finally {
    cleanup();
  }
});
