import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  finiteOrNull,
  isExtensionToWebview,
  isLayerData,
  isWebviewToExtension,
  residueKeyString,
  rigidToMat4,
  type ExtensionToWebview,
  type WebviewToExtension,
} from '../../src/shared/webview-protocol';

const row = { chainId: 'A', resSeq: 5, iCode: '', resName: 'ALA', rmsd: 0.8, rmsd_bb: 0.3, rmsd_sc: null };
const tors = { chainId: 'A', resSeq: 5, iCode: '', resName: 'ALA', phi: -60, psi: -45, omega: 180, chi1: null, chi2: null };
const identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

const goodToWebview: ExtensionToWebview[] = [
  {
    type: 'load',
    title: 'a vs b',
    layers: { backmapped: { format: 'pdb', data: 'ATOM' }, reference: { format: 'cif', uri: 'https://file+.vscode-resource.vscode-cdn.net/x.cif', models: 1, atoms: 10 } },
    perResidue: [row],
    torsions: { backmapped: [tors], reference: [tors] },
    summary: { rmsd_bb: 0.4, rmsd_sc: null, rmsd_all: 1, matched: 1 },
    superposition: { layer: 'reference', matrix: identity, rmsd: 0.2, matched: 4 },
    frames: { count: 3, current: 2, labels: ['0 ps', '10 ps', '20 ps'] },
    source: { backmapped: '/tmp/a.pdb' },
  },
  { type: 'load', title: '', layers: { cg: { format: 'pdb', data: new Uint8Array([65, 84]) } }, perResidue: [], torsions: {} },
  { type: 'frame', index: 1, layers: { backmapped: { format: 'pdb', data: 'x' } }, perResidue: [row] },
  { type: 'highlightResidues', residues: [{ chainId: '', resSeq: -3, iCode: 'A' }], focus: false },
  { type: 'setFrame', index: 0 },
  { type: 'setLayerVisible', layer: 'cg', visible: false },
  { type: 'superpose', transform: null, message: 'no common Cα' },
  { type: 'superpose', transform: { layer: 'reference', matrix: identity } },
];

test('valid extension→webview messages pass', () => {
  for (const m of goodToWebview) assert.ok(isExtensionToWebview(m), JSON.stringify(m).slice(0, 120));
  // JSON round trip (what VS Code does) keeps them valid, string data included.
  for (const m of goodToWebview.filter((x) => !(x.type === 'load' && x.layers.cg))) assert.ok(isExtensionToWebview(JSON.parse(JSON.stringify(m))));
});

test('malformed extension→webview messages are rejected', () => {
  const load = goodToWebview[0] as Extract<ExtensionToWebview, { type: 'load' }>;
  const bad: unknown[] = [
    null,
    'load',
    [],
    {},
    { type: 'nope' },
    { ...load, title: 3 },
    { ...load, layers: { extra: { format: 'pdb', data: 'x' } } },
    { ...load, layers: { cg: { format: 'xyz', data: 'x' } } },
    { ...load, layers: { cg: { format: 'pdb' } } }, // no data, no uri
    { ...load, layers: { cg: { format: 'pdb', data: 'x', uri: 'u' } } }, // both
    { ...load, layers: { cg: { format: 'pdb', data: 'x', models: 0 } } },
    { ...load, perResidue: [{ ...row, rmsd: NaN }] }, // NaN does not survive JSON: must be null
    { ...load, perResidue: [{ ...row, resSeq: 1.5 }] },
    { ...load, torsions: { backmapped: [{ ...tors, phi: '60' }] } },
    { ...load, superposition: { layer: 'reference', matrix: identity.slice(0, 12) } },
    { ...load, superposition: { layer: 'model', matrix: identity } },
    { ...load, frames: { count: 0 } },
    { ...load, frames: { count: 2, current: 2 } },
    { ...load, source: { backmapped: 4 } },
    { type: 'frame', index: -1, layers: {} },
    { type: 'highlightResidues', residues: [{ chainId: 'A', resSeq: 1 }] },
    { type: 'setFrame', index: 1.2 },
    { type: 'setLayerVisible', layer: 'cg', visible: 'yes' },
    { type: 'superpose' },
  ];
  for (const m of bad) assert.equal(isExtensionToWebview(m), false, JSON.stringify(m)?.slice(0, 160));
});

test('webview→extension messages are validated', () => {
  const good: WebviewToExtension[] = [
    { type: 'ready' },
    { type: 'revealResidue', residue: { chainId: 'A', resSeq: 12, iCode: '' }, layer: 'backmapped' },
    { type: 'requestSuperpose', frame: 0 },
    { type: 'requestFrame', index: 3 },
    { type: 'error', message: 'boom', detail: 'stack' },
    { type: 'rendered', ms: 812.5, atoms: 100000, layers: ['cg', 'reference'], frame: 0 },
  ];
  for (const m of good) assert.ok(isWebviewToExtension(m), m.type);
  const bad: unknown[] = [
    undefined,
    { type: 'ready', extra: 1 }.type, // a bare string
    { type: 'revealResidue', residue: { chainId: 'A', resSeq: 12, iCode: '' } },
    { type: 'revealResidue', residue: { chainId: 'A', resSeq: '12', iCode: '' }, layer: 'backmapped' },
    { type: 'requestSuperpose' },
    { type: 'requestFrame', index: -2 },
    { type: 'error' },
    { type: 'rendered', ms: Infinity, atoms: 1, layers: [], frame: 0 },
    { type: 'rendered', ms: 1, atoms: 1, layers: ['model'], frame: 0 },
    { type: 'load' },
  ];
  for (const m of bad) assert.equal(isWebviewToExtension(m), false, JSON.stringify(m));
  // The directions do not mix.
  assert.equal(isWebviewToExtension(goodToWebview[4]), false);
  assert.equal(isExtensionToWebview({ type: 'ready' }), false);
});

test('layer data needs exactly one source', () => {
  assert.ok(isLayerData({ format: 'pdb', uri: 'vscode-resource:/x.pdb' }));
  assert.equal(isLayerData({ format: 'pdb', uri: '' }), false);
  assert.equal(isLayerData({ format: 'pdb', data: 42 }), false);
});

test('helpers', () => {
  assert.equal(residueKeyString({ chainId: 'B', resSeq: -2, iCode: 'A' }), 'B|-2|A');
  assert.equal(finiteOrNull(NaN), null);
  assert.equal(finiteOrNull(Infinity), null);
  assert.equal(finiteOrNull(-1.5), -1.5);
  // Row-major R, t → column-major 4x4: M·[x,y,z,1] must equal R·x + t.
  const R = [0, -1, 0, 1, 0, 0, 0, 0, 1];
  const t = [1, 2, 3];
  const M = rigidToMat4(R, t);
  const x = [2, 5, 7];
  const viaM = [0, 1, 2].map((i) => M[i] * x[0] + M[4 + i] * x[1] + M[8 + i] * x[2] + M[12 + i]);
  const viaR = [0, 1, 2].map((i) => R[3 * i] * x[0] + R[3 * i + 1] * x[1] + R[3 * i + 2] * x[2] + t[i]);
  assert.deepEqual(viaM, viaR);
});

test('issue 26 messages: coordinate frames, loading and notices, sequence, the RMSD definition, requestReference', () => {
  const load = goodToWebview[0] as Extract<ExtensionToWebview, { type: 'load' }>;
  const good: ExtensionToWebview[] = [
    { ...load, frames: { count: 89, current: 0, coordinates: true, labels: ['0 ps'] }, sequence: [{ chainId: 'A', resSeq: 1, iCode: '', resName: 'MET' }], canAddReference: true, summary: { rmsd_bb: 0.1, rmsd_sc: 0.6, rmsd_all: 0.5, matched: 600, definition: 'no superposition' } },
    { type: 'frame', index: 3, layers: {}, coordinates: { cg: new Float32Array(6), backmapped: [1, 2, 3] }, label: '30 ps' },
    { type: 'loading', message: 'Loading…' },
    { type: 'notice', message: 'No topology chosen' },
  ];
  for (const m of good) assert.ok(isExtensionToWebview(m), m.type);
  const bad: unknown[] = [
    { type: 'frame', index: 3, layers: {}, coordinates: { cg: [1, 2] } }, // not x,y,z triples
    { type: 'frame', index: 3, layers: {}, coordinates: { model: [1, 2, 3] } },
    { type: 'frame', index: 3, layers: {}, coordinates: { cg: [1, 2, NaN] } },
    { type: 'frame', index: 3, layers: {}, label: 3 },
    { ...load, frames: { count: 3, coordinates: 'yes' } },
    { ...load, sequence: [{ chainId: 'A', resSeq: 1, iCode: '' }] },
    { ...load, summary: { rmsd_bb: 0.1, rmsd_sc: 0.6, rmsd_all: 0.5, matched: 600, definition: 1 } },
    { type: 'loading' },
    { type: 'notice', message: null },
  ];
  for (const m of bad) assert.equal(isExtensionToWebview(m), false, JSON.stringify(m));
  assert.ok(isWebviewToExtension({ type: 'requestReference' }));
});
