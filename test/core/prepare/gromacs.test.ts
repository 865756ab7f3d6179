/**
 * `prepareStructure` with the real GROMACS on the demo protein backmapped with hydrogens and CHARMM names (as a user
 * gets it from `backmap --hydrogens`): pdb2gmx without -ignh, the folder's files, energies and forces down, heavy
 * atoms held; refusals naming the residue; Cancel. Skipped when gmx is absent, or when this CPU lacks RDTSCP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareStructure, type PrepareResult } from '../../../src/core/prepare';
import { CancelledError, InputError, SetupError } from '../../../src/core/errors';
import { parsePdb } from '../../../src/core/structure/pdb';
import { backmappedDemo, GMX_SKIP } from './helpers';

test('GROMACS: the backmapped demo protein (hydrogens, CHARMM names) minimised with charmm27 in vacuum', { skip: GMX_SKIP, timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-prep-g-'));
  try {
    const input = await backmappedDemo(dir);
    const steps: string[] = [];
    const lines: string[] = [];
    let r: PrepareResult;
    try {
      r = await prepareStructure({ input, engine: 'gromacs', threads: 2 }, { progress: (s) => steps.push(s), log: (l) => lines.push(l) });
    } catch (e) {
      if (e instanceof SetupError && /RDTSCP/.test(e.message)) return t.skip(e.message);
      throw e;
    }
    const out = join(dir, 'demo-bm.prepared');
    assert.equal(r.folder, out);
    for (const f of ['topol.top', 'posre.itp', 'conf.gro', 'em.gro', 'em.log', 'em.mdp', 'minimised.pdb', 'prepare.json', 'prepare.md']) assert.ok(existsSync(join(out, f)), f);
    assert.deepEqual(readdirSync(dir).sort(), ['demo-bm.pdb', 'demo-bm.prepared'], 'no scratch folder left');
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'prepare.json'), 'utf8')), JSON.parse(JSON.stringify(r)));
    assert.equal(r.forceField, 'charmm27');
    assert.match(r.forceFieldReason, /charmm names/);
    assert.equal(r.hydrogensAddedByEngine, false);
    assert.ok(!lines.some((l) => / -ignh\b/.test(l) && l.startsWith('$')), 'pdb2gmx ran without -ignh');
    assert.ok(!r.warnings.some((w) => /pdb2gmx wrote/.test(w)), 'pdb2gmx added no atom');
    assert.equal(r.atoms, 951);
    assert.equal(r.residues, 58);
    assert.equal(r.restraint.atoms, 472);
    t.diagnostic(`GROMACS ${r.version}: ${r.energy.before.perResidue.toFixed(1)} → ${r.energy.after.perResidue.toFixed(1)} kJ/mol per residue, Fmax ${r.maxForce.before?.toFixed(0)} → ${r.maxForce.after.toFixed(1)}, heavy atoms ${r.heavyAtoms.rmsd.toFixed(3)} Å RMS, ${r.steps} steps, ${r.seconds.toFixed(1)} s`);
    assert.ok(r.energy.after.total < r.energy.before.total - 1000, 'the energy falls');
    assert.ok(r.maxForce.before! > 1000 && r.maxForce.after < 100, 'the largest force falls');
    assert.ok(r.heavyAtoms.rmsd > 0.01 && r.heavyAtoms.rmsd < 0.5, `heavy atoms held by the restraint: ${r.heavyAtoms.rmsd}`);
    assert.equal(r.heavyAtoms.unmatched, 0);
    assert.ok(r.steps > 10 && r.steps <= 5001);
    assert.ok(steps.some((s) => s.startsWith('pdb2gmx')) && steps.some((s) => s.startsWith('mdrun -em')));
    // minimised.pdb: the input's chain and numbering, in the input's frame (editconf's shift and mdrun's wrapping undone)
    const m = parsePdb(readFileSync(join(out, 'minimised.pdb'), 'utf8'), 'minimised.pdb');
    assert.equal(m.atoms.count, 951);
    assert.ok(m.atoms.chainId.every((c) => c === 'A'));
    assert.equal(m.atoms.resSeq[m.atoms.count - 1], 58);
    assert.match(readFileSync(join(out, 'prepare.md'), 'utf8'), /\| potential energy \(kJ\/mol\) \| -?\d+\.\d \| -\d+\.\d \|/);

    // never overwritten without force; with force replaced whole
    await assert.rejects(prepareStructure({ input, engine: 'gromacs' }), /output folder already exists/);
    writeFileSync(join(out, 'stale.txt'), '');
    const again = await prepareStructure({ input, engine: 'gromacs', force: true, threads: 2, steps: 50 });
    assert.ok(!existsSync(join(out, 'stale.txt')));
    assert.equal(again.converged, false);
    assert.ok(again.warnings.some((w) => /did not converge to Fmax < 10 in 51 steps/.test(w)), again.warnings.join('; '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GROMACS: a residue pdb2gmx does not know is an InputError naming it and its line; nothing is left behind', { skip: GMX_SKIP }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-prep-g-'));
  try {
    const good = await backmappedDemo(dir);
    const text = readFileSync(good, 'utf8');
    // a ligand of its own chain: "Residue 'XYZ' not found in residue topology database"
    const input = join(dir, 'with-ligand.pdb');
    const ligand = 'HETATM 9999  C1  XYZ B 101      10.000  10.000  10.000  1.00  0.00           C';
    writeFileSync(input, text.replace(/^END/m, `${ligand}\nEND`));
    const line = text.split('\n').findIndex((l) => l.startsWith('END')) + 1;
    await assert.rejects(prepareStructure({ input, engine: 'gromacs' }), (e: unknown) => {
      assert.ok(e instanceof InputError, String(e));
      assert.match((e as Error).message, new RegExp(`with-ligand\\.pdb:${line}: residue XYZ is not in charmm27's residue topology database`));
      return true;
    });
    assert.deepEqual(readdirSync(dir).sort(), ['demo-bm.pdb', 'with-ligand.pdb']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GROMACS: Cancel stops the engine, rejects with CancelledError and leaves no folder', { skip: GMX_SKIP }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-prep-g-'));
  try {
    const input = await backmappedDemo(dir);
    const controller = new AbortController();
    const run = prepareStructure({ input, engine: 'gromacs', threads: 1, emtol: 0.001, steps: 1_000_000 }, {
      signal: controller.signal,
      progress: (s) => s.startsWith('mdrun -em') && setTimeout(() => controller.abort(), 300),
    });
    await assert.rejects(run, CancelledError);
    assert.deepEqual(readdirSync(dir), ['demo-bm.pdb']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
