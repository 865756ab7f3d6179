import { test, after } from 'node:test';
import { tmpdir } from 'node:os';
import assert from 'node:assert/strict';
import { buildPeptide } from '../../src/core/chemistry/peptide';
import { loadMappingSet } from '../../src/core/mapping/load';
import { mapToCg } from '../../src/core/forward';
import { formatPdb } from '../../src/core/structure/pdb';
import { readStructureFile } from '../../src/core/structure/read';
import { InputError } from '../../src/core/errors';
import { backmapStructure } from '../../src/core/pipeline';
import { EngineClient, CancelledError, WorkerCrashError, resolveWorker } from '../../src/engine/client';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeTinyModel } from '../core/model/tiny-model';
import { join } from 'node:path';

const client = new EngineClient();
after(() => client.dispose());

const alive = (pid: number | null): boolean => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const waitDead = async (pid: number) => {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
};

function cgPeptide(seq: string) {
  const aa = buildPeptide(seq, { phi: -65, psi: -40, chainId: 'A' });
  const cg = mapToCg(aa, loadMappingSet('martini3')).cg;
  return { aa, cg };
}

test('a backmap through the worker returns the same structure as in-process', async () => {
  const { aa, cg } = cgPeptide('MKTAYIAKQRQISFVKSHFSRQ');
  const settings = { model: 'template', mapping: 'martini3', refine: true } as const;
  const stages: string[] = [];
  const viaWorker = await client.backmapStructure({ text: formatPdb(cg), source: 'cg.pdb', format: 'pdb' }, settings, {
    reference: { structure: aa },
    onProgress: (stage) => stages.push(stage),
  });
  const local = await backmapStructure(cg, { ...settings, reference: aa });
  const w = viaWorker.output.structure;
  assert.equal(w.atoms.count, local.structure.atoms.count);
  assert.deepEqual(w.atoms.name, local.structure.atoms.name);
  assert.deepEqual(w.atoms.resSeq, local.structure.atoms.resSeq);
  // formatPdb rounds the input to 0.001 Å, so compare within that; the structure form is exact (below).
  let maxDiff = 0;
  for (let i = 0; i < w.coords.length; i++) maxDiff = Math.max(maxDiff, Math.abs(w.coords[i] - local.structure.coords[i]));
  assert.ok(maxDiff < 0.02, `max coordinate difference ${maxDiff}`);
  assert.ok(stages.includes('inference') && stages.includes('refine'), `progress stages: ${stages.join(',')}`);
  assert.match(viaWorker.markdown, /# Backmapping report/);
  assert.ok(viaWorker.output.report.rmsd && viaWorker.output.report.rmsd.perResidue.length === 22);

  const exact = await client.backmapStructure({ structure: cg }, settings);
  assert.deepEqual(Array.from(exact.output.structure.coords), Array.from(local.structure.coords), 'bit-identical coordinates');
});

test('cancel mid-run kills the worker and rejects with a cancellation error; the next request works', async () => {
  const { cg } = cgPeptide('MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQFEVVHSLAKWKRQTLGQHDFSAGEGLYTHMKALRPDEDRLSPLHSVYVDQWDWERVMGDGERQFSTLKSTVEAIWAGIKATEAAVSEEFGLAPFLPDQIHFVHSQELLSRYPDLDAKGRERAIAKDLGAVFLVGIGGKLSDGHRHDVRAPDYDDWSTPSELGHAGLNGDILVWNPVLEDAFELSSMGIRVDADTLKHQLALTGDEDRLELEWHQALLRGEMPQTIGGGIGQSRLTMLLLQLPHIGQVQAGVWPAAVRESVPALL');
  const before = client.starts;
  await client.debug('pid'); // make sure a worker is up
  const pid = client.pid!;
  const ac = new AbortController();
  const run = client.backmapStructure({ structure: cg }, { model: 'template', mapping: 'martini3', refine: true }, {
    signal: ac.signal,
    onProgress: (stage) => {
      if (stage === 'inference' || stage === 'rebuild' || stage === 'refine') ac.abort();
    },
  });
  await assert.rejects(run, (e: unknown) => e instanceof CancelledError);
  assert.ok(await waitDead(pid), 'the worker process was killed');
  const next = await client.debug('pid');
  assert.notEqual(next.pid, pid, 'a fresh worker answers the next request');
  assert.equal(client.starts, before + 1);
});

test('a worker exit or native abort is reported as an error and the next request works', async () => {
  // Its own client with the worker in the temp dir, so a core dump (where enabled) never lands in the repo.
  const client = new EngineClient({ cwd: tmpdir() });
  after(() => client.dispose());
  await assert.rejects(client.debug('exit', 3), (e: unknown) => {
    assert.ok(e instanceof WorkerCrashError);
    assert.equal(e.code, 3);
    assert.match(e.message, /exited with code 3/);
    return true;
  });
  await assert.rejects(client.debug('abort'), (e: unknown) => {
    assert.ok(e instanceof WorkerCrashError);
    assert.equal(e.signal, 'SIGABRT');
    return true;
  });
  const { cg } = cgPeptide('ACDEFGHIK');
  const r = await client.backmapStructure({ structure: cg }, { model: 'template', mapping: 'martini3' });
  assert.ok(r.output.structure.atoms.count > 60);
});

test('input errors from the worker keep their file and line', async () => {
  const bad = 'ATOM      1  BB  ALA A   1      1.000   2.000   3.000  1.00  0.00\nATOM      2  BB  ALA A   2      nan     2.000   3.000  1.00  0.00\n';
  await assert.rejects(client.backmapStructure({ text: bad, source: 'bad.pdb', format: 'pdb' }, { model: 'template', mapping: 'martini3' }), (e: unknown) => {
    assert.ok(e instanceof InputError, `got ${String(e)}`);
    assert.equal(e.file, 'bad.pdb');
    assert.equal(e.line, 2);
    return true;
  });
  // A request queued behind a failing one still runs.
  const { cg } = cgPeptide('GAV');
  const r = await client.backmapStructure({ structure: cg }, { model: 'template', mapping: 'martini3' });
  assert.ok(r.output.structure.atoms.count > 10);
});

test('worker resolution: src/engine/worker.ts via tsx from sources; a bundled dist/worker.js works too', async (t) => {
  const src = resolveWorker();
  assert.match(src.path, /src[\\/]engine[\\/]worker\.ts$/);
  assert.equal(src.execArgv[0], '--import');
  const bundled = join(__dirname, '../../dist/worker.js');
  if (!existsSync(bundled)) {
    t.skip('dist/worker.js not built (npm run build)');
    return;
  }
  const c = new EngineClient({ workerPath: bundled });
  try {
    const { cg } = cgPeptide('GAVLK');
    const r = await c.backmapStructure({ structure: cg }, { model: 'template', mapping: 'martini3' });
    assert.ok(r.output.structure.atoms.count > 20);
  } finally {
    c.dispose();
  }
});

test('the worker caches a model session per model + device across requests', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-tiny-'));
  const c = new EngineClient();
  try {
    const onnx = writeTinyModel(dir, loadMappingSet('martini3'));
    const { cg } = cgPeptide('MKTAYIAKQRQ');
    const logs: string[] = [];
    const a = await c.backmapStructure({ structure: cg }, { model: onnx, device: 'cpu' }, { onLog: (_l, m) => logs.push(m) });
    const b = await c.backmapStructure({ structure: cg }, { model: onnx, device: 'cpu' }, { onLog: (_l, m) => logs.push(m) });
    assert.equal(a.output.report.provider, 'cpu');
    assert.ok(logs.some((l) => /reusing the cpu session/.test(l)), logs.join('\n'));
    assert.deepEqual(Array.from(b.output.structure.coords), Array.from(a.output.structure.coords));
  } finally {
    c.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('trajectory and map-to-CG requests through the worker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-wtraj-'));
  try {
    const { aa, cg } = cgPeptide('MKTAYIAKQRQISF');
    const top = join(dir, 'cg.pdb');
    writeFileSync(top, formatPdb(cg, { models: [cg.coords, Float64Array.from(cg.coords, (v) => v + 0.05)] }));
    const fractions: number[] = [];
    const r = await client.backmapTrajectory({ topology: top, out: join(dir, 'aa.pdb'), settings: { model: 'template' } }, { onProgress: (s, f) => s === 'frames' && fractions.push(f) });
    assert.equal(r.frames, 2);
    assert.deepEqual(fractions, [0.5, 1]);
    // backmapStudio.output.minimise reaches the frames too: each one minimised.
    const min = await client.backmapTrajectory({ topology: top, out: join(dir, 'aa-min.pdb'), settings: { model: 'template', minimise: true } });
    assert.ok(min.report.notes.some((n) => /^minimised each of 2 frames with AMBER99SB-ILDN/.test(n)), min.report.notes.join('\n'));
    const aaPath = join(dir, 'aa-in.pdb');
    writeFileSync(aaPath, formatPdb(aa));
    const m = await client.mapToCg({ input: { path: aaPath }, mapping: 'martini3', out: join(dir, 'mapped.pdb') });
    assert.equal(m.cg.atoms.count, cg.atoms.count);
    assert.ok(m.written && existsSync(m.written));
    await assert.rejects(client.mapToCg({ input: { path: aaPath }, mapping: 'martini3', out: aaPath }), /input|exists/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a whole-system trajectory through the worker: water and ions in every frame only with solvent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-wsolv-'));
  const fixture = join(__dirname, '..', 'fixtures', 'martini3-bilayer');
  try {
    const residueNames = (path: string) => new Set(readStructureFile(path).atoms.resName);
    const common = { topology: join(fixture, 'bilayer.gro'), trajectory: join(fixture, 'bilayer.xtc'), maxFrames: 2, settings: { model: 'template', hydrogens: false } };
    const without = await client.backmapTrajectory({ ...common, out: join(dir, 'dry.pdb') });
    assert.equal(without.frames, 2);
    assert.ok(!residueNames(join(dir, 'dry.pdb')).has('TIP3'), 'water left out by default');
    const wet = await client.backmapTrajectory({ ...common, out: join(dir, 'wet.pdb'), solvent: true });
    assert.equal(wet.frames, 2);
    const names = residueNames(join(dir, 'wet.pdb'));
    for (const n of ['TIP3', 'SOD', 'CLA', 'POPC']) assert.ok(names.has(n), `${n} written`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cancel() kills a worker stuck in a busy loop, and a worker that is still starting', async () => {
  const c = new EngineClient({ cwd: tmpdir() });
  try {
    // 1. cancel while the worker is still starting
    const early = c.debug('pid');
    c.cancel();
    await assert.rejects(early, CancelledError);
    // 2. cancel a request whose worker no longer answers
    const up = await c.debug('pid');
    const hung = c.debug('hang');
    void hung.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(c.pid, up.pid);
    c.cancel();
    await assert.rejects(hung, CancelledError);
    assert.ok(await waitDead(up.pid));
    const next = await c.debug('pid');
    assert.notEqual(next.pid, up.pid);
  } finally {
    c.dispose();
  }
});
