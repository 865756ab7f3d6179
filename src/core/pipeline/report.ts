/** Markdown report of a backmapping run (CLI `--report`, the extension's "Show report" command). */
import type { BackmapOutput, BackmapReport } from './options';

const fmt = (x: number | undefined, digits = 2): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));
const ms = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : x < 10 ? `${x.toFixed(2)} ms` : `${x.toFixed(0)} ms`);
const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

const STAGE_ORDER = ['parse', 'assign', 'model', 'graph', 'inference', 'rebuild', 'refine', 'metrics', 'write'];

/** Readable markdown with every number of the report; `maxResidues` bounds the per-residue RMSD table. */
export function renderReport(output: BackmapOutput | { report: BackmapReport }, opts: { maxResidues?: number } = {}): string {
  const r = output.report;
  const out: string[] = [];
  out.push(`# Backmapping report`, '');
  out.push(`- **Input:** ${r.input}`);
  out.push(`- **Model:** ${r.modelId}${r.modelId === 'template' ? ' (model-free template backmapper)' : ''}`);
  out.push(`- **Mapping set:** ${r.mappingId}`);
  out.push(`- **Execution provider:** ${r.provider}`);
  if (r.modelNote) out.push(`- **Choice:** ${r.modelNote}`);
  const skipped = r.providerAttempts.filter((a) => !a.ok);
  for (const a of skipped) out.push(`- Provider ${a.device} not used: ${a.reason}`);
  out.push('');

  out.push('## Size', '', '| quantity | value |', '|---|---:|');
  out.push(`| CG particles in the input | ${r.counts.inputParticles} |`);
  out.push(`| beads backmapped | ${r.counts.beads} |`);
  out.push(`| residues | ${r.counts.residues} |`);
  out.push(`| atoms written | ${r.counts.atoms} |`);
  out.push(`| inference chunks | ${r.counts.chunks} |`, '');

  out.push('## Time per stage', '', '| stage | time |', '|---|---:|');
  const stages = [...STAGE_ORDER.filter((s) => s in r.timings), ...Object.keys(r.timings).filter((s) => !STAGE_ORDER.includes(s))];
  let total = 0;
  for (const s of stages) {
    out.push(`| ${s} | ${ms(r.timings[s])} |`);
    total += r.timings[s] ?? 0;
  }
  out.push(`| **total** | **${ms(total)}** |`);
  if (total > 0 && r.counts.atoms) out.push('', `Throughput: ${((r.counts.atoms / total) * 1000).toFixed(0)} heavy atoms/s end to end.`);
  out.push('');

  out.push('## Geometry', '', '| check | value |', '|---|---:|');
  out.push(`| clashes (% of residues) | ${fmt(r.clashPercent)} |`);
  out.push(`| bond-length outliers | ${Number.isFinite(r.bondOutliers) ? r.bondOutliers : 'n/a'} |`);
  out.push(`| bond-angle outliers | ${Number.isFinite(r.angleOutliers) ? r.angleOutliers : 'n/a'} |`);
  out.push(`| Ramachandran outliers | ${Number.isFinite(r.ramachandranOutliers) ? r.ramachandranOutliers : 'n/a'} |`);
  out.push('');
  const en = r.refine.enabled;
  out.push(`Refinement: backbone ${en.backbone ? 'on' : 'off'}, side-chain geometry ${en.sidechains ? 'on' : 'off'}, clash relief ${en.clashes ? 'on' : 'off'}.`);
  if (r.refine.backbone)
    out.push(
      `Backbone: ${r.refine.backbone.iterations} steepest-descent steps, restraint energy ${fmt(r.refine.backbone.energyBefore, 1)} → ${fmt(r.refine.backbone.energyAfter, 1)}, N, C and ${r.refine.backbone.oxygens} carbonyl O tethered to the prediction (Cα fixed).`,
    );
  if (r.refine.sidechains)
    out.push(
      `Side chains: ${r.refine.sidechains.iterations} steepest-descent steps, restraint energy ${fmt(r.refine.sidechains.energyBefore, 1)} → ${fmt(r.refine.sidechains.energyAfter, 1)}, ${r.refine.sidechains.atomsMoved} atoms moved (max ${fmt(r.refine.sidechains.maxShift)} Å; CB and backbone fixed).`,
    );
  if (r.refine.clashes)
    out.push(
      `Clash relief: close non-bonded heavy-atom pairs ${r.refine.clashes.pairsBefore} → ${r.refine.clashes.pairsAfter}, ${r.refine.clashes.atomsMoved} atoms moved (max ${fmt(r.refine.clashes.maxShift)} Å)${r.refine.clashes.unresolvable ? `, ${r.refine.clashes.unresolvable} backbone–backbone pairs left (backbone is not moved)` : ''}.`,
    );
  out.push('');

  if (r.unknown.length) {
    out.push(`## Unknown residues and beads (${r.unknown.length}, skipped)`, '', '| location | residue | bead |', '|---|---|---|');
    for (const u of r.unknown.slice(0, 200))
      out.push(`| ${esc(u.file)}:${u.line} | ${esc(u.resName)} ${u.chainId ?? ''}${u.resSeq ?? ''} | ${u.bead ? esc(u.bead) : '(whole residue)'} |`);
    if (r.unknown.length > 200) out.push(`| … | ${r.unknown.length - 200} more | |`);
    out.push('');
  }

  if (r.rmsd) {
    const m = r.rmsd;
    out.push('## Accuracy against the reference', '', '| subset | RMSD (Å) |', '|---|---:|');
    out.push(`| backbone | ${fmt(m.bb, 3)} |`, `| side chain | ${fmt(m.sc, 3)} |`, `| all heavy atoms | ${fmt(m.all, 3)} |`, `| matched atoms | ${m.matched} |`, '');
    const max = opts.maxResidues ?? 2000;
    out.push('### RMSD per residue', '', '| chain | residue | name | all (Å) | backbone (Å) | side chain (Å) |', '|---|---:|---|---:|---:|---:|');
    for (const p of m.perResidue.slice(0, max)) out.push(`| ${p.chainId || '-'} | ${p.resSeq}${p.iCode} | ${p.resName} | ${fmt(p.rmsd, 3)} | ${fmt(p.rmsd_bb, 3)} | ${fmt(p.rmsd_sc, 3)} |`);
    if (m.perResidue.length > max) out.push(`| … | | ${m.perResidue.length - max} more residues | | | |`);
    out.push('');
  }
  if (r.notes.length) {
    out.push('## Notes', '');
    for (const n of r.notes) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}
