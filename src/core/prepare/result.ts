/**
 * What `backmap prepare` reports, whichever engine ran: `prepare.json` (the record below) and `prepare.md`, and the
 * heavy-atom displacement between the input and the minimised structure.
 */
import { residuesOf } from '../structure/builder';
import type { Structure } from '../structure/types';
import type { EngineName } from './engines';

export interface EnergyRecord {
  /** Force-field potential energy, kJ/mol (the restraint is not in it). */
  total: number;
  /** `total` over the solute's residues (water and ions are not counted). */
  perResidue: number;
  /** Terms as the engine names them (GROMACS's log columns, OpenMM's Force classes), kJ/mol. */
  terms: Record<string, number>;
}

export interface PrepareResult {
  schema: 1;
  input: string;
  folder: string;
  engine: EngineName;
  /** GROMACS's or OpenMM's version. */
  version: string;
  /** The `gmx` executable, or the Python that ran OpenMM. */
  executable: string;
  forceField: string;
  /** Why that force field: `--ff`, or the names the file uses. */
  forceFieldReason: string;
  /** vacuum, implicit solvent, the input's water, or solvated by prepare. */
  solvent: string;
  atoms: number;
  /** Solute residues (protein, lipids, ligands: not water or ions). */
  residues: number;
  /** Hydrogens added by the engine (the input had none: -ignh / OpenMM's Modeller), else 0. */
  hydrogensAddedByEngine: boolean;
  restraint: { k: number; unit: 'kJ/mol/Å²'; atoms: number };
  emtol: number;
  steps: number;
  maxSteps: number;
  converged: boolean;
  energy: {
    unit: 'kJ/mol';
    before: EnergyRecord;
    after: EnergyRecord & { restraint: number };
  };
  /** Largest force on an atom (restraint included: what the minimiser sees), kJ/mol/nm; 1-based atom number. */
  maxForce: { before?: number; after: number; atom?: number };
  heavyAtoms: Displacement;
  seconds: number;
  warnings: string[];
  /** The engine commands that ran, in order (re-runnable in the folder). */
  commands: string[];
  files: string[];
}

export interface Displacement {
  /** RMS displacement of the matched heavy atoms, Å (no superposition: minimisation does not move the frame). */
  rmsd: number;
  max: number;
  /** The atom that moved most, "ALA A12 CB". */
  maxAtom: string;
  matched: number;
  /** Heavy atoms of the input not found in the output (renamed by the engine beyond recognition). */
  unmatched: number;
}

/** Not a hydrogen: by element, or by name when the file has no element column. */
function isHeavy(s: Structure, i: number): boolean {
  const e = s.atoms.element[i];
  return e ? e !== 'H' && e !== 'D' : !/^\d*H/.test(s.atoms.name[i]);
}

/**
 * Heavy atoms of `input` matched in `output` residue by residue (residues in order: both engines keep them), by
 * atom name, then the leftovers of each residue by element in order (engines rename terminal oxygens and the like).
 * `shift` (Å) is subtracted from the output first (GROMACS's editconf -c moved it).
 */
export function heavyAtomDisplacement(input: Structure, output: Structure, shift: readonly number[] = [0, 0, 0]): Displacement {
  const ri = residuesOf(input.atoms), ro = residuesOf(output.atoms);
  let sum = 0, matched = 0, unmatched = 0, max = 0, maxAtom = '';
  for (let k = 0; k < ri.length; k++) {
    const a = ri[k], b = ro[k];
    const heavyIn: number[] = [];
    for (let i = a.start; i < a.end; i++) if (isHeavy(input, i)) heavyIn.push(i);
    if (!b) {
      unmatched += heavyIn.length;
      continue;
    }
    const byName = new Map<string, number>();
    const used = new Set<number>();
    for (let j = b.start; j < b.end; j++) if (isHeavy(output, j) && !byName.has(output.atoms.name[j])) byName.set(output.atoms.name[j], j);
    const pairs: [number, number][] = [];
    const left: number[] = [];
    for (const i of heavyIn) {
      const j = byName.get(input.atoms.name[i]);
      if (j !== undefined && !used.has(j)) {
        used.add(j);
        pairs.push([i, j]);
      } else left.push(i);
    }
    for (const i of left) {
      let found = -1;
      for (let j = b.start; j < b.end && found < 0; j++)
        if (!used.has(j) && isHeavy(output, j) && output.atoms.element[j] === input.atoms.element[i] && !heavyIn.some((x) => input.atoms.name[x] === output.atoms.name[j])) found = j;
      if (found < 0) {
        unmatched++;
        continue;
      }
      used.add(found);
      pairs.push([i, found]);
    }
    for (const [i, j] of pairs) {
      const dx = output.coords[3 * j] - shift[0] - input.coords[3 * i];
      const dy = output.coords[3 * j + 1] - shift[1] - input.coords[3 * i + 1];
      const dz = output.coords[3 * j + 2] - shift[2] - input.coords[3 * i + 2];
      const d2 = dx * dx + dy * dy + dz * dz;
      sum += d2;
      matched++;
      if (d2 > max * max) {
        max = Math.sqrt(d2);
        maxAtom = `${a.resName} ${a.chainId}${a.resSeq} ${input.atoms.name[i]}`;
      }
    }
  }
  return { rmsd: matched ? Math.sqrt(sum / matched) : Number.NaN, max, maxAtom, matched, unmatched };
}

const f1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));

/** prepare.md: what ran, the energies before and after, how far the heavy atoms moved, the warnings, the files. */
export function renderPrepareReport(r: PrepareResult): string {
  const e = r.energy;
  const lines = [
    `# Prepared for simulation: ${r.input.split(/[\\/]/).pop()}`,
    '',
    `Energy minimisation with **${r.engine === 'gromacs' ? 'GROMACS' : 'OpenMM'} ${r.version}** (${r.executable}), force field **${r.forceField}** (${r.forceFieldReason}), ${r.solvent}.`,
    `${r.atoms} atoms, ${r.residues} solute residues. Heavy atoms ${r.restraint.k > 0 ? `restrained with k = ${r.restraint.k} ${r.restraint.unit} (${r.restraint.atoms} atoms)` : 'free (no restraint)'}.`,
    `${r.converged ? 'Converged' : 'Stopped'} after ${r.steps} steps (at most ${r.maxSteps}; tolerance: largest force ≤ ${r.emtol} kJ/mol/nm) in ${r.seconds.toFixed(1)} s.`,
    '',
    '| | before | after |',
    '|---|---:|---:|',
    `| potential energy (kJ/mol) | ${f1(e.before.total)} | ${f1(e.after.total)} |`,
    `| per solute residue (kJ/mol) | ${f1(e.before.perResidue)} | ${f1(e.after.perResidue)} |`,
    `| largest force (kJ/mol/nm) | ${f1(r.maxForce.before)} | ${f1(r.maxForce.after)} |`,
    `| restraint energy (kJ/mol) | 0 | ${f1(e.after.restraint)} |`,
    '',
    `Heavy atoms moved: RMS ${r.heavyAtoms.rmsd.toFixed(3)} Å, most ${r.heavyAtoms.max.toFixed(3)} Å (${r.heavyAtoms.maxAtom}); ${r.heavyAtoms.matched} atoms compared${r.heavyAtoms.unmatched ? `, ${r.heavyAtoms.unmatched} not found in the output` : ''}.`,
    '',
    '## Energy terms (kJ/mol)',
    '',
    '| term | before | after |',
    '|---|---:|---:|',
    ...[...new Set([...Object.keys(e.before.terms), ...Object.keys(e.after.terms)])].map((t) => `| ${t} | ${f1(e.before.terms[t])} | ${f1(e.after.terms[t])} |`),
  ];
  if (r.warnings.length) lines.push('', '## Warnings', '', ...r.warnings.map((w) => `- ${w}`));
  lines.push('', '## Commands', '', '```', ...r.commands, '```', '', '## Files', '', ...r.files.map((f) => `- ${f}`), '');
  return lines.join('\n');
}
