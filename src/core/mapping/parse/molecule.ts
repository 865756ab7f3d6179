/** The `molecule:` section: the residue name, a string without `_` (E1; docs/mapping-format.md, "Names"). */
import { isScalar, type Pair, type Scalar } from 'yaml';
import { pythonType } from '../yaml11';
import type { ParseContext } from './context';
import { scalarBase, scalarKind } from './tokens';

/** Sets `moleculeName`/`moleculeToken` of the result when the name can be read. */
export function readMoleculeName(ctx: ParseContext, pair: Pair | null): void {
  if (!pair) {
    const [s, e] = ctx.firstLine();
    ctx.report('E1', s, e, '`molecule:` is missing; CGmap crashes at load with TypeError (sequence item 0: expected str instance, NoneType found).');
    return;
  }
  const v = pair.value;
  const kr = (pair.key as Scalar).range!;
  if (!isScalar(v)) {
    ctx.report('E1', kr[0], kr[1], '`molecule` must be a string (the residue name); CGmap crashes at load with TypeError.');
    return;
  }
  const r = v.range!;
  const kind = scalarKind(v);
  const name = String(v.value ?? '');
  if (kind !== 'str') {
    ctx.report('E1', kind === 'null' ? kr[0] : r[0], kind === 'null' ? kr[1] : r[1],
      kind === 'null'
        ? '`molecule` is empty (null); CGmap crashes at load with TypeError (expected str instance, NoneType found).'
        : `\`molecule: ${name}\` is read by YAML 1.1 as ${pythonType(kind)}, not a string; CGmap crashes at load with TypeError. Quote it.`,
      [{ title: `Quote "${name}"`, edits: [{ start: r[0], end: r[1], newText: JSON.stringify(name) }], preferred: true }]);
    return;
  }
  const base = scalarBase(v, ctx.text) ?? r[0];
  ctx.result.moleculeName = name;
  ctx.result.moleculeToken = { text: name, start: base, end: base + name.length };
  if (name.includes('_')) {
    ctx.report('E1', base, base + name.length, `Molecule name \`${name}\` contains \`_\`; idnames are MOLECULE_NAME split on \`_\`, so CGmap crashes at load with KeyError '${name.split('_')[0]}'.`,
      [{ title: `Rename to ${name.replace(/_/g, '')}`, edits: [{ start: base, end: base + name.length, newText: name.replace(/_/g, '') }] }]);
  } else if (name === '') {
    ctx.report('E1', kr[0], kr[1], '`molecule` is an empty string; the residue name is required.');
  }
}
