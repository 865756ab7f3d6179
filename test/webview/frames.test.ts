// Trajectory frames for the comparison view, read lazily in the extension host (src/extension/compare/frames.ts):
// random access matches a sequential read, layers are checked against their topologies, topologies are found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrajectoryFile, TrajectoryFrames, topologyCandidates } from '../../src/extension/compare/frames';
import { createTrajectoryWriter, readFrames } from '../../src/core/trajectory';
import { readStructureFile } from '../../src/core/structure/read';
import { fileFormatOf } from '../../src/core/io/formats';
import { makeFixture } from './fixtures';

const UBQ = join(__dirname, '../../../shared/data/cgsim/1UBQ');
const real = existsSync(join(UBQ, 'traj_protein.xtc')) ? false : 'shared 1UBQ simulation absent';

function writeTraj(file: string, natoms: number, frames: number, format: 'xtc' | 'dcd' | 'trr'): Float32Array[] {
  const w = createTrajectoryWriter(file, natoms, format);
  const out: Float32Array[] = [];
  for (let f = 0; f < frames; f++) {
    const c = new Float32Array(3 * natoms);
    for (let i = 0; i < c.length; i++) c[i] = Math.round((Math.sin(i * 0.7 + f) * 20 + f) * 100) / 100;
    w.write({ index: f, time: 10 * f, step: f, coords: c, box: null });
    out.push(c);
  }
  w.close();
  return out;
}

for (const format of ['xtc', 'dcd', 'trr'] as const) {
  test(`${format}: random access (forwards, backwards, repeated) gives the frames a sequential read gives`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'bm-frames-'));
    try {
      const file = join(dir, `t.${format}`);
      const written = writeTraj(file, 40, 12, format);
      const seq = [...readFrames(file)].map((f) => Float32Array.from(f.coords));
      const t = new TrajectoryFile(file);
      assert.equal(t.count, 12);
      for (const i of [0, 5, 2, 11, 11, 3, 0, 7, 8, 1]) {
        const f = t.frame(i);
        assert.deepEqual(Array.from(f.coords), Array.from(seq[i]), `frame ${i}`);
        assert.ok(Math.abs(f.coords[0] - written[i][0]) < 0.01);
        if (format !== 'dcd') assert.ok(Math.abs(f.time - 10 * i) < 1e-3, `time of frame ${i}: ${f.time}`);
      }
      assert.throws(() => t.frame(12), /t\.\w+: frame 13 is out of range \(the trajectory has 12 frames\)/);
      t.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a layer whose topology has another atom count is refused, naming the trajectory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-frames-'));
  try {
    const fx = makeFixture(10, 1);
    const file = join(dir, 'cg.xtc');
    writeTraj(file, fx.cg.atoms.count + 1, 2, 'xtc');
    assert.throws(() => new TrajectoryFrames({ cg: { topology: fx.cg, trajectory: file } }), /cg\.xtc: trajectory has \d+ particles but the topology cg\.pdb has \d+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('topology candidates: the backmapping\'s <stem>.topology.pdb, then the same stem, then the rest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-frames-'));
  try {
    for (const f of ['a.pdb', 'run.gro', 'run.backmapped.topology.pdb', 'run.backmapped.pdb', 'zz.cif', 'run.backmapped.xtc', 'notes.txt']) writeFileSync(join(dir, f), '');
    const isStructure = (f: string) => fileFormatOf(f)?.kind === 'structure';
    const names = (t: string) => topologyCandidates(join(dir, t), isStructure).map((p) => p.split('/').pop());
    assert.deepEqual(names('run.backmapped.xtc'), ['run.backmapped.topology.pdb', 'run.backmapped.pdb', 'run.gro', 'a.pdb', 'zz.cif']);
    assert.equal(names('run.xtc')[0], 'run.gro');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('real data: the ubiquitin Martini 3 trajectory plays frame by frame with its GRO topology', { skip: real }, () => {
  const top = readStructureFile(join(UBQ, 'topol_protein.gro'));
  const frames = new TrajectoryFrames({ cg: { topology: top, trajectory: join(UBQ, 'traj_protein.xtc') } });
  try {
    assert.ok(frames.count > 10, `${frames.count} frames`);
    const last = frames.frame(frames.count - 1);
    const first = frames.frame(0);
    assert.equal(first.coords.cg!.length, 3 * top.atoms.count);
    assert.match(first.label, /^\d+(\.\d+)? (ps|ns)$/);
    assert.notEqual(first.label, last.label);
    const s = frames.structures(first).cg!;
    assert.equal(s.atoms.count, top.atoms.count);
    // Coordinates in Å, within a few nm of the GRO's (the protein diffuses a little).
    let far = 0;
    for (let i = 0; i < top.atoms.count; i++) if (Math.abs(s.coords[3 * i] - top.coords[3 * i]) > 50) far++;
    assert.ok(far < top.atoms.count / 10, `${far} beads more than 5 nm from the topology`);
  } finally {
    frames.close();
  }
});
