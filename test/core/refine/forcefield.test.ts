/**
 * The in-product AMBER99SB-ILDN minimisation (src/core/refine/forcefield): analytic gradient against finite
 * differences, the minimiser lowering the energy to the force tolerance, the tether's bound on heavy-atom moves,
 * residues without parameters held and reported, every naming read, and — when `gmx` is installed — the bonded
 * and 1-4 Lennard-Jones energies against GROMACS's own on the same coordinates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { addHydrogens } from '../../../src/core/hydrogens';
import { StructureBuilder } from '../../../src/core/structure/builder';
import { formatPdb } from '../../../src/core/structure/pdb';
import { parseGro } from '../../../src/core/structure/gro';
import type { Structure } from '../../../src/core/structure/types';
import type { ForceFieldNaming } from '../../../src/core/ffnames';
import { buildTopology, ForceFieldEnergy, lbfgs, minimiseWithForceField } from '../../../src/core/refine/forcefield';

const SEQ = 'MKCDHEWFNRTS';
const peptide = (names: ForceFieldNaming = 'amber'): Structure =>
  addHydrogens(buildPeptide(SEQ, { phi: -65, psi: -40, chainId: 'A' }), { hydrogens: true, names }).structure;

test('topology: every residue of a hydrogenated peptide is parametrised under each naming, with the same terms', () => {
  const counts = (['amber', 'charmm', 'gromacs'] as const).map((names) => {
    const top = buildTopology(peptide(names), { names });
    assert.deepEqual(top.frozen, [], names);
    return [top.bondI.length, top.angleI.length, top.torI.length, top.pairI.length];
  });
  assert.deepEqual(counts[1], counts[0]);
  assert.deepEqual(counts[2], counts[0]);
});

test('energy: the analytic gradient matches central differences (every term, tether and cutoff included)', () => {
  const s = peptide();
  const top = buildTopology(s);
  // relax the rule-placed start a little so no term dominates the comparison
  const relax = new ForceFieldEnergy(top, { tetherK: 50 });
  const x = Float64Array.from(s.coords);
  lbfgs((y, g) => relax.evaluate(y, g).total, x, { movable: top.movable, maxSteps: 40 });
  // a tether pulled off the start and a short cutoff, so pairs sit near it
  const ref = x.map((v, i) => v + 0.2 * Math.sin(i));
  const ff = new ForceFieldEnergy(top, { tetherK: 20, tetherRef: ref, cutoff: 6, skin: 1 });
  const g = new Float64Array(x.length);
  const e = ff.evaluate(x, g);
  for (const term of ['bond', 'angle', 'proper', 'improper', 'lj', 'coulomb', 'lj14', 'coulomb14', 'tether'] as const) assert.ok(e[term] !== 0, `${term} is part of the energy`);
  const h = 1e-5;
  let worst = 0;
  for (let i = 0; i < x.length; i += 5) {
    const xp = Float64Array.from(x);
    const xm = Float64Array.from(x);
    xp[i] += h;
    xm[i] -= h;
    const num = (ff.evaluate(xp, null).total - ff.evaluate(xm, null).total) / (2 * h);
    worst = Math.max(worst, Math.abs(num - g[i]) / Math.max(1, Math.abs(g[i])));
  }
  assert.ok(worst < 1e-4, `largest relative gradient error ${worst}`);
});

test('minimiser: lowers the energy to RMS force ≤ 10 kJ/mol/nm, never raising it; per-residue energies add up', () => {
  const s = peptide();
  const { structure, report } = minimiseWithForceField(s, { tether: 10 });
  assert.ok(report.converged && report.rmsForce <= 10, `rms force ${report.rmsForce}`);
  assert.ok(report.energyAfter.total < report.energyBefore.total);
  assert.ok(report.perResidueAfter < report.perResidueBefore);
  assert.equal(report.residues, SEQ.length);
  const sum = report.perResidue.reduce((a, r) => a + r.after, 0);
  assert.ok(Math.abs(sum - report.energyAfter.forceField) < 1e-6 * Math.abs(report.energyAfter.forceField) + 1e-6);
  assert.notEqual(structure.coords, s.coords, 'the input is not changed in place');
  // the energy of every accepted L-BFGS step is at most the one before
  const top = buildTopology(s);
  const ff = new ForceFieldEnergy(top, { tetherK: 10 });
  const energies: number[] = [ff.evaluate(Float64Array.from(s.coords), null).total];
  lbfgs((y, g) => ff.evaluate(y, g).total, Float64Array.from(s.coords), { movable: top.movable, maxSteps: 80, onStep: (_, e) => energies.push(e) });
  assert.ok(energies.length > 20);
  for (let k = 1; k < energies.length; k++) assert.ok(energies[k] <= energies[k - 1], `step ${k}: ${energies[k]} > ${energies[k - 1]}`);
});

test('tether: heavy-atom moves are bounded by the energy released, and a stiffer tether moves them less', () => {
  const s = peptide();
  const soft = minimiseWithForceField(s, { tether: 5 }).report;
  const stiff = minimiseWithForceField(s, { tether: 100 }).report;
  assert.ok(stiff.heavyMoved.rms < soft.heavyMoved.rms, `${stiff.heavyMoved.rms} vs ${soft.heavyMoved.rms}`);
  // E_ff(end) + ½k Σd² ≤ E_ff(start), so no heavy atom moves more than sqrt(2 ΔE_ff / k)
  for (const [k, r] of [[5, soft], [100, stiff]] as const) {
    const bound = Math.sqrt((2 * (r.energyBefore.forceField - r.energyAfter.forceField)) / k);
    assert.ok(r.heavyMoved.max <= bound, `k ${k}: max move ${r.heavyMoved.max} > bound ${bound}`);
    assert.ok(r.energyAfter.tether <= r.energyBefore.forceField - r.energyAfter.forceField);
  }
});

test('residues without parameters are held where they are and reported, never refused', () => {
  const pep = peptide();
  const b = new StructureBuilder();
  for (let i = 0; i < pep.atoms.count; i++)
    b.addAtom({ name: pep.atoms.name[i], resName: pep.atoms.resName[i], chainId: 'A', resSeq: pep.atoms.resSeq[i], element: pep.atoms.element[i], x: pep.coords[3 * i], y: pep.coords[3 * i + 1], z: pep.coords[3 * i + 2] });
  // a ligand the force field does not know, and a second chain without hydrogens, both near the peptide
  const c0 = [pep.coords[0] + 4, pep.coords[1], pep.coords[2]];
  for (const [k, name] of ['C1', 'C2', 'O3'].entries()) b.addAtom({ name, resName: 'LIG', chainId: 'L', resSeq: 1, element: name[0], hetero: true, x: c0[0] + 1.4 * k, y: c0[1], z: c0[2] });
  const heavyOnly = buildPeptide('GAG', { chainId: 'B' });
  for (let i = 0; i < heavyOnly.atoms.count; i++)
    b.addAtom({ name: heavyOnly.atoms.name[i], resName: heavyOnly.atoms.resName[i], chainId: 'B', resSeq: heavyOnly.atoms.resSeq[i], element: heavyOnly.atoms.element[i], x: heavyOnly.coords[3 * i] + 15, y: heavyOnly.coords[3 * i + 1], z: heavyOnly.coords[3 * i + 2] });
  const s = b.build('mixed');
  const { structure, report } = minimiseWithForceField(s, { tether: 10 });
  assert.equal(report.residues, SEQ.length);
  assert.deepEqual(report.frozen.map((f) => `${f.chainId}${f.resSeq} ${f.resName}`), ['L1 LIG', 'B1 GLY', 'B2 ALA', 'B3 GLY']);
  assert.match(report.frozen[0].reason, /no AMBER99SB-ILDN entry for LIG/);
  assert.match(report.frozen[2].reason, /missing H HA HB1/);
  for (let i = pep.atoms.count; i < s.atoms.count; i++)
    for (let c = 0; c < 3; c++) assert.equal(structure.coords[3 * i + c], s.coords[3 * i + c], `atom ${i} held`);
  assert.ok(report.energyAfter.total < report.energyBefore.total);
});

test('held residues are felt: a moving atom that overlaps a held one is pushed out, the held one stays', () => {
  const pep = peptide();
  // the side-chain heavy atom farthest from the peptide's centre, and a held ligand atom 1.6 Å beyond it
  const n = pep.atoms.count;
  const c = [0, 1, 2].map((k) => pep.coords.filter((_, i) => i % 3 === k).reduce((a, v) => a + v, 0) / n);
  let far = -1;
  let best = -1;
  for (let i = 0; i < n; i++) {
    if (pep.atoms.element[i] === 'H') continue;
    const d = Math.hypot(pep.coords[3 * i] - c[0], pep.coords[3 * i + 1] - c[1], pep.coords[3 * i + 2] - c[2]);
    if (d > best) [best, far] = [d, i];
  }
  const out = [0, 1, 2].map((k) => (pep.coords[3 * far + k] - c[k]) / best);
  const b = new StructureBuilder();
  for (let i = 0; i < n; i++)
    b.addAtom({ name: pep.atoms.name[i], resName: pep.atoms.resName[i], chainId: 'A', resSeq: pep.atoms.resSeq[i], element: pep.atoms.element[i], x: pep.coords[3 * i], y: pep.coords[3 * i + 1], z: pep.coords[3 * i + 2] });
  const lig = [0, 1, 2].map((k) => pep.coords[3 * far + k] + 1.6 * out[k]);
  b.addAtom({ name: 'C1', resName: 'LIG', chainId: 'L', resSeq: 1, element: 'C', hetero: true, x: lig[0], y: lig[1], z: lig[2] });
  const s = b.build('overlap');
  const { structure, report } = minimiseWithForceField(s, { tether: 10 });
  assert.deepEqual(report.frozen.map((f) => f.resName), ['LIG']);
  assert.ok(report.energyBefore.lj > 100, `the overlap is in the energy: LJ ${report.energyBefore.lj}`);
  for (let k = 0; k < 3; k++) assert.equal(structure.coords[3 * n + k], s.coords[3 * n + k], 'the ligand is held');
  let closest = Infinity;
  for (let i = 0; i < n; i++)
    if (structure.atoms.element[i] !== 'H')
      closest = Math.min(closest, Math.hypot(structure.coords[3 * i] - lig[0], structure.coords[3 * i + 1] - lig[1], structure.coords[3 * i + 2] - lig[2]));
  assert.ok(closest > 2.6, `closest peptide heavy atom to the held carbon: ${closest.toFixed(2)} Å (1.6 before)`);
});

const HAVE_GMX = spawnSync('gmx', ['--version'], { encoding: 'utf8' }).status === 0;

test('GROMACS agrees: bonds, angles, torsions and 1-4 LJ of amber99sb-ildn on the same coordinates', { skip: HAVE_GMX ? false : 'gmx (GROMACS) is not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ffgmx-'));
  try {
    writeFileSync(join(dir, 'in.pdb'), formatPdb(peptide()));
    const gmx = (...args: string[]) => {
      const r = spawnSync('gmx', ['-quiet', ...args], { cwd: dir, encoding: 'utf8', input: args[0] === 'energy' ? 'Bond\nAngle\nProper-Dih.\nPer.-Imp.-Dih.\nLJ-14\n\n' : '' });
      assert.equal(r.status, 0, `gmx ${args[0]}: ${r.stderr.slice(-800)}`);
      return r.stdout + r.stderr;
    };
    gmx('pdb2gmx', '-f', 'in.pdb', '-o', 'conf.gro', '-p', 'topol.top', '-ff', 'amber99sb-ildn', '-water', 'none');
    gmx('editconf', '-f', 'conf.gro', '-o', 'box.gro', '-box', '8', '8', '8', '-noc');
    writeFileSync(join(dir, 'rerun.mdp'), 'integrator = md\nnsteps = 0\ncutoff-scheme = Verlet\nrcoulomb = 1.0\nrvdw = 1.0\npbc = xyz\nconstraints = none\n');
    gmx('grompp', '-f', 'rerun.mdp', '-c', 'box.gro', '-p', 'topol.top', '-o', 'rerun.tpr', '-maxwarn', '5');
    gmx('mdrun', '-s', 'rerun.tpr', '-rerun', 'box.gro', '-nt', '1', '-e', 'rerun.edr', '-g', 'md.log');
    const out = gmx('energy', '-f', 'rerun.edr', '-o', 'e.xvg');
    const value = (label: string) => Number(new RegExp(`^${label.replace('.', '\\.')}\\s+(\\S+)`, 'm').exec(out)?.[1]);
    // the same coordinates GROMACS read (.gro keeps 0.01 Å), under pdb2gmx's names and atom order
    const s = parseGro(readFileSync(join(dir, 'box.gro'), 'utf8'), 'box.gro');
    const top = buildTopology(s);
    assert.deepEqual(top.frozen, []);
    const e = new ForceFieldEnergy(top, {}).evaluate(Float64Array.from(s.coords), null);
    for (const [label, ours] of [['Bond', e.bond], ['Angle', e.angle], ['Proper Dih.', e.proper], ['Per. Imp. Dih.', e.improper], ['LJ-14', e.lj14]] as const) {
      const theirs = value(label);
      assert.ok(Number.isFinite(theirs), `gmx energy printed ${label}`);
      assert.ok(Math.abs(ours - theirs) <= 1e-3 * Math.abs(theirs) + 0.05, `${label}: ours ${ours}, GROMACS ${theirs}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
