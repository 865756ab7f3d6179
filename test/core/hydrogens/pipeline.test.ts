import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPdb, parsePdb } from '../../../src/core/structure/pdb';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { mapToCg } from '../../../src/core/forward';
import { backmapStructure, renderReport } from '../../../src/core/pipeline';
import { HYDROGENS_DEFAULT } from '../../../src/core/pipeline/options';
import { UsageError } from '../../../src/core/errors';
import { DEMO, RTP_H_COUNT, byResidue } from './helpers';

const CG = parsePdb(formatPdb(mapToCg(DEMO, loadMappingSet('martini3')).cg), 'demo-cg.pdb');
const countH = (s: { atoms: { element: string[] } }) => s.atoms.element.filter((e) => e === 'H').length;

test('backmapStructure: hydrogens after refinement, metrics and RMSD unchanged (heavy atoms), report says what was added', async () => {
  const base = { model: 'template', refine: true, reference: DEMO } as const;
  const plain = await backmapStructure(CG, { ...base, hydrogens: false });
  const withH = await backmapStructure(CG, { ...base, hydrogens: true, names: 'amber' });
  assert.equal(countH(plain.structure), 0);
  const nH = countH(withH.structure);
  const expected = byResidue(plain.structure).reduce((n, r, k) => n + RTP_H_COUNT[r.resName === 'HIS' ? 'HSE' : r.resName] + (k === 0 ? 2 : 0), 0);
  assert.equal(nH, expected);
  assert.equal(withH.structure.atoms.count, plain.structure.atoms.count + nH);
  assert.equal(withH.report.counts.atoms, withH.structure.atoms.count);
  assert.equal(withH.report.hydrogens?.added, nH);
  assert.equal(withH.report.hydrogens?.naming, 'amber');
  // heavy-atom metrics are those of the same heavy atoms
  assert.deepEqual(withH.report.rmsd, plain.report.rmsd);
  assert.deepEqual(withH.report.bondAngle, plain.report.bondAngle);
  assert.deepEqual(withH.report.clash, plain.report.clash);
  assert.deepEqual(withH.report.ramachandran, plain.report.ramachandran);
  assert.ok(withH.structure.atoms.resName.includes('HIE') || withH.structure.atoms.resName.includes('HID'), 'AMBER histidine name');
  const md = renderReport(withH);
  assert.match(md, new RegExp(`hydrogens added: ${nH} \\(pH 7\\.0\\); naming: amber; HIS tautomers: HI[DEP] A16`));
  assert.ok(withH.report.timings.hydrogens! >= 0);
});

test('backmapStructure: hydrogens on by default (HYDROGENS_DEFAULT), names alone rename without adding; bad pH is a usage error', async () => {
  assert.equal(HYDROGENS_DEFAULT, true);
  const def = await backmapStructure(CG, { model: 'template' });
  assert.equal(countH(def.structure) > 0, HYDROGENS_DEFAULT);
  const named = await backmapStructure(CG, { model: 'template', hydrogens: false, names: 'charmm' });
  assert.equal(countH(named.structure), 0);
  assert.equal(named.structure.atoms.count, def.structure.atoms.count + (HYDROGENS_DEFAULT ? -countH(def.structure) : 0));
  assert.ok(named.structure.atoms.resName.some((r) => r === 'HSE' || r === 'HSD' || r === 'HSP'));
  assert.ok(named.structure.atoms.name.includes('OT2'), 'CHARMM C-terminal oxygens');
  await assert.rejects(backmapStructure(CG, { model: 'template', hydrogens: true, ph: Number.NaN }), UsageError);
});
