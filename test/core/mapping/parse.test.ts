// One test per diagnostic code of docs/mapping-format.md and per upstream edge case (named `edge: …`; crash → error,
// silent → warning), plus exact decoding semantics (weights, anchors, slots).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRule, parseMappingDocument, parseMappingText, canonicalRuleText } from '../../../src/core/mapping/parse';

const BASE = `molecule: XXX
atoms:
  N:  BB P2AA
  CA: BB P1A
  C:  BB P2AB
  O:  BB P3BA
`;

const parse = (t: string) => parseMappingDocument(t, 'x.yaml');
const codesOf = (t: string) => parse(t).diagnostics.map((d) => d.code);
const diagsOf = (t: string, code: string) => parse(t).diagnostics.filter((d) => d.code === code);
const withAtoms = (...lines: string[]) => `molecule: XXX\natoms:\n${lines.map((l) => `  ${l}\n`).join('')}`;

function expectCode(t: string, code: string, severity: 'error' | 'warning' | 'information', token?: string) {
  const ds = diagsOf(t, code);
  assert.ok(ds.length > 0, `expected ${code} in:\n${t}\n got ${JSON.stringify(parse(t).diagnostics.map((d) => d.code))}`);
  for (const d of ds) assert.equal(d.severity, severity, `${code} severity`);
  if (token !== undefined) assert.ok(ds.some((d) => t.slice(d.span.start, d.span.end) === token), `${code} range: got ${ds.map((d) => JSON.stringify(t.slice(d.span.start, d.span.end))).join(', ')}, want ${token}`);
  return ds;
}

test('base file: no diagnostics, decoded exactly', () => {
  const p = parse(BASE);
  assert.deepEqual(p.diagnostics, []);
  const m = parseMappingText(BASE, 'x.yaml').molecule!;
  assert.equal(m.name, 'XXX');
  assert.equal(m.beads.length, 1);
  const bb = m.beads[0];
  assert.equal(bb.idname, 'XXX_BB');
  assert.deepEqual(bb.members, [0, 1, 2, 3]);
  // Slots in YAML order: N (P2AA), CA (P1A root), C (P2AB), O (P3BA → anchor C).
  assert.deepEqual(bb.slots.map((s) => [m.atoms[s.atom].names[0], s.level, s.local, s.anchor, s.resolved]), [
    ['N', 2, 1, 1, true], ['CA', 1, 0, 1, true], ['C', 2, 2, 1, true], ['O', 3, 3, 2, true],
  ]);
  assert.equal(bb.maxLevel, 3);
  // Mass weights: N 14.007, CA/C 12.011, O 15.999.
  const tot = 14.007 + 12.011 * 2 + 15.999;
  bb.weights.forEach((w, i) => assert.ok(Math.abs(w - [14.007, 12.011, 12.011, 15.999][i] / tot) < 1e-9));
  const rs = bb.slots.reduce((s, x) => s + x.recenterWeight, 0);
  assert.ok(Math.abs(rs - 1) < 1e-12);
});

test('RULE decoding: unanchored search, first letter anchor, last letter ID', () => {
  assert.deepEqual(pick(decodeRule('P1A')), [1, 'A', 'A']);
  assert.deepEqual(pick(decodeRule('P2BA')), [2, 'B', 'A']);
  assert.deepEqual(pick(decodeRule('P3ABC')), [3, 'A', 'C']);
  assert.deepEqual(pick(decodeRule('P12AB')), [12, 'A', 'B']);
  assert.deepEqual(pick(decodeRule('P2BAc')), [2, 'B', 'A']);
  assert.deepEqual(pick(decodeRule('P1B1')), [1, 'A', 'B']);
  assert.deepEqual(pick(decodeRule('xxP3BB1')), [3, 'B', 'B']);
  assert.equal(decodeRule('p2aa'), null);
  assert.equal(decodeRule('PA2D'), null);
  assert.equal(canonicalRuleText('P2BAc'), 'P2BA');
  assert.equal(canonicalRuleText('P1B1'), 'P1B');
  assert.equal(canonicalRuleText('P3ABC'), 'P3AC');
  function pick(r: ReturnType<typeof decodeRule>) { return r && [r.level, r.anchor, r.id]; }
});

// ---- errors (crash in HEroBM/CGmap) ----
test('E1 molecule missing / number / underscore', () => {
  expectCode(`atoms:\n  CA: BB P1A\n`, 'E1', 'error');
  expectCode(BASE.replace('XXX', '123'), 'E1', 'error', '123');
  expectCode(BASE.replace('XXX', 'X_X'), 'E1', 'error', 'X_X');
  expectCode(BASE.replace('XXX', 'yes'), 'E1', 'error', 'yes');
  expectCode(`- a\n- b\n`, 'E1', 'error');
  assert.equal(parseMappingText(BASE.replace('XXX', '123'), 'x').molecule, null);
});

test('E2 YAML 1.1 booleans/nulls/ints as keys or values, empty value, atoms not a mapping', () => {
  const d = expectCode(withAtoms('ON: BB P2AA', 'CA: BB P1A'), 'E2', 'error', 'ON');
  assert.match(d[0].message, /bool/);
  assert.ok(d[0].fixes?.[0].edits[0].newText === '"ON"');
  expectCode(withAtoms('CA: BB P1A', 'yes: BB'), 'E2', 'error', 'yes');
  expectCode(withAtoms('CA: BB P1A', 'N:'), 'E2', 'error', 'N');
  expectCode(withAtoms('CA: BB P1A', '1: BB'), 'E2', 'error', '1');
  expectCode(withAtoms('CA: BB P1A', 'N: 12'), 'E2', 'error', '12');
  expectCode(withAtoms('CA: BB P1A', 'N: ~'), 'E2', 'error');
  expectCode(withAtoms('CA: BB P1A', 'N: ""'), 'E2', 'error');
  expectCode(`molecule: XXX\natoms:\n  - CA\n`, 'E2', 'error');
  expectCode(`molecule: XXX\n`, 'E2', 'error');
  // `N`, `Y`, `n` are strings for PyYAML (unlike the yaml package's own 1.1 schema).
  assert.deepEqual(codesOf(withAtoms('CA: BB P1A', 'N: BB P2AA', 'Y: BB P2AB')), []);
  // Quoted boolean-like keys are fine.
  assert.deepEqual(codesOf(withAtoms('CA: BB P1A', '"ON": BB P2AA')), []);
});

test('E3 field with fewer comma parts than beads (edge: fewer-fields)', () => {
  const t = withAtoms('CA: BB P1A', 'CB: SC1 P1A', 'CZ: SC2,SC3 P2BA 1/2,1/2', 'CE: SC2,SC3 P1A,P1A');
  expectCode(t, 'E3', 'error', 'P2BA');
});

test('E4 element from first upper-case letter: MG, ZN, lower case crash', () => {
  expectCode(withAtoms('MG: ION P1A'), 'E4', 'error', 'MG');
  expectCode(withAtoms('ZN: ION P1A'), 'E4', 'error', 'ZN');
  expectCode(withAtoms('ca: BB P1A'), 'E4', 'error', 'ca');
  // Only the FIRST alternative matters.
  assert.ok(!codesOf(withAtoms('CA,mg: BB P1A')).includes('E4'));
});

test('X3 wrong element mass is reported (CL weighs as carbon)', () => {
  const t = withAtoms('C1: L P1A', 'CL: L P2AA');
  expectCode(t, 'X3', 'warning', 'CL');
  const m = parse(t).molecule!;
  assert.equal(m.atoms[1].element, 'C');
  assert.equal(m.atoms[1].mass, 12.011);
});

test('E5 underscore in atom or bead names (edges: underscore-atom, underscore-bead)', () => {
  expectCode(withAtoms('C_1: BB P1A'), 'E5', 'error', 'C_1');
  expectCode(withAtoms('CA: B_B P1A'), 'E5', 'error', 'B_B');
});

test('E6 bead listed twice in one entry (edge: dup-bead-in-entry)', () => {
  expectCode(withAtoms('CA: BB,BB P1A,P1B'), 'E6', 'error');
});

test('E7 fraction denominator 0 (edge: div0)', () => {
  expectCode(withAtoms('CA: BB P1A', 'CB: BB,SC1 P2AA,P1A 1/0,1/1'), 'E7', 'error', '1/0');
});

test('E10 bead without any rule while the file uses rules (edge: no-rule-bead)', () => {
  expectCode(withAtoms('CA: BB P1A', 'CB: SC1'), 'E10', 'error', 'SC1');
  // A file without any rule is a CGmap-only mapping: information, not an error.
  const t = withAtoms('CA: BB', 'CB: SC1');
  assert.ok(!codesOf(t).includes('E10'));
  expectCode(t, 'X6', 'information');
});

test('X5 bead whose only rules are on hydrogens (edge: ign-H-onlyH)', () => {
  expectCode(withAtoms('CA: BB P1A', 'HB: SC1 P1A'), 'X5', 'warning', 'SC1');
});

// ---- warnings (silent mis-mapping) ----
test('W1 missing anchor (edges: anchor-missing, P0B root, level1-ids-BC-only)', () => {
  const t = withAtoms('CA: BB P1A', 'N: BB P2AA', 'C: BB P2AB', 'O: BB P3CA');
  expectCode(t, 'W1', 'warning', 'P3CA');
  const o = parse(t).molecule!.beads[0].slots[3];
  assert.equal(o.resolved, false);
  assert.equal(o.anchor, 3, 'self-anchored');
  expectCode(withAtoms('CA: BB P0B', 'N: BB P1A'), 'W1', 'warning', 'P1A');
  const bc = withAtoms('CA: BB P1B', 'CB: BB P1C');
  expectCode(bc, 'W1', 'warning');
  assert.ok(parse(bc).molecule!.beads[0].slots.every((s) => !s.resolved));
});

test('W2 duplicate (level, ID) in a bead (edge: dup-id)', () => {
  const t = withAtoms('CA: BB P1A', 'N: BB P2AA', 'C: BB P2AA', 'O: BB P3AA');
  expectCode(t, 'W2', 'warning');
  expectCode(t, 'W1', 'warning', 'P3AA'); // its anchor (level 2 A) is ambiguous → self
  const slots = parse(t).molecule!.beads[0].slots;
  assert.equal(slots[3].anchor, 3);
});

test('W3 non-contiguous levels (edge: level-gap)', () => {
  const t = withAtoms('CA: BB P1A', 'N: BB P3AA');
  expectCode(t, 'W3', 'warning', 'P3AA');
  expectCode(withAtoms('CA: BB P2A'), 'W3', 'warning');
});

test('W4 level above R (edge: high-level)', () => {
  const t = withAtoms('CA: BB P1A', 'N: BB P12AA');
  expectCode(t, 'W4', 'warning', 'P12AA');
  const s = parse(t).molecule!.beads[0].slots[1];
  assert.equal(s.placed, false);
  // high-level-ok: level ≤ R.
  assert.ok(!codesOf(withAtoms('CA: BB P1A', 'N: BB P2AA', 'C: BB P2AB')).includes('W4'));
});

test('W5 two level-0 atoms (edge: two-level0) and anchor on level 0', () => {
  expectCode(withAtoms('CA: BB P0A', 'CB: BB P0B', 'N: BB P1AA'), 'W5', 'warning', 'P0B');
  expectCode(withAtoms('CA: BB P0AB', 'N: BB P1BA'), 'W5', 'warning', 'P0AB');
});

test('W6 multi-letter rules (edge: multi-letter)', () => {
  expectCode(withAtoms('CA: BB P1A', 'N: BB P2AA', 'O: BB P3ABA'), 'W6', 'warning', 'P3ABA');
});

test('W7 non-canonical and dropped rules (edge: lowercase-rule)', () => {
  expectCode(withAtoms('CA: BB P1A', 'N: BB p2aa'), 'W7', 'warning', 'p2aa');
  const junk = withAtoms('CA: BB P1A', 'N: BB P2AAc');
  const d = expectCode(junk, 'W7', 'warning', 'P2AAc');
  assert.equal(d[0].fixes?.[0].edits[0].newText, 'P2AA');
  expectCode(withAtoms('CA: BB P1A', 'N: BB PA2D'), 'W7', 'warning', 'PA2D');
  expectCode(withAtoms('CA: BB P01A'), 'W7', 'warning', 'P01A');
  // a dropped rule means the atom is not reconstructed
  assert.equal(parse(withAtoms('CA: BB P1A', 'N: BB p2aa')).molecule!.beads[0].slots.length, 1);
});

test('W8 unknown tokens, lower-case flags, surplus comma parts (edge: unknown-token)', () => {
  expectCode(withAtoms('CA: BB P1A foo'), 'W8', 'warning', 'foo');
  expectCode(withAtoms('CA: BB P1A cm'), 'W8', 'warning', 'cm');
  expectCode(withAtoms('CA: BB P1A,P2A'), 'W8', 'warning', 'P2A');
});

test('W9 decimals without leading digit and multi-digit fractions (edge: weights-dot5)', () => {
  const t = withAtoms('CA: BB P1A', 'N: BB P2AA .5', 'C: BB P2AB 1/2', 'O: BB P3BA !');
  expectCode(t, 'W9', 'warning', '.5');
  const bb = parse(t).molecule!.beads[0];
  // edge_cases.txt: CA 0.136, N 0.795, C 0.068, O 0.
  const w = Object.fromEntries(bb.members.map((a, i) => [parse(t).molecule!.atoms[a].names[0], bb.weights[i]]));
  assert.ok(Math.abs(w.CA - 0.136) < 1e-3 && Math.abs(w.N - 0.795) < 1e-3 && Math.abs(w.C - 0.068) < 1e-3 && w.O === 0, JSON.stringify(w));
  const f = withAtoms('CA: BB P1A', 'CB: BB,SC1 P2AA,P1A 10/20,1/2');
  expectCode(f, 'W9', 'warning', '10/20');
  const cb = parse(f).molecule!.atoms[1].membership[0];
  assert.equal(cb.relWeight, 0); // first match 0/2
});

test('W10 shared atom weights not summing to 1 (information)', () => {
  expectCode(withAtoms('CA: BB P1A', 'CB: BB,SC1 P2AA,P1A 1/2,1/3'), 'W10', 'information');
  assert.ok(!codesOf(withAtoms('CA: BB P1A', 'CB: BB,SC1 P2AA,P1A 1/3,2/3')).includes('W10'));
});

test('W11 CM atom without a rule (edge: CM-no-rule) → NaN recentring weights', () => {
  const t = withAtoms('CA: BB CM', 'N: BB P1A', 'C: BB P2AA');
  expectCode(t, 'W11', 'warning', 'CA');
  assert.ok(parse(t).molecule!.beads[0].slots.every((s) => Number.isNaN(s.recenterWeight)));
});

test('W12 all atoms excluded (edge: all-excluded) and all reconstructed excluded (edge: recon-all-excl)', () => {
  const all = withAtoms('CA: BB P1A !', 'N: BB P2AA !');
  expectCode(all, 'W12', 'warning', 'BB');
  assert.ok(parse(all).molecule!.beads[0].weights.every(Number.isNaN));
  const rec = withAtoms('CA: BB P1A !', 'N: BB P2AA !', 'HA: BB');
  expectCode(rec, 'W12', 'warning');
  assert.ok(parse(rec).molecule!.beads[0].slots.every((s) => Number.isNaN(s.recenterWeight)));
});

test('W13 several CM atoms / CM ≠ level-0 atom (information); CM weights (edge: weights-CM)', () => {
  const t = withAtoms('CA: BB P1A CM', 'N: BB P2AA', 'C: BB P2AB CM', 'O: BB P3BA CM !');
  expectCode(t, 'W13', 'information');
  const m = parse(t).molecule!;
  // edge_cases.txt weights-CM: CA .333, N 0, C .333, O .333 (CM overrides mass and '!').
  assert.deepEqual(m.beads[0].weights.map((w) => +w.toFixed(3)), [0.333, 0, 0.333, 0.333]);
  expectCode(withAtoms('CA: BB P1A CM', 'CB: BB P0A'), 'W13', 'information', 'CA');
});

test('W14 atom contributing to CM without a rule (information)', () => {
  const d = expectCode(withAtoms('CA: BB P1A', 'H,HN: BB'), 'W14', 'information', 'H,HN');
  assert.equal(d[0].fixes?.[0].edits[0].newText, ' !');
});

test('W15 duplicate keys: last value wins at the first position (edge: dup-key)', () => {
  const t = withAtoms('N: BB P2AA', 'CA: BB P1A', 'N: BB P2AB');
  expectCode(t, 'W15', 'warning', 'N');
  const m = parse(t).molecule!;
  assert.deepEqual(m.atoms.map((a) => a.names[0]), ['N', 'CA']);
  assert.equal(m.atoms[0].membership[0].rule!.id, 'B');
});

test('W16 whitespace inside comma lists (edge: space-alt)', () => {
  const t = `molecule: XXX\natoms:\n  CA: BB P1A\n  'H, HN': BB\n`;
  expectCode(t, 'W16', 'warning', ' HN');
  assert.deepEqual(parse(t).molecule!.atoms[1].names, ['H', ' HN']);
  expectCode(withAtoms('CA: BB, SC1 P1A,P1A'), 'W16', 'warning');
});

test('X2 leading-digit atom name never matches', () => {
  expectCode(withAtoms('CA: BB P1A', 'CB: BB P2AA', '1HB: BB'), 'X2', 'warning', '1HB');
});

test('X4 extra top-level key ignored (edge: extra-topkey)', () => {
  expectCode(`options: 1\n${BASE}`, 'X4', 'information', 'options');
});

test('X7 empty bead name from a stray comma', () => {
  expectCode(withAtoms('CA: BB, P1A,'), 'X7', 'warning');
});

test('X1 YAML syntax error is an error, never a throw', () => {
  expectCode('molecule: [\natoms: {\n', 'X1', 'error');
});

test('quoted keys and values keep exact token ranges (rna.cm style)', () => {
  const t = `molecule: A\natoms:\n  "O5'" : "A P6BC"\n  "P" : "A P1A" #c\n`;
  const p = parse(t);
  const e = p.entries[0];
  assert.equal(t.slice(e.names[0].start, e.names[0].end), "O5'");
  assert.equal(t.slice(e.fields[0].token.start, e.fields[0].token.end), 'P6BC');
});

test('fields in any order; later setting of the same kind overwrites', () => {
  const a = parse(withAtoms('CA: BB,SC1 P1A,P1A', 'CB: SC1,BB P2AA,P2AA 3/4,1/4')).molecule!;
  const b = parse(withAtoms('CA: BB,SC1 P1A,P1A', 'CB: SC1,BB 3/4,1/4 P2AA,P2AA')).molecule!;
  assert.deepEqual(a.atoms[1].membership, b.atoms[1].membership);
  const c = parse(withAtoms('CA: BB P1A 2 3')).molecule!;
  assert.equal(c.atoms[0].membership[0].relWeight, 3);
});

test('shared atom in a second bead: anchors resolved inside each bead only', () => {
  const t = withAtoms('CA: BB P1A', 'CB: SC1 P1A', 'CG: SC1,SC2 P2AA,P1A 1/2,1/2', 'CD: SC2 P2AA');
  const m = parse(t).molecule!;
  const sc1 = m.beads[m.beadIndex.get('SC1')!];
  const sc2 = m.beads[m.beadIndex.get('SC2')!];
  assert.equal(m.atoms[sc1.slots[1].atom].names[0], 'CG');
  assert.equal(m.atoms[sc1.slots[sc1.slots[1].anchor].atom].names[0], 'CB');
  assert.equal(m.atoms[sc2.slots[1].atom].names[0], 'CD');
  assert.equal(m.atoms[sc2.slots[sc2.slots[1].anchor].atom].names[0], 'CG');
  assert.deepEqual(m.beads.map((b) => b.name), ['BB', 'SC1', 'SC2']);
});

test('paper style level 0 root: offsets count level 0', () => {
  const m = parse(withAtoms('CA: BB P0A CM', 'N: BB P1AA', 'C: BB P1AB', 'O: BB P2BA')).molecule!;
  const s = m.beads[0].slots;
  assert.deepEqual(s.map((x) => x.local), [0, 1, 2, 3]);
  assert.deepEqual(s.map((x) => x.anchor), [0, 0, 0, 2]);
  assert.ok(s.every((x) => x.resolved));
  // CM: CA only
  assert.deepEqual(m.beads[0].weights, [1, 0, 0, 0]);
  assert.deepEqual(s.map((x) => x.recenterWeight), [1, 0, 0, 0]);
});

test('run-time options: weigth_based_on same (edge: weights-same) and ignore_hydrogens (edges: ign-H, ign-H-onlyH)', () => {
  const t = withAtoms('CA: BB P1A', 'N: BB P2AA', 'H: BB 1/2');
  const m = parseMappingDocument(t, 'x', { weightBasedOn: 'same' }).molecule!;
  // edge_cases.txt: weights CA .4, N .4, H .2; recon weights [.5 .5]
  assert.deepEqual(m.beads[0].weights.map((w) => +w.toFixed(3)), [0.4, 0.4, 0.2]);
  assert.deepEqual(m.beads[0].slots.map((s) => s.recenterWeight), [0.5, 0.5]);
  const h = withAtoms('CA: BB P1A', 'HA: BB P2AA');
  const ign = parseMappingDocument(h, 'x', { ignoreHydrogens: true }).molecule!;
  assert.deepEqual(ign.beads[0].slots.map((s) => s.atom), [0]); // recon [[0]]
  const onlyH = withAtoms('CA: BB P1A', 'HB: SC1 P1A');
  assert.ok(parseMappingDocument(onlyH, 'x', { ignoreHydrogens: true }).diagnostics.some((d) => d.code === 'E10' && d.severity === 'error'));
});
