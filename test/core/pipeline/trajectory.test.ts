import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildPeptide } from '../../../src/core/chemistry/peptide';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { mapToCg } from '../../../src/core/forward';
import { formatPdb } from '../../../src/core/structure/pdb';
import { readStructureFile } from '../../../src/core/structure/read';
import { createTrajectoryWriter, openTrajectory } from '../../../src/core/trajectory/index';
import { InputError } from '../../../src/core/errors';
import { backmapStructure, backmapTrajectory, renderReport } from '../../../src/core/pipeline';
import { clashReport } from '../../../src/core/metrics';

const aa = buildPeptide('MKTAYIAKQRQISFVKSHFSRQLEERLG', { phi: -65, psi: -40, chainId: 'A' });
const cg = mapToCg(aa, loadMappingSet('martini3')).cg;

function writeFrames(path: string, format: 'xtc' | 'dcd', n: number, natoms = cg.atoms.count): void {
  const w = createTrajectoryWriter(path, natoms, format);
  let seed = 9;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  for (let f = 0; f < n; f++) {
    const c = new Float32Array(3 * natoms);
    for (let i = 0; i < c.length; i++) c[i] = (cg.coords[i] ?? 0) + 0.2 * rnd();
    w.write({ index: f, time: 10 * f, step: 100 * f, coords: c, box: null });
  }
  w.close();
}

test('XTC in → XTC out plus topology PDB; DCD in → multi-model PDB; frames match and the session is reused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-trj-'));
  try {
    const top = join(dir, 'cg.pdb');
    writeFileSync(top, formatPdb(cg));
    const xtc = join(dir, 'in.xtc');
    writeFrames(xtc, 'xtc', 5);
    const out = join(dir, 'out.xtc');
    const progress: string[] = [];
    const r = await backmapTrajectory({ topology: top, trajectory: xtc, out, model: 'template' }, { progress: (s, f, d) => progress.push(`${s}:${f.toFixed(2)}:${d}`) });
    assert.equal(r.frames, 5);
    assert.ok(r.topologyOut && existsSync(r.topologyOut));
    assert.deepEqual(progress, [1, 2, 3, 4, 5].map((k) => `frames:${(k / 5).toFixed(2)}:frame ${k} of 5`));
    const topo = readStructureFile(r.topologyOut!);
    const reader = openTrajectory(out);
    assert.equal(reader.natoms, topo.atoms.count);
    let frames = 0;
    let first: Float32Array | Float64Array | null = null;
    for (let f = reader.next(); f; f = reader.next()) {
      if (!first) first = f.coords;
      frames++;
    }
    reader.close();
    assert.equal(frames, 5);
    // Frame 0 of the output is the backmap of frame 0 of the input (XTC precision 0.01 Å).
    const r0 = openTrajectory(xtc);
    const f0 = r0.next()!;
    r0.close();
    const single = await backmapStructure({ ...cg, coords: Float64Array.from(f0.coords), models: [Float64Array.from(f0.coords)] }, { model: 'template', refine: true, skipMetrics: true });
    let max = 0;
    for (let i = 0; i < single.structure.coords.length; i++) max = Math.max(max, Math.abs(single.structure.coords[i] - first![i]));
    assert.ok(max < 0.02, `frame 0 differs from a single-structure backmap by ${max} Å`);

    const dcd = join(dir, 'in.dcd');
    writeFrames(dcd, 'dcd', 3);
    const pdbOut = join(dir, 'out.pdb');
    const r2 = await backmapTrajectory({ topology: top, trajectory: dcd, out: pdbOut, model: 'template', refine: false, stride: 2 });
    assert.equal(r2.frames, 2);
    assert.equal(readStructureFile(pdbOut).models.length, 2);
    assert.deepEqual(r2.report.refine.enabled, { backbone: false, clashes: false, sidechains: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a trajectory whose particle count differs from the topology is an InputError naming the file; no output is left', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-trj-'));
  try {
    const top = join(dir, 'cg.pdb');
    writeFileSync(top, formatPdb(cg));
    const xtc = join(dir, 'short.xtc');
    writeFrames(xtc, 'xtc', 2, cg.atoms.count - 3);
    const out = join(dir, 'out.xtc');
    await assert.rejects(backmapTrajectory({ topology: top, trajectory: xtc, out, model: 'template' }), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.file, xtc);
      assert.match(e.message, /particles/);
      return true;
    });
    assert.equal(existsSync(out), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a PDB trajectory output that fails at a later frame is removed, and an existing file it would replace is kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-trj-'));
  try {
    const top = join(dir, 'cg.pdb');
    writeFileSync(top, formatPdb(cg));
    const dcd = join(dir, 'nan.dcd');
    const w = createTrajectoryWriter(dcd, cg.atoms.count, 'dcd');
    for (let f = 0; f < 3; f++) {
      const c = Float32Array.from(cg.coords);
      if (f === 2) c[7] = NaN; // frames 1 and 2 are written before frame 3 fails
      w.write({ index: f, time: f, step: f, coords: c, box: null });
    }
    w.close();
    for (const existing of [false, true]) {
      const out = join(dir, 'out.pdb');
      if (existing) writeFileSync(out, 'KEEP ME\n');
      await assert.rejects(backmapTrajectory({ topology: top, trajectory: dcd, out, model: 'template', refine: false, force: existing }), (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.equal(e.file, dcd);
        assert.match(e.message, /frame index 2 \(0-based\): particle 3 \(BB LYS A2\) has non-finite coordinates/);
        return true;
      });
      if (existing) assert.equal(readFileSync(out, 'utf8'), 'KEEP ME\n');
      else assert.equal(existsSync(out), false);
      assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temporary file left behind');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('trajectory report: frames and wall time recorded; throughput over all frames; geometry of the first frame with denominators', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-trj-'));
  try {
    const top = join(dir, 'cg.pdb');
    writeFileSync(top, formatPdb(cg));
    const xtc = join(dir, 'in.xtc');
    writeFrames(xtc, 'xtc', 6);
    const r = await backmapTrajectory({ topology: top, trajectory: xtc, out: join(dir, 'out.xtc'), model: 'template', reference: aa });
    assert.equal(r.report.trajectory?.frames, 6);
    assert.ok(Math.abs(r.report.trajectory!.seconds - r.seconds) < 1e-9, 'the same wall time as the result');
    const md = renderReport(r);
    // heavy atoms (the hydrogens, on by default, are said beside them)
    const added = r.report.hydrogens!.added;
    const atoms = r.report.counts.atoms - added;
    assert.match(md, /\*\*Frames:\*\* 6 in [\d.]+ s \(geometry and accuracy below are the first frame's\)/);
    const m = /Throughput: ([\d.]+) frames\/s, ([\d,]+) heavy atoms\/s over all 6 frames \(([\d,]+) heavy atoms each, \+ ([\d,]+) hydrogens\)/.exec(md);
    assert.ok(m && Number(m[4].replace(/,/g, '')) === added, md);
    assert.ok(m, md);
    const fps = Number(m[1]), aps = Number(m[2].replace(/,/g, ''));
    assert.equal(Number(m[3].replace(/,/g, '')), atoms);
    // heavy atoms/s is every frame's atoms, not one frame's: frames/s × atoms per frame
    assert.ok(Math.abs(aps - (6 * atoms) / r.seconds) <= 1, `${aps} vs ${(6 * atoms) / r.seconds}`);
    assert.ok(Math.abs(fps - 6 / r.seconds) < 0.051, `${fps} frames/s`);
    assert.match(md, /## Time per stage \(summed over 6 frames\)/);
    assert.match(md, /## Geometry \(first frame\)/);
    const ba = r.report.bondAngle!;
    assert.ok(md.includes(`| ${ba.bonds.outliers} of ${ba.bonds.n.toLocaleString('en-US')} bonds (${((100 * ba.bonds.outliers) / ba.bonds.n).toFixed(1)} %) |`), md);
    assert.ok(md.includes(`${ba.angles.outliers} of ${ba.angles.n.toLocaleString('en-US')} angles`), md);
    assert.match(md, /\| clashes \(heavy atoms < 1\.2 Å apart\) \| \d+ of \d+ residues \(\d+\.\d %\) \|/);
    assert.match(md, /\| Ramachandran outliers \| \d+ of \d+ residues with φ and ψ/);
    assert.match(md, /## Accuracy against the reference \(first frame\)/);
    assert.match(md, /Residues matched by chain and residue number: 28 of 28 model residues/);
    assert.ok(!r.report.notes.some((n) => /frames\/s/.test(n)), 'the frame count is a field, not a note');
    // a single structure's report keeps its own form
    const one = renderReport(await backmapStructure(cg, { model: 'template' }));
    assert.match(one, /Throughput: [\d,]+ heavy atoms\/s end to end\./);
    assert.match(one, /## Geometry\n/);
    assert.ok(!one.includes('first frame'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const SIM = resolve(__dirname, '../../../../shared/data/cgsim/1UBQ');

test('real Martini 3 simulation frames (../shared cgsim/1UBQ): backmapped with refinement, few clashes', async (t) => {
  if (!existsSync(join(SIM, 'traj_protein_fit.xtc'))) {
    t.skip('../shared absent: cgsim/1UBQ not found');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bm-trj-'));
  try {
    const out = join(dir, 'ubq.pdb');
    const r = await backmapTrajectory({ topology: join(SIM, 'topol_protein.gro'), trajectory: join(SIM, 'traj_protein_fit.xtc'), out, maxFrames: 5 });
    assert.equal(r.frames, 5);
    assert.equal(r.report.counts.residues, 76);
    assert.equal(r.report.unknown.length, 0);
    const s = readStructureFile(out);
    assert.equal(s.models.length, 5);
    for (const m of s.models) {
      const c = clashReport({ ...s, coords: m, models: [m] });
      assert.ok(c.percent < 10, `clash % ${c.percent}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
