/**
 * `backmap backmap --hydrogens --names …` from the command line: a backmapped protein with hydrogens that
 * GROMACS's pdb2gmx takes without -ignh (when gmx is installed; skipped saying so otherwise), and the option checks.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cli, DEMO, tempDir } from './helpers';
import { readStructureFile } from '../../src/core/structure/read';

const t = tempDir('hydrogens');
const p = (n: string) => join(t.dir, n);
after(() => t.cleanup());
const gmx = spawnSync('gmx', ['-quiet', '--version'], { encoding: 'utf8' }).status === 0;

test('--hydrogens --names amber: every protein hydrogen and OXT', async () => {
  assert.equal((await cli('map', DEMO, '--mapping', 'martini3', '-o', p('cg.pdb'))).code, 0);
  const r = await cli('backmap', p('cg.pdb'), '--model', 'template', '--hydrogens', '--names', 'amber', '-o', p('h.pdb'));
  assert.equal(r.code, 0, r.err);
  const s = readStructureFile(p('h.pdb'));
  const h = Array.from({ length: s.atoms.count }, (_, i) => s.atoms.element[i]).filter((e) => e === 'H').length;
  assert.equal(s.atoms.count, 951); // 472 heavy atoms (with OXT) + 479 hydrogens of the 58-residue demo protein at pH 7
  assert.equal(h, 479);
  assert.ok(s.atoms.name.includes('OXT'));
});

test('the output goes through gmx pdb2gmx -ff amber99sb-ildn without -ignh', { skip: !gmx && 'gmx (GROMACS) not installed: apt install gromacs' }, () => {
  const g = spawnSync('gmx', ['-quiet', 'pdb2gmx', '-f', p('h.pdb'), '-o', p('h.gro'), '-p', p('h.top'), '-i', p('posre.itp'), '-ff', 'amber99sb-ildn', '-water', 'none'], { cwd: t.dir, encoding: 'utf8' });
  assert.equal(g.status, 0, g.stderr.slice(-1500));
  assert.doesNotMatch(g.stderr, /not found/);
  assert.match(g.stderr + g.stdout, /Now there are 58 residues with 951 atoms/);
});

test('hydrogen options: a bad pH or naming is refused; trajectories do not take them yet', async () => {
  assert.equal((await cli('map', DEMO, '--mapping', 'martini3', '-o', p('cg2.pdb'))).code, 0);
  let r = await cli('backmap', p('cg2.pdb'), '--hydrogens', '--ph', '15', '-o', p('x.pdb'));
  assert.equal(r.code, 1);
  assert.match(r.err, /--ph expects a number from 0 to 14/);
  r = await cli('backmap', p('cg2.pdb'), '--names', 'opls', '-o', p('x.pdb'));
  assert.match(r.err, /--names must be charmm, amber or gromacs/);
  r = await cli('backmap', p('cg2.pdb'), '--hydrogens', '--no-hydrogens', '-o', p('x.pdb'));
  assert.match(r.err, /contradict/);
  r = await cli('backmap', p('cg2.pdb'), '--frames', '0:1', '--hydrogens', '-o', p('x.pdb'));
  assert.match(r.err, /apply to single structures/);
});
