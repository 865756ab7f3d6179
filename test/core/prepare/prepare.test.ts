/** What `prepareStructure` decides before any engine runs: the output folder, the force field of the file's names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPrepareFolder, prepareStructure } from '../../../src/core/prepare';
import { chooseForceField, detectNaming } from '../../../src/core/prepare/forcefield';
import { heavyAtomDisplacement } from '../../../src/core/prepare/result';
import { InputError, UsageError } from '../../../src/core/errors';
import { parsePdb } from '../../../src/core/structure/pdb';

const atom = (n: number, name: string, res: string, seq: number, x: number, el: string) =>
  `ATOM  ${String(n).padStart(5)} ${name.padEnd(4)} ${res.padEnd(4)}A${String(seq).padStart(4)}    ${x.toFixed(3).padStart(8)}   0.000   0.000  1.00  0.00          ${el.padStart(2)}`;
const pdb = (rows: string[]) => parsePdb(`${rows.join('\n')}\nEND\n`, 'x.pdb');

test('defaultPrepareFolder: <stem>.prepared beside the input, whatever the structure extension', () => {
  assert.equal(defaultPrepareFolder('/a/b/prot.pdb'), '/a/b/prot.prepared');
  assert.equal(defaultPrepareFolder('/a/b/prot.gro.gz'), '/a/b/prot.prepared');
  assert.equal(defaultPrepareFolder('/a/b/prot.cif'), '/a/b/prot.prepared');
});

test('an existing output folder is refused without force, before any engine is looked for; a file in its place always', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-prep-'));
  try {
    const input = join(dir, 'p.pdb');
    writeFileSync(input, `${atom(1, 'CA', 'ALA', 1, 0, 'C')}\nEND\n`);
    mkdirSync(join(dir, 'p.prepared'));
    writeFileSync(join(dir, 'p.prepared', 'mine.txt'), 'keep');
    // an impossible engine setting would throw SetupError: the refusal comes first
    await assert.rejects(prepareStructure({ input, gmx: '/nonexistent/gmx', engine: 'gromacs' }), (e: unknown) => e instanceof InputError && /output folder already exists \(use --force/.test((e as Error).message));
    assert.ok(existsSync(join(dir, 'p.prepared', 'mine.txt')));
    writeFileSync(join(dir, 'file'), '');
    await assert.rejects(prepareStructure({ input, out: join(dir, 'file'), force: true }), /exists and is not a folder/);
    await assert.rejects(prepareStructure({ input, out: join(dir, 'new'), engine: 'nope' as 'auto' }), UsageError);
    await assert.rejects(prepareStructure({ input, out: join(dir, 'new'), steps: 0 }), /--steps expects an integer ≥ 1/);
    await assert.rejects(prepareStructure({ input: join(dir, 'missing.pdb') }), /missing\.pdb: file not found/);
    assert.deepEqual(readdirSync(dir).sort(), ['file', 'p.pdb', 'p.prepared']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('detectNaming / chooseForceField: residue names tell CHARMM, AMBER and GROMACS apart, then atom names; --ff wins', () => {
  const charmm = pdb([atom(1, 'N', 'HSE', 1, 0, 'N'), atom(2, 'HN', 'HSE', 1, 1, 'H')]);
  const amber = pdb([atom(1, 'N', 'ALA', 1, 0, 'N'), atom(2, 'H', 'ALA', 1, 1, 'H'), atom(3, 'N', 'HIE', 2, 4, 'N')]);
  const gromacs = pdb([atom(1, 'N', 'HISE', 1, 0, 'N')]);
  const terminal = pdb([atom(1, 'N', 'ALA', 1, 0, 'N'), atom(2, 'OT1', 'ALA', 1, 1, 'O')]);
  const plain = pdb([atom(1, 'CA', 'ALA', 1, 0, 'C')]);
  assert.deepEqual(detectNaming(charmm), { naming: 'charmm', reason: 'residue name HSE' });
  assert.equal(detectNaming(amber).naming, 'amber');
  assert.equal(detectNaming(gromacs).naming, 'gromacs');
  assert.deepEqual(detectNaming(terminal), { naming: 'charmm', reason: 'atom name OT1' });
  assert.equal(detectNaming(plain).naming, 'charmm');
  assert.equal(chooseForceField('gromacs', charmm).ff, 'charmm27');
  assert.equal(chooseForceField('gromacs', amber).ff, 'amber99sb-ildn');
  assert.equal(chooseForceField('gromacs', gromacs).ff, 'oplsaa');
  assert.equal(chooseForceField('openmm', charmm).ff, 'charmm36');
  assert.equal(chooseForceField('openmm', gromacs).ff, 'amber14');
  assert.deepEqual(chooseForceField('gromacs', charmm, 'amber03'), { ff: 'amber03', reason: '--ff' });
  assert.throws(() => chooseForceField('openmm', charmm, 'charmm27'), /--ff for OpenMM is amber14 or charmm36/);
  assert.throws(() => chooseForceField('gromacs', pdb([atom(1, 'N', 'HISE', 1, 0, 'N'), atom(2, 'N', 'GLH', 2, 4, 'N')])), /OPLS-AA\/L .* use --ff amber99sb-ildn/);
});

test('heavyAtomDisplacement: residues in order, atoms by name then by element (renamed terminal oxygens), hydrogens ignored', () => {
  const a = pdb([atom(1, 'N', 'ALA', 1, 0, 'N'), atom(2, 'H', 'ALA', 1, 1, 'H'), atom(3, 'OT1', 'ALA', 1, 2, 'O'), atom(4, 'CA', 'GLY', 2, 5, 'C')]);
  const b = pdb([atom(1, 'N', 'ALA', 7, 0.3, 'N'), atom(2, 'O', 'ALA', 7, 2.4, 'O'), atom(3, 'H', 'ALA', 7, 9, 'H'), atom(4, 'CA', 'GLY', 8, 5, 'C')]);
  const d = heavyAtomDisplacement(a, b);
  assert.equal(d.matched, 3);
  assert.equal(d.unmatched, 0);
  assert.ok(Math.abs(d.rmsd - Math.sqrt((0.09 + 0.16 + 0) / 3)) < 1e-6);
  assert.ok(Math.abs(d.max - 0.4) < 1e-6);
  assert.equal(d.maxAtom, 'ALA A1 OT1');
  assert.ok(Math.abs(heavyAtomDisplacement(a, b, [0.3, 0, 0]).max - 0.3) < 1e-6);
});
