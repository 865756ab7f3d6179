// A molecule of the user's model gets its hydrogens from the model card's templates (`backmap train` writes them):
// the pipeline places them after the protein step, for single structures and for every frame of a trajectory.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFrameDataset } from '../../../src/core/training';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { readStructureFile } from '../../../src/core/structure/read';
import { parseFrameRange } from '../../../src/core/trajectory/frames';
import { mapToCg } from '../../../src/core/forward';
import { backmapStructure } from '../../../src/core/pipeline/run';
import { guessElement } from '../../../src/core/structure/elements';
import type { Structure } from '../../../src/core/structure/types';
import { writeTinyModel } from '../model/tiny-model';

const FIX = join(__dirname, '..', '..', 'fixtures', 'ligand-h');
const set = loadMappingSet(join(FIX, 'lgh'));
const top = readStructureFile(join(FIX, 'frames.pdb'));
const hydrogensOf = (s: Structure) => {
  const out: string[] = [];
  for (let i = 0; i < s.atoms.count; i++) if ((s.atoms.element[i] || guessElement(s.atoms.name[i], s.atoms.resName[i])).toUpperCase() === 'H') out.push(s.atoms.name[i]);
  return out;
};

test('backmapping with a model whose card has hydrogen templates adds those hydrogens (and none with hydrogens off)', async () => {
  const ds = buildFrameDataset({ topology: top, range: parseFrameRange('0:50'), set });
  const templates = ds.hydrogens.LGH;
  assert.ok(templates.length > 5, `${templates.length} templates`);
  const dir = mkdtempSync(join(tmpdir(), 'bm-tmplh-'));
  try {
    const onnx = writeTinyModel(dir, set, 'lgh-tiny');
    const cardPath = onnx.replace(/\.onnx$/, '.json');
    const card = JSON.parse(readFileSync(cardPath, 'utf8'));
    writeFileSync(cardPath, JSON.stringify({ ...card, molecules: ['LGH'], hydrogens: ds.hydrogens }));
    const cg = mapToCg(top, set).cg;
    const withH = await backmapStructure(cg, { model: onnx, mapping: join(FIX, 'lgh'), refine: false });
    assert.deepEqual(hydrogensOf(withH.structure).sort(), templates.map((t) => t.name).sort());
    assert.equal(withH.report.hydrogens?.templated, 1);
    assert.ok(withH.report.notes.some((n) => /1 residue\(s\) with hydrogens from their templates/.test(n)), withH.report.notes.join('\n'));
    const without = await backmapStructure(cg, { model: onnx, mapping: join(FIX, 'lgh'), refine: false, hydrogens: false });
    assert.deepEqual(hydrogensOf(without.structure), []);
    assert.equal(withH.structure.atoms.count, without.structure.atoms.count + templates.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
