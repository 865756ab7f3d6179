/**
 * `prepareStructure` with OpenMM (Debian's python3-openmm / python3-simtk in /usr/bin/python3): the backmapped demo
 * protein with AMBER names (amber14 + OBC2) and with CHARMM names (charmm36, vacuum). Skipped without OpenMM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareStructure } from '../../../src/core/prepare';
import { parsePdb } from '../../../src/core/structure/pdb';
import { backmappedDemo, OPENMM_SKIP } from './helpers';

for (const [names, ff] of [['amber', 'amber14'], ['charmm', 'charmm36']] as const)
  test(`OpenMM: the backmapped demo protein (hydrogens, ${names} names) minimised with ${ff}`, { skip: OPENMM_SKIP, timeout: 180_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bm-prep-o-'));
    try {
      const input = await backmappedDemo(dir, names);
      const progress: string[] = [];
      const r = await prepareStructure({ input, engine: 'openmm', python: '/usr/bin/python3', threads: 2 }, { progress: (s) => progress.push(s) });
      const out = join(dir, 'demo-bm.prepared');
      for (const f of ['minimised.pdb', 'system.xml', 'prepare.json', 'prepare.md']) assert.ok(existsSync(join(out, f)), f);
      assert.deepEqual(readdirSync(dir).sort(), ['demo-bm.pdb', 'demo-bm.prepared']);
      assert.equal(r.engine, 'openmm');
      assert.equal(r.forceField, ff);
      assert.equal(r.atoms, 951);
      assert.equal(r.restraint.atoms, 472);
      t.diagnostic(`OpenMM ${r.version} ${ff}: ${r.energy.before.perResidue.toFixed(1)} → ${r.energy.after.perResidue.toFixed(1)} kJ/mol per residue, Fmax ${r.maxForce.before?.toFixed(0)} → ${r.maxForce.after.toFixed(1)}, heavy atoms ${r.heavyAtoms.rmsd.toFixed(3)} Å RMS, ${r.steps} steps, ${r.seconds.toFixed(1)} s`);
      assert.ok(r.energy.after.total < r.energy.before.total - 1000);
      // L-BFGS may stall just above the tolerance (then a warning says so)
      assert.ok(r.maxForce.after < 50, `largest force ${r.maxForce.after}`);
      if (!r.converged) assert.ok(r.warnings.some((w) => /lowered the energy by less than|above 10/.test(w)), r.warnings.join('; '));
      assert.ok(r.heavyAtoms.rmsd > 0.01 && r.heavyAtoms.rmsd < 0.5, `heavy atoms held: ${r.heavyAtoms.rmsd}`);
      assert.equal(r.heavyAtoms.unmatched, 0);
      assert.ok(progress.some((p) => p.startsWith('OpenMM: minimising')));
      // the input's names come back (OpenMM's reader renames HN → H, OT1 → O, HSE → HIS)
      const m = parsePdb(readFileSync(join(out, 'minimised.pdb'), 'utf8'), 'minimised.pdb');
      const inp = parsePdb(readFileSync(input, 'utf8'), 'in.pdb');
      assert.deepEqual(m.atoms.name, inp.atoms.name);
      assert.deepEqual(m.atoms.resName, inp.atoms.resName);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
