/**
 * Reports and stderr of `backmap backmap` (issue 26): the trajectory report's throughput over all frames and its
 * geometry with denominators and frame scope; the execution-provider list in the report while stderr stays free of
 * provider chatter and native (onnxruntime) output — checked in a real process, where native writes to fd 2 would
 * show.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPeptide } from '../../src/core/chemistry/peptide';
import { loadMappingSet } from '../../src/core/mapping/load';
import { mapToCg } from '../../src/core/forward';
import { formatPdb } from '../../src/core/structure/pdb';
import { createTrajectoryWriter } from '../../src/core/trajectory/index';
import { listModels } from '../../src/core/model/registry';
import { sharedDataRoot } from '../../src/core/dataset/tsv';
import { cli, DEMO, ROOT, tempDir } from './helpers';

const t = tempDir('report');
const p = (name: string) => join(t.dir, name);
after(() => t.cleanup());

/** Frames per second, heavy atoms per second, frames and atoms per frame from a report's throughput line. */
function throughput(md: string): { fps: number; aps: number; frames: number; atoms: number } {
  const m = /Throughput: ([\d.]+) frames\/s, ([\d,]+) heavy atoms\/s over all ([\d,]+) frames \(([\d,]+) heavy atoms each(?:, \+ [\d,]+ hydrogens)?\)/.exec(md);
  assert.ok(m, `no trajectory throughput line in:\n${md}`);
  const n = (s: string) => Number(s.replace(/,/g, ''));
  return { fps: Number(m[1]), aps: n(m[2]), frames: n(m[3]), atoms: n(m[4]) };
}

function checkTrajectoryReport(md: string, frames: number): void {
  const tp = throughput(md);
  assert.equal(tp.frames, frames);
  // every frame's atoms: heavy atoms/s ≈ frames/s × atoms per frame (frames/s is rounded to 0.1)
  assert.ok(Math.abs(tp.aps - tp.fps * tp.atoms) <= 0.05 * tp.atoms + 1, `${tp.aps} heavy atoms/s vs ${tp.fps} frames/s × ${tp.atoms}`);
  assert.match(md, new RegExp(`\\*\\*Frames:\\*\\* ${frames} in [\\d.]+ s`));
  assert.match(md, /## Geometry \(first frame\)/);
  assert.match(md, /\| bond-length outliers \(> 0\.08 Å from ideal\) \| \d+ of [\d,]+ bonds \(\d+\.\d %\) \|/);
  assert.match(md, /\| bond-angle outliers \(> 8° from ideal\) \| \d+ of [\d,]+ angles \(\d+\.\d %\) \|/);
}

test('trajectory --report: frames/s and heavy atoms/s over all frames, outliers with denominators of the first frame', async () => {
  const cg = mapToCg(buildPeptide('MKTAYIAKQRQISFVKSHFSRQLEERLG', { phi: -65, psi: -40 }), loadMappingSet('martini3')).cg;
  writeFileSync(p('cg.pdb'), formatPdb(cg));
  const w = createTrajectoryWriter(p('in.xtc'), cg.atoms.count, 'xtc');
  for (let f = 0; f < 7; f++) {
    const c = new Float32Array(cg.coords.length);
    for (let i = 0; i < c.length; i++) c[i] = cg.coords[i] + 0.05 * Math.sin(7 * f + i);
    w.write({ index: f, time: f, step: f, coords: c, box: null });
  }
  w.close();
  const r = await cli('backmap', p('cg.pdb'), '-t', p('in.xtc'), '--model', 'template', '-o', p('out.xtc'), '--report', p('run.md'));
  assert.equal(r.code, 0, r.err);
  checkTrajectoryReport(readFileSync(p('run.md'), 'utf8'), 7);
});

const caModel = listModels().find((m) => m.mapping.id === 'ca');

test('an ONNX model run: stderr has only notes (no provider list, no native Vulkan message); --verbose and the report list the providers', { skip: !caModel && 'no C-alpha model in models/' }, async () => {
  const m = await cli('map', DEMO, '--mapping', 'ca', '-o', p('ca.pdb'));
  assert.equal(m.code, 0, m.err);
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
  };
  const r = run('backmap', p('ca.pdb'), '-o', p('ca-aa.pdb'), '--report', p('ca.md'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`with the model ${caModel!.id} on \\w+`));
  const lines = r.err.split('\n').filter(Boolean);
  for (const l of lines) assert.match(l, /^(note|warning): /, `unexpected stderr line: ${l}`);
  assert.ok(!/vulkan|provider/i.test(r.err), r.err);
  const md = readFileSync(p('ca.md'), 'utf8');
  assert.match(md, /\*\*Execution provider:\*\* \w+/);
  // every provider tried before the one that ran is listed with its reason (on this machine e.g. no CUDA libraries)
  const provider = /\*\*Execution provider:\*\* (\w+)/.exec(md)![1];
  if (provider === 'cpu' && process.platform === 'linux' && process.arch === 'x64') assert.match(md, /^- Provider webgpu not used: .+/m);
  const v = run('backmap', p('ca.pdb'), '-o', p('ca-aa2.pdb'), '--verbose');
  assert.equal(v.code, 0, v.err);
  assert.match(v.err, new RegExp(`model ${caModel!.id} runs on ${provider}`));
  // an explicit device that cannot run: a warning naming it and where it ran instead
  const cuda = run('backmap', p('ca.pdb'), '-o', p('ca-aa3.pdb'), '--device', 'cuda');
  assert.equal(cuda.code, 0, cuda.err);
  if (!/on cuda/.test(cuda.out)) assert.match(cuda.err, /^warning: --device cuda is unavailable \(.+\): ran on cpu$/m);
});

const data = sharedDataRoot();

test('the ubiquitin simulation (89 frames of XTC): report throughput over all 89 frames', { skip: !data && '../shared/data absent' }, async () => {
  const dir = join(data!, 'cgsim', '1UBQ');
  const r = await cli('backmap', join(dir, 'topol_protein.gro'), '-t', join(dir, 'traj_protein.xtc'), '-o', p('ubq.xtc'), '--report', p('ubq.md'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /backmapped 89 frame\(s\)/);
  const md = readFileSync(p('ubq.md'), 'utf8');
  checkTrajectoryReport(md, 89);
  assert.equal(throughput(md).atoms, 602);
});
