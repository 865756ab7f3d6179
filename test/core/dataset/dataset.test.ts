// Training-dataset builder: the BMDS0001 container, the per-bead slot tables (which must carry everything Python
// needs to reconstruct exactly like `reconstruct`), and the benchmark-cluster exclusion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeDataset, encodeDataset, readDataset } from '../../../src/core/dataset/format';
import { buildDataset, packSamples, sampleFromSystem } from '../../../src/core/dataset/build';
import { readTsv, sharedDataRoot, benchmarkClusters } from '../../../src/core/dataset/tsv';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { readStructureFile } from '../../../src/core/structure/read';
import { mapToCg } from '../../../src/core/forward';
import { reconstructCoords, reconstructionTopology, targetVectors } from '../../../src/core/reconstruct';
import { InputError } from '../../../src/core/errors';

const DEMO = join(__dirname, '..', '..', '..', 'examples', 'demo-protein.pdb');

test('BMDS0001 container round-trips every dtype with 8-byte aligned arrays and rejects damaged files', () => {
  const arrays = {
    f: { data: Float32Array.from([1.5, NaN, -2]), shape: [3] },
    i: { data: Int32Array.from([1, -2, 3, 4, 5, 6]), shape: [2, 3] },
    l: { data: BigInt64Array.from([7n, -8n]), shape: [2] },
    u: { data: Uint8Array.from([1, 0, 1]), shape: [3] },
    e: { data: new Float32Array(0), shape: [0, 3] },
  };
  const buf = encodeDataset(arrays, { hello: 'wörld', n: 3 });
  const { header, arrays: back } = decodeDataset(buf);
  assert.equal(header.meta.hello, 'wörld');
  for (const [k, v] of Object.entries(arrays)) {
    assert.equal(header.arrays[k].offset % 8, 0, `${k} not aligned`);
    assert.deepEqual(back[k].shape, v.shape);
    assert.deepEqual(Array.from(back[k].data as ArrayLike<unknown>), Array.from(v.data as ArrayLike<unknown>));
  }
  assert.throws(() => decodeDataset(buf.subarray(0, buf.length - 8), 'x.bmds'), InputError);
  const bad = Buffer.from(buf);
  bad.write('XXXX', 0, 'latin1');
  assert.throws(() => decodeDataset(bad, 'x.bmds'), /not a BMDS0001 dataset/);
});

test('dataset slot tables reproduce reconstruct() exactly (the math training/model.py implements)', () => {
  for (const mapping of ['martini3', 'ca']) {
    const set = loadMappingSet(mapping);
    const aa = readStructureFile(DEMO);
    const fr = mapToCg(aa, set);
    const sys = fr.system;
    const R = set.maxSlots;
    const tv = targetVectors(sys, aa.coords, fr.slotAtoms);
    const s = sampleFromSystem(sys, tv, fr.slotAtoms, aa.coords);
    // The dataset's atoms are exactly the atoms reconstruct emits.
    assert.equal(s.nAtoms, reconstructionTopology(sys).count, `${mapping}: atom count`);
    // Arbitrary vectors: the Python algorithm on the dataset arrays must match reconstructCoords.
    const v = new Float32Array(sys.beads.length * R * 3);
    for (let i = 0; i < v.length; i++) v[i] = Math.sin(1.7 * i) * 1.3;
    const ref = reconstructCoords(sys, v);
    const out = new Float64Array(3 * s.nAtoms);
    const cnt = new Float64Array(s.nAtoms);
    const maxLevel = Math.min(R, s.slotLevel.reduce((m, x) => Math.max(m, x), 0));
    for (let b = 0; b < s.nBeads; b++) {
      const p: number[][] = [];
      for (let j = 0; j < R; j++) p.push([s.pos[3 * b], s.pos[3 * b + 1], s.pos[3 * b + 2]]);
      for (let L = 1; L <= maxLevel; L++) {
        const before = p.map((x) => x.slice());
        for (let j = 0; j < R; j++) {
          const i = b * R + j;
          if (!s.slotExists[i] || s.slotLevel[i] !== L) continue;
          const a = before[Math.max(0, s.slotAnchor[i])];
          p[j] = [a[0] + v[3 * i], a[1] + v[3 * i + 1], a[2] + v[3 * i + 2]];
        }
      }
      let ws = 0;
      const cm = [0, 0, 0];
      for (let j = 0; j < R; j++) {
        const i = b * R + j;
        if (!s.slotExists[i]) continue;
        ws += s.slotWeight[i];
        for (let k = 0; k < 3; k++) cm[k] += s.slotWeight[i] * p[j][k];
      }
      for (let j = 0; j < R; j++) {
        const i = b * R + j;
        if (!s.slotExists[i]) continue;
        const a = s.slotAtom[i];
        for (let k = 0; k < 3; k++) out[3 * a + k] += p[j][k] + s.pos[3 * b + k] - cm[k] / ws;
        cnt[a]++;
      }
    }
    // Dataset atom order is slot-encounter order; reconstruct's is per residue in mapping order: match by name.
    const topo = reconstructionTopology(sys);
    const key = (r: number, name: string) => `${r}:${name}`;
    const refIndex = new Map<string, number>();
    topo.names.forEach((n, o) => refIndex.set(key(topo.residue[o], n), o));
    let worst = 0;
    const namesBySlot = new Map<number, string>();
    for (let b = 0; b < s.nBeads; b++) {
      const bead = sys.beads[b];
      bead.molecule.beads[bead.bead].slots.forEach((slot, j) => {
        const a = s.slotAtom[b * R + j];
        if (a >= 0) namesBySlot.set(a, bead.molecule.atoms[slot.atom].names[0]);
      });
    }
    for (let a = 0; a < s.nAtoms; a++) {
      const o = refIndex.get(key(s.atomResidue[a], namesBySlot.get(a)!));
      assert.ok(o !== undefined, `atom ${a} not in reconstruct output`);
      for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(out[3 * a + k] / cnt[a] - ref[3 * o! + k]));
    }
    assert.ok(worst < 1e-4, `${mapping}: dataset reconstruction differs by ${worst} Å`);
    // Bonds are real bonds of the true structure; torsions are unit vectors where defined.
    for (let k = 0; k < s.bonds.length; k += 2) {
      const [i, j] = [s.bonds[k], s.bonds[k + 1]];
      const d = Math.hypot(s.atomPos[3 * i] - s.atomPos[3 * j], s.atomPos[3 * i + 1] - s.atomPos[3 * j + 1], s.atomPos[3 * i + 2] - s.atomPos[3 * j + 2]);
      assert.ok(d > 1.1 && d < 1.9, `bond length ${d}`);
    }
    assert.ok(s.bonds.length / 2 >= s.nAtoms - 1, 'too few bonds for a connected chain');
    for (let b = 0; b < s.nBeads; b++)
      if (s.torsionMask[2 * b]) assert.ok(Math.abs(Math.hypot(s.torsions[4 * b], s.torsions[4 * b + 1]) - 1) < 1e-5);
    const packed = packSamples([s, s], R);
    assert.deepEqual(packed.sample_bead_offset.data, BigInt64Array.from([0n, BigInt(s.nBeads), BigInt(2 * s.nBeads)]));
  }
});

test('buildDataset writes a readable dataset and never lets a benchmark cluster in', async (t) => {
  const root = sharedDataRoot();
  if (!root) {
    t.skip('../shared/data absent');
    return;
  }
  const train = readTsv(join(root, 'splits', 'train_core_cpu.tsv'));
  const bench = readTsv(join(root, 'splits', 'benchmark.tsv'));
  const clusters = benchmarkClusters(root);
  const short = train.rows.filter((r) => Number(r.nres) < 90 && !String(r.path).endsWith('.gro.gz')).slice(0, 2);
  const poison = bench.rows[0];
  assert.ok(clusters.has(String(poison.cluster)));
  const dir = mkdtempSync(join(tmpdir(), 'bmds-'));
  try {
    const cols = train.columns;
    const line = (r: Record<string, unknown>) => cols.map((c) => String(r[c] ?? '')).join('\t');
    const list = join(dir, 'list.tsv');
    writeFileSync(list, [cols.join('\t'), ...short.map(line), line(poison)].join('\n') + '\n');
    const out = join(dir, 'x.bmds');
    const sum = await buildDataset({ list, mapping: 'martini3', out, dataRoot: root });
    assert.equal(sum.droppedBenchmarkClusters, 1);
    assert.equal(sum.samples + sum.skipped.length, short.length);
    assert.ok(sum.samples >= 1);
    const { header, arrays } = readDataset(out);
    const chains = header.meta.chains as { cluster: string }[];
    for (const c of chains) assert.ok(!clusters.has(c.cluster));
    assert.equal(header.meta.mappingHash, loadMappingSet('martini3').hash);
    assert.equal(arrays.pos.shape[0], sum.beads);
    assert.equal(arrays.target.shape[1], sum.R);
    assert.ok(readFileSync(out).length === sum.bytes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
