import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePdb, formatPdb } from '../../../src/core/structure/pdb';
import type { Structure } from '../../../src/core/structure/types';
import { angle, dihedral, distance } from '../../../src/core/geometry/dihedral';
import { getAt, type Vec3 } from '../../../src/core/geometry/vec';
import { placeAtom } from '../../../src/core/geometry/nerf';
import { addHydrogens } from '../../../src/core/hydrogens';
import { hydrogenCount, hydrogenGroups, N_TERMINAL, N_TERMINAL_PRO, type HydrogenGroup, type ProtonationState } from '../../../src/core/chemistry/hydrogens';
import { loadMappingSet } from '../../../src/core/mapping/load';
import { mapToCg } from '../../../src/core/forward';
import { backmapStructure } from '../../../src/core/pipeline';
import { DEMO, RTP_H_COUNT, byResidue } from './helpers';

test('hydrogen table: counts per residue and state equal the CHARMM topology (.rtp)', () => {
  for (const [state, n] of Object.entries(RTP_H_COUNT)) assert.equal(hydrogenCount(state as ProtonationState), n, state);
  assert.equal(hydrogenCount('CYX'), 4);
  // every hydrogen name once per state
  for (const state of Object.keys(RTP_H_COUNT) as ProtonationState[]) {
    const names = hydrogenGroups(state).flatMap((g) => g.names);
    assert.equal(new Set(names).size, names.length, state);
  }
});

/**
 * Checks every hydrogen of a CHARMM-named protonated structure against the table it was built from: bond length,
 * the H–X–Y angle to each atom it was built from, planarity of sp2 hydrogens and the CHARMM hand of methylene pairs.
 */
function checkGeometry(s: Structure, bondTol: number, angleTol: number): { checked: number; worstBond: number; worstAngle: number; turned: string[] } {
  const residues = byResidue(s);
  let checked = 0, worstBond = 0, worstAngle = 0;
  const turned: string[] = [];
  residues.forEach((r, k) => {
    const state = r.resName === 'CYS' && !r.atoms.has('HG1') ? 'CYX' : (r.resName as ProtonationState);
    const nTerm = r.atoms.has('HT1');
    let groups: readonly HydrogenGroup[] = hydrogenGroups(state);
    if (nTerm) groups = state === 'PRO' ? [N_TERMINAL_PRO, ...groups] : [N_TERMINAL, ...groups.slice(1)];
    const prevC = k > 0 ? residues[k - 1].atoms.get('C') : undefined;
    const at = (n: string): Vec3 => {
      const i = n === '-C' ? prevC : r.atoms.get(n === 'CD1' && state === 'ILE' ? 'CD' : n);
      assert.ok(i !== undefined, `${r.resName}${r.resSeq}: ${n} missing`);
      return getAt(s.coords, i);
    };
    for (const g of groups) {
      const on = at(g.on);
      const hs = g.names.map((h) => at(h));
      hs.forEach((h, m) => {
        const dB = Math.abs(distance(on, h) - g.bond);
        worstBond = Math.max(worstBond, dB);
        assert.ok(dB <= bondTol, `${r.resName}${r.resSeq} ${g.names[m]}: bond ${distance(on, h).toFixed(3)} vs ${g.bond}`);
        const refs = g.geometry === 'rotor' || (g.geometry === 'planar' && g.names.length === 2) ? [g.from[0]] : g.from;
        for (const f of refs) {
          const dA = Math.abs(angle(h, on, at(f)) - g.angle);
          worstAngle = Math.max(worstAngle, dA);
          assert.ok(dA <= angleTol, `${r.resName}${r.resSeq} ${g.names[m]}-${g.on}-${f}: ${angle(h, on, at(f)).toFixed(1)}° vs ${g.angle}°`);
        }
        if (g.geometry === 'planar') {
          // in the plane of the carrier and its neighbours
          const [a, b] = g.names.length === 2 ? [at(g.from[0]), at(g.from[1])] : [at(g.from[0]), at(g.from[1])];
          const t = Math.abs(dihedral(h, on, a, b));
          assert.ok(Math.min(t, 180 - t) <= angleTol, `${r.resName}${r.resSeq} ${g.names[m]} out of plane by ${Math.min(t, 180 - t).toFixed(1)}°`);
        }
        checked++;
      });
      if (g.geometry === 'tetrahedral' && g.names.length === 2) {
        assert.ok(Math.abs(angle(hs[0], on, hs[1]) - 109.5) <= angleTol, `${r.resName}${r.resSeq} ${g.names.join('-')}`);
        // CHARMM hand: names[0] at +120° from from[1] about from[0]→on
        const rel = dihedral(at(g.from[1]), at(g.from[0]), on, hs[0]);
        assert.ok(Math.abs(rel - 120) <= 10, `${r.resName}${r.resSeq} ${g.names[0]} at ${rel.toFixed(0)}° from ${g.from[1]}`);
      }
      if (g.geometry === 'rotor' && g.names.length === 3) {
        // staggered (every hydrogen at 60° + k·120° from the reference atom), or turned by one of the placement's
        // steps (±20°, ±40°, 60°) where staggered touched another atom
        const t = hs.map((h) => dihedral(at(g.from[1]), at(g.from[0]), on, h));
        const mod120 = (x: number) => Math.abs((((x % 120) + 180) % 120) - 60); // distance to the nearest multiple of 120°
        assert.ok(t.every((x) => mod120(x - t[0]) < 0.5), `${r.resName}${r.resSeq} ${g.names.join('/')}: not 120° apart`);
        const off = [0, 20, -20, 40, -40, 60].find((o) => mod120(t[0] - 60 - o) < 2);
        assert.ok(off !== undefined, `${r.resName}${r.resSeq} ${g.names.join('/')}: ${t[0].toFixed(0)}° is neither staggered nor a placement step`);
        if (off !== 0) {
          turned.push(`${r.resName}${r.resSeq} ${g.names.join('/')}`);
          // only where the staggered set touched another atom (< 2 Å; not the carrier, nor atoms bonded to it)
          const stag = g.names.map((_, m) => placeAtom(at(g.from[1]), at(g.from[0]), on, g.bond, g.angle, t[0] - off + 120 * m));
          const own = new Set(g.names.map((n) => r.atoms.get(n)));
          let closest = Infinity;
          for (let j = 0; j < s.atoms.count; j++) {
            const pj = getAt(s.coords, j);
            if (own.has(j) || distance(pj, on) < 2.0) continue;
            for (const h of stag) closest = Math.min(closest, distance(h, pj));
          }
          assert.ok(closest < 2.0, `${r.resName}${r.resSeq} ${g.names.join('/')} turned ${off}° though staggered is ${closest.toFixed(2)} Å clear`);
        }
      }
    }
  });
  return { checked, worstBond, worstAngle, turned };
}

/**
 * Hydrogens closer than `cut` Å to a heavy atom other than their own carrier; `inherited` skips those whose partner is
 * itself within 2.6 Å of the carrier (a heavy-atom clash of the input that no hydrogen placement can avoid).
 */
function closeContacts(s: Structure, cut: number, inherited = false): string[] {
  const a = s.atoms, out: string[] = [];
  const heavy: number[] = [];
  for (let i = 0; i < a.count; i++) if (a.element[i] !== 'H') heavy.push(i);
  for (let i = 0; i < a.count; i++) {
    if (a.element[i] !== 'H') continue;
    let carrier = -1, best = Infinity;
    for (const j of heavy) {
      const d = distance(getAt(s.coords, i), getAt(s.coords, j));
      if (d < best) [best, carrier] = [d, j];
    }
    for (const j of heavy) {
      if (j === carrier) continue;
      const d = distance(getAt(s.coords, i), getAt(s.coords, j));
      if (inherited && distance(getAt(s.coords, carrier), getAt(s.coords, j)) < 2.6) continue;
      if (d < cut) out.push(`${a.resName[i]}${a.resSeq[i]} ${a.name[i]} – ${a.resName[j]}${a.resSeq[j]} ${a.name[j]} ${d.toFixed(2)} Å`);
    }
  }
  return out;
}

test('demo protein as is (all 20 amino acids): counts, bond lengths ± 0.02 Å, angles ± 5°, no H–heavy contact < 1.5 Å', () => {
  const names = new Set(byResidue(DEMO).map((r) => r.resName));
  assert.equal(names.size, 20, 'the demo protein has every amino acid');
  const { structure, report } = addHydrogens(DEMO, { names: 'charmm' });
  const res = byResidue(structure);
  // heavy atoms unchanged, in order, then each residue's hydrogens
  const heavy = [];
  for (let i = 0; i < structure.atoms.count; i++) if (structure.atoms.element[i] !== 'H') heavy.push(i);
  assert.equal(heavy.length, DEMO.atoms.count);
  heavy.forEach((i, k) => assert.deepEqual(getAt(structure.coords, i), getAt(DEMO.coords, k)));
  res.forEach((r, k) => {
    const nH = [...r.atoms.keys()].filter((n) => n.startsWith('H')).length;
    const expected = RTP_H_COUNT[r.resName] + (k === 0 ? 2 : 0);
    assert.equal(nH, expected, `${r.resName}${r.resSeq}: ${nH} hydrogens`);
  });
  let total = 0;
  for (const r of res) total += [...r.atoms.keys()].filter((n) => n.startsWith('H')).length;
  assert.equal(report.added, total);
  assert.equal(structure.atoms.count, DEMO.atoms.count + total);
  assert.equal(report.missing, 0);
  const g = checkGeometry(structure, 0.02, 5);
  assert.equal(g.checked, total);
  // methyls and NH3+ staggered, but a few methyls the designed core packs too close (each checked to touch when staggered)
  assert.ok(g.turned.length <= 6, g.turned.join(', '));
  assert.deepEqual(closeContacts(structure, 1.5), []);
  assert.equal(report.termini.n, 1);
  assert.equal(report.termini.c, 1);
  assert.equal(report.oxtAdded, 0, 'the demo carries OXT');
});

test('backmapped demo protein (template, refined): every hydrogen placed, bond lengths exact, no H–heavy contact < 1.5 Å of its own', async () => {
  const cg = parsePdb(formatPdb(mapToCg(DEMO, loadMappingSet('martini3')).cg), 'demo-cg.pdb');
  const plain = await backmapStructure(cg, { model: 'template', refine: true, hydrogens: false });
  const { structure, report } = addHydrogens(plain.structure, { names: 'charmm' });
  assert.equal(report.missing, 0);
  const expected = byResidue(structure).reduce((n, r, k) => n + RTP_H_COUNT[r.resName] + (k === 0 ? 2 : 0), 0);
  assert.equal(report.added, expected);
  // bonds are placed exactly; angles follow the (non-ideal) heavy atoms, so only the bonds are held tight here
  const g = checkGeometry(structure, 0.02, 25);
  assert.ok(g.worstBond < 1e-6, `worst bond deviation ${g.worstBond}`);
  // the template leaves a few heavy-atom clashes (e.g. a C-N-CA of 85°); hydrogens add none of their own
  assert.deepEqual(closeContacts(structure, 1.5, true), []);
  assert.ok(closeContacts(structure, 1.5).length <= 2, closeContacts(structure, 1.5).join('; '));
});
