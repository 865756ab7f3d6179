/**
 * The model-free template backmapper on real chains: all-atom → mapToCg → CG structure → assignCg →
 * templateVectors → reconstruct, compared with the truth (heavy atoms, no superposition). Prints the median
 * BB/SC/ALL RMSD per set; thresholds are loose sanity bounds (a broken fit gives several Å).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { compareStructures } from '../../../src/core/metrics';
import { mapToCg } from '../../../src/core/forward';
import { assignCg } from '../../../src/core/cg';
import { reconstruct, targetVectors } from '../../../src/core/reconstruct';
import { templateVectors } from '../../../src/core/template';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { StructureBuilder } from '../../../src/core/structure/builder';
import type { Structure } from '../../../src/core/structure/types';
import { InputError } from '../../../src/core/errors';
import { HAVE_SHARED, SHARED_DATA, filterAtoms, isHydrogen, median, readTsv, selectChain, tryRead } from '../../helpers/reference-data';

const N_CHAINS = Number(process.env.GEOM_TEMPLATE_CHAINS ?? 12);
const BOUNDS: Record<string, { bb: number; all: number }> = { martini3: { bb: 1.0, all: 2.2 }, ca: { bb: 1.5, all: 3.5 } };

for (const setId of ['martini3', 'ca']) {
  test(`template backmapper ${setId}: median RMSD on ${N_CHAINS} real chains`, { skip: !HAVE_SHARED && '../shared absent' }, () => {
    const set = loadMappingSet(setId);
    const rows = readTsv(join(SHARED_DATA, 'splits', 'train_core_cpu.tsv'));
    const step = Math.max(1, Math.floor(rows.length / N_CHAINS));
    const bb: number[] = [];
    const sc: number[] = [];
    const all: number[] = [];
    let atoms = 0;
    let seconds = 0;
    for (const row of rows.filter((_, i) => i % step === 0).slice(0, N_CHAINS)) {
      const s = tryRead(join(SHARED_DATA, row.path));
      if (!s) continue;
      const c = selectChain(s, row.chain);
      const truth = filterAtoms(c, (i) => !isHydrogen(c, i));
      const fw = mapToCg(truth, set);
      const { system } = assignCg(fw.cg, set);
      const t0 = performance.now();
      const v = templateVectors(system);
      const recon = reconstruct(system, v);
      seconds += (performance.now() - t0) / 1000;
      atoms += recon.atoms.count;
      const cmp = compareStructures(recon, truth);
      bb.push(cmp.rmsd_bb);
      sc.push(cmp.rmsd_sc);
      all.push(cmp.rmsd_all);
    }
    const m = { bb: median(bb), sc: median(sc), all: median(all) };
    console.log(
      `# template ${setId}: ${all.length} chains, median RMSD BB ${m.bb.toFixed(3)} Å, SC ${m.sc.toFixed(3)} Å, ALL ${m.all.toFixed(3)} Å; ` +
        `${(atoms / seconds / 1e3).toFixed(0)}k atoms/s (templates cached after the first chain)`,
    );
    assert.ok(all.length >= N_CHAINS - 2);
    assert.ok(m.bb < BOUNDS[setId].bb, `BB ${m.bb}`);
    assert.ok(m.all < BOUNDS[setId].all, `ALL ${m.all}`);
  });
}

test('template backmapper: an ideal helix mapped to CG comes back close to itself', () => {
  const truth = buildPeptide('MKTAYIAKQRQISFVKSHFSRQ', { phi: -63, psi: -43 });
  for (const setId of ['martini3', 'ca']) {
    const set = loadMappingSet(setId);
    const fw = mapToCg(truth, set);
    const v = templateVectors(fw.system);
    const recon = reconstruct(fw.system, v);
    const cmp = compareStructures(recon, truth);
    assert.equal(cmp.missingInModel, 0, `${setId}: every heavy atom (OXT included) is built`);
    assert.ok(cmp.rmsd_bb < (setId === 'ca' ? 0.6 : 0.4), `${setId} BB ${cmp.rmsd_bb}`);
    // The exact vectors of the same structure reproduce it; the template must be worse or equal, never NaN.
    const exact = reconstruct(fw.system, targetVectors(fw.system, truth.coords, fw.slotAtoms));
    assert.ok(compareStructures(exact, truth).rmsd_all < 1e-6);
    assert.ok(Number.isFinite(cmp.rmsd_all));
  }
});

test('template backmapper: other molecules use the template structure passed in options (rigid body exact)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'geom-lig-'));
  try {
    writeFileSync(
      join(dir, 'lig.yaml'),
      ['molecule: LIG', 'atoms:', '  C1: B1 P1A', '  C2: B1 P2AA', '  C3: B2 P1A', '  C4: B2 P2AA', '  C5: B3 P1A', '  O6: B3 P2AA', ''].join('\n'),
    );
    writeFileSync(join(dir, 'bead_types.yaml'), 'LIG_B1: 0\nLIG_B2: 1\nLIG_B3: 2\n');
    const set = loadMappingSet(dir);
    const ring = (rot: number, shift: number): Structure => {
      const sb = new StructureBuilder();
      ['C1', 'C2', 'C3', 'C4', 'C5', 'O6'].forEach((name, k) => {
        const a = (k * Math.PI) / 3;
        const x = 1.4 * Math.cos(a);
        const y = 1.4 * Math.sin(a);
        const z = 0.3 * (k % 2);
        sb.addAtom({
          name, resName: 'LIG', resSeq: 1, element: name[0],
          x: Math.cos(rot) * x - Math.sin(rot) * z + shift, y, z: Math.sin(rot) * x + Math.cos(rot) * z - shift,
        });
      });
      return sb.build('lig');
    };
    const truth = ring(0.7, 5);
    const fw = mapToCg(truth, set);
    assert.throws(() => templateVectors(fw.system), (e: unknown) => e instanceof InputError && /LIG/.test(e.message));
    const recon = reconstruct(fw.system, templateVectors(fw.system, { templates: { LIG: ring(0, 0) } }));
    const cmp = compareStructures(recon, truth);
    assert.equal(cmp.matched, 6);
    assert.ok(cmp.rmsd_all < 1e-6, `${cmp.rmsd_all}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
