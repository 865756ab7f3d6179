/**
 * `npm run bench:frames`: how far from simulation-ready the backmaps of a real Martini 3 simulation are (issue 30).
 * The ubiquitin trajectory in ../shared/data/cgsim/1UBQ (martinize2 of the all-atom start, 17.7 ns of Martini 3 MD)
 * is backmapped as a user would (`backmapTrajectory`, names amber, hydrogens, the trajectory defaults), without and
 * with the in-product minimisation at each tether, and every selected frame is judged by OpenMM as the issue states:
 * PDBFixer, amber14-all + OBC2, heavy atoms tethered at 50 kJ/mol/Å², L-BFGS to 10 kJ/mol/nm
 * (scripts/forcefield/judge.py). The all-atom start (`aa_reference.pdb`) is judged the same way; a frame's gap is its
 * energy after the judge minus the start's, kJ/mol per residue (the frames are other conformations of the same
 * protein: no all-atom trajectory exists to compare them with). Prints one markdown table.
 *
 *   node --import tsx bench/frames.ts [--every 8] [--tethers none,3,10] [--python /usr/bin/python3]
 *
 * Needs a Python with openmm and pdbfixer (Debian: python3-simtk python3-pdbfixer; found as `backmap prepare`
 * finds OpenMM); skipped with the reason when that or the data is absent.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedDataRoot } from '../src/core/dataset/tsv';
import { backmapTrajectory } from '../src/core/pipeline';
import { findOpenmm } from '../src/core/prepare/engines';
import { runProcess } from '../src/core/process';
import { readStructureFile } from '../src/core/structure/read';
import { writeStructureFile } from '../src/core/structure/write';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
};
const every = Number(opt('every', '8'));
const tethers = opt('tethers', 'none,3,10').split(',').map((t) => (t === 'none' ? null : Number(t)));
if (!(Number.isInteger(every) && every >= 1) || tethers.some((t) => t !== null && !(t >= 0))) throw new Error('usage: bench/frames.ts [--every N ≥ 1] [--tethers none,3,10] [--python <exe>]');

interface Judged {
  file: string;
  residues: number;
  energyPerResidueAfter: number;
  heavyMovedRms: number;
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function judge(python: string, files: string[]): Promise<Judged[]> {
  const script = join(__dirname, '..', 'scripts', 'forcefield', 'judge.py');
  const r = await runProcess(python, [script, ...files], { cwd: tmpdir() });
  if (r.code !== 0) throw new Error(`judge.py exited ${r.code}: ${r.tail.slice(-5).join('\n')}`);
  return r.output
    .split('\n')
    .filter((l) => l.startsWith('{"file"'))
    .map((l) => JSON.parse(l) as Judged);
}

async function main(): Promise<void> {
  const root = sharedDataRoot();
  const dir = root && join(root, 'cgsim', '1UBQ');
  if (!dir || !existsSync(join(dir, 'traj_protein.xtc'))) {
    console.log('bench:frames skipped: ../shared/data/cgsim/1UBQ absent');
    return;
  }
  const om = await findOpenmm({ configured: argv.includes('--python') ? opt('python', '') : undefined });
  if (!om.engine) {
    console.log(`bench:frames skipped: no Python with openmm (${om.tried.map((t) => `${t.executable}: ${t.problem}`).join('; ')})`);
    return;
  }
  const python = om.engine.executable;
  const work = mkdtempSync(join(tmpdir(), 'bm-frames-'));
  try {
    const [start] = await judge(python, [join(dir, 'aa_reference.pdb')]);
    console.error(`all-atom start: ${start.energyPerResidueAfter.toFixed(2)} kJ/mol per residue after the judge`);
    const rows: string[] = [];
    for (const tether of tethers) {
      const name = tether === null ? 'none' : `t${tether}`;
      const out = join(work, `${name}.pdb`);
      const t0 = performance.now();
      const r = await backmapTrajectory({
        topology: join(dir, 'topol_protein.gro'),
        trajectory: join(dir, 'traj_protein.xtc'),
        frames: `0::${every}`,
        out,
        names: 'amber',
        minimise: tether === null ? undefined : { tether },
        keepFrames: false,
      });
      const seconds = (performance.now() - t0) / 1000;
      const multi = readStructureFile(out);
      const files = multi.models.map((coords, k) => {
        const f = join(work, `${name}-${String(k * every).padStart(3, '0')}.pdb`);
        writeStructureFile(f, { ...multi, coords, models: [coords] });
        return f;
      });
      const judged = await judge(python, files);
      const gaps = judged.map((j) => j.energyPerResidueAfter - start.energyPerResidueAfter);
      const moves = judged.map((j) => j.heavyMovedRms);
      console.error(`${name}: ${r.frames} frames backmapped in ${seconds.toFixed(0)} s, judged`);
      rows.push(
        `| ${tether === null ? 'no minimisation' : `\`--minimise --minimise-tether ${tether}\``} | ${judged.length} | ${median(gaps).toFixed(1)} | ` +
          `${Math.min(...gaps).toFixed(1)}–${Math.max(...gaps).toFixed(1)} | ${gaps.filter((g) => g <= 10).length} / ${gaps.length} | ` +
          `${median(moves).toFixed(3)} | ${(r.frames / seconds).toFixed(2)} |`,
      );
    }
    console.log(`\nReal Martini 3 ubiquitin frames (every ${every}th of ${dir}), OpenMM judge (amber14 + OBC2, heavy atoms tethered 50 kJ/mol/Å²)`);
    console.log(`All-atom start after the judge: ${start.energyPerResidueAfter.toFixed(2)} kJ/mol per residue; gap = frame − start.\n`);
    console.log('| backmap | frames | gap, median (kJ/mol/res) | range | frames ≤ 10 | judge\'s heavy-atom move, median (Å) | frames/s |');
    console.log('|---|---|---|---|---|---|---|');
    for (const row of rows) console.log(row);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
