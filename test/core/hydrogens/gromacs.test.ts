/**
 * Real GROMACS as the judge of the names and hydrogens: the installed force fields' .rtp/.r2b files, `gmx pdb2gmx`
 * without -ignh (exit 0, no "not found", no atom added), the hydrogens' hand against pdb2gmx's own, and
 * grompp + a 200-step steepest-descent minimisation. Skipped, with the reason, when `gmx` is not installed
 * (CI installs Debian's `gromacs`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hydrogenGroups, hydrogenCount, stateParent, type ProtonationState } from '../../../src/core/chemistry/hydrogens';
import { RESIDUES } from '../../../src/core/chemistry/amino-acids';
import { atomNameFor, residueNameFor, type ForceFieldNaming } from '../../../src/core/ffnames';
import { addHydrogens } from '../../../src/core/hydrogens';
import { formatPdb, parsePdb } from '../../../src/core/structure/pdb';
import type { Structure } from '../../../src/core/structure/types';
import { distance } from '../../../src/core/geometry/dihedral';
import { getAt } from '../../../src/core/geometry/vec';
import { DEMO, RTP_H_COUNT, disulfidePair } from './helpers';

const version = spawnSync('gmx', ['--version'], { encoding: 'utf8' });
const HAVE_GMX = version.status === 0;
const gmxSkip = HAVE_GMX ? false : 'gmx (GROMACS) is not installed: skipped the pdb2gmx/grompp checks (Debian: apt-get install gromacs)';
/** The force-field folder: <data prefix>/share/gromacs/top (GMXDATA overrides the prefix). */
const TOP = HAVE_GMX ? join(process.env.GMXDATA ?? /Data prefix:\s*(\S+)/.exec(version.stdout)?.[1] ?? '/usr', 'share', 'gromacs', 'top') : '';
const hasFF = (ff: string) => HAVE_GMX && existsSync(join(TOP, `${ff}.ff`, 'aminoacids.rtp'));
const ffSkip = (ff: string) => gmxSkip || (hasFF(ff) ? false : `GROMACS has no ${ff}.ff`);

const STATES: ProtonationState[] = [
  ...(Object.keys(RESIDUES).filter((r) => r !== 'HIS') as ProtonationState[]), 'HSD', 'HSE', 'HSP', 'ASPP', 'GLUP', 'LSN', 'CYX',
];
const NONE = { nTerminal: false, cTerminal: false };

/** Atom names per building block of a force field's aminoacids.rtp. */
function readRtp(ff: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let block = '', section = '';
  for (const raw of readFileSync(join(TOP, `${ff}.ff`, 'aminoacids.rtp'), 'utf8').split('\n')) {
    const line = raw.replace(/;.*/, '').trim();
    const m = /^\[\s*(\S+)\s*\]$/.exec(line);
    if (m) {
      if (['atoms', 'bonds', 'impropers', 'dihedrals', 'angles', 'cmap', 'exclusions'].includes(m[1])) section = m[1];
      else [block, section] = [m[1], ''];
      if (section === '' && block !== 'bondedtypes') out.set(block, []);
      continue;
    }
    if (line && section === 'atoms') out.get(block)!.push(line.split(/\s+/)[0]);
  }
  return out;
}

/** GROMACS residue name → building block (.r2b, main column), identity when the force field has none. */
function readR2b(ff: string): Map<string, string> {
  const file = join(TOP, `${ff}.ff`, 'aminoacids.r2b');
  const out = new Map<string, string>();
  if (!existsSync(file)) return out;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const f = raw.replace(/;.*/, '').trim().split(/\s+/);
    if (f.length >= 2 && f[1] !== '-') out.set(f[0], f[1]);
  }
  return out;
}

/** Every atom name we write for a residue state is in the building block the force field reads it as. */
function checkNames(ff: string, naming: ForceFieldNaming, skip: ProtonationState[] = []): void {
  const rtp = readRtp(ff), r2b = readR2b(ff);
  for (const state of STATES) {
    if (skip.includes(state)) continue;
    const parent = stateParent(state);
    let name = residueNameFor(state, naming);
    // a disulfide written CYS: pdb2gmx turns it into CYS2 from the S–S distance (specbond.dat), then .r2b applies
    if (state === 'CYX' && name === 'CYS') name = 'CYS2';
    const block = rtp.get(r2b.get(name) ?? name);
    assert.ok(block, `${ff}: no building block for ${name} (${state})`);
    const ours = [
      ...RESIDUES[parent].atoms.map((a) => atomNameFor(parent, a, naming, NONE)),
      ...hydrogenGroups(state).flatMap((g) => g.names.map((h) => atomNameFor(parent, h, naming, NONE))),
    ];
    assert.deepEqual(ours.slice().sort(), block.slice().sort(), `${ff} ${name} (${state}): our names vs the .rtp`);
  }
}

test('GROMACS charmm27.ff: our CHARMM names and hydrogen counts are those of aminoacids.rtp, for every residue and state', { skip: ffSkip('charmm27') }, () => {
  const rtp = readRtp('charmm27');
  for (const [state, n] of Object.entries(RTP_H_COUNT)) assert.equal(rtp.get(state)!.filter((a) => a.startsWith('H')).length, n, state);
  checkNames('charmm27', 'charmm');
});

test('GROMACS amber99sb-ildn.ff: our AMBER and GROMACS names are those of aminoacids.rtp (through .r2b)', { skip: ffSkip('amber99sb-ildn') }, () => {
  checkNames('amber99sb-ildn', 'amber');
  checkNames('amber99sb-ildn', 'gromacs');
  const rtp = readRtp('amber99sb-ildn');
  for (const state of STATES) assert.equal(hydrogenCount(state), rtp.get(state === 'CYX' ? 'CYX' : residueNameFor(state, 'amber'))!.filter((a) => a.startsWith('H')).length, state);
});

// OPLS-AA/L has protonated ASP/GLU only as ASPH/GLUH, which pdb2gmx resets to ASP/GLU unless run with -asp/-glu
test('GROMACS oplsaa.ff: our GROMACS names are those of aminoacids.rtp (through .r2b), protonated ASP/GLU aside', { skip: ffSkip('oplsaa') }, () =>
  checkNames('oplsaa', 'gromacs', ['ASPP', 'GLUP']));

/** Runs gmx in `dir`; returns exit status and all output. */
function gmx(dir: string, args: string[]): { status: number; out: string } {
  const r = spawnSync('gmx', ['-quiet', ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, GMX_MAXBACKUP: '-1' }, timeout: 120_000 });
  return { status: r.status ?? -1, out: `${r.stdout}\n${r.stderr}` };
}


const RUNS: [ForceFieldNaming, string][] = [['charmm', 'charmm27'], ['amber', 'amber99sb-ildn'], ['gromacs', 'amber99sb-ildn'], ['gromacs', 'oplsaa']];
const CASES: [string, Structure, number, string[]][] = [
  ['demo protein, pH 7', DEMO, 7, []],
  ['demo protein, pH 3 (ASPP, GLUP, HSP)', DEMO, 3, []],
  ['demo protein, pH 11 (LSN)', DEMO, 11, []],
  ['two chains joined by a disulfide', disulfidePair(2.04), 7, ['-merge', 'all']],
];

for (const [naming, ff] of RUNS)
  test(`gmx pdb2gmx -ff ${ff} reads names '${naming}' without -ignh: exit 0, nothing "not found", no atom added`, { skip: ffSkip(ff) }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'bm-h-'));
    try {
      for (const [what, s, ph, extra] of CASES) {
        // OPLS-AA/L takes protonated ASP/GLU only through pdb2gmx's interactive -asp/-glu
        if (ff === 'oplsaa' && ph < 4.3) continue;
        const { structure } = addHydrogens(s, { ph, names: naming });
        writeFileSync(join(dir, 'in.pdb'), formatPdb(structure));
        const r = gmx(dir, ['pdb2gmx', '-f', 'in.pdb', '-o', 'out.gro', '-p', 'topol.top', '-i', 'posre.itp', '-ff', ff, '-water', 'none', ...extra]);
        assert.equal(r.status, 0, `${what}: pdb2gmx failed:\n${r.out.slice(-1500)}`);
        assert.doesNotMatch(r.out, /not found/i, what);
        const n = Number(readFileSync(join(dir, 'out.gro'), 'utf8').split('\n')[1]);
        assert.equal(n, structure.atoms.count, `${what}: pdb2gmx wrote ${n} atoms for our ${structure.atoms.count}`);
        if (what.includes('disulfide')) assert.match(r.out, /Linking CYS2?-2 SG-\d+ and CYS2?-2 SG-\d+/, 'the S–S bond is in the topology');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

/** PDB atoms keyed by residue number and name. */
const pdbAtoms = (text: string) => {
  const s = parsePdb(text, 'x.pdb');
  const m = new Map<string, number[]>();
  for (let i = 0; i < s.atoms.count; i++) m.set(`${s.atoms.resSeq[i]} ${s.atoms.name[i]}`, getAt(s.coords, i));
  return m;
};

for (const [naming, ff] of [['charmm', 'charmm27'], ['amber', 'amber99sb-ildn']] as const)
  test(`names '${naming}': every non-rotatable hydrogen sits where pdb2gmx -ff ${ff} -ignh puts the hydrogen of that name`, { skip: ffSkip(ff) }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'bm-h-'));
    try {
      writeFileSync(join(dir, 'heavy.pdb'), formatPdb(DEMO));
      const r = gmx(dir, ['pdb2gmx', '-f', 'heavy.pdb', '-o', 'theirs.pdb', '-p', 'topol.top', '-i', 'posre.itp', '-ff', ff, '-water', 'none', '-ignh']);
      assert.equal(r.status, 0, r.out.slice(-1500));
      const theirs = pdbAtoms(readFileSync(join(dir, 'theirs.pdb'), 'utf8'));
      const { structure } = addHydrogens(DEMO, { names: naming });
      const a = structure.atoms;
      // rotatable ones (OH, SH, NH3+, CH3) are free to turn; HIS ring N–H depends on the tautomer each picked
      const rotors = new Set<string>();
      for (const state of STATES) for (const g of hydrogenGroups(state)) if (g.geometry === 'rotor') for (const h of g.names) rotors.add(`${stateParent(state)} ${atomNameFor(stateParent(state), h, naming, NONE)}`);
      let compared = 0;
      for (let i = 0; i < a.count; i++) {
        if (a.element[i] !== 'H' || a.resSeq[i] === 1) continue;
        const parent = a.resName[i].startsWith('H') && a.resName[i] !== 'HIS' ? 'HIS' : a.resName[i];
        if (rotors.has(`${parent} ${a.name[i]}`) || (parent === 'HIS' && ['HD1', 'HE2'].includes(a.name[i]))) continue;
        const t = theirs.get(`${a.resSeq[i]} ${a.name[i]}`);
        assert.ok(t, `${a.resName[i]}${a.resSeq[i]} ${a.name[i]}: pdb2gmx has no hydrogen of that name`);
        const d = distance(getAt(structure.coords, i), t);
        assert.ok(d < 0.3, `${a.resName[i]}${a.resSeq[i]} ${a.name[i]} is ${d.toFixed(2)} Å from pdb2gmx's`);
        compared++;
      }
      assert.ok(compared > 300, `${compared} hydrogens compared`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

const EM_MDP = (steps: number) =>
  ['integrator = steep', `nsteps = ${steps}`, 'emtol = 10', 'emstep = 0.01', 'cutoff-scheme = Verlet', 'pbc = xyz', 'coulombtype = cut-off', 'rcoulomb = 1.2', 'rvdw = 1.2', ''].join('\n');

/** pdb2gmx → editconf (3 nm of vacuum) → grompp → mdrun -em; potential energy before and after `steps` steps (kJ/mol). */
function minimise(dir: string, pdb: string, ff: string, ignh: boolean): { e0: number; e1: number; residues: number } | { skip: string } {
  writeFileSync(join(dir, 'in.pdb'), pdb);
  const steps = (cmd: string[]) => {
    const r = gmx(dir, cmd);
    assert.equal(r.status, 0, `gmx ${cmd[0]} failed:\n${r.out.slice(-1500)}`);
    return r.out;
  };
  steps(['pdb2gmx', '-f', 'in.pdb', '-o', 'conf.gro', '-p', 'topol.top', '-i', 'posre.itp', '-ff', ff, '-water', 'none', ...(ignh ? ['-ignh'] : [])]);
  steps(['editconf', '-f', 'conf.gro', '-o', 'box.gro', '-c', '-d', '3.0', '-bt', 'cubic']);
  const energy = (n: number): number | string => {
    writeFileSync(join(dir, `em${n}.mdp`), EM_MDP(n));
    steps(['grompp', '-f', `em${n}.mdp`, '-c', 'box.gro', '-p', 'topol.top', '-o', `em${n}.tpr`]);
    const r = gmx(dir, ['mdrun', '-s', `em${n}.tpr`, '-deffnm', `em${n}`, '-nt', '1']);
    // Debian's build needs the RDTSCP instruction, which some virtual CPUs do not offer
    if (r.status !== 0 && /rdtscp/i.test(r.out)) return 'this CPU lacks RDTSCP, which Debian\'s gmx mdrun requires';
    assert.equal(r.status, 0, `mdrun failed:\n${r.out.slice(-1500)}`);
    const m = /Potential Energy\s*=\s*([-+0-9.eE]+)/.exec(r.out);
    assert.ok(m, `no potential energy in:\n${r.out.slice(-1500)}`);
    return Number(m[1]);
  };
  const e0 = energy(0);
  if (typeof e0 === 'string') return { skip: e0 };
  const e1 = energy(200) as number;
  const residues = new Set(readFileSync(join(dir, 'conf.gro'), 'utf8').split('\n').slice(2, -2).map((l) => l.slice(0, 5))).size;
  return { e0, e1, residues };
}

for (const [naming, ff] of [['charmm', 'charmm27'], ['amber', 'amber99sb-ildn']] as const)
  test(`grompp + mdrun -em (vacuum, steep, 200 steps) on the demo protein, ${ff}: our hydrogens start no higher than pdb2gmx's own`, { skip: ffSkip(ff) }, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bm-em-'));
    try {
      const ours = minimise(dir, formatPdb(addHydrogens(DEMO, { names: naming }).structure), ff, false);
      if ('skip' in ours) {
        t.skip(ours.skip);
        return;
      }
      const theirs = minimise(dir, formatPdb(DEMO), ff, true);
      if ('skip' in theirs) return t.skip(theirs.skip);
      const per = (e: number) => (e / ours.residues).toFixed(1);
      t.diagnostic(`${ff}: ours ${per(ours.e0)} → ${per(ours.e1)} kJ/mol per residue; pdb2gmx -ignh ${per(theirs.e0)} → ${per(theirs.e1)}`);
      for (const e of [ours.e0, ours.e1, theirs.e0, theirs.e1]) assert.ok(Number.isFinite(e));
      assert.ok(ours.e1 <= ours.e0, 'minimisation lowers the energy');
      assert.ok(ours.e0 <= theirs.e0 + ours.residues, `our start ${per(ours.e0)} vs pdb2gmx's ${per(theirs.e0)} kJ/mol per residue`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
