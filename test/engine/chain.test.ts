// Chains of model stages through the inference worker (issue #28): UCG beads → C-alpha trace → atoms, with the
// project-made UCG fixture (test/fixtures/ucg: a UCG → C-alpha model of the demo protein's first 40 residues and
// 10 held-out frames of its beads) and the shipped ca-protein model.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../../src/engine/client';
import type { BackmapSettings } from '../../src/shared/worker-protocol';
import { InputError } from '../../src/core/errors';
import { residuesOf } from '../../src/core/structure/builder';
import { readStructureFile } from '../../src/core/structure/read';
import type { Structure } from '../../src/core/structure/types';
import { UCG_FIXTURE } from '../fixtures/ucg/make-fixture';

const client = new EngineClient();
const dir = mkdtempSync(join(tmpdir(), 'backmap-chain-'));
after(() => {
  client.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const truth = readStructureFile(UCG_FIXTURE.heldOutAllAtom);
// heavy atoms under the engine's names, compared with the all-atom truth (hydrogens: test/core/pipeline/chain.test.ts)
const settings: BackmapSettings = { model: 'auto', modelDirs: [UCG_FIXTURE.dir], refine: false, hydrogens: false };
/** The truth's heavy atoms and the OXT of the chain's new C-terminus (residue 40 ends the fixture's chain). */
const outAtoms = truth.atoms.count + 1;

/** Cα RMSD (as placed) of `s` against the held-out all-atom frame; residues matched by number. */
function caRmsdToTruth(s: Structure): number {
  const ca = (x: Structure) => {
    const m = new Map<number, number[]>();
    for (let i = 0; i < x.atoms.count; i++) if (x.atoms.name[i] === 'CA') m.set(x.atoms.resSeq[i], [...x.coords.subarray(3 * i, 3 * i + 3)]);
    return m;
  };
  const want = ca(truth);
  const got = ca(s);
  assert.equal(got.size, want.size);
  let sum = 0;
  for (const [r, p] of want) sum += p.reduce((acc, v, c) => acc + (v - got.get(r)![c]) ** 2, 0);
  return Math.sqrt(sum / want.size);
}

test('UCG beads with model auto: the worker runs the installed chain (UCG → C-alpha → atoms) over every model', async () => {
  const out = join(dir, 'chain.pdb');
  const logs: string[] = [];
  const r = await client.backmapStructure({ path: UCG_FIXTURE.heldOut }, settings, { out, onLog: (_l, m) => logs.push(m) });
  assert.equal(r.written, out);
  const stages = r.output.report.stages ?? [];
  assert.deepEqual(stages.map((s) => [s.model, s.takes, s.gives]), [['ucg-ca', 'ucg', 'ca'], ['ca-protein', 'ca', 'atoms']]);
  assert.deepEqual(stages.map((s) => [s.beads, s.atoms]), [[UCG_FIXTURE.beads, UCG_FIXTURE.residues], [UCG_FIXTURE.residues, outAtoms]]);
  assert.match(r.markdown, /## Stages/);
  assert.ok(logs.some((l) => /UCG stage ucg-ca .* takes the file's 7 beads, then ca-protein/.test(l)), logs.join('\n'));
  // All heavy atoms of every residue, as the all-atom truth has them, in each of the 10 frames of the input.
  const written = readStructureFile(out);
  assert.equal(written.models.length, 10);
  const names = (s: Structure) => residuesOf(s.atoms).map((res) => s.atoms.name.slice(res.start, res.end).filter((n) => n !== 'OXT').sort().join(' '));
  assert.deepEqual(names(written), names(truth));
  // The first frame is held-out frame 50: a trained chain lands near it (the fixture's model: ~1.5 Å).
  const rmsd = caRmsdToTruth(r.output.structure);
  assert.ok(rmsd < 3, `Cα RMSD to the held-out frame ${rmsd.toFixed(2)} Å`);
});

test('a chain the host names runs as named: the UCG stage alone writes the C-alpha trace', async () => {
  const r = await client.backmapStructure({ path: UCG_FIXTURE.heldOut }, settings, { chain: [UCG_FIXTURE.model] });
  const s = r.output.structure;
  assert.equal(s.atoms.count, UCG_FIXTURE.residues);
  assert.ok(s.atoms.name.every((n) => n === 'CA'));
  assert.deepEqual(r.output.report.stages?.map((x) => x.model), ['ucg-ca']);
  assert.ok(caRmsdToTruth(s) < 3);
});

test('UCG beads without a model that takes them: the clear error of chooseChain, naming the file', async () => {
  await assert.rejects(
    client.backmapStructure({ path: UCG_FIXTURE.heldOut }, { model: 'auto', modelDirs: [dir] }),
    (e: Error) => e instanceof InputError && e.file === UCG_FIXTURE.heldOut && /holds 7 UCG beads, but no installed model takes them/.test(e.message),
  );
  await assert.rejects(
    client.backmapStructure({ path: UCG_FIXTURE.heldOut }, { model: 'template' }),
    (e: Error) => e instanceof InputError && /template backmapper cannot rebuild/.test(e.message),
  );
});

test('a UCG model set for an all-atom input is refused naming the stage and the file', async () => {
  await assert.rejects(
    client.backmapStructure({ path: UCG_FIXTURE.heldOutAllAtom }, { model: UCG_FIXTURE.model }),
    (e: Error) => e instanceof InputError && /takes UCG beads/.test(e.message) && /ucg-ca/.test(e.message),
  );
});

test('"Backmap trajectory" of a multi-model UCG PDB: every frame through the chain into one multi-model PDB', async () => {
  const out = join(dir, 'frames.pdb');
  const r = await client.backmapTrajectory({ topology: UCG_FIXTURE.heldOut, out, settings, keepFrames: true, stride: 2 });
  assert.equal(r.frames, 5);
  assert.equal(r.out, out);
  assert.equal(r.firstFrame.models.length, 5);
  assert.equal(r.firstFrame.atoms.count, outAtoms);
  assert.equal(r.report.stages?.length, 2);
  assert.equal(r.report.trajectory?.frames, 5);
  assert.equal(readStructureFile(out).models.length, 5);
  // A chain writes structures: a binary trajectory output is refused before anything runs.
  const xtc = join(dir, 'frames.xtc');
  await assert.rejects(client.backmapTrajectory({ topology: UCG_FIXTURE.heldOut, out: xtc, settings }), /multi-model PDB/);
  assert.ok(!existsSync(xtc));
});
