#!/usr/bin/env bash
# Real SLURM check of `backmap slurm` and `backmap merge` (issue #29, sharding): a one-node SLURM cluster on this
# machine (Debian's slurm-wlm and munge; installed when missing), then the 89 frames of
# ../shared/data/cgsim/1UBQ backmapped as a 3-task array job, merged with merge.sh, and compared with one whole
# `--frames 0:89` run: the multi-model PDB byte for byte, the XTC (and its topology) byte for byte too.
# Everything lives in a private folder (own slurm.conf, own munge key and socket, own ports); the daemons it starts
# are stopped at the end, whatever happens. Needs root. Not part of .ci/run (it installs packages and starts daemons).
#
#   sudo scripts/slurm-check.sh            # BACKMAP_CGSIM=<folder with topol_protein.pdb + traj_protein.xtc> to point elsewhere
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${BACKMAP_CGSIM:-$ROOT/../shared/data/cgsim/1UBQ}
TOP=$DATA/topol_protein.pdb
TRAJ=$DATA/traj_protein.xtc
SHARDS=3
# Default model and default trajectory refinement (the run a user makes); 89 frames take ~15 s per run here.
MODEL_FLAGS=()

say() { printf '[slurm-check] %s\n' "$*"; }
die() { printf '[slurm-check] FAIL: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root: it installs slurm-wlm and munge when missing and starts munged, slurmctld and slurmd"
[ -f "$TOP" ] && [ -f "$TRAJ" ] || die "no $TOP or $TRAJ (the shared cgsim data; set BACKMAP_CGSIM to its 1UBQ folder)"

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
say "$(slurmctld -V), munge $(munged --version 2>&1 | head -1 | awk '{print $2}'), node $(node --version)"

WORK=$(mktemp -d /tmp/backmap-slurm-check.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/munge" "$WORK/state" "$WORK/spool"
chmod 700 "$WORK/munge"
HOST=$(hostname -s)
CPUS=$(nproc)
export SLURM_CONF=$WORK/slurm.conf

cleanup() {
  set +e
  # Only the daemons this script started, by the pids they wrote.
  for f in "$WORK/slurmd.pid" "$WORK/slurmctld.pid" "$WORK/munge/munged.pid"; do
    [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
  done
  sleep 1
  say "daemons stopped; logs and outputs kept in $WORK"
}
trap cleanup EXIT

# munge: a key and socket of our own (nothing shared with a system munged).
dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$WORK/munge/munge.key"
munged --force --key-file="$WORK/munge/munge.key" --socket="$WORK/munge/munge.socket" \
  --pid-file="$WORK/munge/munged.pid" --log-file="$WORK/munge/munged.log" --seed-file="$WORK/munge/munged.seed"
for _ in $(seq 50); do [ -S "$WORK/munge/munge.socket" ] && break; sleep 0.1; done
munge -S "$WORK/munge/munge.socket" -n | unmunge -S "$WORK/munge/munge.socket" >/dev/null || die "munge does not work (see $WORK/munge/munged.log)"

cat >"$SLURM_CONF" <<EOF
ClusterName=backmapcheck
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$WORK/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
MinJobAge=3600
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=check Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -c -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for i in $(seq 60); do
  state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)
  [ "$state" = idle ] && break
  [ "$i" = 60 ] && die "the node did not come up (state '$state'; see $WORK/slurmctld.log, $WORK/slurmd.log)"
  sleep 1
done
say "cluster up: $(sinfo -h -o '%P %D node(s) %c CPUs %t')"

cd "$ROOT"
BACKMAP=(node --import tsx "$ROOT/src/cli/main.ts")

wait_job() { # job id: waits until no task of it is queued or running, then checks each ended COMPLETED
  local id=$1 t0=$SECONDS
  while [ -n "$(squeue -h -j "$id" -o '%i' 2>/dev/null)" ]; do
    [ $((SECONDS - t0)) -lt 900 ] || die "job $id still running after 15 min"
    sleep 2
  done
  local states
  states=$(scontrol -o show job "$id" | grep -o 'JobState=[A-Z_]*' | sort | uniq -c | tr -s ' ' | tr '\n' ';')
  say "job $id done after $((SECONDS - t0)) s: tasks $states"
  scontrol -o show job "$id" | grep -q 'JobState=COMPLETED' || die "job $id: no task COMPLETED"
  ! scontrol -o show job "$id" | grep -v 'JobState=COMPLETED' | grep -q JobState || die "job $id: a task did not complete"
}

for ext in pdb xtc; do
  out=$WORK/ubq-shards.$ext
  say "== $ext: backmap slurm … --shards $SHARDS --submit"
  "${BACKMAP[@]}" slurm "$TOP" --trajectory "$TRAJ" -o "$out" --shards "$SHARDS" --cpus-per-task 1 --time 00:15:00 "${MODEL_FLAGS[@]}" --submit | tee "$WORK/submit-$ext.txt"
  id=$(sed -n 's/^submitted job \([0-9]*\).*/\1/p' "$WORK/submit-$ext.txt")
  [ -n "$id" ] || die "no job id in the output of backmap slurm"
  wait_job "$id"
  for log in "$out.slurm"/slurm-"$id"_*.out; do say "  $(basename "$log"): $(grep -v '^note:' "$log" | tail -1)"; done
  say "resume: shard 1 removed, submitting again must redo only task 1"
  rm -f "$out.slurm/shard-1.$ext" "$out.slurm/shard-1.topology.pdb"
  "${BACKMAP[@]}" slurm "$TOP" --trajectory "$TRAJ" -o "$out" --shards "$SHARDS" --cpus-per-task 1 --time 00:15:00 "${MODEL_FLAGS[@]}" --submit | tee "$WORK/resubmit-$ext.txt" | tail -1
  grep -q '^submitted job [0-9]* (array 1: 1 task(s))' "$WORK/resubmit-$ext.txt" || die "the resubmission is not task 1 alone"
  wait_job "$(sed -n 's/^submitted job \([0-9]*\).*/\1/p' "$WORK/resubmit-$ext.txt")"
  [ -e "$out.slurm/shard-1.$ext" ] || die "shard 1 was not redone"
  say "resume: submitting once more must find every shard complete"
  "${BACKMAP[@]}" slurm "$TOP" --trajectory "$TRAJ" -o "$out" --shards "$SHARDS" --cpus-per-task 1 --time 00:15:00 "${MODEL_FLAGS[@]}" --submit | tee "$WORK/again-$ext.txt" | tail -1
  grep -q '^every shard is complete' "$WORK/again-$ext.txt" || die "complete shards would be submitted again"
  say "merge.sh"
  bash "$out.slurm/merge.sh"
  say "whole run: --frames 0:89 (one process, no SLURM)"
  "${BACKMAP[@]}" backmap "$TOP" --trajectory "$TRAJ" --frames 0:89 "${MODEL_FLAGS[@]}" -o "$WORK/ubq-whole.$ext" 2>/dev/null
  cmp "$out" "$WORK/ubq-whole.$ext" || die "$ext: the merged shards differ from the whole run"
  if [ "$ext" != pdb ]; then cmp "${out%.*}.topology.pdb" "$WORK/ubq-whole.topology.pdb" || die "the merged topology differs from the whole run's"; fi
  frames=$(if [ "$ext" = pdb ]; then grep -c '^MODEL' "$out"; else node --import tsx -e "const t=require('$ROOT/src/core/trajectory/index.ts');console.log(t.countFrames('$out'))"; fi)
  say "PASS $ext: $frames frames from $SHARDS SLURM tasks, merged = whole run byte for byte ($(sha256sum "$out" | cut -c1-16)…, $(stat -c %s "$out") bytes)"
done
say "ALL PASS"
