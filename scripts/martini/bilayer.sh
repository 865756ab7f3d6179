#!/usr/bin/env bash
# A mixed Martini 3 bilayer (POPC, POPE, POPS, PAPC, PAPS, cholesterol, W, NA/CL) simulated with GROMACS: build,
# minimise, equilibrate (NPT, semi-isotropic), produce; then the final frame (as mdrun writes it, and as the last XTC
# frame dumped with molecules broken across the box) and an XTC of the last part. Used to make
# test/fixtures/martini3-bilayer (issue 31); see its README.md.
#
#   scripts/martini/bilayer.sh [-o DIR] [--nt N] [--ns NS] [--ff martini_v3.0.0.itp] [--standin-nonbonded]
#                              [--leaflet POPC:40,POPE:10,...] [--seed N]
#
# The Martini 3 topologies are read where they lie (never copied into the repo):
#   $M3_GMX  (default ../shared/data/mappings/martini_forcefields/v3.0.0/gmx_files): phospholipids_v1, solvents_v1,
#            ions_v1 and, when present there or given with --ff, the main martini_v3.0.0.itp (bead types and the
#            bead-bead Lennard-Jones matrix)
#   $M3_STEROLS (default ../shared/data/mappings/m3_sterols/martini_v3.0_sterols_v1.0.itp): CHOL, 9 beads.
# Without martini_v3.0.0.itp the run is refused, unless --standin-nonbonded asks for the coarse substitute of
# scripts/martini/standin_nonbonded.py (NOT Martini 3 thermodynamics; every output then says so).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
M3_GMX="${M3_GMX:-$REPO/../shared/data/mappings/martini_forcefields/v3.0.0/gmx_files}"
M3_STEROLS="${M3_STEROLS:-$REPO/../shared/data/mappings/m3_sterols/martini_v3.0_sterols_v1.0.itp}"
OUT=/tmp/m3-bilayer
NT=2
NS=5
FF=""
STANDIN=0
LEAFLET="POPC:40,POPE:10,POPS:5,PAPC:5,PAPS:5,CHOL:15"
WPL=15
SEED=31

while [ $# -gt 0 ]; do
  case "$1" in
    -o) OUT="$2"; shift 2 ;;
    --nt) NT="$2"; shift 2 ;;
    --ns) NS="$2"; shift 2 ;;
    --ff) FF="$2"; shift 2 ;;
    --leaflet) LEAFLET="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --standin-nonbonded) STANDIN=1; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "bilayer.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

die() { echo "bilayer.sh: $*" >&2; exit 1; }
command -v gmx >/dev/null || die "gmx (GROMACS) is not on PATH"
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import numpy' 2>/dev/null || die "/usr/bin/python3 with numpy is needed"
for f in martini_v3.0.0_phospholipids_v1.itp martini_v3.0.0_solvents_v1.itp martini_v3.0.0_ions_v1.itp; do
  [ -f "$M3_GMX/$f" ] || die "missing $M3_GMX/$f (Martini 3 topologies; set M3_GMX to their folder)"
done
[ -f "$M3_STEROLS" ] || die "missing $M3_STEROLS (Martini 3 sterols; set M3_STEROLS)"
[ -n "$FF" ] || FF="$M3_GMX/martini_v3.0.0.itp"
if [ ! -f "$FF" ]; then
  [ "$STANDIN" = 1 ] || die "missing $FF: the Martini 3 bead types and Lennard-Jones matrix (martini_v3.0.0.itp from the
  martini-forcefields release) are not here. Give it with --ff PATH, or run with --standin-nonbonded for a coarse
  substitute that is NOT Martini 3 (scripts/martini/standin_nonbonded.py)."
  FF=""
fi

mkdir -p "$OUT"
cd "$OUT"
exec > >(tee -a bilayer.log) 2>&1
echo "bilayer.sh: $(date -u +%FT%TZ) in $OUT, gmx -nt $NT, $NS ns production, leaflet $LEAFLET"
gmx --version 2>/dev/null | grep -E '^GROMACS version' || true

ITPS=("$M3_GMX/martini_v3.0.0_phospholipids_v1.itp" "$M3_STEROLS" "$M3_GMX/martini_v3.0.0_solvents_v1.itp" "$M3_GMX/martini_v3.0.0_ions_v1.itp")
TAG=""
if [ -n "$FF" ]; then
  NONBONDED="$FF"
  echo "nonbonded: $FF"
else
  /usr/bin/python3 "$HERE/standin_nonbonded.py" "${ITPS[@]}" > standin_nonbonded.itp
  NONBONDED="$OUT/standin_nonbonded.itp"
  TAG=", STAND-IN nonbonded (not Martini 3 LJ)"
  echo "nonbonded: STAND-IN $NONBONDED (not Martini 3)"
fi

/usr/bin/python3 "$HERE/build_bilayer.py" --leaflet "$LEAFLET" --wpl "$WPL" --seed "$SEED" --out start \
  $(printf -- '--itp %s ' "${ITPS[@]}")

{
  echo "#include \"$NONBONDED\""
  for f in "${ITPS[@]}"; do echo "#include \"$f\""; done
  printf '\n[ system ]\nMartini 3 bilayer %s per leaflet%s\n\n[ molecules ]\n' "$LEAFLET" "$TAG"
  cat start.molecules
} > topol.top

# Martini 3 run parameters (reaction field, eps_r 15, 1.1 nm cut-offs, Verlet); the stage's own lines follow.
common() {
  cat <<EOF
cutoff-scheme = Verlet
nstlist = 20
verlet-buffer-tolerance = 0.005
coulombtype = reaction-field
rcoulomb = 1.1
epsilon_r = 15
epsilon_rf = 0
vdw_type = cutoff
vdw-modifier = Potential-shift-verlet
rvdw = 1.1
EOF
}
md() { # md NAME DT NSTEPS BAROSTAT TAU_P [extra lines]
  {
    common
    cat <<EOF
integrator = md
dt = $2
nsteps = $3
nstcalcenergy = 100
nstenergy = 1000
nstlog = 5000
tcoupl = v-rescale
tc-grps = System
tau_t = 1.0
ref_t = 310
pcoupl = $4
pcoupltype = semiisotropic
tau_p = $5
ref_p = 1.0 1.0
compressibility = 3e-4 3e-4
constraints = none
lincs-order = 8
lincs-iter = 2
EOF
    shift 5
    printf '%s\n' "$@"
  } > "$1.mdp"
}

{ common; printf 'integrator = steep\nnsteps = 5000\nemtol = 100\ndefine = -DFLEXIBLE\n'; } > em.mdp
gmx grompp -f em.mdp -c start.gro -p topol.top -o em.tpr -quiet
gmx mdrun -nt "$NT" -deffnm em -quiet

# Ions: counter-ions for the anionic lipids and 0.15 M NaCl, replacing W.
echo W | gmx genion -s em.tpr -o ions.gro -p topol.top -pname NA -nname CL -neutral -conc 0.15 -quiet
gmx grompp -f em.mdp -c ions.gro -p topol.top -o em2.tpr -quiet
gmx mdrun -nt "$NT" -deffnm em2 -quiet

# Equilibration: short steps first while the grid start relaxes, then 20 fs.
md eq1 0.005 20000 c-rescale 4.0 'gen-vel = yes' 'gen-temp = 310' 'gen-seed = 31'
md eq2 0.01 20000 c-rescale 4.0 'continuation = yes'
md eq3 0.02 25000 c-rescale 4.0 'continuation = yes'
prev=em2
for s in eq1 eq2 eq3; do
  gmx grompp -f $s.mdp -c $prev.gro ${prevcpt:+-t $prevcpt} -p topol.top -o $s.tpr -quiet
  gmx mdrun -nt "$NT" -deffnm $s -quiet
  prev=$s
  prevcpt=$s.cpt
done

# Production: 20 fs, Parrinello-Rahman; 40 frames of the whole run in md.xtc.
steps=$(awk -v ns="$NS" 'BEGIN { printf "%d", ns * 1000 / 0.02 }')
every=$(( steps / 40 ))
md md 0.02 "$steps" parrinello-rahman 12.0 'continuation = yes' "nstxout-compressed = $every" 'compressed-x-precision = 1000'
gmx grompp -f md.mdp -c eq3.gro -t eq3.cpt -p topol.top -o md.tpr -quiet
start=$(date +%s)
gmx mdrun -nt "$NT" -deffnm md -quiet
echo "production: $NS ns in $(( $(date +%s) - start )) s wall"
grep -E 'Performance:' md.log || true

# Final frame as mdrun writes it (md.gro: molecules whole), the last XTC frame as `gmx trjconv -dump` writes it
# (atoms in the box, molecules broken across it), and the last part of production: every other frame of its second
# half (the XTC holds 40 frames of the whole run).
cp md.gro final.gro
last=$(awk -v ns="$NS" 'BEGIN { printf "%d", ns * 1000 }')
echo System | gmx trjconv -s md.tpr -f md.xtc -o final_frame.gro -dump "$last" -quiet
half=$(awk -v ns="$NS" 'BEGIN { printf "%d", ns * 1000 / 2 }')
echo System | gmx trjconv -s md.tpr -f md.xtc -o last.xtc -b "$half" -quiet
echo "bilayer.sh: done: $OUT/final.gro, final_frame.gro, last.xtc"
