/**
 * The energy column of bench:accuracy (bench/energy.ts `energyRow`) with the real engine on the demo protein: the
 * reference is examples/demo-protein.pdb, the backmap its Martini 3 mapping rebuilt by the template backmapper (fast,
 * no model). Skipped when there is no gmx, or when this CPU lacks RDTSCP (prepare's SetupError).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatPdb, parsePdb } from '../../../src/core/structure/pdb';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { mapToCg } from '../../../src/core/forward';
import { backmapStructure } from '../../../src/core/pipeline';
import { SetupError } from '../../../src/core/errors';
import type { Structure } from '../../../src/core/structure/types';
import { findGromacs } from '../../../src/core/prepare/engines';
import { ENERGY_MAX_RESIDUES, ENERGY_PROTOCOL, EnergySkipped, energyRow, proteinPart } from '../../../bench/energy';
import { GMX_SKIP } from './helpers';

const DEMO_PATH = 'examples/demo-protein.pdb';
const demo = () => parsePdb(readFileSync(DEMO_PATH, 'utf8'), DEMO_PATH);

async function templateBackmap(reference: Structure): Promise<Structure> {
  const cg = parsePdb(formatPdb(mapToCg(reference, loadMappingSet('martini3')).cg), 'demo-cg.pdb');
  return (await backmapStructure(cg, { model: 'template', hydrogens: false })).structure;
}

test('energy row: the template backmap of the demo protein and the demo itself, minimised with GROMACS', { skip: GMX_SKIP, timeout: 240_000 }, async (t) => {
  const engine = (await findGromacs()).engine!;
  const reference = demo();
  const backmap = await templateBackmap(reference);
  assert.ok(!backmap.atoms.element.includes('H'), 'the backmap is given as heavy atoms');
  let row;
  try {
    row = await energyRow('demo', backmap, reference, { engine });
  } catch (e) {
    if (e instanceof SetupError && /RDTSCP/.test(e.message)) return t.skip(e.message);
    throw e;
  }
  t.diagnostic(`${row.engine} ${row.version} ${row.forceField}: backmap ${row.backmap.perResidueBefore.toFixed(1)} → ${row.backmap.perResidueAfter.toFixed(1)}, reference ${row.reference.perResidueBefore.toFixed(1)} → ${row.reference.perResidueAfter.toFixed(1)} kJ/mol/residue, gap ${row.gap.toFixed(1)}; heavy atoms moved ${row.backmap.heavyRms.toFixed(3)} / ${row.reference.heavyRms.toFixed(3)} Å; ${row.backmap.seconds.toFixed(1)} + ${row.reference.seconds.toFixed(1)} s`);
  assert.equal(row.engine, 'gromacs');
  assert.equal(row.forceField, 'amber99sb-ildn');
  assert.equal(row.residues, 58);
  for (const s of [row.backmap, row.reference]) {
    for (const x of [s.perResidueBefore, s.perResidueAfter, s.heavyRms, s.heavyMax]) assert.ok(Number.isFinite(x), String(x));
    assert.ok(s.perResidueAfter < s.perResidueBefore, 'the minimiser lowers the energy');
    assert.ok(s.heavyRms > 0 && s.heavyRms < 1, `heavy atoms moved < 1 Å rms: ${s.heavyRms}`);
    assert.ok(s.steps > 0 && s.steps <= ENERGY_PROTOCOL.steps + 1);
  }
  // the same hydrogens on both: the demo and its backmap have the same atoms
  assert.equal(row.backmap.atoms, row.reference.atoms);
  assert.equal(row.gap, row.backmap.perResidueAfter - row.reference.perResidueAfter);
  assert.ok(row.protonationDiffers >= 0 && row.protonationDiffers <= row.residues);
});

test('energy row: a structure over the residue limit, or whose residues are not the reference\'s, is skipped with the reason', async () => {
  const reference = demo();
  const backmap = await templateBackmap(reference);
  const engine = { name: 'gromacs' as const, executable: 'gmx-never-run', version: '0', topDir: '', mpi: false };
  // residues dropped from the reference: the sequences differ, refused before any engine runs
  const shorter = proteinPart({ ...reference, atoms: { ...reference.atoms, chainId: Array.from(reference.atoms.resSeq, (r) => (r > 50 ? 'Z' : 'A')) } as Structure['atoms'] }, 'A');
  await assert.rejects(energyRow('demo', backmap, shorter, { engine }), (e: unknown) => e instanceof EnergySkipped && /58 amino-acid residues are not the reference's 50/.test((e as Error).message));
  // a long chain: the demo repeated past the limit
  const copies = Math.ceil((ENERGY_MAX_RESIDUES + 1) / 58);
  const big = repeat(backmap, copies);
  await assert.rejects(energyRow('big', big, repeat(reference, copies), { engine }), (e: unknown) => e instanceof EnergySkipped && new RegExp(`${58 * copies} residues \\(over ${ENERGY_MAX_RESIDUES}\\)`).test((e as Error).message));
});

/** `s` written `n` times as chains A, B, …: more residues without a larger file. */
function repeat(s: Structure, n: number): Structure {
  const text = Array.from({ length: n }, (_, k) =>
    formatPdb({ ...s, atoms: { ...s.atoms, chainId: s.atoms.chainId.map(() => String.fromCharCode(65 + k)) } as Structure['atoms'] })
      .split('\n')
      .filter((l) => l.startsWith('ATOM') || l.startsWith('HETATM'))
      .join('\n'),
  ).join('\n');
  return parsePdb(`${text}\nEND\n`, 'repeated.pdb');
}
