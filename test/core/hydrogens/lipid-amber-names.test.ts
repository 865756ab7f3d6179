/**
 * AMBER lipid names (`--names amber`, src/core/lipid-names.ts with the generated chemistry/lipid-amber-names.ts):
 * every lipid and sterol of the table, built from its own conformation with our hydrogens and renamed, against
 * OpenMM's amber14/lipid17.xml residues (when the file is installed; otherwise the table's invariants), and OpenMM
 * building a system from the renamed molecules with amber14-all.xml + amber14/lipid17.xml (when OpenMM is installed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIPIDS, lipidTopology } from '../../../src/core/chemistry/lipids';
import { LIPID_CONFORMATIONS } from '../../../src/core/chemistry/lipid-conformations';
import { LIPID_AMBER_NAMES } from '../../../src/core/chemistry/lipid-amber-names';
import { lipidHydrogenPlan } from '../../../src/core/lipid-hydrogens';
import { lipidNameFor, lipidResidueNameFor } from '../../../src/core/lipid-names';
import { addHydrogens } from '../../../src/core/hydrogens';
import { StructureBuilder, residuesOf } from '../../../src/core/structure/builder';
import type { Structure } from '../../../src/core/structure/types';
import { formatPdb } from '../../../src/core/structure/pdb';

const LIPID17 = '/usr/lib/python3/dist-packages/openmm/app/data/amber14/lipid17.xml';
const NAMES = Object.keys(LIPID_AMBER_NAMES);

/** Atom names of each lipid17 residue, read straight from the XML (independent of the generator). */
function lipid17Atoms(path: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of readFileSync(path, 'utf8').matchAll(/<Residue name="([^"]+)">([\s\S]*?)<\/Residue>/g))
    out.set(m[1], [...m[2].matchAll(/<Atom\b[^>]*\bname="([^"]*)"/g)].map((a) => a[1]));
  return out;
}

/**
 * One molecule of each lipid of the table from its first conformation, 40 Å apart, given hydrogens by addHydrogens
 * (CHARMM36 names), then renamed through lipidNameFor / lipidResidueNameFor under `amber`. Cholesterol comes in
 * under Martini's CHOL, as a backmapped membrane has it.
 */
function amberLipids(): Structure {
  const sb = new StructureBuilder(1500);
  NAMES.forEach((name, m) => {
    const l = LIPIDS[name];
    const x = LIPID_CONFORMATIONS[name][0];
    const resName = name === 'CHL1' ? 'CHOL' : name;
    l.atoms.forEach((a, k) => sb.addAtom({ name: a, resName, chainId: 'L', resSeq: m + 1, element: l.elements[k], x: x[3 * k] + 40 * m, y: x[3 * k + 1], z: x[3 * k + 2] }));
  });
  // The product's path: addHydrogens with names 'amber' writes lipids under their lipid17 names.
  return addHydrogens(sb.build('table-lipids'), { names: 'amber' }).structure;
}

test('the amber lipid table: every lipid of the chemistry table that lipid17 has, renamed one to one', () => {
  assert.ok(NAMES.length >= 10, `lipids covered: ${NAMES.join(' ')}`);
  for (const name of NAMES) {
    const l = LIPIDS[name];
    assert.ok(l, `${name}: not in the chemistry table`);
    const ours = [...l.atoms, ...[...lipidHydrogenPlan(name)!.byCarrier.values()].flat()];
    const renamed = ours.map((x) => lipidNameFor(name, x, 'amber'));
    assert.equal(new Set(renamed).size, ours.length, `${name}: two atoms under one amber name`);
    for (const from of Object.keys(LIPID_AMBER_NAMES[name].atoms)) assert.ok(ours.includes(from), `${name}: the table renames ${from}, which we never write`);
  }
  // other namings, other residues and unknown atoms pass through; aliases find their molecule
  assert.equal(lipidNameFor('POPC', 'H12A', 'charmm'), 'H12A');
  assert.equal(lipidNameFor('ALA', 'CB', 'amber'), 'CB');
  assert.equal(lipidNameFor('POPC', 'constructor', 'amber'), 'constructor');
  assert.equal(lipidResidueNameFor('CHOL', 'amber'), 'CHL1');
  assert.equal(lipidResidueNameFor('CHOL', 'charmm'), 'CHOL');
  assert.equal(lipidResidueNameFor('ALA', 'amber'), 'ALA');
});

test('renamed lipids: every atom a lipid17 atom of its residue, each once, none missing', { skip: existsSync(LIPID17) ? false : `${LIPID17} absent (Debian python3-simtk): the table's invariants are checked above` }, () => {
  const ref = lipid17Atoms(LIPID17);
  const s = amberLipids();
  const residues = residuesOf(s.atoms);
  assert.equal(residues.length, NAMES.length);
  for (const r of residues) {
    const want = ref.get(r.resName);
    assert.ok(want, `${r.resName}: no lipid17 residue of that name`);
    const got = s.atoms.name.slice(r.start, r.end);
    assert.equal(new Set(got).size, got.length, `${r.resName}: an atom name twice`);
    assert.deepEqual(got.slice().sort(), want.slice().sort(), `${r.resName}: atom names against lipid17`);
    assert.ok(lipidTopology(r.resName), r.resName);
  }
});

/** A Python that imports openmm (BACKMAP_PYTHON, /usr/bin/python3, python3), or null. */
function openmmPython(): string | null {
  for (const py of [process.env.BACKMAP_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p)) {
    if (spawnSync(py, ['-c', 'import openmm'], { encoding: 'utf8' }).status === 0) return py;
  }
  return null;
}
const PY = openmmPython();

/**
 * Bonds from each residue's lipid17 template by atom name (a name the residue lacks, an atom the template lacks, or a
 * bond longer than 2 Å in the file, i.e. a name on the wrong atom, is an error), the template of the residue's own
 * name forced, a system with no cutoff; prints particle count, potential energy (kJ/mol) and the longest bond (Å).
 */
const OPENMM_SCRIPT = `
import sys, json
import openmm as mm
from openmm import app, unit
ff = app.ForceField('amber14-all.xml', 'amber14/lipid17.xml')
pdb = app.PDBFile(sys.argv[1])
top = pdb.topology
forced = {}
longest = 0.0
for res in top.residues():
    t = ff._templates[res.name]
    by = {a.name: a for a in res.atoms()}
    names = [a.name for a in t.atoms]
    missing = sorted(set(names) - set(by))
    extra = sorted(set(by) - set(names))
    if missing or extra or len(by) != len(list(res.atoms())):
        sys.exit(f'{res.name}: missing {missing}, not in lipid17 {extra}')
    for i, j in t.bonds:
        a, b = by[t.atoms[i].name], by[t.atoms[j].name]
        top.addBond(a, b)
        d = (pdb.positions[a.index] - pdb.positions[b.index]).value_in_unit(unit.angstrom)
        longest = max(longest, (d[0] ** 2 + d[1] ** 2 + d[2] ** 2) ** 0.5)
        if longest > 2.0:
            sys.exit(f'{res.name}: template bond {a.name}-{b.name} is {longest:.2f} A long in the file (a name on the wrong atom)')
    forced[res] = res.name
system = ff.createSystem(top, residueTemplates=forced, nonbondedMethod=app.NoCutoff)
ctx = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName('Reference'))
ctx.setPositions(pdb.positions)
e = ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
print(json.dumps({'particles': system.getNumParticles(), 'residues': top.getNumResidues(), 'energy': e, 'longest': longest}))
`;

test('OpenMM amber14-all.xml + amber14/lipid17.xml builds a system from the renamed lipids', { skip: PY ? false : 'no Python with openmm (BACKMAP_PYTHON, /usr/bin/python3): skipped' }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-lipid-amber-'));
  try {
    const s = amberLipids();
    writeFileSync(join(dir, 'lipids.pdb'), formatPdb(s));
    writeFileSync(join(dir, 'check.py'), OPENMM_SCRIPT);
    const r = spawnSync(PY!, [join(dir, 'check.py'), join(dir, 'lipids.pdb')], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, `OpenMM refused:\n${r.stderr.slice(-2000)}`);
    const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as { particles: number; residues: number; energy: number; longest: number };
    assert.equal(res.particles, s.atoms.count);
    assert.equal(res.residues, NAMES.length);
    assert.ok(Number.isFinite(res.energy), `energy ${res.energy}`);
    t.diagnostic(`lipid17, ${res.residues} residues (${NAMES.join(' ')}), ${res.particles} atoms, no cutoff: ${res.energy.toFixed(1)} kJ/mol, longest bond ${res.longest.toFixed(2)} Å`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
