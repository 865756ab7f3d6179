/**
 * `backmap coarsen` through the CLI (in-process): writes a UCG mapping that loads back, prints the one-line summary,
 * uses every model of an ensemble PDB, refuses to overwrite without --force, and exits 1 on bad input and usage.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPeptide } from '../../src/core/chemistry/peptide';
import { writeStructureFile } from '../../src/core/structure/write';
import { loadUcgMapping } from '../../src/core/ucg/format';
import { cli, noCrash, sha, tempDir, writePeptide } from './helpers';

const t = tempDir('coarsen');
const p = (n: string) => join(t.dir, n);
after(() => t.cleanup());

test('coarsen writes a UCG mapping that loads back, with a one-line summary', async () => {
  const pdb = writePeptide(p('pep.pdb'), 'MKVLAAGIVGHHGGSSEEKKRRLL');
  const r = await cli('coarsen', pdb, '--beads', '4', '-o', p('pep.ucg.yaml'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^4 UCG beads over 24 residues \(6 residues per bead, CA spread \d+\.\d\d Å, segments\) → .*pep\.ucg\.yaml\n$/);
  const m = loadUcgMapping(p('pep.ucg.yaml'));
  assert.deepEqual(m.diagnostics, []);
  assert.equal(m.name, 'pep');
  assert.equal(m.method, 'segments');
  assert.deepEqual(m.sequence, { A: 'MKVLAAGIVGHHGGSSEEKKRRLL' });
  assert.deepEqual(m.beads.map((b) => b.name), ['U1', 'U2', 'U3', 'U4']);
  assert.match(readFileSync(p('pep.ucg.yaml'), 'utf8'), /^# UCG mapping of pep \(backmap coarsen --beads 4 --method segments\)\n/);

  const s = await cli('coarsen', pdb, '--beads', '3', '--method', 'spatial', '-o', p('pep-spatial.ucg.yaml'));
  assert.equal(s.code, 0, s.err);
  assert.equal(loadUcgMapping(p('pep-spatial.ucg.yaml')).method, 'spatial');
});

test('coarsen refuses to overwrite an existing file without --force, and overwrites with it', async () => {
  const pdb = writePeptide(p('ow.pdb'), 'MKVLAAGIVG');
  const out = p('ow.ucg.yaml');
  writeFileSync(out, 'precious\n');
  const before = sha(out);
  const r = await cli('coarsen', pdb, '--beads', '2', '-o', out);
  assert.equal(r.code, 1);
  assert.match(r.err, /ow\.ucg\.yaml: output file already exists \(use --force/);
  assert.equal(sha(out), before, 'untouched');
  const f = await cli('coarsen', pdb, '--beads', '2', '-o', out, '--force');
  assert.equal(f.code, 0, f.err);
  assert.equal(loadUcgMapping(out).beads.length, 2);
  // The input itself is never the output, even with --force.
  const self = await cli('coarsen', pdb, '--beads', '2', '-o', pdb, '--force');
  assert.equal(self.code, 1);
  assert.match(self.err, /refusing to overwrite an input file/);
});

test('coarsen uses every model of a multi-model PDB', async () => {
  const pep = buildPeptide('MKVLAAGIVGHH', { chainId: 'A' });
  // Model 2: residues 5–12 moved 40 Å away, so no bead can straddle the hinge at 4|5 (model 1 alone splits 6|6).
  const moved = Float64Array.from(pep.coords);
  for (let i = 0; i < pep.atoms.count; i++) if (pep.atoms.resSeq[i] > 4) moved[3 * i + 1] += 40;
  writeStructureFile(p('one.pdb'), pep);
  writeStructureFile(p('ens.pdb'), { ...pep, models: [pep.coords, moved] });
  assert.equal((await cli('coarsen', p('one.pdb'), '--beads', '2', '-o', p('one.ucg.yaml'))).code, 0);
  assert.match(readFileSync(p('one.ucg.yaml'), 'utf8'), /U1: A:1-6\n {2}U2: A:7-12\n/);
  const r = await cli('coarsen', p('ens.pdb'), '--beads', '2', '-o', p('ens.ucg.yaml'));
  assert.equal(r.code, 0, r.err);
  const text = readFileSync(p('ens.ucg.yaml'), 'utf8');
  assert.match(text, /2 frame\(s\)/);
  assert.match(text, /U1: A:1-4\n {2}U2: A:5-12\n/);
});

test('coarsen: usage and input errors exit 1 with a message, never a crash', async () => {
  const pdb = writePeptide(p('e.pdb'), 'MKVL');
  const cases: [string[], RegExp][] = [
    [['coarsen', pdb, '-o', p('e1.ucg.yaml')], /missing --beads/],
    [['coarsen', pdb, '--beads', 'x', '-o', p('e2.ucg.yaml')], /--beads expects an integer/],
    [['coarsen', pdb, '--beads', '2', '--method', 'kmeans', '-o', p('e3.ucg.yaml')], /--method must be segments or spatial/],
    [['coarsen', pdb, '--beads', '2'], /missing -o/],
    [['coarsen', '--beads', '2', '-o', p('e4.ucg.yaml')], /missing the structure/],
    [['coarsen', pdb, '--beads', '9', '-o', p('e5.ucg.yaml')], /e\.pdb: 9 beads for 4 residues with a CA atom/],
    [['coarsen', p('nope.pdb'), '--beads', '2', '-o', p('e6.ucg.yaml')], /nope\.pdb/],
  ];
  for (const [argv, re] of cases) {
    const r = await cli(...argv);
    assert.equal(r.code, 1, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
    assert.ok(noCrash(r), r.err);
  }
  const help = await cli('--help');
  assert.match(help.out, /backmap coarsen <structure> --beads N \[--method segments\|spatial\] -o <mapping\.ucg\.yaml> \[--force\]/);
});
