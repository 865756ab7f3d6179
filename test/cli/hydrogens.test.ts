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
import { readFileSync, writeFileSync } from 'node:fs';

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

test('hydrogen options: a bad pH or naming is refused; frames take them (one protonation for all), --no-hydrogens leaves them out', async () => {
  assert.equal((await cli('map', DEMO, '--mapping', 'martini3', '-o', p('cg2.pdb'))).code, 0);
  let r = await cli('backmap', p('cg2.pdb'), '--hydrogens', '--ph', '15', '-o', p('x.pdb'));
  assert.equal(r.code, 1);
  assert.match(r.err, /--ph expects a number from 0 to 14/);
  r = await cli('backmap', p('cg2.pdb'), '--names', 'opls', '-o', p('x.pdb'));
  assert.match(r.err, /--names must be charmm, amber or gromacs/);
  r = await cli('backmap', p('cg2.pdb'), '--hydrogens', '--no-hydrogens', '-o', p('x.pdb'));
  assert.match(r.err, /contradict/);
  r = await cli('backmap', p('cg2.pdb'), '--frames', '0:1', '--hydrogens', '--names', 'amber', '--ph', '7', '--model', 'template', '-o', p('x.pdb'));
  assert.equal(r.code, 0, r.err);
  const framed = readStructureFile(p('x.pdb'));
  assert.equal(framed.atoms.count, 951, 'the same atoms as the single structure');
  r = await cli('backmap', p('cg2.pdb'), '--model', 'template', '--no-hydrogens', '-o', p('heavy.pdb'));
  assert.equal(r.code, 0, r.err);
  assert.equal(readStructureFile(p('heavy.pdb')).atoms.count, 472, 'the heavy atoms (OXT rebuilt by the template)');
  r = await cli('backmap', p('cg2.pdb'), '--model', 'template', '-o', p('default.pdb'));
  assert.equal(r.code, 0, r.err);
  assert.equal(readStructureFile(p('default.pdb')).atoms.count, 951, 'hydrogens by default');
});

test('--minimise: the AMBER99SB-ILDN minimisation after hydrogens lowers the energy, heavy atoms stay near; misuse refused', async () => {
  assert.equal((await cli('map', DEMO, '--mapping', 'martini3', '-o', p('cg-min.pdb'))).code, 0);
  const r = await cli('backmap', p('cg-min.pdb'), '--minimise', '--names', 'amber', '-o', p('min.pdb'), '--report', p('min.md'));
  assert.equal(r.code, 0, r.err);
  const md = readFileSync(p('min.md'), 'utf8');
  const m = /minimised with AMBER99SB-ILDN[^:]*: (\d+) steps[^,]*, (-?[\d.]+) → (-?[\d.]+) kJ\/mol per residue, heavy atoms moved ([\d.]+) Å rms/.exec(md);
  assert.ok(m, md);
  assert.ok(Number(m[3]) < Number(m[2]), `energy ${m[2]} → ${m[3]}`);
  assert.ok(Number(m[4]) > 0 && Number(m[4]) < 0.5, `heavy atoms moved ${m[4]} Å`);
  const plain = readStructureFile(p('min.pdb'));
  assert.equal(plain.atoms.count, 951);
  for (const [args, msg] of [
    [['--minimise', '--no-hydrogens'], /--minimise needs the hydrogens/],
    [['--minimise-tether', '5'], /--minimise-tether goes with --minimise/],
    [['--minimise', '--minimise-tether=-1'], /--minimise-tether expects/],
  ] as const) {
    const bad = await cli('backmap', p('cg-min.pdb'), ...args, '-o', p('bad.pdb'));
    assert.equal(bad.code, 1, bad.err);
    assert.match(bad.err, msg);
  }
});

test('--minimise on frames: each frame is minimised on its own, exactly as one structure is', async () => {
  assert.equal((await cli('map', DEMO, '--mapping', 'martini3', '-o', p('cg-one.pdb'))).code, 0);
  // Two frames as MODEL records: the structure, then the same beads 2 Å along x.
  const atoms = readFileSync(p('cg-one.pdb'), 'utf8').split('\n').filter((l) => l.startsWith('ATOM') || l.startsWith('HETATM'));
  const moved = atoms.map((l) => l.slice(0, 30) + (Number(l.slice(30, 38)) + 2).toFixed(3).padStart(8) + l.slice(38));
  writeFileSync(p('cg-two.pdb'), ['MODEL        1', ...atoms, 'ENDMDL', 'MODEL        2', ...moved, 'ENDMDL', 'END', ''].join('\n'));
  const single = await cli('backmap', p('cg-one.pdb'), '--minimise', '--names', 'amber', '--no-refine', '-o', p('one-min.pdb'));
  assert.equal(single.code, 0, single.err);
  const r = await cli('backmap', p('cg-two.pdb'), '--minimise', '--names', 'amber', '--no-refine', '-o', p('two-min.pdb'), '--report', p('two-min.md'));
  assert.equal(r.code, 0, r.err);
  const md = readFileSync(p('two-min.md'), 'utf8');
  const m = /minimised each of 2 frames with AMBER99SB-ILDN[^:]*: \d+ steps on average[^,]*, (-?[\d.]+) → (-?[\d.]+) kJ\/mol per residue on average/.exec(md);
  assert.ok(m, md);
  assert.ok(Number(m[2]) < Number(m[1]), `energy ${m[1]} → ${m[2]}`);
  const one = readStructureFile(p('one-min.pdb'));
  const two = readStructureFile(p('two-min.pdb'));
  assert.equal(two.models.length, 2);
  assert.equal(two.atoms.count, one.atoms.count);
  let worst = 0;
  for (let i = 0; i < one.coords.length; i++) worst = Math.max(worst, Math.abs(two.models[0][i] - one.coords[i]));
  assert.ok(worst <= 1e-3, `frame 1 differs from the single structure by ${worst} Å`);
});
