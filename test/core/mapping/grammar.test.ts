// The TextMate grammar tokenises mapping files as VS Code will (vscode-textmate + Oniguruma, the editor's engine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import { INITIAL, Registry, parseRawGrammar, type IGrammar } from 'vscode-textmate';

const ROOT = join(__dirname, '..', '..', '..');
const GRAMMAR = join(ROOT, 'syntaxes', 'backmap-mapping.tmLanguage.json');

async function loadGrammar(): Promise<IGrammar> {
  const wasm = readFileSync(join(ROOT, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  const registry = new Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p), createOnigString: (s: string) => new oniguruma.OnigString(s) }),
    loadGrammar: async (scope) => (scope === 'source.backmap-mapping' ? parseRawGrammar(readFileSync(GRAMMAR, 'utf8'), GRAMMAR) : null),
  });
  return (await registry.loadGrammar('source.backmap-mapping'))!;
}

function tokens(g: IGrammar, text: string): { text: string; scope: string }[] {
  let state = INITIAL;
  const out: { text: string; scope: string }[] = [];
  for (const line of text.split('\n')) {
    const r = g.tokenizeLine(line, state);
    for (const t of r.tokens) out.push({ text: line.slice(t.startIndex, t.endIndex), scope: t.scopes[t.scopes.length - 1] });
    state = r.ruleStack;
  }
  return out;
}

test('grammar: molecule, atom names, beads, rules, CM, !, weights, comments', async () => {
  const g = await loadGrammar();
  const t = tokens(g, 'molecule: PHE\natoms:\n  CD1,CX:  SC1,SC2  P2AB,P2AA  1/3,2/3 CM ! 0.5 # ring\n  "O5\'" : "A P6BC"\n  N: BB p2aa foo\n');
  const scopeOf = (text: string, nth = 0) => t.filter((x) => x.text === text)[nth]?.scope;
  assert.equal(t[0].scope.split('.')[0] + scopeOf('molecule'), 'keyword' + 'keyword.other.molecule.backmap-mapping');
  assert.equal(scopeOf('PHE'), 'entity.name.type.molecule.backmap-mapping');
  assert.equal(scopeOf('CD1'), 'variable.other.atom.backmap-mapping');
  assert.equal(scopeOf('CX'), 'variable.other.atom.backmap-mapping');
  assert.equal(scopeOf('SC1'), 'entity.name.class.bead.backmap-mapping');
  assert.equal(scopeOf('SC2'), 'entity.name.class.bead.backmap-mapping');
  assert.equal(scopeOf('P2AB'), 'keyword.other.rule.backmap-mapping');
  assert.equal(scopeOf('1/3'), 'constant.numeric.weight.fraction.backmap-mapping');
  assert.equal(scopeOf('0.5'), 'constant.numeric.weight.decimal.backmap-mapping');
  assert.equal(scopeOf('CM'), 'constant.language.cm.backmap-mapping');
  assert.equal(scopeOf('!'), 'keyword.operator.exclude.backmap-mapping');
  assert.ok(t.some((x) => x.text.includes('ring') && x.scope.startsWith('comment.line')));
  assert.equal(scopeOf("O5'"), 'variable.other.atom.backmap-mapping');
  assert.equal(scopeOf('A'), 'entity.name.class.bead.backmap-mapping');
  assert.equal(scopeOf('P6BC'), 'keyword.other.rule.backmap-mapping');
  assert.equal(scopeOf('p2aa'), 'invalid.deprecated.rule.backmap-mapping');
  assert.equal(scopeOf('foo'), 'invalid.deprecated.unknown-token.backmap-mapping');
});
