// Seeded random edits of mapping text, shared by the server fuzz test and the quick-fix property test: character
// insertions from the dialect's alphabet, deletions, line swaps, and (`mutateSettings`) plausible authoring slips in
// rules and weights.

const CHARS = ':,!P_ 0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ\n"#\'-';

/** One random edit: insert 1–4 characters (40 %), delete 1–6 (40 %) or swap two lines (20 %). */
export function mutate(text: string, random: () => number): string {
  const r = random();
  if (r < 0.4) {
    const at = Math.floor(random() * (text.length + 1));
    let ins = '';
    const n = 1 + Math.floor(random() * 4);
    for (let k = 0; k < n; k++) ins += CHARS[Math.floor(random() * CHARS.length)];
    return text.slice(0, at) + ins + text.slice(at);
  }
  if (r < 0.8) {
    const at = Math.floor(random() * text.length);
    return text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 6));
  }
  const lines = text.split('\n');
  const a = Math.floor(random() * lines.length);
  const b = Math.floor(random() * lines.length);
  [lines[a], lines[b]] = [lines[b], lines[a]];
  return lines.join('\n');
}

const SLIPS = ['1/0', '10/20', '.5', 'cm', 'x!', '1/2P1A', 'P2AA', 'p2ab', 'P3ABC', '2', '!'];

/**
 * One authoring slip: a hierarchy rule with another level, anchor or ID letter (duplicates, missing anchors, level
 * gaps), or a loose setting appended to an entry (`1/0`, `10/20`, `.5`, `cm`, `x!`, rule+weight in one part).
 */
export function mutateSettings(text: string, random: () => number): string {
  const rules = [...text.matchAll(/\bP(\d+)([A-Z]{1,2})\b/g)];
  if (rules.length && random() < 0.6) {
    const m = rules[Math.floor(random() * rules.length)];
    const letter = () => String.fromCharCode(65 + Math.floor(random() * 4));
    const level = Math.max(0, +m[1] + Math.floor(random() * 3) - 1);
    const rule = random() < 0.3 ? `P${level}${letter()}` : `P${level}${letter()}${letter()}`;
    return text.slice(0, m.index) + rule + text.slice(m.index! + m[0].length);
  }
  const lines = text.split('\n');
  const entries = lines.map((l, i) => (/^\s+\S.*:\s*\S/.test(l) && !/^\s*#/.test(l) ? i : -1)).filter((i) => i >= 0);
  if (!entries.length) return text;
  const i = entries[Math.floor(random() * entries.length)];
  const beads = (/:\s*(\S+)/.exec(lines[i])?.[1] ?? '').split(',').length;
  const slip = SLIPS[Math.floor(random() * SLIPS.length)];
  lines[i] = lines[i].replace(/\s*(#.*)?$/, '') + ' ' + Array.from({ length: beads }, (_, k) => (k === 0 ? slip : '')).join(',');
  return lines.join('\n');
}
