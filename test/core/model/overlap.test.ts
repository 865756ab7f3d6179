// Inputs that break a trained network (beads stacked on top of each other: both shipped models then predict slot
// vectors of ~1e18 Å) are refused with a clear error instead of atoms written far away; ordinary inputs stay well
// inside the output bound the runner checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { listModels } from '../../../src/core/model/registry';
import { ModelRunner } from '../../../src/core/model/runner';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { readStructureFile } from '../../../src/core/structure/read';
import { mapToCg } from '../../../src/core/forward';
import { InputError } from '../../../src/core/errors';

const DEMO = join(__dirname, '..', '..', '..', 'examples', 'demo-protein.pdb');
const LIPID_DEMO = join(__dirname, '..', 'forward', 'fixtures', 'popc-chl1.pdb');

for (const card of listModels().filter((c) => c.mapping.id === 'martini3' || c.mapping.id === 'ca')) {
  test(`${card.id}: normal input stays inside the output bound; stacked copies are refused with a clear error`, async () => {
    const set = loadMappingSet(card.mapping.id);
    // A lipid model gets the CHARMM36 POPC/cholesterol fixture (it refuses protein beads).
    const lipid = (card as { moleculeKinds?: string[] }).moleculeKinds?.includes('lipid');
    const system = mapToCg(readStructureFile(lipid ? LIPID_DEMO : DEMO), set).system;
    const runner = await ModelRunner.load(card.id, { device: 'cpu' });
    try {
      const ok = await runner.predict(system);
      let max = 0;
      for (const v of ok.vectors) max = Math.max(max, Math.abs(v));
      assert.ok(max < 10, `largest slot component ${max.toFixed(2)} Å on a normal protein`);
      // Ten copies of every bead at the same place, as in a mis-tiled system.
      const n = system.beads.length;
      const copies = 10;
      const pos = new Float64Array(3 * n * copies);
      const types = new Int32Array(n * copies);
      const res = new Int32Array(n * copies);
      const chain = new Int32Array(n * copies);
      for (let c = 0; c < copies; c++)
        for (let i = 0; i < n; i++) {
          const k = c * n + i;
          pos.set(system.coords.subarray(3 * i, 3 * i + 3), 3 * k);
          types[k] = system.beads[i].typeId;
          res[k] = c * system.residues.length + system.beads[i].residue;
          chain[k] = c;
        }
      await assert.rejects(runner.predictArrays(pos, types, res, chain, {}, 'stacked.pdb'), (e: unknown) => {
        assert.ok(e instanceof InputError, String(e));
        assert.equal(e.file, 'stacked.pdb');
        assert.match(e.message, /overlap/);
        return true;
      });
    } finally {
      await runner.release();
    }
  });
}
