import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { InputError } from '../core/errors';
import { readStructureFile } from '../core/structure/read';
import { formatStructure, writeStructureFile } from '../core/structure/write';
import { loadMappingSet } from '../core/mapping/load';
import { parseMappingText, validateMappingFolder } from '../core/mapping';
import type { MappingDiagnostic } from '../core/mapping';
import { mapToCg } from '../core/forward';
import { compareStructures, clashPercent } from '../core/metrics';
import { listModels } from '../core/model/registry';
import { buildDataset } from '../core/dataset/build';
import { backmapStructure, backmapTrajectory } from '../engine/pipeline';
import { renderReport } from '../engine/report';
import type { CliIO, CliOptions } from './main';
import { UsageError } from './main';

type Handler = (args: string[], opts: CliOptions, io: CliIO) => Promise<void>;

const need = (value: string | undefined, what: string): string => {
  if (!value) throw new UsageError(`missing ${what}`);
  return value;
};

const formatOf = (path: string): 'pdb' | 'gro' | 'cif' => {
  const ext = extname(path.replace(/\.gz$/i, '')).toLowerCase();
  if (ext === '.gro') return 'gro';
  if (ext === '.cif' || ext === '.mmcif') return 'cif';
  if (ext === '.pdb' || ext === '.ent') return 'pdb';
  throw new UsageError(`cannot tell the output format from '${basename(path)}' (use .pdb, .gro or .cif)`);
};

const residueMapOf = (opts: CliOptions): Record<string, string> | undefined => {
  if (!opts['residue-map']) return undefined;
  // "HSD=HIS,CYX=CYS"
  const map: Record<string, string> = {};
  for (const pair of opts['residue-map'].split(',')) {
    const [from, to] = pair.split('=').map((s) => s.trim());
    if (!from || !to) throw new UsageError(`--residue-map expects FROM=TO[,FROM=TO…], got '${pair}'`);
    map[from] = to;
  }
  return map;
};

const intOpt = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} expects a positive integer, got '${value}'`);
  return n;
};

const map: Handler = async ([input], opts, io) => {
  const inputPath = need(input, 'the all-atom structure');
  const output = need(opts.output, '-o <cg.pdb>');
  const set = loadMappingSet(need(opts.mapping, '--mapping <set|folder>'));
  const aa = readStructureFile(inputPath);
  const result = mapToCg(aa, set, { chain: opts.chain, residueNameMap: residueMapOf(opts) });
  writeStructureFile(output, result.cg, { force: opts.force, protect: [inputPath] });
  const r = result.report;
  io.out(
    `mapped ${result.system.residues.length} residues to ${result.system.beads.length} beads with '${set.id}' → ${output}\n`,
  );
  for (const line of describeForwardReport(r)) io.err(`warning: ${line}\n`);
};

function describeForwardReport(report: unknown): string[] {
  // The report lists missing/unmapped atoms and unknown residues; show a bounded summary.
  const out: string[] = [];
  const r = report as Record<string, unknown[]>;
  for (const key of ['unknownResidues', 'missingAtoms', 'unmappedAtoms'] as const) {
    const items = (r?.[key] ?? []) as unknown[];
    if (!items.length) continue;
    const shown = items.slice(0, 10).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
    out.push(`${items.length} ${key.replace(/[A-Z]/g, (c) => ' ' + c.toLowerCase())}: ${shown.join('; ')}${items.length > 10 ? '; …' : ''}`);
  }
  return out;
}

const backmap: Handler = async ([input], opts, io) => {
  const inputPath = need(input, 'the CG structure');
  const output = need(opts.output, '-o <out>');
  const device = (opts.device ?? 'auto') as 'auto' | 'cpu' | 'cuda' | 'webgpu' | 'dml' | 'coreml';
  if (!['auto', 'cpu', 'cuda', 'webgpu', 'dml', 'coreml'].includes(device))
    throw new UsageError(`--device must be auto, cpu, webgpu, cuda, dml or coreml (got '${opts.device}')`);
  const refine = opts['no-refine'] ? false : opts.refine ? true : undefined;
  const common = {
    model: opts.model ?? 'auto',
    mapping: opts.mapping,
    device,
    residueNameMap: residueMapOf(opts),
    chunkSize: intOpt(opts['chunk-size'], 'chunk-size'),
  };
  const progress = (stage: string, fraction: number) => {
    if (process.stderr.isTTY) process.stderr.write(`\r${stage} ${(fraction * 100).toFixed(0)}%   `);
  };
  if (opts.trajectory) {
    const result = await backmapTrajectory(
      {
        ...common,
        topology: inputPath,
        trajectory: opts.trajectory,
        out: output,
        force: opts.force,
        refine: refine === undefined ? undefined : { backbone: refine, clashes: refine },
      } as Parameters<typeof backmapTrajectory>[0],
      { progress },
    );
    if (process.stderr.isTTY) process.stderr.write('\n');
    io.out(`${summariseTrajectory(result)}\n`);
    return;
  }
  const cg = readStructureFile(inputPath);
  const reference = opts.reference ? readStructureFile(opts.reference) : undefined;
  const result = await backmapStructure(
    cg,
    {
      ...common,
      reference,
      refine: refine === undefined ? undefined : { backbone: refine, clashes: refine },
    } as Parameters<typeof backmapStructure>[1],
    { progress },
  );
  if (process.stderr.isTTY) process.stderr.write('\n');
  writeStructureFile(output, result.structure, { force: opts.force, protect: [inputPath, ...(opts.reference ? [opts.reference] : [])] });
  const report = renderReport(result);
  if (opts.report) writeFileSafely(opts.report, report, opts.force, [inputPath, output]);
  io.out(`${summarise(result)} → ${output}\n`);
};

function summarise(result: Awaited<ReturnType<typeof backmapStructure>>): string {
  const r = result.report as unknown as Record<string, unknown>;
  const parts = [
    `backmapped ${result.structure.atoms.count} atoms`,
    r.modelId ? `model ${String(r.modelId)}` : undefined,
    r.provider ? `on ${String(r.provider)}` : undefined,
  ].filter(Boolean);
  return parts.join(' ');
}

function summariseTrajectory(result: unknown): string {
  const r = result as Record<string, unknown>;
  return `backmapped ${String(r.frames ?? '?')} frames${r.framesPerSecond ? ` (${Number(r.framesPerSecond).toFixed(1)} frames/s)` : ''}${r.out ? ` → ${String(r.out)}` : ''}`;
}

function writeFileSafely(path: string, text: string, force: boolean | undefined, protect: string[]): void {
  if (protect.some((p) => p === path)) throw new InputError('refusing to overwrite an input file', path);
  if (existsSync(path) && !force) throw new InputError('exists already (use --force to overwrite)', path);
  writeFileSync(path, text);
}

const evaluate: Handler = async ([modelPath, referencePath], opts, io) => {
  const model = readStructureFile(need(modelPath, 'the backmapped structure'));
  const reference = readStructureFile(need(referencePath, 'the reference structure'));
  const m = compareStructures(model, reference, { chain: opts.chain, symmetric: opts.symmetric, superpose: opts.superpose } as Parameters<typeof compareStructures>[2]);
  if (!m.matched) throw new InputError(`no atoms match the reference ${referencePath} by chain, residue number and atom name`, modelPath);
  const clash_pct = clashPercent(model);
  const result = { rmsd_bb: m.rmsd_bb, rmsd_sc: m.rmsd_sc, rmsd_all: m.rmsd_all, clash_pct, matched_atoms: m.matched };
  if (opts.json) io.out(`${JSON.stringify({ ...result, per_residue: m.perResidue }, null, 1)}\n`);
  else
    io.out(
      `matched atoms ${m.matched}\nRMSD backbone ${m.rmsd_bb.toFixed(3)} Å\nRMSD side chain ${m.rmsd_sc.toFixed(3)} Å\nRMSD all ${m.rmsd_all.toFixed(3)} Å\nclashes ${clash_pct.toFixed(2)} % of residues\n`,
    );
};

const validate: Handler = async ([target], opts, io) => {
  const path = need(target, 'a mapping file or folder');
  if (!existsSync(path)) throw new InputError('no such file or folder', path);
  const files: { file: string; diagnostics: MappingDiagnostic[] }[] = [];
  if (statSync(path).isDirectory()) {
    const report = validateMappingFolder(path);
    files.push(...report.files);
    if (report.folderDiagnostics.length) files.push({ file: path, diagnostics: report.folderDiagnostics });
  } else {
    files.push({ file: path, diagnostics: parseMappingText(readFileSync(path, 'utf8'), path).diagnostics });
  }
  const all = files.flatMap((f) => f.diagnostics.map((d) => ({ ...d, file: d.span?.file ?? f.file })));
  const errors = all.filter((d) => d.severity === 'error').length;
  if (opts.json) {
    io.out(
      `${JSON.stringify(
        {
          errors,
          warnings: all.filter((d) => d.severity === 'warning').length,
          diagnostics: all.map((d) => ({ file: d.file, line: d.span?.line, code: d.code, severity: d.severity, message: d.message })),
        },
        null,
        1,
      )}\n`,
    );
  } else {
    for (const d of all) io.out(`${d.file}:${d.span?.line ?? 0}: ${d.severity} ${d.code}: ${d.message}\n`);
    io.out(`${files.length} file(s): ${errors} error(s), ${all.length - errors} other diagnostic(s)\n`);
  }
  if (errors) throw new InputError(`${errors} error(s) in the mapping (see above)`, path);
};

const models: Handler = async (_args, opts, io) => {
  const cards = listModels();
  if (opts.json) {
    io.out(`${JSON.stringify(cards, null, 1)}\n`);
    return;
  }
  if (!cards.length) io.out('no trained models found in models/ (the template backmapper is always available)\n');
  for (const c of cards as unknown as Record<string, unknown>[]) {
    const acc = c.accuracy ? ` accuracy ${JSON.stringify(c.accuracy)}` : '';
    io.out(`${String(c.id)}\tmapping ${String(c.mapping ?? (c as { mappingId?: string }).mappingId)}${acc}\n`);
  }
  io.out('template\tmodel-free backmapper (any mapping)\n');
};

const dataset: Handler = async ([list], opts, io) => {
  const summary = await buildDataset({
    list: need(list, 'a list (.tsv with path and chain columns)'),
    mapping: need(opts.mapping, '--mapping <set>'),
    out: need(opts.output, '-o <file>'),
    dataRoot: opts['data-root'],
    limit: intOpt(opts.limit, 'limit'),
  });
  io.out(`${JSON.stringify(summary)}\n`);
};

export const commands: Record<string, Handler> = { map, backmap, evaluate, validate, models, dataset };
export { formatOf, formatStructure };
