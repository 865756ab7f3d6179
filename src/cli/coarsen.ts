/** `backmap coarsen`: a UCG mapping of a protein structure (src/core/ucg/coarsen.ts, docs/ucg-mapping.md). */
import { resolve } from 'node:path';
import { COARSEN_METHODS, coarsenStructure, type CoarsenMethod } from '../core/ucg/coarsen';
import { readStructureFile } from '../core/structure/read';
import { assertWritable, writeFileAtomic } from '../core/structure/write';
import { UsageError, type CliIO, type CliOptions } from './options';

export async function coarsen([input]: string[], opts: CliOptions, io: CliIO): Promise<void> {
  if (!input) throw new UsageError('missing the structure: backmap coarsen <structure> --beads N [--method segments|spatial] -o <mapping.ucg.yaml>');
  if (!opts.output) throw new UsageError('missing -o <mapping.ucg.yaml>');
  if (opts.beads === undefined) throw new UsageError('missing --beads N (the number of UCG beads)');
  const beads = Number(opts.beads);
  if (!Number.isInteger(beads) || beads < 1) throw new UsageError(`--beads expects an integer ≥ 1, got '${opts.beads}'`);
  const method = (opts.method ?? 'segments') as CoarsenMethod;
  if (!COARSEN_METHODS.includes(method)) throw new UsageError(`--method must be ${COARSEN_METHODS.join(' or ')} (got '${opts.method}')`);
  const out = resolve(opts.output);
  // Refuse before the work: the DP over a large protein takes seconds.
  assertWritable(out, { force: opts.force, protect: [input] });
  const r = coarsenStructure(readStructureFile(input), { beads, method, source: input, file: out });
  writeFileAtomic(out, r.text);
  io.out(`${r.beads} UCG beads over ${r.residues} residues (${+r.meanResiduesPerBead.toFixed(2)} residues per bead, ` +
    `CA spread ${r.spread.toFixed(2)} Å, ${method}) → ${out}\n`);
}
