// `backmap merge` core (src/core/trajectory/merge.ts): shards made by real trajectory runs on the project-made ligand
// fixture (lig-tiny.onnx) merged back equal the whole run (PDB and XTC byte for byte; DCD/TRR conversions frame by
// frame), and every refusal names the files: overlaps, other atoms, mixed kinds, missing topologies, outputs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '../../../src/core/errors';
import { backmapTrajectory, mapTrajectory } from '../../../src/core/pipeline';
import { mergeShards, type MergeOptions } from '../../../src/core/trajectory/merge';
import { createTrajectoryWriter, readFrames } from '../../../src/core/trajectory';
import type { InputWarning } from '../../../src/core/errors';

const ROOT = resolve(__dirname, '..', '..', '..');
const FIX = join(ROOT, 'test', 'fixtures', 'ligand');
const MODEL = join(FIX, 'lig-tiny.onnx');
const dir = mkdtempSync(join(tmpdir(), 'backmap-merge-'));
const p = (n: string) => join(dir, n);
after(() => rmSync(dir, { recursive: true, force: true }));

/** One trajectory run of the CG fixture (frames of cg12.pdb) into `out`. */
const run = async (frames: string, out: string) => {
  await backmapTrajectory({ topology: p('cg12.pdb'), model: MODEL, refine: false, frames, out: p(out) });
  return p(out);
};

before(async () => {
  await mapTrajectory({ topology: join(FIX, 'frames.pdb'), mapping: join(FIX, 'lig'), frames: '0:12', out: p('cg12.pdb') });
  for (const ext of ['pdb', 'xtc']) {
    await run('0:12', `whole.${ext}`);
    for (const r of ['0:5', '5:9', '9:12', '0:7', '7:12', '5:12', '0:4', '8:12', '0:12:2', '1:12:2']) await run(r, `s${r.replace(/:/g, '_')}.${ext}`);
  }
  await run('7:12', 'd7_12.dcd'); // its own stem: s7_12.topology.pdb is the XTC shard's
});

const s = (r: string, ext: string) => p(`s${r.replace(/:/g, '_')}.${ext}`);
const bytes = (f: string) => readFileSync(f);
const merge = (opts: Partial<MergeOptions> & Pick<MergeOptions, 'shards' | 'out'>) => {
  const warnings: InputWarning[] = [];
  const r = mergeShards({ warn: (w) => warnings.push(w), ...opts });
  return { ...r, warned: warnings };
};
/** The refusal's InputError, checked to name every file in `names`; nothing may be written under `out`. */
function refused(opts: MergeOptions, re: RegExp, names: string[] = []): InputError {
  let err: unknown;
  try {
    mergeShards(opts);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
  assert.match(err.message, re);
  for (const n of names) assert.ok(err.message.includes(n), `'${err.message}' does not name ${n}`);
  return err;
}

test('PDB shards given in any order merge into the whole run byte for byte (MODEL order, END once)', () => {
  const r = merge({ shards: [s('9:12', 'pdb'), s('0:5', 'pdb'), s('5:9', 'pdb')], out: p('m3.pdb') });
  assert.equal(r.frames, 12);
  assert.equal(r.shards, 3);
  assert.equal(r.copied, true);
  assert.deepEqual(r.warned, []);
  assert.ok(bytes(p('m3.pdb')).equals(bytes(p('whole.pdb'))));
  // Interleaved shards (every other frame each) are put in frame order too.
  merge({ shards: [s('1:12:2', 'pdb'), s('0:12:2', 'pdb')], out: p('mi.pdb') });
  assert.ok(bytes(p('mi.pdb')).equals(bytes(p('whole.pdb'))));
});

test('XTC shards merge into the whole run byte for byte, with its topology (the first frame\'s)', () => {
  const r = merge({ shards: [s('7:12', 'xtc'), s('0:7', 'xtc')], out: p('m.xtc') });
  assert.equal(r.frames, 12);
  assert.equal(r.copied, true);
  assert.equal(r.topologyOut, p('m.topology.pdb'));
  assert.ok(bytes(p('m.xtc')).equals(bytes(p('whole.xtc'))));
  assert.ok(bytes(p('m.topology.pdb')).equals(bytes(p('whole.topology.pdb'))));
  merge({ shards: [s('1:12:2', 'xtc'), s('0:12:2', 'xtc')], out: p('mi.xtc') });
  assert.ok(bytes(p('mi.xtc')).equals(bytes(p('whole.xtc'))));
});

test('binary conversions: XTC shards into a DCD, an XTC and a DCD shard into a TRR, frame by frame', () => {
  const whole = [...readFrames(p('whole.xtc'))];
  const close = (out: string, tol: number) => {
    const got = [...readFrames(out)];
    assert.equal(got.length, whole.length);
    got.forEach((f, i) => {
      assert.equal(f.step, whole[i].step, `frame ${i} step`);
      for (let k = 0; k < f.coords.length; k++) assert.ok(Math.abs(f.coords[k] - whole[i].coords[k]) <= tol, `frame ${i} coordinate ${k}`);
    });
  };
  const d = merge({ shards: [s('0:7', 'xtc'), s('7:12', 'xtc')], out: p('c.dcd') });
  assert.equal(d.copied, false);
  close(p('c.dcd'), 1e-5);
  assert.ok(bytes(p('c.topology.pdb')).equals(bytes(p('whole.topology.pdb'))));
  // The DCD shard holds full-precision coordinates: equal to the XTC's within its 0.01 Å rounding.
  merge({ shards: [p('d7_12.dcd'), s('0:7', 'xtc')], out: p('t.trr') });
  close(p('t.trr'), 0.0051);
});

test('overlapping shards (a frame twice) are refused naming both files; nothing is written', () => {
  refused({ shards: [s('0:7', 'pdb'), s('5:12', 'pdb')], out: p('o.pdb') }, /MODEL 6 \(input frame 5\) is also in .*\(and 1 more frame in two shards\): the shards overlap/, [
    s('0:7', 'pdb'),
    s('5:12', 'pdb'),
  ]);
  refused({ shards: [s('5:12', 'xtc'), s('0:7', 'xtc')], out: p('o.xtc') }, /step 5, time 0 ps is also in .*the shards overlap/, [s('0:7', 'xtc'), s('5:12', 'xtc')]);
  refused({ shards: [s('0:5', 'pdb'), p('.') + '/' + 's0_5.pdb'], out: p('o.pdb') }, /given twice/);
  assert.equal(existsSync(p('o.pdb')), false);
  assert.equal(existsSync(p('o.xtc')), false);
  assert.equal(existsSync(p('o.topology.pdb')), false);
});

test('shards of other atoms are refused naming the file and line, and the first shard\'s line', () => {
  // A residue renamed in model 2 of a copy: one atom differs.
  const text = readFileSync(s('5:9', 'pdb'), 'utf8');
  const lines = text.split('\n');
  const second = lines.findIndex((l, i) => i > lines.indexOf('ENDMDL') && /^(ATOM|HETATM)/.test(l));
  lines[second] = lines[second].slice(0, 17) + 'XYZ' + lines[second].slice(20);
  writeFileSync(p('renamed.pdb'), lines.join('\n'));
  refused({ shards: [s('0:5', 'pdb'), p('renamed.pdb')], out: p('o.pdb') }, new RegExp(`renamed\\.pdb:${second + 1}: MODEL 7: '.*XYZ.*' where .*s0_5\\.pdb:\\d+ \\(MODEL 1\\) has .*different topologies`));
  // One atom fewer in a model.
  const fewer = text.split('\n').filter((_, i) => i !== second).join('\n');
  writeFileSync(p('fewer.pdb'), fewer);
  refused({ shards: [s('0:5', 'pdb'), p('fewer.pdb')], out: p('o.pdb') }, /fewer\.pdb:\d+: MODEL 7 has \d+ atoms but MODEL 1 of .*s0_5\.pdb has \d+: the shards hold different atoms/);
  // A binary shard whose topology names another atom; one whose trajectory has another atom count.
  copyFileSync(s('7:12', 'xtc'), p('other.xtc'));
  writeFileSync(p('other.topology.pdb'), readFileSync(s('7:12', 'xtc').replace(/\.xtc$/, '.topology.pdb'), 'utf8').replace(/^(HETATM|ATOM {2})(.{6})(.{4})/m, '$1$2 QQQ'));
  refused({ shards: [s('0:7', 'xtc'), p('other.xtc')], out: p('o.xtc') }, /other\.topology\.pdb:\d+: topology: '.*QQQ.*' where .*s0_7\.topology\.pdb:\d+ \(topology\) has .*different topologies/);
  const w = createTrajectoryWriter(p('three.xtc'), 3);
  w.write({ index: 0, time: 0, step: 20, coords: new Float64Array(9), box: null });
  w.close();
  copyFileSync(s('7:12', 'xtc').replace(/\.xtc$/, '.topology.pdb'), p('three.topology.pdb'));
  refused({ shards: [s('0:7', 'xtc'), p('three.xtc')], out: p('o.xtc') }, /three\.xtc: trajectory has 3 atoms but its topology .*three\.topology\.pdb has \d+/);
  assert.equal(existsSync(p('o.pdb')) || existsSync(p('o.xtc')), false);
});

test('kinds that cannot be merged or converted are refused naming the files', () => {
  refused({ shards: [s('0:5', 'pdb'), s('5:12', 'xtc')], out: p('o.xtc') }, /cannot merge the multi-model PDB .*s0_5\.pdb .* with the XTC trajectory .*s5_12\.xtc .*cannot be put in one order/);
  refused({ shards: [s('0:5', 'pdb'), s('5:9', 'pdb')], out: p('o.xtc') }, /o\.xtc: the shards are multi-model PDBs, which carry no time or step/);
  refused({ shards: [s('0:7', 'xtc'), p('d7_12.dcd')], out: p('o.pdb') }, /o\.pdb: the shards are XTC\/DCD trajectories, which do not record the input frame index/);
  refused({ shards: [p('cg12.pdb').replace(/\.pdb$/, '.gro')], out: p('o.pdb') }, /not a shard output/);
  copyFileSync(s('0:7', 'xtc'), p('lone.xtc'));
  refused({ shards: [p('lone.xtc'), s('7:12', 'xtc')], out: p('o.xtc') }, /lone\.xtc: no topology .*lone\.topology\.pdb beside it/);
});

test('a damaged shard is refused naming its file and line; a single structure is not a shard', () => {
  const text = readFileSync(s('0:5', 'pdb'), 'utf8');
  writeFileSync(p('cut.pdb'), text.slice(0, text.lastIndexOf('ENDMDL')));
  const e = refused({ shards: [p('cut.pdb')], out: p('o.pdb') }, /MODEL 5 has no ENDMDL: the file ends inside it/);
  assert.equal(e.line, text.split('\n').findIndex((l) => l.startsWith('MODEL        5')) + 1);
  writeFileSync(p('single.pdb'), text.split('\n').filter((l) => /^(ATOM|HETATM)/.test(l)).slice(0, 3).join('\n'));
  refused({ shards: [p('single.pdb')], out: p('o.pdb') }, /single\.pdb:1: atom record outside MODEL…ENDMDL/);
});

test('the output: never over a shard or its topology (even with force), an existing one only with force', () => {
  refused({ shards: [s('0:5', 'pdb'), s('5:9', 'pdb')], out: s('5:9', 'pdb'), force: true }, /refusing to overwrite an input file/);
  // s0_7.dcd's topology would be s0_7.topology.pdb: a shard's topology.
  refused({ shards: [s('0:7', 'xtc'), s('7:12', 'xtc')], out: p('s0_7.dcd'), force: true }, /s0_7\.topology\.pdb: refusing to overwrite an input file/);
  assert.equal(existsSync(p('s0_7.dcd')), false);
  writeFileSync(p('exists.pdb'), 'keep');
  refused({ shards: [s('0:5', 'pdb')], out: p('exists.pdb') }, /output file already exists \(use --force/);
  assert.equal(readFileSync(p('exists.pdb'), 'utf8'), 'keep');
  merge({ shards: [s('0:5', 'pdb'), s('5:12', 'pdb')], out: p('exists.pdb'), force: true });
  assert.ok(bytes(p('exists.pdb')).equals(bytes(p('whole.pdb'))));
});

test('a gap between shards is a warning naming the missing frames; the merge is written', () => {
  const r = merge({ shards: [s('8:12', 'pdb'), s('0:4', 'pdb')], out: p('gap.pdb') });
  assert.equal(r.frames, 8);
  assert.equal(r.warned.length, 1);
  assert.match(r.warned[0].message, /4 frames missing between .*s0_4\.pdb \(MODEL 4, input frame 3\) and .*s8_12\.pdb \(MODEL 9, input frame 8\): no shard holds input frames 4:8 \(backmap them with --frames 4:8\)/);
  const whole = readFileSync(p('whole.pdb'), 'latin1');
  const model = (n: number) => whole.slice(whole.indexOf(`MODEL     ${String(n).padStart(4)}`), whole.indexOf('ENDMDL', whole.indexOf(`MODEL     ${String(n).padStart(4)}`)) + 7);
  assert.equal(readFileSync(p('gap.pdb'), 'latin1'), [1, 2, 3, 4, 9, 10, 11, 12].map(model).join('') + 'END\n');
  const x = merge({ shards: [s('0:4', 'xtc'), s('8:12', 'xtc')], out: p('gap.xtc') });
  assert.equal(x.frames, 8);
  assert.match(x.warned[0].message, /about 4 frames missing between .*s0_4\.xtc \(step 3, time 0 ps\) and .*s8_12\.xtc \(step 8, time 0 ps\): steps 4 to 7 are in no shard/);
  // Shards that meet leave no warning, whatever their step.
  assert.deepEqual(merge({ shards: [s('0:12:2', 'pdb'), s('1:12:2', 'pdb')], out: p('nogap.pdb') }).warned, []);
});
