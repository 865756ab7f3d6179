#!/usr/bin/env python3
"""Force-field judgement of all-atom protein structures (issue 30 item 3), with OpenMM:
PDBFixer adds what is missing (atoms, then hydrogens at pH 7; existing hydrogens are kept), amber14-all + OBC2
implicit solvent (no cutoff, no constraints), heavy atoms tethered to their input positions by
0.5*k*d^2 with k = 50 kJ/mol/A^2 (5000 kJ/mol/nm^2), LocalEnergyMinimizer to tolerance 10 kJ/mol/nm.
Prints one JSON line per file: residues, force-field energy per residue before and after (restraint excluded),
heavy-atom RMS move and largest move of the minimiser (A).

Usage: /usr/bin/python3 scripts/forcefield/judge.py file.pdb [file2.pdb ...]
"""
import json
import sys

import numpy as np
import openmm as mm
from openmm import app, unit
from pdbfixer import PDBFixer

K_TETHER = 50.0 * 100.0  # kJ/mol/A^2 -> kJ/mol/nm^2
TOLERANCE = 10.0  # kJ/mol/nm


def judge(path):
    fixer = PDBFixer(filename=path)
    fixer.removeHeterogens(keepWater=False)
    fixer.findMissingResidues()
    fixer.missingResidues = {}  # complete residues only, never build missing loops or tails
    fixer.findMissingAtoms()
    fixer.addMissingAtoms()
    fixer.addMissingHydrogens(7.0)
    ff = app.ForceField('amber14-all.xml', 'implicit/obc2.xml')
    system = ff.createSystem(fixer.topology, nonbondedMethod=app.NoCutoff, constraints=None)
    for f in system.getForces():
        f.setForceGroup(0)
    tether = mm.CustomExternalForce('0.5*k*((x-x0)^2+(y-y0)^2+(z-z0)^2)')
    tether.addGlobalParameter('k', K_TETHER)
    for p in ('x0', 'y0', 'z0'):
        tether.addPerParticleParameter(p)
    pos = fixer.positions.value_in_unit(unit.nanometer)
    heavy = [a.index for a in fixer.topology.atoms() if a.element is not None and a.element.symbol != 'H']
    for i in heavy:
        tether.addParticle(i, list(pos[i]))
    tether.setForceGroup(1)
    system.addForce(tether)
    ctx = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName('CPU'))
    ctx.setPositions(fixer.positions)
    e0 = ctx.getState(getEnergy=True, groups={0}).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    mm.LocalEnergyMinimizer.minimize(ctx, TOLERANCE, 0)
    st = ctx.getState(getEnergy=True, getPositions=True, groups={0})
    e1 = st.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    after = np.array(st.getPositions(asNumpy=True).value_in_unit(unit.nanometer))
    d = np.linalg.norm(after[heavy] - np.array(pos)[heavy], axis=1) * 10.0
    nres = fixer.topology.getNumResidues()
    return {
        'file': path,
        'residues': nres,
        'atoms': fixer.topology.getNumAtoms(),
        'energyPerResidueBefore': e0 / nres,
        'energyPerResidueAfter': e1 / nres,
        'heavyMovedRms': float(np.sqrt((d ** 2).mean())),
        'heavyMovedMax': float(d.max()),
    }


if __name__ == '__main__':
    for f in sys.argv[1:]:
        print(json.dumps(judge(f)), flush=True)
