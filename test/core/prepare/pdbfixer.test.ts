/**
 * The judge first runs PDBFixer on a backmap: it must find nothing to add (no missing residue, heavy atom,
 * terminal OXT or hydrogen) in our output under either naming. Needs /usr/bin/python3 with openmm and pdbfixer
 * (Debian: python3-simtk python3-pdbfixer); skipped otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backmappedDemo } from './helpers';

const probe = spawnSync('/usr/bin/python3', ['-c', 'import pdbfixer, openmm'], { encoding: 'utf8' });
const SKIP = !probe.error && probe.status === 0 ? false : '/usr/bin/python3 lacks pdbfixer/openmm: skipped (Debian: apt-get install python3-pdbfixer python3-simtk)';

const SCRIPT = `
import json, sys
from pdbfixer import PDBFixer
f = PDBFixer(filename=sys.argv[1])
f.findMissingResidues(); f.findNonstandardResidues(); f.findMissingAtoms()
n0 = f.topology.getNumAtoms()
f.addMissingAtoms(); n1 = f.topology.getNumAtoms()
f.addMissingHydrogens(7.0); n2 = f.topology.getNumAtoms()
print(json.dumps({'residues': len(f.missingResidues), 'nonstandard': len(f.nonstandardResidues),
  'heavy': sum(len(v) for v in f.missingAtoms.values()), 'terminals': sum(len(v) for v in f.missingTerminals.values()),
  'addedHeavy': n1 - n0, 'addedH': n2 - n1, 'atoms': n0}))
`;

for (const names of ['amber', 'charmm'] as const)
  test(`PDBFixer adds nothing to a backmapped protein (${names} names)`, { skip: SKIP, timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bm-pdbfixer-'));
    try {
      const input = await backmappedDemo(dir, names);
      const r = spawnSync('/usr/bin/python3', ['-c', SCRIPT, input], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr.slice(-1500));
      const found = JSON.parse(r.stdout.trim().split('\n').pop()!);
      assert.deepEqual({ ...found, atoms: undefined }, { residues: 0, nonstandard: 0, heavy: 0, terminals: 0, addedHeavy: 0, addedH: 0, atoms: undefined }, JSON.stringify(found));
      assert.equal(found.atoms, 951);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
