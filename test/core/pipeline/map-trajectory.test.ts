// mapTrajectory: every selected frame of an all-atom multi-model file or trajectory mapped to CG with the one plan
// the topology gives, each frame placed exactly as mapStructureToCg places that frame (molecules made whole in the
// frame's box and put back), written like backmapTrajectory's outputs (atomic, no overwrite, inputs protected).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readStructureFile } from '../../../src/core/structure/read';
import { formatPdb } from '../../../src/core/structure/pdb';
import { StructureBuilder } from '../../../src/core/structure/builder';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { createTrajectoryWriter, openTrajectory, XtcWriter } from '../../../src/core/trajectory/index';
import { CancelledError, InputError } from '../../../src/core/errors';
import { mapStructureToCg, mapTrajectory, planFrameMapping } from '../../../src/core/pipeline';
import type { Box, Frame, Structure } from '../../../src/core/structure/types';

const DEMO = resolve(__dirname, '../../../examples/demo-protein.pdb');
const demo = readStructureFile(DEMO);
const BOX: Box = { a: 50, b: 50, c: 50, alpha: 90, beta: 90, gamma: 90 };

function rng(seed: number) {
  return () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
}

/** `n` copies of `s`'s coordinates, each atom moved up to `amp` Å (deterministic). */
function perturbed(s: Structure, n: number, amp: number, seed = 5): Float64Array[] {
  const rnd = rng(seed);
  return Array.from({ length: n }, () => Float64Array.from(s.coords, (v) => v + amp * rnd()));
}

/** The protein moved by `shift` and wrapped atom by atom into BOX: broken across the box faces. */
function broken(coords: Float64Array, shift: [number, number, number]): Float64Array {
  const L = [BOX.a, BOX.b, BOX.c];
  return Float64Array.from(coords, (v, k) => ((((v + shift[k % 3]) % L[k % 3]) + L[k % 3]) % L[k % 3]));
}

const frameOf = (s: Structure, coords: Float64Array, box: Box | null): Structure => ({ ...s, coords, models: [coords], box });

function readAll(path: string): Frame[] {
  const r = openTrajectory(path);
  const out: Frame[] = [];
  try {
    for (let f = r.next(); f; f = r.next()) out.push({ ...f, coords: f.coords.slice() });
  } finally {
    r.close();
  }
  return out;
}

function bitwiseDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

test('multi-model all-atom PDB → multi-model CG PDB: every model is mapStructureToCg of that model; a selection keeps the model numbers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-mapt-'));
  try {
    const mm = join(dir, 'aa-models.pdb');
    writeFileSync(mm, formatPdb({ ...demo, models: perturbed(demo, 5, 0.4) }));
    const aa = readStructureFile(mm);
    assert.equal(aa.models.length, 5);
    const progress: string[] = [];
    const r = await mapTrajectory({ topology: mm, mapping: 'martini3', out: join(dir, 'cg.pdb') }, { progress: (_s, f, d) => progress.push(`${f.toFixed(1)} ${d}`) });
    const refs = aa.models.map((c) => mapStructureToCg(frameOf(aa, c, aa.box), 'martini3').cg);
    assert.deepEqual([r.frames, r.beads, r.topologyOut], [5, refs[0].atoms.count, undefined]);
    assert.equal(r.mapped.mappingId, 'martini3');
    assert.deepEqual(progress, ['0.2 frame 1 of 5', '0.4 frame 2 of 5', '0.6 frame 3 of 5', '0.8 frame 4 of 5', '1.0 frame 5 of 5']);
    const block = (m: number) => formatPdb(refs[m], { models: [refs[m].coords], model: m + 1 });
    assert.equal(readFileSync(r.out, 'utf8'), [0, 1, 2, 3, 4].map(block).join('') + 'END\n');
    // The per-frame placement is mapStructureToCg's, bit for bit (not only at PDB precision).
    const fm = planFrameMapping(aa, 'martini3');
    for (let m = 0; m < 5; m++) assert.equal(bitwiseDiff(fm.place(aa.models[m], aa.box, m), refs[m].coords), 0, `model ${m + 1}`);
    const sel = await mapTrajectory({ topology: mm, mapping: 'martini3', out: join(dir, 'sel.pdb'), frames: '1:5:2' });
    assert.equal(sel.frames, 2);
    assert.equal(readFileSync(sel.out, 'utf8'), block(1) + block(3) + 'END\n');
    const cg = readStructureFile(sel.out);
    assert.equal(cg.models.length, 2);
    assert.deepEqual(cg.atoms.name, refs[0].atoms.name);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('XTC (written with XtcWriter) → CG XTC + topology: molecules broken across the box made whole and put back, as mapStructureToCg does; time and step kept; shards add up', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-mapt-'));
  try {
    const xtc = join(dir, 'aa.xtc');
    const w = createTrajectoryWriter(xtc, demo.atoms.count, 'xtc');
    assert.ok(w instanceof XtcWriter);
    const shifts: [number, number, number][] = [
      [20, 15, 12],
      [-8, 20, 20],
      [20, -10, 40],
      [45, 45, 5],
    ];
    perturbed(demo, 4, 0.3, 17).forEach((c, f) => w.write({ index: f, time: 100 + 10 * f, step: 50000 + 500 * f, coords: Float32Array.from(broken(c, shifts[f])), box: BOX }));
    w.close();
    const input = readAll(xtc);
    const out = join(dir, 'cg.xtc');
    const r = await mapTrajectory({ topology: DEMO, trajectory: xtc, mapping: 'martini3', out });
    assert.equal(r.frames, 4);
    assert.equal(r.topologyOut, join(dir, 'cg.topology.pdb'));
    const top = readStructureFile(r.topologyOut!);
    const ref0 = mapStructureToCg(demo, 'martini3').cg;
    assert.deepEqual([top.atoms.name, top.atoms.resName, Array.from(top.atoms.resSeq)], [ref0.atoms.name, ref0.atoms.resName, Array.from(ref0.atoms.resSeq)]);
    const cgFrames = readAll(out);
    assert.deepEqual(
      cgFrames.map((f) => [f.time, f.step, f.box?.a]),
      input.map((f) => [f.time, f.step, f.box?.a]),
    );
    const fm = planFrameMapping(demo, 'martini3');
    const bb = ref0.atoms.name.flatMap((n, i) => (n === 'BB' ? [i] : []));
    input.forEach((f, k) => {
      const ref = mapStructureToCg(frameOf(demo, Float64Array.from(f.coords), f.box), 'martini3').cg;
      assert.equal(bitwiseDiff(fm.place(f.coords, f.box, k), ref.coords), 0, `frame ${k}: the same positions as mapStructureToCg`);
      let worst = 0;
      for (let i = 0; i < ref.coords.length; i++) worst = Math.max(worst, Math.abs(cgFrames[k].coords[i] - ref.coords[i]));
      assert.ok(worst <= 0.0051, `frame ${k}: ${worst} Å from mapStructureToCg (XTC keeps 0.01 Å)`);
      // Whole: consecutive backbone beads stay bonded (a broken molecule would jump by the box length).
      for (let j = 1; j < bb.length; j++) {
        const d = Math.hypot(...[0, 1, 2].map((c) => cgFrames[k].coords[3 * bb[j] + c] - cgFrames[k].coords[3 * bb[j - 1] + c]));
        assert.ok(d < 4.6, `frame ${k}: BB ${j}–${j + 1} ${d.toFixed(2)} Å apart`);
      }
    });
    // Shards 0:1 and 1: put together are the whole run's file, byte for byte.
    const a = await mapTrajectory({ topology: DEMO, trajectory: xtc, mapping: 'martini3', out: join(dir, 'a.xtc'), frames: '0:1' });
    const b = await mapTrajectory({ topology: DEMO, trajectory: xtc, mapping: 'martini3', out: join(dir, 'b.xtc'), frames: '1:' });
    assert.deepEqual([a.frames, b.frames], [1, 3]);
    assert.deepEqual(Buffer.concat([readFileSync(a.out), readFileSync(b.out)]), readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A peptide, waters (TIP3) and ions in a 60 Å box. */
function solvated(): Structure {
  const pep = buildPeptide('MKTAYIAKQRQ', { phi: -65, psi: -40, chainId: 'A' });
  const sb = new StructureBuilder(1024);
  for (let i = 0; i < pep.atoms.count; i++)
    sb.addAtom({ name: pep.atoms.name[i], resName: pep.atoms.resName[i], chainId: 'A', resSeq: pep.atoms.resSeq[i], element: pep.atoms.element[i], x: pep.coords[3 * i] + 2, y: pep.coords[3 * i + 1] + 30, z: pep.coords[3 * i + 2] + 30 });
  let seq = 1;
  for (let gx = 0; gx < 6; gx++)
    for (let gy = 0; gy < 2; gy++) {
      const x = 38 + gx * 3.1, y = 5 + gy * 3.1, z = 5;
      sb.addAtom({ name: 'OH2', resName: 'TIP3', chainId: 'W', resSeq: seq, element: 'O', x, y, z });
      sb.addAtom({ name: 'H1', resName: 'TIP3', chainId: 'W', resSeq: seq, element: 'H', x: x + 0.96, y, z });
      sb.addAtom({ name: 'H2', resName: 'TIP3', chainId: 'W', resSeq: seq, element: 'H', x: x - 0.24, y: y + 0.93, z });
      seq++;
    }
  sb.addAtom({ name: 'SOD', resName: 'SOD', chainId: 'I', resSeq: 1, element: 'NA', x: 5, y: 50, z: 5 });
  sb.addAtom({ name: 'CLA', resName: 'CLA', chainId: 'I', resSeq: 2, element: 'CL', x: 59.5, y: 5, z: 55 });
  return sb.build('solvated.pdb', 'solvated', { a: 60, b: 60, c: 60, alpha: 90, beta: 90, gamma: 90 });
}

test('whole systems: water beads, ions and a peptide broken across the box placed per frame as mapStructureToCg places them', () => {
  const s = solvated();
  const fm = planFrameMapping(s, 'martini3');
  const names = fm.mapped.cg.atoms.resName;
  assert.equal(names.filter((n) => n === 'W').length, 3, '12 waters, 4 per W bead');
  assert.ok(names.includes('NA') && names.includes('CL'));
  const rnd = rng(23);
  for (let f = 0; f < 4; f++) {
    // Small moves (the waters stay in the topology's groups), then the whole system shifted across the x face.
    const c = Float64Array.from(s.coords, (v, k) => v + 0.2 * rnd() + (k % 3 === 0 ? -6 * f : 0));
    for (let k = 0; k < c.length; k += 3) c[k] = ((c[k] % 60) + 60) % 60;
    const ref = mapStructureToCg(frameOf(s, c, s.box), 'martini3').cg;
    assert.deepEqual(ref.atoms.name, fm.mapped.cg.atoms.name, `frame ${f}: the same particles`);
    assert.equal(bitwiseDiff(fm.place(c, s.box, f), ref.coords), 0, `frame ${f}`);
  }
});

test('a trajectory that does not fit the topology, a non-finite frame, outputs that exist or are inputs, and a cancel: refused, nothing left behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-mapt-'));
  try {
    const n = demo.atoms.count;
    const short = join(dir, 'short.xtc');
    const w = createTrajectoryWriter(short, n - 1, 'xtc');
    w.write({ index: 0, time: 0, step: 0, coords: Float32Array.from(demo.coords.subarray(0, 3 * (n - 1))), box: BOX });
    w.close();
    await assert.rejects(mapTrajectory({ topology: DEMO, trajectory: short, mapping: 'martini3', out: join(dir, 'cg.xtc') }), (e: unknown) => {
      assert.ok(e instanceof InputError, String(e));
      assert.equal(e.file, short);
      assert.ok(e.message.includes(`trajectory has ${n - 1} particles but the topology ${DEMO} has ${n}`), e.message);
      return true;
    });
    const listing = () => readdirSync(dir).sort();
    assert.deepEqual(listing(), ['short.xtc'], 'no output, no topology, no temporary file');

    const nan = join(dir, 'nan.dcd');
    const wd = createTrajectoryWriter(nan, n, 'dcd');
    for (let f = 0; f < 3; f++) {
      const c = Float32Array.from(demo.coords);
      if (f === 2) c[3 * 4 + 1] = NaN;
      wd.write({ index: f, time: f, step: f, coords: c, box: null });
    }
    wd.close();
    await assert.rejects(
      mapTrajectory({ topology: DEMO, trajectory: nan, mapping: 'martini3', out: join(dir, 'nan-cg.xtc') }),
      (e: unknown) => e instanceof InputError && e.file === nan && /frame index 2 \(0-based\): particle 5 \(\S+ ASP A1\) has non-finite coordinates/.test(e.message),
    );
    assert.deepEqual(listing(), ['nan.dcd', 'short.xtc']);

    const mm = join(dir, 'mm.pdb');
    writeFileSync(mm, formatPdb({ ...demo, models: perturbed(demo, 3, 0.2) }));
    const out = join(dir, 'out.pdb');
    writeFileSync(out, 'KEEP\n');
    await assert.rejects(mapTrajectory({ topology: mm, mapping: 'martini3', out }), (e: unknown) => e instanceof InputError && e.file === out && /already exists/.test(e.message));
    assert.equal(readFileSync(out, 'utf8'), 'KEEP\n');
    await assert.rejects(mapTrajectory({ topology: mm, mapping: 'martini3', out: mm, force: true }), /refusing to overwrite an input file/);
    // The topology a binary output writes beside it is the input: refused even with force.
    const topIn = join(dir, 'x.topology.pdb');
    writeFileSync(topIn, readFileSync(mm));
    await assert.rejects(mapTrajectory({ topology: topIn, mapping: 'martini3', out: join(dir, 'x.xtc'), force: true }), (e: unknown) => e instanceof InputError && e.file === topIn && /refusing/.test(e.message));
    assert.equal(existsSync(join(dir, 'x.xtc')), false);

    // Cancelled after the first frame: neither the trajectory nor its topology appears.
    const ac = new AbortController();
    await assert.rejects(
      mapTrajectory({ topology: mm, mapping: 'martini3', out: join(dir, 'c.xtc') }, { signal: ac.signal, progress: () => ac.abort() }),
      (e: unknown) => e instanceof CancelledError,
    );
    assert.deepEqual(listing(), ['mm.pdb', 'nan.dcd', 'out.pdb', 'short.xtc', 'x.topology.pdb']);
    // An empty selection names the input and its frames.
    await assert.rejects(
      mapTrajectory({ topology: mm, mapping: 'martini3', out: join(dir, 'e.pdb'), frames: '3:' }),
      (e: unknown) => e instanceof InputError && e.file === mm && /select no frame: the input has 3 frames/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
