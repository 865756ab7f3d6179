/**
 * Engine discovery with stand-ins: shell scripts that answer like `gmx --version` and like a Python without OpenMM,
 * and an empty PATH, so these run everywhere (the real engines are exercised in gromacs.test.ts / openmm.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findEngine, findGromacs, gromacsCandidates, probeOpenmm } from '../../../src/core/prepare/engines';
import { SetupError } from '../../../src/core/errors';

const skipWin = process.platform === 'win32' ? 'shell-script stand-ins need a POSIX shell' : false;

function script(dir: string, name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

test('gromacsCandidates: a named gmx alone; else BACKMAP_GMX, GMX, GMXBIN, then gmx, gmx_mpi, gmx_d on PATH', () => {
  assert.deepEqual(gromacsCandidates('/opt/g/gmx', { BACKMAP_GMX: '/x/gmx' }), [{ executable: '/opt/g/gmx', origin: 'configured' }]);
  assert.deepEqual(
    gromacsCandidates(undefined, { BACKMAP_GMX: '/x/gmx', GMX: '/y/gmx_mpi' }).map((c) => `${c.executable} ${c.origin}`),
    ['/x/gmx BACKMAP_GMX', '/y/gmx_mpi GMX', 'gmx PATH', 'gmx_mpi PATH', 'gmx_d PATH'],
  );
});

test('findGromacs reads version, data prefix and MPI flavour from --version; an MPI build is marked (-ntomp, not -nt)', { skip: skipWin }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-eng-'));
  try {
    const fake = script(dir, 'gmx_mpi', 'echo "GROMACS version:    2099.1"; echo "MPI library:        MPI"; echo "Data prefix:  /opt/gromacs"');
    const r = await findGromacs({ configured: fake, env: { PATH: dir } });
    assert.equal(r.engine?.version, '2099.1');
    assert.equal(r.engine?.mpi, true);
    assert.equal(r.engine?.topDir, join('/opt/gromacs', 'share', 'gromacs', 'top'));
    const notGmx = script(dir, 'other', 'echo hello; exit 0');
    assert.match((await findGromacs({ configured: notGmx, env: { PATH: dir } })).tried[0].problem ?? '', /is not GROMACS/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('probeOpenmm: a Python without openmm is named with the import error', { skip: skipWin }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-eng-'));
  try {
    const py = script(dir, 'python3', `echo '{"python": "3.11.2", "error": "No module named openmm"}'`);
    const p = await probeOpenmm(py, 'configured', { PATH: dir });
    assert.equal(p.problem, 'Python 3.11.2 has no openmm (No module named openmm)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no engine: SetupError naming every candidate tried and how to install GROMACS and OpenMM', { skip: skipWin }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-eng-'));
  try {
    const py = script(dir, 'python3', `echo '{"python": "3.11.2", "error": "No module named openmm"}'`);
    const env = { PATH: dir };
    await assert.rejects(
      () => findEngine('auto', { python: py, env }),
      (e: unknown) => {
        assert.ok(e instanceof SetupError);
        const m = (e as Error).message;
        for (const s of ['GROMACS or OpenMM', 'gmx (PATH): not found', 'gmx_mpi (PATH): not found', 'gmx_d (PATH): not found', `${py} (configured): Python 3.11.2 has no openmm`, 'apt install gromacs', 'python3-simtk', 'conda install -c conda-forge openmm'])
          assert.ok(m.includes(s), `'${s}' in: ${m}`);
        return true;
      },
    );
    // asked for one engine: only that one is looked for and named
    await assert.rejects(() => findEngine('gromacs', { env }), (e: unknown) => e instanceof SetupError && !/OpenMM:/.test((e as Error).message) && /prepare needs GROMACS;/.test((e as Error).message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
