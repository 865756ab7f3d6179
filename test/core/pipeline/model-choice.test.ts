/**
 * `auto` model choice skips a model whose card cannot beat the best so far before loading its mapping set:
 * `cardCoverageBound` must never be below the real coverage, and the choice must be the one the full search makes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cardCoverageBound, chooseModel, mappingCoverage, cachedSet, mapStructureToCg } from '../../../src/core/pipeline';
import { listModels } from '../../../src/core/model/registry';
import { readStructureFile } from '../../../src/core/structure/read';

const ROOT = join(__dirname, '..', '..', '..');
const demo = readStructureFile(join(ROOT, 'examples', 'demo-protein.pdb'));
const membrane = readStructureFile(join(ROOT, 'test', 'core', 'forward', 'fixtures', 'popc-chl1.pdb'));

test('the card bound is an upper bound of the coverage, and auto still picks the best model', () => {
  const cards = listModels();
  for (const [input, mapping, want] of [[demo, 'martini3', 'martini3-protein'], [demo, 'ca', 'ca-protein'], [membrane, 'martini3', 'martini3-lipids']] as const) {
    const cg = mapStructureToCg(input, mapping).cg;
    for (const card of cards) {
      let set;
      try {
        set = cachedSet(card.mapping.id);
      } catch {
        continue;
      }
      assert.ok(cardCoverageBound(cg, card) >= mappingCoverage(cg, set, undefined, card) - 1e-12, `${card.id} on ${mapping}`);
    }
    if (cards.some((c) => c.id === want)) assert.equal(chooseModel(cg, {}).card?.id, want);
  }
});
