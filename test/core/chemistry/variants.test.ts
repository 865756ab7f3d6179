import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESIDUES } from '../../../src/core/chemistry/amino-acids';
import {
  AMINO_ACID_NAMES,
  RESIDUE_VARIANTS,
  TOPOLOGY_ALIASES,
  protonationParent,
  residueTopology,
  variantGroup,
} from '../../../src/core/chemistry/variants';
import { residueBonds, sideChainBonds, atomNames } from '../../../src/core/chemistry/bonds';

test('chemistry table: every amino acid is of kind amino-acid, every variant names a standard parent once', () => {
  assert.equal(Object.keys(RESIDUES).length, 20);
  for (const r of Object.values(RESIDUES)) assert.equal(r.kind, 'amino-acid', r.name3);
  const seen = new Set<string>();
  for (const v of RESIDUE_VARIANTS) {
    assert.ok(RESIDUES[v.parent], `${v.name}: parent ${v.parent}`);
    assert.ok(!RESIDUES[v.name], `${v.name} is not a standard name`);
    assert.ok(!seen.has(v.name), `${v.name} listed once`);
    seen.add(v.name);
    assert.equal(v.kind === 'modified', v.renamed !== undefined, v.name);
  }
});

test('residue topology lookups resolve the AMBER/CHARMM names only (the set the metrics were defined on)', () => {
  assert.deepEqual(Object.keys(TOPOLOGY_ALIASES).sort(), ['ARN', 'ASH', 'CYM', 'CYX', 'GLH', 'HID', 'HIE', 'HIP', 'HSD', 'HSE', 'HSE2', 'HSP', 'LYN']);
  assert.equal(residueTopology('HSD')?.name3, 'HIS');
  assert.equal(residueTopology('CYX')?.name3, 'CYS');
  assert.equal(residueTopology('LEU')?.name3, 'LEU');
  // GROMACS-port spellings and modified residues keep no topology: lysozyme_prot's LSN stays out of the metrics
  assert.equal(residueTopology('LSN'), undefined);
  assert.equal(residueTopology('HISE'), undefined);
  assert.equal(residueTopology('MSE'), undefined);
});

test('protonation variants: parent for every spelling; groups keep the matching order of the mapping-molecule lookup', () => {
  assert.equal(protonationParent('LSN'), 'LYS');
  assert.equal(protonationParent('HISH'), 'HIS');
  assert.equal(protonationParent('ASPP'), 'ASP');
  assert.equal(protonationParent('GLY'), 'GLY');
  assert.equal(protonationParent('MSE'), undefined, 'MSE has its own atoms');
  assert.equal(protonationParent('POPC'), undefined);
  assert.deepEqual(variantGroup('HIE'), ['HIS', 'HSD', 'HID', 'HIE', 'HSE', 'HIP', 'HSP', 'HISD', 'HISE', 'HISH', 'HISP', 'HIS1', 'HIS2', 'HSE2']);
  assert.deepEqual(variantGroup('CYS'), ['CYS', 'CYX', 'CYM', 'CYS2', 'CYN']);
  assert.deepEqual(variantGroup('LSN'), ['LYS', 'LYN', 'LSN', 'LYSH']);
  assert.equal(variantGroup('ALA'), undefined);
  assert.equal(variantGroup('MSE'), undefined);
});

test('amino-acid names for chain grouping and element guessing: standard, topology variants and MSE', () => {
  for (const n of [...Object.keys(RESIDUES), 'HSD', 'HIE', 'CYX', 'LYN', 'MSE']) assert.ok(AMINO_ACID_NAMES.has(n), n);
  for (const n of ['LSN', 'HISD', 'ASPP', 'SOL', 'POPC']) assert.ok(!AMINO_ACID_NAMES.has(n), n);
});

test('side-chain bonds reproduce the refinement table they replaced (ILE CD alternative and MSE selenium included)', () => {
  // The refinement's own table before the chemistry table took its place.
  const previous: Record<string, string> = {
    ARG: 'CB-CG CG-CD CD-NE NE-CZ CZ-NH1 CZ-NH2',
    ASN: 'CB-CG CG-OD1 CG-ND2',
    ASP: 'CB-CG CG-OD1 CG-OD2',
    CYS: 'CB-SG',
    GLN: 'CB-CG CG-CD CD-OE1 CD-NE2',
    GLU: 'CB-CG CG-CD CD-OE1 CD-OE2',
    HIS: 'CB-CG CG-ND1 CG-CD2 ND1-CE1 CD2-NE2 CE1-NE2',
    ILE: 'CB-CG1 CB-CG2 CG1-CD1 CG1-CD',
    LEU: 'CB-CG CG-CD1 CG-CD2',
    LYS: 'CB-CG CG-CD CD-CE CE-NZ',
    MET: 'CB-CG CG-SD SD-CE',
    MSE: 'CB-CG CG-SE SE-CE',
    PHE: 'CB-CG CG-CD1 CG-CD2 CD1-CE1 CD2-CE2 CE1-CZ CE2-CZ',
    PRO: 'CB-CG CG-CD CD-N',
    SER: 'CB-OG',
    THR: 'CB-OG1 CB-CG2',
    TRP: 'CB-CG CG-CD1 CG-CD2 CD1-NE1 NE1-CE2 CD2-CE2 CD2-CE3 CE2-CZ2 CE3-CZ3 CZ2-CH2 CZ3-CH2',
    TYR: 'CB-CG CG-CD1 CG-CD2 CD1-CE1 CD2-CE2 CE1-CZ CE2-CZ CZ-OH',
    VAL: 'CB-CG1 CB-CG2',
    ALA: '',
    GLY: '',
  };
  const key = ([a, b]: readonly [string, string]) => [a, b].sort().join('-');
  for (const [res, bonds] of Object.entries(previous)) {
    const want = bonds.split(' ').filter(Boolean).map((b) => key(b.split('-') as [string, string])).sort();
    assert.deepEqual(sideChainBonds(res).map(key).sort(), want, res);
  }
  assert.deepEqual(sideChainBonds('ILE').map((b) => b.join('-')), ['CB-CG1', 'CB-CG2', 'CG1-CD1', 'CG1-CD'], 'alternatives follow the canonical bonds');
  assert.deepEqual(sideChainBonds('HSD'), sideChainBonds('HIS'));
  assert.deepEqual(sideChainBonds('POPC'), []);
  assert.equal(residueBonds('POPC'), undefined);
  assert.deepEqual(atomNames('ILE', 'CD1'), ['CD1', 'CD']);
  assert.deepEqual(atomNames('LEU', 'O'), ['O', 'OT1', 'OC1', 'O1']);
});
