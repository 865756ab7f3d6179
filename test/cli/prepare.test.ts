/**
 * `backmap prepare` through its handler (src/cli/prepare.ts; the lead wires it into commands.ts and the option table):
 * usage errors, the refusal of an existing folder, and a short real GROMACS run whose summary goes to stdout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepare, prepareOptionsOf } from '../../src/cli/prepare';
import { InputError, SetupError, UsageError } from '../../src/core/errors';
import { backmappedDemo, GMX_SKIP } from '../core/prepare/helpers';
import { tempDir } from './helpers';

const io = () => {
  const r = { out: '', err: '' };
  return { r, io: { out: (t: string) => (r.out += t), err: (t: string) => (r.err += t) } };
};

test('prepare: options from the command line; bad numbers and a missing structure are usage errors', async () => {
  assert.deepEqual(prepareOptionsOf('/x/p.pdb', { engine: 'openmm', restrain: '0', steps: '200', emtol: '5', threads: '2', ff: 'amber14', output: '/o', force: true, python: '/py' }), {
    input: '/x/p.pdb', out: '/o', force: true, engine: 'openmm', ff: 'amber14', restrain: 0, emtol: 5, steps: 200, threads: 2, solvate: undefined, gmx: undefined, python: '/py',
  });
  assert.throws(() => prepareOptionsOf('/x/p.pdb', { restrain: 'lots' }), /--restrain expects a number, got 'lots'/);
  const { io: sink } = io();
  await assert.rejects(prepare([], {}, sink), UsageError);
  await assert.rejects(prepare(['/a.pdb', '/b.pdb'], {}, sink), /prepare takes one structure/);
});

test('prepare: an existing <stem>.prepared is refused (exit 1 as InputError), nothing run', async () => {
  const t = tempDir('bm-cli-prep');
  try {
    const input = await backmappedDemo(t.dir);
    mkdirSync(join(t.dir, 'demo-bm.prepared'));
    const { io: sink } = io();
    await assert.rejects(prepare([input], { gmx: '/nonexistent/gmx', engine: 'gromacs' }, sink), (e: unknown) => e instanceof InputError && /already exists \(use --force/.test((e as Error).message));
    // --force replaces only a folder an earlier prepare wrote: a folder of the user's is never deleted
    writeFileSync(join(t.dir, 'demo-bm.prepared', 'mine.txt'), 'keep me');
    await assert.rejects(prepare([input], { gmx: '/nonexistent/gmx', engine: 'gromacs', force: true }, sink), (e: unknown) => e instanceof InputError && /not written by backmap prepare \(no prepare\.json\)/.test((e as Error).message));
    assert.equal(readFileSync(join(t.dir, 'demo-bm.prepared', 'mine.txt'), 'utf8'), 'keep me');
    // and with a prepare's folder and --force, the missing engine is a SetupError naming what was tried
    writeFileSync(join(t.dir, 'demo-bm.prepared', 'prepare.json'), '{}');
    await assert.rejects(prepare([input], { gmx: '/nonexistent/gmx', engine: 'gromacs', force: true }, sink), (e: unknown) => e instanceof SetupError && /\/nonexistent\/gmx \(configured\): not found/.test((e as Error).message));
    // an output folder that holds the input is refused
    await assert.rejects(prepare([input], { output: t.dir, force: true, gmx: '/nonexistent/gmx', engine: 'gromacs' }, sink), (e: unknown) => e instanceof InputError && /would hold the input/.test((e as Error).message));
  } finally {
    t.cleanup();
  }
});

test('prepare with GROMACS: steps on stderr, energies and the folder on stdout', { skip: GMX_SKIP, timeout: 120_000 }, async (t) => {
  const tmp = tempDir('bm-cli-prep');
  try {
    const input = await backmappedDemo(tmp.dir);
    const out = join(tmp.dir, 'ready');
    const { r, io: sink } = io();
    try {
      await prepare([input], { engine: 'gromacs', steps: '300', threads: '2', output: out }, sink);
    } catch (e) {
      if (e instanceof SetupError && /RDTSCP/.test(e.message)) return t.skip(e.message);
      throw e;
    }
    assert.match(r.err, /\[ *\d+%\] pdb2gmx: topology\n/);
    assert.match(r.err, /^force field: charmm27 \(charmm names/m);
    assert.match(r.out, /^GROMACS \S+, charmm27, vacuum .*: 951 atoms, 58 residues$/m);
    assert.match(r.out, /^potential energy -?\d+\.\d → -\d+\.\d kJ\/mol \(-?\d+\.\d → -\d+\.\d per residue; restraint \d+\.\d\)$/m);
    assert.match(r.out, /^heavy atoms moved 0\.\d{3} Å RMS/m);
    assert.ok(r.out.includes(`→ ${out}/`));
    assert.ok(existsSync(join(out, 'minimised.pdb')));
  } finally {
    tmp.cleanup();
  }
});
