/**
 * The GROMACS route's text: the EM mdp we write, mdrun's log (excerpts of real GROMACS 2022.5 logs of the demo
 * protein in fixtures/: step 0 and the last accepted step kept whole, the middle cut at a block boundary), and
 * pdb2gmx's refusals turned into errors that name the residue.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { emMdp, gromacsFatal, isIllegalInstruction, parseEmLog, pdb2gmxInputError, RDTSCP_MESSAGE } from '../../../src/core/prepare/gromacs';
import { InputError, UsageError } from '../../../src/core/errors';
import { parsePdb } from '../../../src/core/structure/pdb';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const mdpValue = (mdp: string, key: string) => new RegExp(`^${key}\\s*=\\s*(.*)$`, 'm').exec(mdp)?.[1].trim();

test('emMdp: steepest descent with our steps and emtol; POSRES only with a restraint; PME only with periodic water', () => {
  const vac = emMdp({ steps: 1234, emtol: 25, restrain: true, periodicWater: false });
  assert.equal(mdpValue(vac, 'integrator'), 'steep');
  assert.equal(mdpValue(vac, 'nsteps'), '1234');
  assert.equal(mdpValue(vac, 'emtol'), '25');
  assert.equal(mdpValue(vac, 'define'), '-DPOSRES');
  assert.equal(mdpValue(vac, 'coulombtype'), 'Cut-off');
  const wet = emMdp({ steps: 10, emtol: 10, restrain: false, periodicWater: true });
  assert.equal(mdpValue(wet, 'define'), undefined);
  assert.equal(mdpValue(wet, 'coulombtype'), 'PME');
});

test('parseEmLog: step 0 and the last block with their terms; the summary (potential, largest force, steps, why it stopped)', () => {
  const r = parseEmLog(fixture('em-machine-precision.log'));
  assert.deepEqual(r.blocks.map((b) => b.step), [0, 1, 2, 3, 1605]);
  const first = r.blocks[0].terms, last = r.blocks[r.blocks.length - 1].terms;
  assert.equal(first.Bond, 2835.3);
  assert.equal(first['Position Rest.'], 0);
  assert.equal(first['Coulomb (SR)'], -16502.4);
  assert.equal(first.Potential, 661.234);
  assert.equal(first['Pressure (bar)'], 3689);
  assert.equal(last.Potential, -5284.21);
  assert.ok(last['Position Rest.'] > 0);
  assert.equal(r.potential, -5284.2051);
  assert.equal(r.maxForce, 45.767021);
  assert.equal(r.maxForceAtom, 600);
  assert.equal(r.steps, 1613);
  assert.equal(r.converged, false);
  assert.match(r.stopReason!, /^converged to machine precision in 1613 steps,\s+but did not reach the requested Fmax < 10$/);

  const limit = parseEmLog(fixture('em-step-limit.log'));
  assert.equal(limit.converged, false);
  assert.equal(limit.steps, 51);
  assert.equal(limit.stopReason, 'did not converge to Fmax < 10 in 51 steps');
  assert.equal(limit.blocks.at(-1)!.step, 50);

  const ok = parseEmLog(fixture('em-converged.log'));
  assert.equal(ok.converged, true);
  assert.equal(ok.steps, 517);
  assert.equal(ok.stopReason, undefined);
  assert.equal(ok.blocks.at(-1)!.terms.Potential, ok.potential !== undefined ? Number(ok.potential.toPrecision(6)) : NaN);
});

const PDB = [
  'ATOM      1  N   LIG A   1       0.000   0.000   0.000  1.00  0.00           N',
  'ATOM      2  N   TRP A   2       3.000   0.000   0.000  1.00  0.00           N',
  'ATOM      3  CA  TRP A   2       4.000   0.000   0.000  1.00  0.00           C',
  'END',
].join('\n');
const S = parsePdb(PDB, 'in.pdb');
const gmxFatal = (text: string) =>
  `Reading in.pdb...\n\n-------------------------------------------------------\nProgram:     gmx pdb2gmx, version 2022.5\nSource file: src/gromacs/gmxpreprocess/pdb2gmx.cpp (line 1040)\n\nFatal error:\n${text}\n\nFor more information and tips for troubleshooting, please check the GROMACS\nwebsite at http://www.gromacs.org/Documentation/Errors\n-------------------------------------------------------\n`;

test('pdb2gmx refusals name the residue and its line: unknown residue, a residue of another type in a protein chain, a foreign atom name', () => {
  // the texts are GROMACS 2022's (gmxpreprocess/pdb2gmx.cpp, resall.cpp)
  const unknown = pdb2gmxInputError(gmxFatal("Residue 'LIG' not found in residue topology database"), 'charmm27', S, 'in.pdb');
  assert.ok(unknown instanceof InputError);
  assert.match(unknown.message, /^in\.pdb:1: residue LIG is not in charmm27's residue topology database/);
  const chain = pdb2gmxInputError(
    gmxFatal("The residues in the chain LIG1--LYS58 do not have a consistent type. The first\nresidue has type 'Other', while residue TRP2 is of type 'Protein'. Either\nthere is a mistake in your chain"),
    'charmm27', S, 'in.pdb',
  );
  assert.ok(chain instanceof InputError);
  assert.match(chain.message, /^in\.pdb:1: residue LIG1 \(type 'Other' for GROMACS\) shares a chain with protein residues such as TRP2: pdb2gmx does not know residue LIG/);
  const atom = pdb2gmxInputError(gmxFatal('Atom CA in residue TRP 2 was not found in rtp entry TRP with 24 atoms\nwhile sorting atoms.'), 'oplsaa', S, 'in.pdb');
  assert.match(atom!.message, /^in\.pdb:3: atom CA of residue TRP 2 is not in oplsaa's building block TRP/);
  assert.ok(pdb2gmxInputError(gmxFatal("Could not find force field 'nope' in current directory, install tree or GMXLIB path."), 'nope', S, 'in.pdb') instanceof UsageError);
  assert.equal(pdb2gmxInputError(gmxFatal('Something else entirely'), 'charmm27', S, 'in.pdb'), undefined);
  assert.equal(gromacsFatal(gmxFatal('Something else\nentirely')), 'Something else entirely');
});

test('an mdrun killed by SIGILL, or saying RDTSCP, is the RDTSCP setup problem', () => {
  assert.ok(isIllegalInstruction({ signal: 'SIGILL', code: null, output: '' }));
  assert.ok(isIllegalInstruction({ signal: null, code: 132, output: '' }));
  assert.ok(isIllegalInstruction({ signal: null, code: 1, output: 'Illegal instruction (core dumped)' }));
  assert.ok(!isIllegalInstruction({ signal: null, code: 1, output: 'Fatal error: too many LINCS warnings' }));
  assert.match(RDTSCP_MESSAGE, /lacks the RDTSCP instruction/);
});
