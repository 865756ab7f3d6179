// Backmapping accuracy on the held-out benchmark, for every shipped model beside the template baseline.
//   npm run bench:accuracy [-- --limit N] [--routes martini3,martini3-real,ca] [--update-cards] [--device cpu]
//                          [--sidechains] [--energy [N]]
// Routes:
//   martini3       ../shared/data/splits/benchmark.tsv chains, CG made by our own mapToCg (martini3 set)
//   martini3-real  benchmark_martini3_paired.tsv: real martinize2 CG (read with assignCg) vs its all-atom input
//   ca             benchmark.tsv chains mapped to C-alpha beads (ca set)
//   lipids         the held-out (+z) leaflet of the CHARMM36 bilayers in ../shared/data/raw/membranes
//                  (src/core/dataset/lipids.ts), CG made by mapToCg (martini3 set); one row per molecule
//                  (median/mean heavy-atom RMSD, acyl-chain C–C bonds within 1.28–1.70 Å) for the template and
//                  every model whose card lists lipids in `moleculeKinds` (raw, and "+relax": bonds across beads
//                  relaxed to template lengths, `relaxMoleculeBonds`)
// Metrics per structure (src/core/metrics.ts; residues matched by number, or by sequence where martinize2 renumbered
// them): heavy-atom RMSD BB/SC/ALL without superposition (median and mean
// over structures; SC also with symmetric name swaps, and SC/ALL against the reference renamed to the IUPAC rule for
// ASP/GLU/ARG from its own geometry, since deposited files break it for 5-21 % of those residues), clash %,
// bond/angle outliers %, χ1/χ2 agreement. The percentages are pooled over all residues / bonds / angles / χ of a
// route (a two-residue peptide would otherwise weigh as much as a 130-residue protein); JSON keeps each
// structure's own figures too.
// Every method twice: raw, and "+refine" as the pipeline writes a structure by default (backbone refinement with
// predicted φ/ψ, clash relief); --sidechains adds "+refine +sidechains" (the opt-in side-chain idealisation).
// Also a side-chain table by residue type for each model (where the remaining error is).
// --energy [N] (opt-in, N default 5): for the first N structures of the martini3 and martini3-real routes, each
// method's backmap (raw and +refine; the template as the baseline) and the reference are given
// hydrogens by our addHydrogens under AMBER names and minimised alike by `backmap prepare`'s engine (GROMACS
// amber99sb-ildn, else OpenMM amber14; vacuum, heavy atoms restrained): energy after minimisation per residue, the
// gap backmap − reference, heavy atoms moved (bench/energy.ts). Skipped with the reason when there is no engine.
// Writes bench/results/accuracy.json; --update-cards stores each model's rows in models/<id>.json "accuracy".
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMappingSet } from '../src/core/mapping/load';
import type { MappingSet } from '../src/core/mapping/types';
import { readStructureFile } from '../src/core/structure/read';
import { withIupacNaming } from '../src/core/structure/nomenclature';
import type { Structure } from '../src/core/structure/types';
import { mapToCg } from '../src/core/forward';
import { assignCg, type CgSystem } from '../src/core/cg';
import { bondAngleStats, chiAgreement, clashReport, compareStructures } from '../src/core/metrics';
import { openBackmapper, TemplateBackmapper, type Backmapper, type Prediction } from '../src/core/model/backmapper';
import { DEFAULT_CHUNK_SIZE, inferVectors } from '../src/core/model/chunking';
import type { Device } from '../src/core/model/providers';
import { listModels, resolveModel } from '../src/core/model/registry';
import { readTsv, sharedDataRoot, repoRoot } from '../src/core/dataset/tsv';
import { rebuild } from '../src/core/pipeline';
import { CHARMM36_MEMBRANES, lipidAccuracy, loadMembrane } from '../src/core/dataset/lipids';
import { modelMoleculeKinds } from '../src/core/model/contract';
import type { ModelCard } from '../src/core/model/contract';
import { relaxMoleculeBonds } from '../src/core/molecule-template';
import { SetupError } from '../src/core/errors';
import { ENERGY_MAX_RESIDUES, ENERGY_PROTOCOL, EnergySkipped, energyEngine, energyRow, type EnergyRow, type EnergySide } from './energy';
import type { Engine } from '../src/core/prepare/engines';
import type { ProtonationPlan } from '../src/core/hydrogens';

/** Molecule classes a model card says it was trained on (cards without the field: amino acids). */

const argv = process.argv.slice(2);
const arg = (n: string) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const limit = arg('limit') ? Number(arg('limit')) : Infinity;
const routes = (arg('routes') ?? 'martini3,martini3-real,ca,lipids').split(',');
const device = (arg('device') ?? 'cpu') as Device;
const updateCards = argv.includes('--update-cards');
const withSidechains = argv.includes('--sidechains');
/** `--energy [N]`: structures per route given the energy column (0: off). */
const energyN = (() => {
  const i = argv.indexOf('--energy');
  if (i < 0) return 0;
  const next = argv[i + 1];
  if (next === undefined || next.startsWith('--')) return 5;
  const n = Number(next);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--energy expects a whole number of structures ≥ 1, got '${next}'`);
  return n;
})();
/** Routes the energy column covers: proteins whose CG comes from a held-out all-atom reference. */
const ENERGY_ROUTES = new Set(['martini3', 'martini3-real']);

interface Case {
  label: string;
  system: CgSystem;
  reference: Structure;
  /** The reference with ASP/GLU/ARG equivalent atoms renamed to the IUPAC rule (nomenclature.ts), from its own geometry. */
  referenceIupac: Structure;
  chain?: string;
}

interface PerStructure {
  label: string;
  rmsd_bb: number;
  rmsd_sc: number;
  rmsd_all: number;
  rmsd_sc_sym: number;
  rmsd_sc_iupac: number;
  rmsd_all_iupac: number;
  clash: number;
  bondOutliers: number;
  angleOutliers: number;
  chi1: number;
  chi2: number;
  /** Counts behind the percentages above, pooled over a route's structures by `summarize`. */
  counts: { residues: number; clashing: number; bonds: number; bondOutliers: number; angles: number; angleOutliers: number; chi1: number; chi1Agree: number; chi2: number; chi2Agree: number };
  matched: number;
  seconds: number;
  /** Side-chain squared deviation summed per residue type, with its atom and residue counts. */
  scByType: Record<string, { sq: number; atoms: number; residues: number }>;
}

const median = (x: number[]) => {
  const v = x.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const mean = (x: number[]) => {
  const v = x.filter(Number.isFinite);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
};

function casesFor(route: string, dataRoot: string, set: MappingSet, skipped: string[]): Case[] {
  const out: Case[] = [];
  if (route === 'martini3' || route === 'ca') {
    const { rows } = readTsv(join(dataRoot, 'splits', 'benchmark.tsv'));
    for (const r of rows) {
      if (out.length >= limit) break;
      const chain = String(r.chain) === '_' ? '' : String(r.chain);
      const label = `${r.path}:${r.chain}`;
      try {
        const aa = readStructureFile(join(dataRoot, String(r.path)));
        const fr = mapToCg(aa, set, { chain });
        if (!fr.system.beads.length) throw new Error('no beads');
        out.push({ label, system: fr.system, reference: aa, referenceIupac: withIupacNaming(aa).structure, chain });
      } catch (e) {
        skipped.push(`${route} ${label}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  } else if (route === 'martini3-real') {
    const { rows } = readTsv(join(dataRoot, 'splits', 'benchmark_martini3_paired.tsv'));
    for (const r of rows) {
      if (out.length >= limit) break;
      if (!String(r.cg_model).startsWith('martini3')) continue;
      const label = String(r.cg_path);
      try {
        const aa = readStructureFile(join(dataRoot, String(r.aa_path)));
        const cg = readStructureFile(join(dataRoot, String(r.cg_path)));
        const { system, unknown } = assignCg(cg, set, { partial: true });
        if (!system.beads.length) throw new Error('no beads assigned');
        if (unknown.length) skipped.push(`${route} ${label}: ${unknown.length} CG residues/beads unknown to the set were left out (structure kept)`);
        // martinize2 may renumber residues (EN_chain's chain B goes on at 22): the metrics match them by sequence then.
        out.push({ label, system, reference: aa, referenceIupac: withIupacNaming(aa).structure });
      } catch (e) {
        skipped.push(`${route} ${label}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }
  return out;
}

/** raw reconstruction; the pipeline's default refinement; that plus the opt-in side-chain idealisation. */
type Refinement = 'raw' | 'refine' | 'sidechains';

/** All atoms from a prediction as the pipeline builds them (pipeline `rebuild`). */
function build(c: Case, pred: Prediction, refine: Refinement): Structure {
  const on = refine !== 'raw';
  return rebuild(c.system, pred, { backbone: on, clashes: on, sidechains: refine === 'sidechains' }).structure;
}

/** A built structure scored against the reference. */
function evaluate(c: Case, model: Structure): Omit<PerStructure, 'seconds'> {
  const cmp = compareStructures(model, c.reference, { chain: c.chain });
  const sym = compareStructures(model, c.reference, { chain: c.chain, symmetric: true });
  const iupac = compareStructures(model, c.referenceIupac, { chain: c.chain });
  const ba = bondAngleStats(model);
  const clash = clashReport(model);
  const chi = chiAgreement(model, c.reference, { chain: c.chain });
  const scByType: PerStructure['scByType'] = {};
  for (const r of cmp.perResidue) {
    if (!r.matched_sc) continue;
    const t = (scByType[r.resName] ??= { sq: 0, atoms: 0, residues: 0 });
    t.sq += r.rmsd_sc * r.rmsd_sc * r.matched_sc;
    t.atoms += r.matched_sc;
    t.residues++;
  }
  return {
    label: c.label,
    rmsd_bb: cmp.rmsd_bb,
    rmsd_sc: cmp.rmsd_sc,
    rmsd_all: cmp.rmsd_all,
    rmsd_sc_sym: sym.rmsd_sc,
    rmsd_sc_iupac: iupac.rmsd_sc,
    rmsd_all_iupac: iupac.rmsd_all,
    clash: clash.percent,
    bondOutliers: 100 * ba.bonds.outlierFraction,
    angleOutliers: 100 * ba.angles.outlierFraction,
    chi1: 100 * chi.chi1.fraction,
    chi2: 100 * chi.chi2.fraction,
    counts: {
      residues: clash.residues, clashing: clash.clashingResidues,
      bonds: ba.bonds.n, bondOutliers: ba.bonds.outliers, angles: ba.angles.n, angleOutliers: ba.angles.outliers,
      chi1: chi.chi1.n, chi1Agree: chi.chi1.agree, chi2: chi.chi2.n, chi2Agree: chi.chi2.agree,
    },
    matched: cmp.matched,
    scByType,
  };
}

function summarize(rows: PerStructure[]) {
  const pick = (k: keyof PerStructure) => rows.map((r) => r[k] as number);
  const mm = (k: keyof PerStructure) => ({ median: median(pick(k)), mean: mean(pick(k)) });
  const pooled = (part: keyof PerStructure['counts'], whole: keyof PerStructure['counts']) => {
    const n = rows.reduce((a, r) => a + r.counts[whole], 0);
    return n ? (100 * rows.reduce((a, r) => a + r.counts[part], 0)) / n : NaN;
  };
  return {
    structures: rows.length,
    rmsd_bb: mm('rmsd_bb'),
    rmsd_sc: mm('rmsd_sc'),
    rmsd_all: mm('rmsd_all'),
    rmsd_sc_symmetric: mm('rmsd_sc_sym'),
    rmsd_sc_iupac_reference: mm('rmsd_sc_iupac'),
    rmsd_all_iupac_reference: mm('rmsd_all_iupac'),
    clashPercent: pooled('clashing', 'residues'),
    bondOutlierPercent: pooled('bondOutliers', 'bonds'),
    angleOutlierPercent: pooled('angleOutliers', 'angles'),
    chi1AgreementPercent: pooled('chi1Agree', 'chi1'),
    chi2AgreementPercent: pooled('chi2Agree', 'chi2'),
    secondsTotal: pick('seconds').reduce((a, b) => a + b, 0),
    sidechainByType: sidechainByType(rows),
  };
}

/** Side-chain RMSD per residue type pooled over all structures, and each type's share of the total squared error. */
function sidechainByType(rows: PerStructure[]): Record<string, { rmsd: number; residues: number; errorShare: number }> {
  const acc: Record<string, { sq: number; atoms: number; residues: number }> = {};
  let total = 0;
  for (const r of rows)
    for (const [k, v] of Object.entries(r.scByType)) {
      const a = (acc[k] ??= { sq: 0, atoms: 0, residues: 0 });
      a.sq += v.sq;
      a.atoms += v.atoms;
      a.residues += v.residues;
      total += v.sq;
    }
  const out: Record<string, { rmsd: number; residues: number; errorShare: number }> = {};
  for (const [k, a] of Object.entries(acc).sort((x, y) => y[1].sq - x[1].sq))
    out[k] = { rmsd: Math.sqrt(a.sq / a.atoms), residues: a.residues, errorShare: total ? a.sq / total : NaN };
  return out;
}

async function main(): Promise<void> {
  const dataRoot = sharedDataRoot();
  if (!dataRoot) {
    console.log('bench:accuracy skipped: ../shared/data absent');
    return;
  }
  const models = listModels();
  const results: Record<string, unknown>[] = [];
  const energy = energyN ? await startEnergy() : undefined;
  const lipidRows: LipidRow[] = [];
  const skipped: string[] = [];
  const routeMapping: Record<string, string> = { martini3: 'martini3', 'martini3-real': 'martini3', ca: 'ca' };
  for (const route of routes) {
    if (route === 'lipids') {
      lipidRows.push(...(await lipidRoute(dataRoot, models.filter((m) => modelMoleculeKinds(m).includes('lipid')))));
      continue;
    }
    const mappingId = routeMapping[route];
    if (!mappingId) throw new Error(`unknown route ${route}`);
    const set = loadMappingSet(mappingId);
    const t0 = Date.now();
    const cases = casesFor(route, dataRoot, set, skipped);
    console.error(`${route}: ${cases.length} structures prepared in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // The template baseline and every shipped model for this mapping, through the product's Backmapper interface.
    const methods: Backmapper[] = [new TemplateBackmapper()];
    for (const card of models.filter((m) => m.mapping.id === mappingId && modelMoleculeKinds(m).includes('amino-acid'))) methods.push(await openBackmapper(card.id, { device }));
    // The energy column: every method's backmaps, the template as the baseline
    const energyCases = energy?.engine && ENERGY_ROUTES.has(route) ? cases.slice(0, energyN) : [];
    const energyInputs: { method: string; c: Case; model: Structure }[] = [];
    for (const m of methods) {
      const variants: [Refinement, string][] = [['raw', m.id], ['refine', `${m.id} +refine`]];
      if (withSidechains) variants.push(['sidechains', `${m.id} +refine +sidechains`]);
      const rows = new Map<Refinement, PerStructure[]>(variants.map(([v]) => [v, []]));
      for (const c of cases) {
        try {
          const t = performance.now();
          // Chunked exactly as the pipeline runs it (benchmark structures fit one chunk).
          const p = await inferVectors(m, c.system, DEFAULT_CHUNK_SIZE);
          const seconds = (performance.now() - t) / 1000;
          // seconds: the prediction's (refinement is timed by bench:speed)
          for (const [v, method] of variants) {
            const model = build(c, p, v);
            rows.get(v)!.push({ ...evaluate(c, model), seconds });
            if (v !== 'sidechains' && energyCases.includes(c)) energyInputs.push({ method, c, model });
          }
        } catch (e) {
          skipped.push(`${route} ${m.id} ${c.label}: ${(e as Error).message.split('\n')[0]}`);
        }
      }
      await m.release();
      for (const [v, method] of variants) {
        const list = rows.get(v)!;
        const s = summarize(list);
        results.push({ route, method, mapping: mappingId, mappingHash: set.hash, ...s, perStructure: list });
        console.error(`  ${method}: BB ${s.rmsd_bb.median.toFixed(3)} SC ${s.rmsd_sc.median.toFixed(3)} ALL ${s.rmsd_all.median.toFixed(3)} (${list.length} structures)`);
      }
    }
    if (energy && energyInputs.length) await energyRoute(energy, route, energyInputs, skipped);
  }
  const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  const lines = [
    '| route | method | n | BB median | SC median | ALL median | BB mean | SC mean | ALL mean | SC sym. median | SC IUPAC-ref. median | ALL IUPAC-ref. median | clash % | bond outl. % | angle outl. % | χ1 % | χ2 % |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const x = r as unknown as ReturnType<typeof summarize> & { route: string; method: string };
    lines.push(
      `| ${x.route} | ${x.method} | ${x.structures} | ${f(x.rmsd_bb.median)} | ${f(x.rmsd_sc.median)} | ${f(x.rmsd_all.median)} | ${f(x.rmsd_bb.mean)} | ${f(x.rmsd_sc.mean)} | ${f(x.rmsd_all.mean)} | ${f(x.rmsd_sc_symmetric.median)} | ${f(x.rmsd_sc_iupac_reference.median)} | ${f(x.rmsd_all_iupac_reference.median)} | ${f(x.clashPercent, 2)} | ${f(x.bondOutlierPercent, 2)} | ${f(x.angleOutlierPercent, 2)} | ${f(x.chi1AgreementPercent, 1)} | ${f(x.chi2AgreementPercent, 1)} |`,
    );
  }
  const table = lines.join('\n');
  console.log(table);
  const lipidTable = lipidRows.length
    ? [
        '| route | method | molecule | n | median | mean | tail C–C in 1.28–1.70 Å % |',
        '|---|---|---|---|---|---|---|',
        ...lipidRows.map((r) => `| lipids | ${r.method} | ${r.molecule} | ${r.n} | ${f(r.median)} | ${f(r.mean)} | ${r.tailBondsWithinPercent === null ? '–' : f(r.tailBondsWithinPercent, 1)} |`),
      ].join('\n')
    : '';
  if (lipidTable) console.log(`\nlipids and sterols (held-out leaflet of the CHARMM36 bilayers; heavy-atom RMSD in Å, no superposition):\n${lipidTable}`);
  // Side chains by residue type, for the models (types holding at least 1 % of the squared error, largest first).
  for (const r of results) {
    const x = r as unknown as ReturnType<typeof summarize> & { route: string; method: string };
    if (x.method.startsWith('template')) continue;
    const types = Object.entries(x.sidechainByType).filter(([, v]) => v.errorShare >= 0.01);
    if (!types.length) continue;
    console.log(`\nside chains by residue type, ${x.route} / ${x.method} (pooled RMSD Å; share of squared error):`);
    console.log(`| ${types.map(([k]) => k).join(' | ')} |\n|${types.map(() => '---').join('|')}|`);
    console.log(`| ${types.map(([, v]) => `${f(v.rmsd, 2)} (${f(100 * v.errorShare, 0)} %)`).join(' | ')} |`);
  }
  if (energy) printEnergy(energy);
  if (skipped.length) console.log(`\nskipped (${skipped.length}):\n` + skipped.map((s) => `- ${s}`).join('\n'));
  const outDir = join(repoRoot(__dirname), 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const json = {
    measuredAt: new Date().toISOString(), device, limit: Number.isFinite(limit) ? limit : null, results, lipids: lipidRows, skipped, table, lipidTable,
    ...(energy ? { energy: energyJson(energy) } : {}),
  };
  writeFileSync(join(outDir, 'accuracy.json'), JSON.stringify(json, null, 1));
  console.log(`\nwrote ${join(outDir, 'accuracy.json')}`);
  if (updateCards) {
    for (const card of models) {
      const { cardPath } = resolveModel(card.id);
      const base = (r: { method: string }) => r.method.replace(/ \+refine( \+sidechains)?$/, '');
      const lipidModel = modelMoleculeKinds(card).includes('lipid');
      const mine = lipidModel
        ? (lipidRows as unknown as { route: string; method: string }[]).filter((r) => r.method.replace(/ \+relax$/, '') === card.id || r.method === 'template')
        : (results as { route: string; method: string }[]).filter((r) => base(r) === card.id || (base(r) === 'template' && routeMapping[r.route] === card.mapping.id));
      if (!mine.length) continue;
      const strip = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'perStructure' && k !== 'sidechainByType' && k !== 'mapping' && k !== 'mappingHash'));
      const j = JSON.parse(readFileSync(cardPath, 'utf8'));
      j.accuracy = {
        measuredAt: json.measuredAt,
        by: 'bench/accuracy.ts',
        onnxSha256: card.onnx.sha256,
        note: 'heavy-atom RMSD in Å without superposition; median/mean over held-out structures (benchmark clusters never trained on); clash, outlier and χ percentages pooled over the route',
        rows: mine.map((r) => strip(r as unknown as Record<string, unknown>)),
        limit: json.limit,
      };
      writeFileSync(cardPath, JSON.stringify(j, null, 2) + '\n');
      console.log(`updated ${cardPath}`);
    }
  }
}

interface LipidRow {
  route: 'lipids';
  method: string;
  molecule: string;
  n: number;
  median: number;
  mean: number;
  /** Acyl-chain C–C bonds within 1.28–1.70 Å (null for sterols). */
  tailBondsWithinPercent: number | null;
}

/** The `lipids` route: every membrane's held-out leaflet, per molecule, for the template and the lipid models. */
async function lipidRoute(dataRoot: string, cards: ModelCard[]): Promise<LipidRow[]> {
  const set = loadMappingSet('martini3');
  const t0 = Date.now();
  const membranes = CHARMM36_MEMBRANES.map((src) => loadMembrane(dataRoot, src, set)).slice(0, Number.isFinite(limit) ? limit : undefined);
  console.error(`lipids: ${membranes.length} membranes prepared in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const methods: Backmapper[] = [new TemplateBackmapper()];
  for (const card of cards) methods.push(await openBackmapper(card.id, { device }));
  const rows: LipidRow[] = [];
  for (const m of methods) {
    // Models also "+relax": bonds across beads pulled to template lengths (the template does this itself).
    const variants = m.kind === 'template' ? [m.id] : [m.id, `${m.id} +relax`];
    const rmsdOf = new Map(variants.map((v) => [v, new Map<string, number[]>()]));
    const bondsOf = new Map(variants.map((v) => [v, new Map<string, { total: number; within: number }>()]));
    for (const mem of membranes) {
      // The runner gives a lipid model every molecule as its own chain (modelInputSystem, its training convention).
      const system = mem.forward.system;
      const p = await inferVectors(m, system, DEFAULT_CHUNK_SIZE);
      for (const v of variants) {
        const vectors = v === m.id ? p.vectors : Float32Array.from(p.vectors);
        if (v !== m.id) relaxMoleculeBonds(system, vectors);
        const acc = lipidAccuracy(mem, vectors, p.centres);
        const rmsd = rmsdOf.get(v)!;
        const bonds = bondsOf.get(v)!;
        for (const [k, l] of acc.rmsd) rmsd.set(k, [...(rmsd.get(k) ?? []), ...l]);
        for (const k of acc.rmsd.keys()) {
          const b = bonds.get(k) ?? { total: 0, within: 0 };
          const mine = acc.tailBondsByMolecule.get(k);
          if (mine) { b.total += mine.total; b.within += mine.within; }
          bonds.set(k, b);
        }
      }
    }
    await m.release();
    // A card that lists its molecules backmaps only those in the pipeline (martini3-lipids leaves CHL1 out): no rows
    // for the others.
    const listed = m.kind === 'model' && m.card?.molecules?.length ? new Set(m.card.molecules) : null;
    for (const v of variants) for (const [molecule, list] of rmsdOf.get(v)!) {
      if (listed && !listed.has(molecule)) continue;
      const bonds = bondsOf.get(v)!;
      const sorted = [...list].sort((a, b) => a - b);
      const b = bonds.get(molecule)!;
      rows.push({
        route: 'lipids',
        method: v,
        molecule,
        n: list.length,
        median: sorted[Math.floor(sorted.length / 2)],
        mean: list.reduce((s, x) => s + x, 0) / list.length,
        tailBondsWithinPercent: b.total ? (100 * b.within) / b.total : null,
      });
      console.error(`  lipids ${v} ${molecule}: median ${rows[rows.length - 1].median.toFixed(3)} (${list.length})`);
    }
  }
  return rows;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/** The energy column's state for the run: the engine (or why there is none), the rows, the tables printed. */
interface EnergyRun {
  engine?: Engine;
  /** Why the column is left out (no engine, or the engine cannot run here). */
  reason?: string;
  rows: (EnergyRow & { route: string; method: string })[];
  tables: string[];
  seconds: number;
}

async function startEnergy(): Promise<EnergyRun> {
  const { engine, reason } = await energyEngine();
  if (engine) console.error(`energy: ${engine.name === 'gromacs' ? 'GROMACS' : 'OpenMM'} ${engine.version} (${engine.executable}), the first ${energyN} structures of ${[...ENERGY_ROUTES].join(', ')}`);
  else console.error(`energy column skipped: ${reason}`);
  return { engine, reason: engine ? undefined : `no engine: ${reason}`, rows: [], tables: [], seconds: 0 };
}

/** Minimises each backmap and its reference (once per structure), and prints the route's tables. */
async function energyRoute(run: EnergyRun, route: string, inputs: { method: string; c: Case; model: Structure }[], skipped: string[]): Promise<void> {
  if (!run.engine || run.reason) return;
  const t0 = Date.now();
  const referenceCache = new Map<string, { side: EnergySide; plan: ProtonationPlan }>();
  const mine: EnergyRun['rows'] = [];
  for (const { method, c, model } of inputs) {
    try {
      const row = await energyRow(c.label, model, c.reference, { engine: run.engine, chain: c.chain, referenceCache });
      mine.push({ route, method, ...row });
      console.error(`  energy ${route} ${method} ${c.label}: ${row.backmap.perResidueAfter.toFixed(1)} vs ${row.reference.perResidueAfter.toFixed(1)} kJ/mol/residue`);
    } catch (e) {
      if (e instanceof SetupError) {
        run.reason = `the engine cannot run here: ${e.message}`;
        console.error(`energy column skipped: ${run.reason}`);
        return;
      }
      skipped.push(`energy ${route} ${method} ${c.label}: ${e instanceof EnergySkipped ? '' : `${(e as Error).name}: `}${(e as Error).message.split('\n')[0]}`);
    }
  }
  run.seconds += (Date.now() - t0) / 1000;
  run.rows.push(...mine);
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  for (const method of [...new Set(mine.map((r) => r.method))]) {
    const rows = mine.filter((r) => r.method === method);
    const col = (g: (r: EnergyRow) => number) => median(rows.map(g));
    run.tables.push([
      `energy, ${route} / ${method}:`,
      '| structure | residues | E/res backmap | E/res reference | gap | backmap moved (Å rms) | reference moved (Å rms) |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...rows.map((r) => `| ${r.label} | ${r.residues} | ${f(r.backmap.perResidueAfter)} | ${f(r.reference.perResidueAfter)} | ${f(r.gap)} | ${f(r.backmap.heavyRms, 3)} | ${f(r.reference.heavyRms, 3)} |`),
      `| median (${rows.length}) | ${f(col((r) => r.residues), 0)} | ${f(col((r) => r.backmap.perResidueAfter))} | ${f(col((r) => r.reference.perResidueAfter))} | ${f(col((r) => r.gap))} | ${f(col((r) => r.backmap.heavyRms), 3)} | ${f(col((r) => r.reference.heavyRms), 3)} |`,
    ].join('\n'));
  }
}

function energyNote(run: EnergyRun): string {
  const e = run.engine!;
  const p = ENERGY_PROTOCOL;
  return `energy after minimisation, kJ/mol per residue (force field only, restraint excluded): ${e.name === 'gromacs' ? 'GROMACS' : 'OpenMM'} ${e.version}, ` +
    `${e.name === 'gromacs' ? 'amber99sb-ildn' : 'amber14'}, vacuum, heavy atoms restrained at ${p.restrain} kJ/mol/Å², emtol ${p.emtol} kJ/mol/nm, at most ${p.steps} steps, ${p.threads} threads; ` +
    `both backmap and reference get their hydrogens from our addHydrogens (names amber), so both have the same protonation logic ` +
    `(each decided on its own geometry); gap = backmap − reference; "moved": heavy-atom RMS displacement by the minimiser; ` +
    `structures over ${ENERGY_MAX_RESIDUES} residues skipped; the first ${energyN} structures of ${[...ENERGY_ROUTES].join(', ')}`;
}

function printEnergy(run: EnergyRun): void {
  if (!run.tables.length) {
    console.log(`\nenergy column: ${run.reason ?? 'no structure of the martini3 or martini3-real routes was minimised (see skipped)'}`);
    return;
  }
  console.log(`\n${energyNote(run)}${run.reason ? ` (stopped: ${run.reason})` : ''}; ${run.seconds.toFixed(0)} s`);
  for (const t of run.tables) console.log(`\n${t}`);
}

function energyJson(run: EnergyRun) {
  return {
    structuresPerRoute: energyN,
    engine: run.engine ? { name: run.engine.name, version: run.engine.version, executable: run.engine.executable } : null,
    protocol: { ...ENERGY_PROTOCOL, solvent: 'vacuum', unit: 'kJ/mol per residue', maxResidues: ENERGY_MAX_RESIDUES },
    note: run.engine ? energyNote(run) : undefined,
    skippedReason: run.reason ?? null,
    seconds: run.seconds,
    rows: run.rows,
    tables: run.tables,
  };
}
