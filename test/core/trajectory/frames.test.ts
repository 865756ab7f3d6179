// Frame selection (src/core/trajectory/frames.ts): --frames parsing in Python slice terms, resolution against a
// frame count, the frames a selection reads, and the one frame source (multi-model or a trajectory fitting its topology).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, UsageError } from '../../../src/core/errors';
import {
  ALL_FRAMES,
  countInputFrames,
  frameRangeOf,
  frameSelected,
  frameSource,
  parseFrameRange,
  resolveFrameRange,
  selectedCount,
  selectFrames,
  selectInputFrames,
  type FrameRange,
} from '../../../src/core/trajectory/frames';
import * as io from '../../../src/core/trajectory/index';
import { StructureBuilder } from '../../../src/core/structure/builder';
import type { Frame, Structure } from '../../../src/core/structure/types';

/** A structure of `atoms` particles with `models` models (model m: every coordinate = m). */
function multiModel(atoms: number, models: number, source = 'multi.pdb'): Structure {
  const sb = new StructureBuilder(atoms);
  for (let i = 0; i < atoms; i++) sb.addAtom({ name: 'BB', resName: 'ALA', chainId: 'A', resSeq: i + 1, x: 0, y: 0, z: 0 });
  const s = sb.build(source, 'frames');
  s.models = Array.from({ length: models }, (_, m) => new Float64Array(3 * atoms).fill(m));
  s.coords = s.models[0];
  return s;
}

const fakeFrames = (n: number, pulled: number[] = []): Iterable<Frame> => ({
  *[Symbol.iterator]() {
    for (let i = 0; i < n; i++) {
      pulled.push(i);
      yield { index: i, time: i, step: i, coords: new Float64Array(3), box: null };
    }
  },
});
const picked = (n: number, r: FrameRange) => [...selectFrames(fakeFrames(n), r)].map((f) => f.index);
/** What Python's range(len)[slice] gives, for comparison. */
function python(n: number, start: number, stop: number | null, step: number): number[] {
  const fix = (i: number) => (i < 0 ? Math.max(0, n + i) : Math.min(i, n));
  const out: number[] = [];
  for (let i = fix(start); i < (stop === null ? n : fix(stop)); i += step) out.push(i);
  return out;
}

test('parseFrameRange: start:stop[:step], open ends, one index, negatives, whitespace', () => {
  assert.deepEqual(parseFrameRange('0:40'), { start: 0, stop: 40, step: 1 });
  assert.deepEqual(parseFrameRange('40:89'), { start: 40, stop: 89, step: 1 });
  assert.deepEqual(parseFrameRange('100::10'), { start: 100, stop: null, step: 10 });
  assert.deepEqual(parseFrameRange(':50'), { start: 0, stop: 50, step: 1 });
  assert.deepEqual(parseFrameRange('::2'), { start: 0, stop: null, step: 2 });
  assert.deepEqual(parseFrameRange(':'), ALL_FRAMES);
  assert.deepEqual(parseFrameRange(' 1 : 9 : 2 '), { start: 1, stop: 9, step: 2 });
  assert.deepEqual(parseFrameRange('5'), { start: 5, stop: 6, step: 1 }, 'one index: that frame alone');
  assert.deepEqual(parseFrameRange('-1'), { start: -1, stop: null, step: 1 }, 'the last frame');
  assert.deepEqual(parseFrameRange('-3'), { start: -3, stop: -2, step: 1 });
  assert.deepEqual(parseFrameRange('-10:'), { start: -10, stop: null, step: 1 });
  assert.deepEqual(parseFrameRange(':-5'), { start: 0, stop: -5, step: 1 });
  assert.deepEqual(parseFrameRange('-0:3'), { start: 0, stop: 3, step: 1 });
  assert.deepEqual(parseFrameRange('5:-1'), { start: 5, stop: -1, step: 1 }, 'mixed signs are only known empty with the count');
});

test('parseFrameRange: bad ranges are UsageErrors that quote what was given and say what is wanted', () => {
  const cases: [string, RegExp][] = [
    ['', /start:stop\[:step\] with whole numbers.*got ''/],
    ['abc', /got 'abc'/],
    ['1:2:3:4', /got '1:2:3:4'/],
    ['1.5:3', /whole numbers.*got '1\.5:3'/],
    ['1:x', /got '1:x'/],
    ['1e3:', /got '1e3:'/],
    ['99999999999999999999:', /whole numbers/],
    ['0:10:0', /step must be a positive whole number \(got 0 in '0:10:0'\)/],
    ['0:10:-2', /step must be a positive whole number \(got -2/],
    ['10:5', /stop \(5\) must come after the start \(10\).*selects no frame/],
    ['5:5', /stop \(5\) must come after the start \(5\)/],
    ['-2:-5', /stop \(-5\) must come after the start \(-2\)/],
  ];
  for (const [text, message] of cases)
    assert.throws(
      () => parseFrameRange(text),
      (e: unknown) => {
        assert.ok(e instanceof UsageError, `${text}: ${String(e)}`);
        assert.match(e.message, message, text);
        assert.match(e.message, /^--frames/);
        return true;
      },
    );
  assert.throws(() => parseFrameRange('x', '--val-frames'), (e: unknown) => e instanceof UsageError && e.message.startsWith('--val-frames must be'));
  assert.throws(() => frameRangeOf({ start: 0, stop: 3, step: 0 }), UsageError);
  assert.throws(() => frameRangeOf({ start: 0.5, stop: 3, step: 1 }), UsageError);
  assert.deepEqual(frameRangeOf(undefined), ALL_FRAMES);
  assert.deepEqual(frameRangeOf('2:4'), { start: 2, stop: 4, step: 1 });
});

test('resolveFrameRange, frameSelected, selectedCount and selectFrames agree with Python slices', () => {
  assert.deepEqual(resolveFrameRange(parseFrameRange('-10:'), 89), { start: 79, stop: null, step: 1 });
  assert.deepEqual(resolveFrameRange(parseFrameRange(':-5'), 89), { start: 0, stop: 84, step: 1 });
  assert.deepEqual(resolveFrameRange(parseFrameRange('-100:'), 89), { start: 0, stop: null, step: 1 }, 'clamped at 0 as Python does');
  assert.throws(() => resolveFrameRange(parseFrameRange('-1'), null), (e: unknown) => e instanceof UsageError && /negative index \(-1\)/.test(e.message));
  assert.deepEqual(resolveFrameRange(parseFrameRange('3:7'), null), { start: 3, stop: 7, step: 1 }, 'no count needed without negatives');
  for (const n of [0, 1, 7, 89])
    for (const text of ['0:40', '40:89', '40:', ':40', '::3', '1:10:4', '5', '-1', '-3', '-10:', ':-5', '-7:-2:2', '100:', '5:-1', '88:200']) {
      const p = parseFrameRange(text);
      const r = resolveFrameRange(p, n);
      const want = python(n, p.start, p.stop, p.step);
      assert.deepEqual(picked(n, r), want, `${text} of ${n}`);
      assert.equal(selectedCount(r, n), want.length, `count ${text} of ${n}`);
      for (let i = 0; i < n; i++) assert.equal(frameSelected(r, i), want.includes(i), `${text} of ${n}, frame ${i}`);
    }
  // A count that is not known: selectedCount bounds it from the stop, or says it cannot.
  assert.equal(selectedCount({ start: 2, stop: 12, step: 3 }, null), 4);
  assert.equal(selectedCount({ start: 2, stop: null, step: 3 }, null), null);
});

test('shards partition the run: a:b then b:c select exactly a:c, whatever the boundaries and step', () => {
  const n = 89;
  for (const step of [1, 2, 5])
    for (const b of [0, 1, 39, 40, 41, 88, 89, 120]) {
      const r = (start: number, stop: number | null) => resolveFrameRange({ start, stop, step }, n);
      const whole = picked(n, r(0, null));
      // Shards aligned to the step partition the stepped run.
      const aligned = b - (b % step);
      const shards = [...(aligned > 0 ? picked(n, r(0, aligned)) : []), ...picked(n, r(aligned, null))];
      assert.deepEqual(shards, whole, `step ${step}, boundary ${aligned}`);
    }
});

test('selectFrames reads no frame past the stop (a trajectory is not decoded to its end)', () => {
  const pulled: number[] = [];
  assert.deepEqual([...selectFrames(fakeFrames(89, pulled), parseFrameRange('0:3'))].map((f) => f.index), [0, 1, 2]);
  assert.deepEqual(pulled, [0, 1, 2]);
  const again: number[] = [];
  assert.deepEqual([...selectFrames(fakeFrames(89, again), parseFrameRange('10:20:4'))].map((f) => f.index), [10, 14, 18]);
  assert.equal(again.length, 20);
});

test('selectInputFrames: stride within the selection, at most maxFrames, the progress total; an empty selection names the input and its count', () => {
  const s = multiModel(4, 12);
  const sel = (o: Parameters<typeof selectInputFrames>[3]) => selectInputFrames(s, undefined, null, o);
  const frames = (o: Parameters<typeof selectInputFrames>[3]) => picked(12, sel(o).range);
  assert.deepEqual(frames({}), [...Array(12).keys()]);
  assert.deepEqual(frames({ frames: '2:10' }), [2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(frames({ frames: '2:10', stride: 3 }), [2, 5, 8], 'every 3rd frame of the selection');
  assert.deepEqual(frames({ frames: '1::2', stride: 2 }), [1, 5, 9]);
  assert.deepEqual(frames({ frames: '2:10', stride: 3, maxFrames: 2 }), [2, 5]);
  assert.deepEqual(frames({ frames: '-3:' }), [9, 10, 11]);
  assert.deepEqual(frames({ frames: { start: 4, stop: 6, step: 1 } }), [4, 5]);
  assert.equal(sel({ frames: '2:10', stride: 3 }).total, 3);
  assert.equal(sel({ frames: '2:10', stride: 3 }).available, 12);
  assert.equal(sel({ maxFrames: 5 }).total, 5);
  for (const frames of ['12:', '20:30', '100']) {
    assert.throws(
      () => sel({ frames }),
      (e: unknown) => {
        assert.ok(e instanceof InputError, String(e));
        assert.equal(e.file, 'multi.pdb');
        assert.match(e.message, /select no frame: the input has 12 frames \(indices 0 to 11\)/);
        return true;
      },
    );
  }
  assert.throws(() => sel({ stride: 0 }), UsageError);
  assert.throws(() => sel({ maxFrames: 0 }), UsageError);
});

test('countInputFrames and frameSource: trajectories of every format; a trajectory that does not fit the topology names both files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-frames-'));
  try {
    const top = multiModel(5, 1, join(dir, 'top.pdb'));
    for (const format of ['xtc', 'trr', 'dcd'] as const) {
      const path = join(dir, `t.${format}`);
      const w = io.createTrajectoryWriter(path, 5, format);
      for (let f = 0; f < 6; f++) w.write({ index: f, time: 2 * f, step: 10 * f, coords: new Float32Array(15).fill(f), box: null });
      w.close();
      assert.equal(countInputFrames(top, path, io, true), 6, format);
      assert.equal(countInputFrames(top, path, io), format === 'trr' ? null : 6, `${format}: cheap count only where it is cheap`);
      const got = [...selectFrames(frameSource(top, path, io), resolveFrameRange(parseFrameRange('-2:'), 6))];
      assert.deepEqual(
        got.map((f) => [f.index, Math.round(f.time * 1e3) / 1e3, f.step, f.coords[0]]), // DCD keeps time in AKMA units
        [
          [4, 8, 40, 4],
          [5, 10, 50, 5],
        ],
        `${format}: index, time and step of the file`,
      );
      const sel = selectInputFrames(top, path, io, { frames: '-2:' });
      assert.deepEqual(sel.range, { start: 4, stop: null, step: 1 }, `${format}: negatives resolved (a TRR is counted by reading it)`);
      // Past the end: refused up front where the count is cheap; a TRR's run finds it out (total unknown).
      if (format === 'trr') assert.equal(selectInputFrames(top, path, io, { frames: '6:' }).total, null);
      else
        assert.throws(
          () => selectInputFrames(top, path, io, { frames: '6:' }),
          (e: unknown) => e instanceof InputError && e.file === path && /the input has 6 frames/.test(e.message),
        );
    }
    const other = multiModel(4, 1, join(dir, 'other.gro'));
    const path = join(dir, 't.xtc');
    assert.throws(
      () => [...frameSource(other, path, io)],
      (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.equal(e.file, path);
        assert.ok(e.message.includes(`trajectory has 5 particles but the topology ${join(dir, 'other.gro')} has 4`), e.message);
        return true;
      },
    );
    // Multi-model input: the models, their index as the step.
    const mm = multiModel(2, 3);
    assert.deepEqual(
      [...frameSource(mm, undefined, null)].map((f) => [f.index, f.step, f.coords[0]]),
      [
        [0, 0, 0],
        [1, 1, 1],
        [2, 2, 2],
      ],
    );
    assert.equal(countInputFrames(mm, undefined, null), 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
