// Runtime checks of the shipped models (models/*.onnx) with onnxruntime-node: agreement with the stored PyTorch
// reference, rigid-motion equivariance of the whole backmap, determinism, refusal of a model/mapping mismatch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { listModels, modelsRoot, resolveModel } from '../../../src/core/model/registry';
import { ModelRunner } from '../../../src/core/model/runner';
import { buildGraph, type ModelCard } from '../../../src/core/model/contract';
import { readDataset } from '../../../src/core/dataset/format';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { readStructureFile } from '../../../src/core/structure/read';
import { mapToCg } from '../../../src/core/forward';
import { reconstructCoords } from '../../../src/core/reconstruct';
import type { CgSystem } from '../../../src/core/cg';
import { InputError } from '../../../src/core/errors';
import { moleculesAsChains } from '../../../src/core/model/contract';

const DEMO = join(__dirname, '..', '..', '..', 'examples', 'demo-protein.pdb');
const LIPID_DEMO = join(__dirname, '..', 'forward', 'fixtures', 'popc-chl1.pdb');
const cards = listModels();

function demoSystem(mapping: string, card?: ModelCard): CgSystem {
  const set = loadMappingSet(mapping);
  // A lipid model's demo: the CHARMM36 POPC/cholesterol fixture, every molecule its own chain (its training convention).
  if ((card as { moleculeKinds?: string[] } | undefined)?.moleculeKinds?.includes('lipid'))
    return moleculesAsChains(mapToCg(readStructureFile(LIPID_DEMO), set).system);
  return mapToCg(readStructureFile(DEMO), set).system;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Deterministic pseudo-random rotation (unit quaternion) and translation. */
function rigid(seed: number): { R: number[]; t: number[] } {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const q = [rnd(), rnd(), rnd(), rnd()];
  const n = Math.hypot(...q);
  const [a, b, c, d] = q.map((x) => x / n);
  const R = [
    a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c),
    2 * (b * c + a * d), a * a - b * b + c * c - d * d, 2 * (c * d - a * b),
    2 * (b * d - a * c), 2 * (c * d + a * b), a * a - b * b - c * c + d * d,
  ];
  return { R, t: [rnd() * 40, rnd() * 40, rnd() * 40] };
}

function apply(R: number[], t: number[], x: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i += 3) {
    const [p, q, r] = [x[i], x[i + 1], x[i + 2]];
    y[i] = R[0] * p + R[1] * q + R[2] * r + t[0];
    y[i + 1] = R[3] * p + R[4] * q + R[5] * r + t[1];
    y[i + 2] = R[6] * p + R[7] * q + R[8] * r + t[2];
  }
  return y;
}

test('shipped models are present and their cards are consistent', (t) => {
  const root = modelsRoot();
  if (!root || cards.length === 0) {
    t.skip('no models shipped in models/');
    return;
  }
  const ids = cards.map((c) => c.id);
  for (const id of ['martini3-protein', 'ca-protein']) assert.ok(ids.includes(id), `model ${id} missing from ${root}`);
  for (const card of cards) {
    const { onnxPath } = resolveModel(card.id);
    const sha = createHash('sha256').update(readFileSync(onnxPath)).digest('hex');
    assert.equal(sha, card.onnx.sha256, `${card.id}: card sha256 does not match the .onnx`);
    const set = loadMappingSet(card.mapping.id);
    assert.equal(card.mapping.hash, set.hash, `${card.id}: trained for another version of mapping set ${card.mapping.id}`);
    assert.equal(card.R, set.maxSlots);
    assert.equal(card.beadTypes.length, card.numTypes);
  }
});

for (const card of cards) {
  const refPath = join(modelsRoot()!, card.reference ?? `${card.id}.reference.bin`);

  test(`${card.id}: onnxruntime-node reproduces the stored PyTorch reference within 1e-4`, async (t) => {
    if (!existsSync(refPath)) {
      t.skip(`${refPath} absent`);
      return;
    }
    const { arrays, header } = readDataset(refPath);
    const runner = await ModelRunner.load(card.id, { device: 'cpu' });
    try {
      const [n, k] = arrays.nbr.shape;
      const feeds = {
        pos: new ort.Tensor('float32', arrays.pos.data as Float32Array, [n, 3]),
        bead_type: new ort.Tensor('int64', arrays.bead_type.data as BigInt64Array, [n]),
        nbr: new ort.Tensor('int64', arrays.nbr.data as BigInt64Array, [n, k]),
        nbr_mask: new ort.Tensor('float32', arrays.nbr_mask.data as Float32Array, [n, k]),
        res_offset: new ort.Tensor('int64', arrays.res_offset.data as BigInt64Array, [n, k]),
      };
      const out = await runner.runRaw(feeds);
      const dv = maxAbsDiff(out.vectors.data as Float32Array, arrays.vectors.data as Float32Array);
      const dt = maxAbsDiff(out.torsions.data as Float32Array, arrays.torsions.data as Float32Array);
      assert.ok(dv <= 1e-4, `vectors differ by ${dv}`);
      assert.ok(dt <= 1e-4, `torsions differ by ${dt}`);
      assert.equal(header.meta.onnxSha256, card.onnx.sha256, 'reference was made with another export');

      // The runtime's own graph (cell list) must equal the one PyTorch was given.
      const g = buildGraph(arrays.pos.data as Float32Array, arrays.res_index.data as Int32Array, arrays.chain_index.data as Int32Array, card.cutoff, card.K);
      const mask = arrays.nbr_mask.data as Float32Array;
      const nbr = arrays.nbr.data as BigInt64Array;
      const ro = arrays.res_offset.data as BigInt64Array;
      for (let i = 0; i < n; i++) {
        const real = (row: Float32Array, kk: number) => Array.from(row.subarray(i * kk, (i + 1) * kk)).filter((x) => x > 0).length;
        assert.equal(real(g.mask, g.k), real(mask, k), `bead ${i}: neighbour count`);
        // Same neighbours with the same offset classes (order among exactly equal distances may differ).
        const row = (nb: BigInt64Array, r: BigInt64Array, kk: number, m: number) =>
          Array.from({ length: m }, (_, c) => `${nb[i * kk + c]}:${r[i * kk + c]}`).sort();
        assert.deepEqual(row(g.nbr, g.resOffset, g.k, real(mask, k)), row(nbr, ro, k, real(mask, k)), `bead ${i} neighbours`);
      }

      // End to end from the demo structure: mapping + graph + model.
      if (header.meta.input && (header.meta.input as { path?: string }).path === 'examples/demo-protein.pdb') {
        const p = await runner.predict(demoSystem(card.mapping.id));
        const de = maxAbsDiff(p.vectors, arrays.vectors.data as Float32Array);
        assert.ok(de <= 1e-4, `predict(demo) differs from the reference by ${de}`);
      }
    } finally {
      await runner.release();
    }
  });

  test(`${card.id}: a rigid motion of the beads moves the whole backmap rigidly (≤ 0.001 Å), deterministic`, async () => {
    const sys = demoSystem(card.mapping.id, card);
    const runner = await ModelRunner.load(card.id, { device: 'cpu' });
    try {
      const a = await runner.predict(sys);
      const a2 = await runner.predict(sys);
      assert.deepEqual(Buffer.from(a2.vectors.buffer), Buffer.from(a.vectors.buffer), 'two runs differ');
      assert.deepEqual(Buffer.from(a2.torsions.buffer), Buffer.from(a.torsions.buffer), 'two runs differ (torsions)');
      const xa = reconstructCoords(sys, a.vectors);
      for (let i = 0; i < xa.length; i++) assert.ok(Number.isFinite(xa[i]), 'non-finite reconstruction');
      let worst = 0;
      for (const seed of [1, 2, 3]) {
        const { R, t } = rigid(seed);
        const moved: CgSystem = { ...sys, coords: apply(R, t, sys.coords) };
        const b = await runner.predict(moved);
        const xb = reconstructCoords(moved, b.vectors);
        worst = Math.max(worst, maxAbsDiff(xb, apply(R, t, xa)));
        // torsions are invariant
        assert.ok(maxAbsDiff(b.torsions, a.torsions) < 1e-3);
      }
      assert.ok(worst <= 0.001, `backmap moved non-rigidly: ${worst} Å`);
    } finally {
      await runner.release();
    }
  });

  test(`${card.id}: beads without neighbours (zero edges) and a one-residue system still run`, async () => {
    const sys = demoSystem(card.mapping.id, card);
    const runner = await ModelRunner.load(card.id, { device: 'cpu' });
    try {
      // Spread the beads 100x: no neighbour within the cutoff, every row is padding.
      const far: CgSystem = { ...sys, coords: sys.coords.map((x) => x * 100) };
      const p = await runner.predict(far);
      assert.ok(p.vectors.every(Number.isFinite));
      const r0 = sys.residues[0];
      const one: CgSystem = {
        set: sys.set,
        beads: r0.beads.map((b) => ({ ...sys.beads[b], residue: 0 })),
        residues: [{ ...r0, beads: r0.beads.map((_, i) => i) }],
        coords: Float64Array.from(r0.beads.flatMap((b) => [sys.coords[3 * b], sys.coords[3 * b + 1], sys.coords[3 * b + 2]])),
      };
      const q = await runner.predict(one);
      assert.equal(q.vectors.length, one.beads.length * card.R * 3);
      assert.ok(q.vectors.every(Number.isFinite));
    } finally {
      await runner.release();
    }
  });
}

test('a model refuses a system mapped with another mapping set, or with bead types it does not know', async (t) => {
  const m3 = cards.find((c: ModelCard) => c.mapping.id === 'martini3');
  const ca = cards.find((c: ModelCard) => c.mapping.id === 'ca');
  if (!m3 || !ca) {
    t.skip('needs both shipped models');
    return;
  }
  const runner = await ModelRunner.load(m3.id, { device: 'cpu' });
  try {
    await assert.rejects(runner.predict(demoSystem('ca')), (e: unknown) => e instanceof InputError && /slots per bead|trained for mapping set/.test(e.message));
    const sys = demoSystem('martini3');
    const edited: CgSystem = { ...sys, set: { ...sys.set, hash: 'f'.repeat(64) } };
    await assert.rejects(runner.predict(edited), (e: unknown) => e instanceof InputError && /trained for mapping set "martini3"/.test(e.message));
  } finally {
    await runner.release();
  }
  const lax = await ModelRunner.load(m3.id, { device: 'cpu', allowMappingMismatch: true });
  try {
    const sys = demoSystem('martini3');
    const beads = sys.beads.slice();
    beads[3] = { ...beads[3], typeId: m3.numTypes + 5 };
    await assert.rejects(lax.predict({ ...sys, beads }), (e: unknown) => e instanceof InputError && /unknown to model/.test(e.message));
  } finally {
    await lax.release();
  }
});

test('device "auto" falls back to a provider that runs and records why others were skipped', async (t) => {
  if (cards.length === 0) {
    t.skip('no models shipped');
    return;
  }
  const runner = await ModelRunner.load(cards[0].id, { device: 'auto' });
  try {
    assert.ok(runner.attempts.some((a) => a.ok && a.device === runner.provider));
    for (const a of runner.attempts) if (!a.ok) assert.ok(a.reason && a.reason.length > 0);
  } finally {
    await runner.release();
  }
  await assert.rejects(ModelRunner.load('no-such-model', { device: 'cpu' }), InputError);
});
