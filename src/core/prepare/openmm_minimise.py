"""Energy minimisation of a backmapped structure with OpenMM (`backmap prepare --engine openmm`).

Run by src/core/prepare/openmm.ts with the user's Python; PDBFixer is not needed. Reads a PDB, builds the system
with amber14 (implicit OBC2 solvent, or TIP3P when the file has water) or CHARMM36 (vacuum, or CHARMM TIP3P),
tethers the solute's heavy atoms to where they start (0.5 k d^2, as GROMACS's position restraints) and runs L-BFGS
until the RMS force is under the tolerance. Progress and the result are JSON lines on stdout, one object each,
with an "event" key; anything else on stdout/stderr is the engine talking. Energies are kJ/mol, forces kJ/mol/nm.
"""
import argparse
import io
import json
import math
import sys
import time

try:
    import openmm as mm
    from openmm import app, unit
except ImportError:  # OpenMM before 7.6 (Debian 12's python3-simtk is 7.7 and has both)
    from simtk import openmm as mm
    from simtk import unit
    from simtk.openmm import app

WATER = {"HOH", "WAT", "SOL", "TIP3", "TIP3P", "SPC"}
ION = {"NA", "CL", "K", "MG", "CA", "ZN", "SOD", "CLA", "POT", "CAL", "CES", "LI", "RB", "CS", "F", "BR", "I"}
RESTRAINT_GROUP = 31


def emit(event, **data):
    data["event"] = event
    print(json.dumps(data), flush=True)


def force_files(ff, water):
    if ff == "amber14":
        return (["amber14-all.xml", "amber14/tip3p.xml"], "explicit TIP3P") if water else (["amber14-all.xml", "implicit/obc2.xml"], "implicit solvent (OBC2)")
    if ff == "charmm36":
        return (["charmm36.xml", "charmm36/water.xml"], "explicit TIP3P (CHARMM)") if water else (["charmm36.xml"], "vacuum")
    raise SystemExit("unknown force field %r (amber14 or charmm36)" % ff)


def state_of(context, groups=None):
    kw = {"getEnergy": True, "getForces": True}
    if groups is not None:
        kw["groups"] = groups
    return context.getState(**kw)


def forces_of(context):
    """Max and RMS force over atoms (kJ/mol/nm) of everything the minimiser sees (restraint included)."""
    f = state_of(context).getForces(asNumpy=False)
    norms = [math.sqrt(v[0] ** 2 + v[1] ** 2 + v[2] ** 2) for v in f.value_in_unit(unit.kilojoule_per_mole / unit.nanometer)]
    k = max(range(len(norms)), key=lambda i: norms[i])
    return norms[k], k, math.sqrt(sum(n * n for n in norms) / len(norms))


def energies(context, force_groups):
    """Force-field potential (restraint excluded) and its terms."""
    terms = {}
    for name, g in force_groups.items():
        e = context.getState(getEnergy=True, groups={g}).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
        terms[name] = terms.get(name, 0.0) + e
    total = sum(terms.values())
    restraint = context.getState(getEnergy=True, groups={RESTRAINT_GROUP}).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    return total, terms, restraint


def add_template_bonds(topology, forcefield):
    """Bonds of residues the PDB reader does not know (lipids, sterols: no CONECT records), from the force field's
    template of the same name, by atom name; without them createSystem finds "the bonds are different". Returns the
    residues given bonds, each mapped to its template's name (createSystem's residueTemplates: CHL1 also matches
    charmm36's CLOL)."""
    templates = getattr(forcefield, "_templates", {})
    inside = {}
    for b in topology.bonds():
        if b[0].residue is b[1].residue:
            inside[b[0].residue] = inside.get(b[0].residue, 0) + 1
    done = {}
    for res in topology.residues():
        t = templates.get(res.name)
        if t is None or inside.get(res) or len(list(res.atoms())) < 2:
            continue
        by_name = {a.name: a for a in res.atoms()}
        names = [ta.name for ta in t.atoms]
        added = 0
        for i, j in t.bonds:
            x, y = by_name.get(names[i]), by_name.get(names[j])
            if x is not None and y is not None:
                topology.addBond(x, y)
                added += 1
        if added:
            done[res] = res.name
    return done


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True, help="minimised PDB")
    p.add_argument("--system", help="serialized System XML (without the restraint)")
    p.add_argument("--ff", default="amber14")
    p.add_argument("--restrain", type=float, default=50.0, help="kJ/mol/A^2 on solute heavy atoms; 0 = none")
    p.add_argument("--tolerance", type=float, default=10.0, help="largest force on an atom, kJ/mol/nm (GROMACS's emtol)")
    p.add_argument("--steps", type=int, default=0, help="most L-BFGS iterations; 0 = until converged")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--chunk", type=int, default=200, help="iterations between progress lines")
    a = p.parse_args()
    t0 = time.time()

    with open(a.input) as fh:
        lines = fh.read().splitlines()
    records = [ln for ln in lines if ln.startswith(("ATOM  ", "HETATM"))]
    original = [(ln[12:16].strip(), ln[17:21].strip()) for ln in records]
    # OpenMM's PDB reader knows CHARMM's HSD and HSP as histidine but not HSE, and then leaves its peptide bonds out
    # ("bonds are different" on the neighbour): read it as HIS (the templates pick the tautomer by its hydrogens).
    fixed = [ln[:17] + "HIS " + ln[21:] if ln.startswith(("ATOM  ", "HETATM")) and ln[17:21].strip() == "HSE" else ln for ln in lines]
    pdb = app.PDBFile(io.StringIO("\n".join(fixed) + "\n"))
    topology, positions = pdb.topology, pdb.positions
    residues = list(topology.residues())
    water = any(r.name in WATER for r in residues)
    files, solvent = force_files(a.ff, water)
    forcefield = app.ForceField(*files)
    notes = []
    has_h = any(at.element is not None and at.element.symbol == "H" for at in topology.atoms())
    if not has_h:
        modeller = app.Modeller(topology, positions)
        modeller.addHydrogens(forcefield)
        topology, positions = modeller.topology, modeller.positions
        notes.append("the input has no hydrogens: OpenMM's Modeller added them (pH 7)")
    box = topology.getPeriodicBoxVectors()
    if water and box is not None:
        method, cutoff = app.PME, 1.0 * unit.nanometer
    elif water:
        method, cutoff = app.CutoffNonPeriodic, 1.0 * unit.nanometer
        notes.append("water without a periodic box: cut-off at 1.0 nm, no periodic boundaries")
    else:
        method, cutoff = app.NoCutoff, None
    bonded = add_template_bonds(topology, forcefield)
    if bonded:
        notes.append("%d residue(s) without bonds in the PDB (lipids, sterols) bonded from their force-field templates" % len(bonded))
    emit("stage", stage="system", detail="%s + %s" % (a.ff, solvent))
    kw = {"nonbondedMethod": method, "constraints": None, "rigidWater": False}
    if bonded:
        kw["residueTemplates"] = bonded
    if cutoff is not None:
        kw["nonbondedCutoff"] = cutoff
    try:
        system = forcefield.createSystem(topology, **kw)
    except ValueError as e:  # "No template found for residue 12 (XYZ)…": the TS side names the residue
        emit("error", kind="template", message=str(e))
        return 3
    if a.system:
        with open(a.system, "w") as fh:
            fh.write(mm.XmlSerializer.serialize(system))

    force_groups = {}
    for i, f in enumerate(system.getForces()):
        g = min(i, RESTRAINT_GROUP - 1)
        f.setForceGroup(g)
        force_groups[f.__class__.__name__] = g
    restrained = 0
    if a.restrain > 0:
        k = a.restrain * 100.0  # kJ/mol/A^2 -> kJ/mol/nm^2
        expr = "0.5*k*periodicdistance(x,y,z,x0,y0,z0)^2" if method == app.PME else "0.5*k*((x-x0)^2+(y-y0)^2+(z-z0)^2)"
        tether = mm.CustomExternalForce(expr)
        tether.addGlobalParameter("k", k)
        for n in ("x0", "y0", "z0"):
            tether.addPerParticleParameter(n)
        for atom, xyz in zip(topology.atoms(), positions):
            if atom.residue.name in WATER or atom.residue.name in ION or atom.element is None or atom.element.symbol == "H":
                continue
            tether.addParticle(atom.index, list(xyz.value_in_unit(unit.nanometer)))
            restrained += 1
        tether.setForceGroup(RESTRAINT_GROUP)
        system.addForce(tether)

    platform = mm.Platform.getPlatformByName("CPU")
    props = {"Threads": str(a.threads)} if a.threads > 0 else {}
    context = mm.Context(system, mm.VerletIntegrator(0.001), platform, props)
    context.setPositions(positions)

    e0, terms0, _ = energies(context, force_groups)
    f0, atom0, rms0 = forces_of(context)
    emit("energy", when="before", potential=e0, terms=terms0, maxForce=f0, maxForceAtom=atom0 + 1, rmsForce=rms0)

    # L-BFGS in chunks, for progress lines (OpenMM 7.7 has no minimisation reporter and does not count iterations).
    # OpenMM's own criterion is on the RMS force; ours is GROMACS's emtol, the largest force on an atom, so each chunk
    # asks OpenMM for a tighter RMS and the loop stops when the largest force is under the tolerance, a chunk no longer
    # lowers the energy, or the step budget is spent.
    done, converged, last = 0, False, None
    budget = a.steps if a.steps > 0 else 10 ** 9
    while done < budget:
        n = min(a.chunk, budget - done)
        mm.LocalEnergyMinimizer.minimize(context, a.tolerance / 10, n)
        done += n
        total = state_of(context).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
        fmax, _, rms = forces_of(context)
        emit("progress", steps=done, potential=total, maxForce=fmax, rmsForce=rms)
        if fmax <= a.tolerance:
            converged = True
            break
        if last is not None and last - total < 1e-3:
            notes.append("stopped when %d more L-BFGS iterations lowered the energy by less than 0.001 kJ/mol, above the force tolerance" % n)
            break
        last = total

    e1, terms1, restraint1 = energies(context, force_groups)
    f1, atom1, rms1 = forces_of(context)
    emit("energy", when="after", potential=e1, terms=terms1, maxForce=f1, maxForceAtom=atom1 + 1, rmsForce=rms1, restraint=restraint1)
    final = context.getState(getPositions=True).getPositions()
    if topology.getNumAtoms() == len(original):
        # The input's own residue and atom names (OpenMM renamed them to the PDB's: HN -> H, OT1 -> O, HSD -> HIS)
        for atom, (name, res) in zip(topology.atoms(), original):
            atom.name, atom.residue.name = name, res
    with open(a.output, "w") as fh:
        app.PDBFile.writeFile(topology, final, fh, keepIds=True)
    emit(
        "result",
        version=mm.Platform.getOpenMMVersion(),
        forcefield=files,
        solvent=solvent,
        atoms=topology.getNumAtoms(),
        residues=topology.getNumResidues(),
        restrained=restrained,
        steps=done,
        converged=converged,
        notes=notes,
        seconds=time.time() - t0,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
