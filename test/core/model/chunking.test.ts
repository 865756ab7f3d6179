import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { mapToCg } from '../../../src/core/forward';
import { StructureBuilder } from '../../../src/core/structure/builder';
import type { Structure } from '../../../src/core/structure/types';
import { listModels } from '../../../src/core/model/registry';
import { inferVectors, planChunks, planCores } from '../../../src/core/model/chunking';
import { cellListNeighbors } from '../../../src/core/geometry/neighbors';
import { openBackmapper } from '../../../src/core/model/backmapper';
import { backmapStructure, chooseModel } from '../../../src/core/pipeline';
import { assignCg } from '../../../src/core/cg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyModel, LAYERS } from './tiny-model';

/** Several helices/strands side by side (a crowded multi-chain system), mapped to CG with `mapping`. */
function multiChainCg(mapping: string, chains = 6, seq = 'MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGD'): Structure {
  const set = loadMappingSet(mapping);
  const b = new StructureBuilder();
  for (let c = 0; c < chains; c++) {
    const aa = buildPeptide(seq, { phi: c % 2 ? -120 : -65, psi: c % 2 ? 130 : -40, chainId: String.fromCharCode(65 + c) });
    const cg = mapToCg(aa, set).cg;
    const dx = (c % 3) * 11;
    const dy = Math.floor(c / 3) * 11;
    for (let i = 0; i < cg.atoms.count; i++)
      b.addAtom({
        name: cg.atoms.name[i],
        resName: cg.atoms.resName[i],
        chainId: cg.atoms.chainId[i],
        resSeq: cg.atoms.resSeq[i],
        x: cg.coords[3 * i] + dx,
        y: cg.coords[3 * i + 1] + dy,
        z: cg.coords[3 * i + 2],
      });
  }
  return b.build('multichain');
}

test('planChunks: every bead owned by exactly one core; halos hold every bead within the halo of a core bead', () => {
  const cg = multiChainCg('martini3');
  const n = cg.atoms.count;
  const halo = 9;
  const chunks = planChunks(cg.coords, { coreBeads: 50, halo });
  assert.ok(chunks.length >= 8, `${chunks.length} chunks`);
  const owner = new Int32Array(n).fill(-1);
  chunks.forEach((ch, k) => {
    assert.ok(ch.core.length <= 50);
    for (const i of ch.core) {
      assert.equal(owner[i], -1, `bead ${i} owned twice`);
      owner[i] = k;
    }
    const inChunk = new Set(ch.beads);
    for (const i of ch.core) assert.ok(inChunk.has(i));
    for (const i of ch.core)
      for (let j = 0; j < n; j++) {
        const d = Math.hypot(cg.coords[3 * i] - cg.coords[3 * j], cg.coords[3 * i + 1] - cg.coords[3 * j + 1], cg.coords[3 * i + 2] - cg.coords[3 * j + 2]);
        if (d <= halo) assert.ok(inChunk.has(j), `bead ${j} at ${d.toFixed(2)} Å from core bead ${i} missing from chunk ${k}`);
      }
  });
  assert.ok(owner.every((o) => o >= 0));
  // deterministic
  assert.deepEqual(planCores(cg.coords, 50).map((c) => Array.from(c)), planCores(cg.coords, 50).map((c) => Array.from(c)));
});

test('planChunks with maxBeads: cores are bisected until core + halo fits, ownership unchanged', () => {
  const cg = multiChainCg('martini3');
  const n = cg.atoms.count;
  const halo = 9;
  const loose = planChunks(cg.coords, { coreBeads: 120, halo });
  const maxBeads = 120;
  assert.ok(loose.some((ch) => ch.beads.length > maxBeads), 'the unbounded plan must exceed the bound for this test to mean anything');
  const bounded = planChunks(cg.coords, { coreBeads: 120, halo, maxBeads });
  assert.ok(bounded.length > loose.length);
  const owner = new Int32Array(n).fill(-1);
  bounded.forEach((ch, k) => {
    // either within the bound, or a core already at the smallest size the planner splits to
    assert.ok(ch.beads.length <= maxBeads || ch.core.length <= maxBeads / 8, `chunk ${k}: ${ch.beads.length} beads, core ${ch.core.length}`);
    for (const i of ch.core) {
      assert.equal(owner[i], -1, `bead ${i} owned twice`);
      owner[i] = k;
    }
    const inChunk = new Set(ch.beads);
    for (const i of ch.core)
      for (let j = 0; j < n; j++) {
        const d = Math.hypot(cg.coords[3 * i] - cg.coords[3 * j], cg.coords[3 * i + 1] - cg.coords[3 * j + 1], cg.coords[3 * i + 2] - cg.coords[3 * j + 2]);
        if (d <= halo) assert.ok(inChunk.has(j), `bead ${j} missing from chunk ${k}`);
      }
  });
  assert.ok(owner.every((o) => o >= 0));
  // a system that fits runs in one pass
  assert.equal(planChunks(cg.coords, { coreBeads: n, halo, maxBeads: n }).length, 1);
});

test('planChunks by neighbour lists: each chunk holds every bead within `hops` steps of its core, fewer than the spatial halo', () => {
  const cg = multiChainCg('martini3');
  const n = cg.atoms.count;
  const list = cellListNeighbors(cg.coords, 7, 12);
  const hops = 2;
  const byGraph = planChunks(cg.coords, { coreBeads: 60, halo: 0, graph: { list, hops } });
  const bySpace = planChunks(cg.coords, { coreBeads: 60, halo: 7 * hops });
  assert.equal(byGraph.length, bySpace.length, 'same cores');
  let inGraph = 0;
  let inSpace = 0;
  byGraph.forEach((ch, k) => {
    assert.deepEqual(Array.from(ch.core), Array.from(bySpace[k].core));
    // breadth-first reference: every bead reachable in ≤ hops steps along the lists
    const want = new Set<number>(ch.core);
    let front = Array.from(ch.core);
    for (let h = 0; h < hops; h++) {
      const next: number[] = [];
      for (const i of front)
        for (let c = 0; c < list.count[i]; c++) {
          const j = list.index[i * list.maxNeighbors + c];
          if (!want.has(j)) {
            want.add(j);
            next.push(j);
          }
        }
      front = next;
    }
    assert.deepEqual(Array.from(ch.beads), [...want].sort((a, b) => a - b), `chunk ${k}`);
    // within the spatial halo (a step is at most the cutoff)
    const space = new Set(bySpace[k].beads);
    for (const i of ch.beads) assert.ok(space.has(i), `bead ${i} of chunk ${k} beyond hops × cutoff`);
    inGraph += ch.beads.length;
    inSpace += bySpace[k].beads.length;
  });
  assert.ok(inGraph < inSpace, `${inGraph} beads by neighbour lists vs ${inSpace} by distance`);
  assert.ok(n > 0);
});

test('template backmapper: chunked output is identical to unchunked', async () => {
  for (const mapping of ['martini3', 'ca']) {
    const cg = multiChainCg(mapping);
    const whole = await backmapStructure(cg, { model: 'template', mapping, chunkSize: 0, skipMetrics: true });
    const chunked = await backmapStructure(cg, { model: 'template', mapping, chunkSize: 40, skipMetrics: true });
    assert.ok(chunked.report.counts.chunks > 4, `${mapping}: ${chunked.report.counts.chunks} chunks`);
    assert.equal(whole.report.counts.chunks, 1);
    assert.equal(chunked.structure.atoms.count, whole.structure.atoms.count);
    assert.deepEqual(chunked.structure.atoms.name, whole.structure.atoms.name);
    let max = 0;
    for (let i = 0; i < whole.structure.coords.length; i++) max = Math.max(max, Math.abs(chunked.structure.coords[i] - whole.structure.coords[i]));
    assert.ok(max <= 1e-5, `${mapping}: max |Δ| = ${max} Å`);
  }
});

test('model backmapper: chunked output matches unchunked within 1e-5 Å', async (t) => {
  const cards = listModels();
  if (!cards.length) {
    t.skip('no shipped model in models/ (template covered above)');
    return;
  }
  // Models of protein chains (a lipid model's card lists only lipid bead types and refuses this protein input).
  for (const card of cards.filter((c) => ((c as { moleculeKinds?: string[] }).moleculeKinds ?? ['amino-acid']).includes('amino-acid'))) {
    const mapping = typeof card.mapping === 'object' ? card.mapping.id : String(card.mapping);
    const cg = multiChainCg(mapping);
    const whole = await backmapStructure(cg, { model: card.id, chunkSize: 0, skipMetrics: true, device: 'cpu' });
    const chunked = await backmapStructure(cg, { model: card.id, chunkSize: 60, skipMetrics: true, device: 'cpu' });
    assert.ok(chunked.report.counts.chunks > 2, `${card.id}: ${chunked.report.counts.chunks} chunks`);
    assert.equal(chunked.structure.atoms.count, whole.structure.atoms.count);
    let max = 0;
    for (let i = 0; i < whole.structure.coords.length; i++) max = Math.max(max, Math.abs(chunked.structure.coords[i] - whole.structure.coords[i]));
    assert.ok(max <= 1e-5, `${card.id}: max |Δ| = ${max} Å`);
  }
});

test('message-passing model (test fixture): chunked equals unchunked with halo = layers × cutoff or layers steps of the neighbour lists, differs with a short one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-tiny-'));
  try {
    const set = loadMappingSet('martini3');
    const onnx = writeTinyModel(dir, set, 'tiny-test', 7, 24);
    const cg = multiChainCg('martini3');
    const whole = await backmapStructure(cg, { model: onnx, chunkSize: 0, skipMetrics: true, device: 'cpu' });
    const chunked = await backmapStructure(cg, { model: onnx, chunkSize: 60, skipMetrics: true, device: 'cpu' });
    assert.ok(chunked.report.counts.chunks > 4, `${chunked.report.counts.chunks} chunks`);
    assert.equal(chunked.structure.atoms.count, whole.structure.atoms.count);
    let max = 0;
    for (let i = 0; i < whole.structure.coords.length; i++) max = Math.max(max, Math.abs(chunked.structure.coords[i] - whole.structure.coords[i]));
    assert.ok(max <= 1e-5, `max |Δ| = ${max} Å`);
    assert.ok(whole.torsions && chunked.torsions);
    for (let i = 0; i < whole.torsions!.length; i++) assert.ok(Math.abs(whole.torsions![i] - chunked.torsions![i]) <= 1e-5 || (Number.isNaN(whole.torsions![i]) && Number.isNaN(chunked.torsions![i])));

    // The halo matters: with one shorter than the receptive field (layers × cutoff = 14 Å) chunks disagree.
    const choice = chooseModel(cg, { model: onnx });
    const { system } = assignCg(cg, choice.set);
    const bm = await openBackmapper(choice.modelId, { device: 'cpu' });
    try {
      const ref = await inferVectors(bm, system, 0);
      const ok = await inferVectors(bm, system, 60);
      const short = await inferVectors(bm, system, 60, { halo: 7 * (LAYERS - 1) - 1 });
      // The spatial halo of the receptive field, and the halo by neighbour-list steps (the default for a model
      // whose card gives its depth) with one step too few.
      const spatial = await inferVectors(bm, system, 60, { halo: 7 * LAYERS });
      const fewHops = await inferVectors(bm, system, 60, { hops: LAYERS - 1 });
      assert.ok(bm.reach.graph && bm.reach.graph.hops === LAYERS, 'the model reads LAYERS steps of its neighbour lists');
      const dmax = (a: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - ref.vectors[i])), 0);
      const [dOk, dShort, dSpatial, dFewHops] = [ok, short, spatial, fewHops].map((r) => dmax(r.vectors));
      assert.ok(dOk <= 1e-5, `halo by neighbour lists: ${dOk}`);
      assert.ok(dSpatial <= 1e-5, `spatial halo: ${dSpatial}`);
      assert.ok(dShort > 1e-3, `a short halo must change the output (max ${dShort})`);
      assert.ok(dFewHops > 1e-3, `one step too few must change the output (max ${dFewHops})`);
    } finally {
      await bm.release();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
