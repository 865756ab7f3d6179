import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTrajectory, createTrajectoryWriter, countFrames, readFrames, compressCoords, decompressCoords, sizeofints, type Frame } from '../../../src/core/trajectory/index';
import { readStructureFile } from '../../../src/core/structure/read';
import { InputError } from '../../../src/core/errors';
import { assertInputError, SHARED_DATA, sharedSkip } from '../../helpers/io';
import { rng } from '../../helpers/rng';

const dir = mkdtempSync(join(tmpdir(), 'bm-iotraj-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Water-like system: O with two H at 0.1 nm (exercises the run-length and swap paths), in nm. */
function waterBox(nmol: number, seed: number): Float32Array {
  const r = rng(seed);
  const c = new Float32Array(nmol * 9);
  for (let m = 0; m < nmol; m++) {
    const x = r() * 5, y = r() * 5, z = r() * 5;
    c.set([x, y, z, x + 0.0957, y, z, x - 0.024, y + 0.0927, z], 9 * m);
  }
  return c;
}

function roundTripCodec(coords: Float32Array, precision: number) {
  const n = coords.length / 3;
  const c = compressCoords(coords, n, precision);
  const out = new Float32Array(3 * n);
  decompressCoords(c.bytes, c.bytes.length, n, precision, c.minint, c.maxint, c.smallidx, out);
  let maxErr = 0;
  for (let k = 0; k < 3 * n; k++) maxErr = Math.max(maxErr, Math.abs(out[k] - coords[k]));
  return { maxErr, bytes: c.bytes.length };
}

test('xdr3dfcoord codec: sizeofints and round trips within the precision', () => {
  assert.equal(sizeofints([2, 2, 2]), 4); // xdrfile counts bits for the product itself (8 -> 4 bits)
  assert.equal(sizeofints([1000, 1000, 1000]), 30);
  const r = rng(1);
  const random = new Float32Array(3 * 2000).map(() => (r() - 0.5) * 10);
  const a = roundTripCodec(random, 1000);
  assert.ok(a.maxErr <= 0.0005 + 1e-6, `random: ${a.maxErr}`);
  const water = waterBox(3000, 2);
  const w = roundTripCodec(water, 1000);
  assert.ok(w.maxErr <= 0.0005 + 1e-6, `water: ${w.maxErr}`);
  assert.ok(w.bytes < water.length * 4 * 0.45, `water compresses (${w.bytes} bytes for ${water.length * 4})`);
  // a chain of close atoms (long runs, adaptive small-integer size going up and down)
  const chain = new Float32Array(3 * 5000);
  for (let i = 1; i < 5000; i++) for (let d = 0; d < 3; d++) chain[3 * i + d] = chain[3 * (i - 1) + d] + (r() - 0.5) * (i % 700 < 350 ? 0.05 : 0.6);
  const ch = roundTripCodec(chain, 1000);
  assert.ok(ch.maxErr <= 0.0005 + 1e-5, `chain: ${ch.maxErr}`);
  // huge range: integer sizes above 0xffffff use the separate-bit-width path
  const wide = new Float32Array(3 * 50).map(() => (r() - 0.5) * 40000);
  const wd = roundTripCodec(wide, 1000);
  assert.ok(wd.maxErr <= 0.0005 + 0.002, `wide: ${wd.maxErr}`); // float32 spacing at 2e4 is 0.002
  // another precision
  const p100 = roundTripCodec(random, 100);
  assert.ok(p100.maxErr <= 0.005 + 1e-6);
});

const frameOf = (i: number, coordsA: Float32Array | Float64Array, box = true): Frame => ({
  index: i,
  time: i * 2.5,
  step: i * 1250,
  coords: coordsA,
  box: box ? { a: 50, b: 50, c: 50, alpha: 90, beta: 90, gamma: 90 } : null,
});

for (const fmt of ['xtc', 'trr', 'dcd'] as const) {
  test(`${fmt}: write then read back (frames, time, step, box, coordinates in Å)`, () => {
    const natoms = 1200;
    const frames: Frame[] = [];
    for (let f = 0; f < 5; f++) frames.push(frameOf(f, waterBox(natoms / 3, 10 + f).map((v) => v * 10), fmt !== 'dcd' || f < 5));
    const p = join(dir, `rt.${fmt}`);
    const w = createTrajectoryWriter(p, natoms, fmt);
    assert.ok(!existsSync(p), 'the file appears only on close');
    for (const f of frames) w.write(f);
    w.close();
    assert.equal(countFrames(p), 5);
    const r = openTrajectory(p);
    assert.equal(r.natoms, natoms);
    assert.equal(r.format, fmt);
    const tol = fmt === 'xtc' ? 0.005 + 1e-4 : 1e-4;
    let k = 0;
    for (let f = r.next(); f; f = r.next(), k++) {
      assert.equal(f.index, k);
      assert.ok(Math.abs(f.time - frames[k].time) < 1e-3, `${fmt} time ${f.time} vs ${frames[k].time}`);
      assert.equal(f.step, frames[k].step);
      assert.ok(f.box && Math.abs(f.box.a - 50) < 1e-4 && f.box.alpha === 90, `${fmt} box ${JSON.stringify(f.box)}`);
      let m = 0;
      for (let q = 0; q < 3 * natoms; q++) m = Math.max(m, Math.abs(f.coords[q] - frames[k].coords[q]));
      assert.ok(m <= tol, `${fmt} frame ${k} error ${m}`);
    }
    r.close();
    assert.equal(k, 5);
  });

  test(`${fmt}: truncated file -> InputError naming the frame index and byte offset`, () => {
    const natoms = 300;
    const p = join(dir, `full.${fmt}`);
    const w = createTrajectoryWriter(p, natoms, fmt);
    for (let f = 0; f < 3; f++) w.write(frameOf(f, waterBox(100, f).map((v) => v * 10)));
    w.close();
    const full = readFileSync(p);
    const ends: number[] = [];
    {
      // byte offsets where each frame starts, from a clean read
      const sizes = [...readFrames(p)].length;
      assert.equal(sizes, 3);
    }
    for (const cut of [full.length - 1, full.length - 20, Math.floor(full.length * 0.7)]) {
      const tp = join(dir, `cut-${cut}.${fmt}`);
      writeFileSync(tp, full.subarray(0, cut));
      let err: unknown;
      let frames = 0;
      try {
        const r = openTrajectory(tp);
        while (r.next()) frames++;
        r.close();
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof InputError, `${fmt} cut at ${cut}: expected InputError after ${frames} frames`);
      assert.equal((err as InputError).file, tp);
      assert.match((err as InputError).message, new RegExp(`truncated .*frame index ${frames} .*byte offset \\d+`));
      ends.push(frames);
    }
    assert.deepEqual(ends.slice(0, 2), [2, 2]);
  });

  test(`${fmt}: writer refuses existing and protected paths`, () => {
    const p = join(dir, `exists.${fmt}`);
    writeFileSync(p, 'keep');
    assertInputError(() => createTrajectoryWriter(p, 10, fmt), p, undefined, /already exists/);
    assertInputError(() => createTrajectoryWriter(p, 10, fmt, { force: true, protect: [p] }), p, undefined, /input/);
    assert.equal(readFileSync(p, 'utf8'), 'keep');
    const w = createTrajectoryWriter(p, 10, fmt, { force: true });
    w.write(frameOf(0, new Float32Array(30).map((_, i) => i)));
    w.abort();
    assert.equal(readFileSync(p, 'utf8'), 'keep', 'abort leaves the old file');
    assert.ok(!readdirSync(dir).some((f) => f.includes('.tmp-')), 'no temporary files left behind');
  });
}

test('xtc with <= 9 atoms is stored uncompressed and reads back exactly', () => {
  const p = join(dir, 'small.xtc');
  const w = createTrajectoryWriter(p, 3, 'xtc');
  w.write(frameOf(0, new Float32Array([1.5, 2.5, 3.5, 4, 5, 6, -7, -8, -9]), false));
  w.close();
  const f = [...readFrames(p)];
  assert.equal(f.length, 1);
  assert.deepEqual(Array.from(f[0].coords), [1.5, 2.5, 3.5, 4, 5, 6, -7, -8, -9]);
  assert.equal(f[0].box, null);
});

test('trr: double precision, frames without coordinates are skipped', () => {
  const p = join(dir, 'd.trr');
  const w = createTrajectoryWriter(p, 4, 'trr', { double: true });
  const c = new Float64Array([1.123456789, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12.000000001]);
  w.write(frameOf(0, c));
  w.close();
  const f = [...readFrames(p)][0];
  assert.ok(f.coords instanceof Float64Array);
  assert.ok(Math.abs(f.coords[0] - 1.123456789) < 1e-12);
  // a velocity-only frame (hand-made header) between two coordinate frames
  const one = readFileSync(p);
  const v = Buffer.from(one);
  // header layout: magic, 13, 12, 'GMX_trn_file', then 13 ints: box_size is int 2, x_size int 7, v_size int 8
  const base = 24;
  const boxSize = v.readInt32BE(base + 8), xSize = v.readInt32BE(base + 28);
  v.writeInt32BE(xSize, base + 32); // v_size := x_size
  v.writeInt32BE(0, base + 28); // x_size := 0 -> the block now reads as velocities
  assert.equal(boxSize, 72);
  const mixed = join(dir, 'mixed.trr');
  writeFileSync(mixed, Buffer.concat([one, v, one]));
  const frames = [...readFrames(mixed)];
  assert.equal(frames.length, 2);
  assert.deepEqual(frames.map((x) => x.index), [0, 1]);
  const only = join(dir, 'vonly.trr');
  writeFileSync(only, v);
  assertInputError(() => [...readFrames(only)], only, undefined, /none with coordinates/);
});

/** Hand-made DCD (independent of our writer): either byte order, optional cell, fixed atoms. */
function makeDcd(le: boolean, opts: { natoms: number; frames: Float32Array[]; cell?: number[]; namnf?: number; charmm?: boolean }): Buffer {
  const parts: Buffer[] = [];
  const rec = (body: Buffer) => {
    const m = Buffer.alloc(4);
    if (le) m.writeInt32LE(body.length);
    else m.writeInt32BE(body.length);
    parts.push(m, body, m);
  };
  const i32 = (b: Buffer, v: number, o: number) => (le ? b.writeInt32LE(v, o) : b.writeInt32BE(v, o));
  const h = Buffer.alloc(84);
  h.write('CORD', 0, 'latin1');
  i32(h, opts.frames.length, 4);
  i32(h, 100, 8); // ISTART
  i32(h, 50, 12); // NSAVC
  i32(h, opts.namnf ?? 0, 4 + 4 * 8);
  if (le) h.writeFloatLE(0.04 / 0.04888821, 4 + 36);
  else h.writeFloatBE(0.04 / 0.04888821, 4 + 36);
  i32(h, opts.cell ? 1 : 0, 4 + 40);
  i32(h, opts.charmm === false ? 0 : 24, 4 + 76);
  rec(h);
  const t = Buffer.alloc(4 + 80);
  i32(t, 1, 0);
  t.write('REMARKS hand made'.padEnd(80), 4, 'latin1');
  rec(t);
  const na = Buffer.alloc(4);
  i32(na, opts.natoms, 0);
  rec(na);
  for (const f of opts.frames) {
    if (opts.cell) {
      const c = Buffer.alloc(48);
      opts.cell.forEach((v, k) => (le ? c.writeDoubleLE(v, 8 * k) : c.writeDoubleBE(v, 8 * k)));
      rec(c);
    }
    for (let d = 0; d < 3; d++) {
      const b = Buffer.alloc(4 * opts.natoms);
      for (let k = 0; k < opts.natoms; k++) {
        if (le) b.writeFloatLE(f[3 * k + d], 4 * k);
        else b.writeFloatBE(f[3 * k + d], 4 * k);
      }
      rec(b);
    }
  }
  return Buffer.concat(parts);
}

test('dcd: both byte orders, unit cell as cosines or degrees, time from ISTART/NSAVC/DELTA', () => {
  const frames = [new Float32Array([1, 2, 3, 4, 5, 6]), new Float32Array([7, 8, 9, 10, 11, 12])];
  for (const le of [true, false]) {
    for (const cell of [[30, 0, 40, 0.5, 0, 50], [30, 90, 40, 60, 90, 50]]) {
      const p = join(dir, `h-${le}-${cell[1]}.dcd`);
      writeFileSync(p, makeDcd(le, { natoms: 2, frames, cell }));
      const r = openTrajectory(p);
      assert.equal(r.natoms, 2);
      const f0 = r.next()!, f1 = r.next()!;
      assert.equal(r.next(), null);
      r.close();
      assert.deepEqual(Array.from(f1.coords), Array.from(frames[1]));
      assert.deepEqual(f0.box, { a: 30, b: 40, c: 50, alpha: 90, beta: 60, gamma: 90 });
      assert.equal(f0.step, 100);
      assert.equal(f1.step, 150);
      assert.ok(Math.abs(f1.time - 150 * 0.04) < 1e-4, `time ${f1.time}`);
    }
    const nocell = join(dir, `nc-${le}.dcd`);
    writeFileSync(nocell, makeDcd(le, { natoms: 2, frames }));
    const fr = [...readFrames(nocell)];
    assert.equal(fr.length, 2);
    assert.equal(fr[0].box, null);
    assert.equal(countFrames(nocell), 2);
    const fixed = join(dir, `fixed-${le}.dcd`);
    writeFileSync(fixed, makeDcd(le, { natoms: 2, frames, namnf: 1 }));
    assertInputError(() => openTrajectory(fixed), fixed, undefined, /fixed atoms .* not supported/);
  }
  const junk = join(dir, 'junk.dcd');
  writeFileSync(junk, Buffer.from('this is not a dcd file at all, no sir'));
  assertInputError(() => openTrajectory(junk), junk, undefined, /not a DCD file/);
});

test('trajectory open errors: missing, empty, wrong magic, unknown extension', () => {
  assertInputError(() => openTrajectory(join(dir, 'none.xtc')), join(dir, 'none.xtc'), undefined, /not found/);
  writeFileSync(join(dir, 'empty.xtc'), '');
  assertInputError(() => openTrajectory(join(dir, 'empty.xtc')), join(dir, 'empty.xtc'), undefined, /empty/);
  writeFileSync(join(dir, 'text.trr'), 'ATOM      1  N   ALA A   1 ...................................');
  assertInputError(() => openTrajectory(join(dir, 'text.trr')), join(dir, 'text.trr'), undefined, /not a TRR file/);
  writeFileSync(join(dir, 'text.xtc'), 'ATOM      1  N   ALA A   1 ...................................');
  assertInputError(() => openTrajectory(join(dir, 'text.xtc')), join(dir, 'text.xtc'), undefined, /not an XTC file/);
  assertInputError(() => openTrajectory(join(dir, 'x.nc')), join(dir, 'x.nc'), undefined, /unknown trajectory type/);
});

test('real data: 1UBQ Martini XTC (89 frames, 166 atoms), frame 0 matches the GRO within 0.01 Å', { skip: sharedSkip }, () => {
  const xtc = join(SHARED_DATA!, 'cgsim/1UBQ/traj_protein.xtc');
  const gro = readStructureFile(join(SHARED_DATA!, 'cgsim/1UBQ/topol_protein.gro'));
  assert.equal(countFrames(xtc), 89);
  const r = openTrajectory(xtc);
  assert.equal(r.natoms, 166);
  const f0 = r.next()!;
  let m = 0;
  for (let k = 0; k < gro.coords.length; k++) m = Math.max(m, Math.abs(f0.coords[k] - gro.coords[k]));
  assert.ok(m < 0.01, `max deviation ${m} Å`);
  assert.equal(f0.time, 0);
  let n = 1;
  let last: Frame | null = f0;
  for (let f = r.next(); f; f = r.next()) {
    n++;
    last = f;
  }
  r.close();
  assert.equal(n, 89);
  assert.equal(last!.time, 17600);
  // bit compatibility with GROMACS: re-compressing the decoded frames gives GROMACS' exact bytes
  const raw = readFileSync(xtc);
  let off = 0;
  let checked = 0;
  for (const f of readFrames(xtc)) {
    const natoms = raw.readInt32BE(off + 4);
    const nbytes = raw.readInt32BE(off + 56 + 32);
    const orig = raw.subarray(off + 56 + 36, off + 56 + 36 + nbytes);
    const nm = new Float32Array(f.coords.length);
    for (let k = 0; k < nm.length; k++) nm[k] = Math.round((f.coords[k] / 10) * 1000) / 1000;
    const c = compressCoords(nm, natoms, raw.readFloatBE(off + 56));
    assert.ok(Buffer.from(c.bytes).equals(orig), `frame ${f.index}: compressed bytes differ from GROMACS`);
    off += 56 + 36 + ((nbytes + 3) & ~3);
    checked++;
  }
  assert.equal(checked, 89);
});

test('xtc codec: boundary sizes and many random systems round-trip', () => {
  const r = rng(99);
  for (const n of [10, 11, 12, 13, 30, 31, 100, 997]) {
    for (const spread of [0.02, 0.3, 3, 300]) {
      const c = new Float32Array(3 * n);
      // random walk with the given step: mixes runs of small differences and large jumps
      for (let i = 1; i < n; i++) for (let d = 0; d < 3; d++) c[3 * i + d] = c[3 * (i - 1) + d] + (r() - 0.5) * spread * (r() < 0.1 ? 50 : 1);
      const res = roundTripCodec(c, 1000);
      // half the precision, plus float32 spacing at the largest coordinate
      const big = c.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assert.ok(res.maxErr <= 0.0005 + 2 * big * 2 ** -23 + 1e-6, `n=${n} spread=${spread}: ${res.maxErr}`);
    }
  }
});

test('xtc: corrupted compressed bytes give an InputError or a frame, never a crash', () => {
  const p = join(dir, 'good.xtc');
  const w = createTrajectoryWriter(p, 300, 'xtc');
  w.write(frameOf(0, waterBox(100, 5).map((v) => v * 10)));
  w.close();
  const good = readFileSync(p);
  const r = rng(4);
  let errors = 0;
  for (let trial = 0; trial < 40; trial++) {
    const bad = Buffer.from(good);
    for (let k = 0; k < 4; k++) bad[92 + Math.floor(r() * (bad.length - 92))] = Math.floor(r() * 256);
    // the header fields too, sometimes
    if (trial % 5 === 0) bad.writeInt32BE(Math.floor(r() * 2 ** 31), 56 + 28);
    const tp = join(dir, `corrupt-${trial}.xtc`);
    writeFileSync(tp, bad);
    try {
      for (const f of readFrames(tp)) assert.equal(f.coords.length, 900);
    } catch (e) {
      assert.ok(e instanceof InputError, `trial ${trial}: ${String(e)}`);
      errors++;
    }
  }
  assert.ok(errors > 0);
});
