#!/bin/bash
# The Slurm script of `macforge sweep --emit slurm` on a real Slurm (issue #13):
# starts a private single-node cluster (munged, slurmctld, slurmd from Debian's
# slurm-wlm and munge) under a temp folder, submits the emitted job array and
# its collect job, waits for them, and asserts the merged table equals the same
# sweep run by the local pool. Stops the daemons it started, by their pids,
# also when a check fails.
#
# usage: run_slurm_test.sh MACFORGE SWEEP.yaml [WORK_BASE]
# Exit: 0 pass, 1 fail, 77 skipped (ctest SKIP_RETURN_CODE) when this machine
# cannot run a private Slurm (not root, packages missing).
set -euo pipefail

macforge=$1
sweep=$2
base=${3:-${TMPDIR:-/tmp}}
# The whole test's deadline: generous for a loaded 2-core machine, and below the
# ctest TIMEOUT (1200 s), so that the test fails and cleans up itself rather than
# being killed.
timeout_s=${MF_SLURM_TIMEOUT:-1000}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
say() { echo "[$(date +%T)] $*"; }

# Root because the daemons run as SlurmUser=root (CI runs as root); an ordinary
# user could not start slurmd, which must be able to become the job's user.
[ "$(id -u)" = 0 ] || skip "needs root to start slurmctld/slurmd (running as uid $(id -u))"
for t in munged mungekey slurmctld slurmd sbatch squeue scontrol scancel sinfo; do
  command -v "$t" > /dev/null || skip "$t is not installed (apt-get install slurm-wlm munge)"
done

mkdir -p "$base"
T=$(mktemp -d "$base/slurm_test.XXXXXX")
export SLURM_CONF=$T/slurm.conf  # sbatch, squeue, scontrol, scancel and sinfo talk to our controller
daemon_pids=()
local_pid=
watchdog_pid=

cleanup() {
  local rc=$?
  set +e
  [ -n "$watchdog_pid" ] && kill -9 "$watchdog_pid" 2> /dev/null  # it ignores SIGTERM
  [ -n "$local_pid" ] && kill "$local_pid" 2> /dev/null && wait "$local_pid" 2> /dev/null
  # Jobs first (their slurmstepd processes are not our children), then the daemons
  # in reverse order of starting; each by the pid recorded when it was started.
  if [ "${#daemon_pids[@]}" -ge 2 ]; then
    timeout 10 scancel --user=root > /dev/null 2>&1
    for _ in $(seq 20); do [ -z "$(timeout 5 squeue -h 2> /dev/null)" ] && break; sleep 0.5; done
  fi
  for ((i = ${#daemon_pids[@]} - 1; i >= 0; i--)); do
    local p=${daemon_pids[i]}
    kill "$p" 2> /dev/null
    for _ in $(seq 40); do kill -0 "$p" 2> /dev/null || break; sleep 0.25; done
    kill -0 "$p" 2> /dev/null && { echo "pid $p ignored SIGTERM; SIGKILL"; kill -9 "$p"; }
    wait "$p" 2> /dev/null
  done
  if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
    echo "--- kept for inspection: $T (logs in $T/log)"
    tail -n 20 "$T"/log/*.log 2> /dev/null
  else
    rm -rf "$T"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM INT  # run the EXIT trap when ctest times the test out

# Two free TCP ports next to each other (slurmctld, slurmd): not listening in
# /proc/net/tcp{,6}. A random start keeps concurrent runs apart.
listening() { awk 'NR > 1 && $4 == "0A" { split($2, a, ":"); print strtonum("0x" a[2]) }' /proc/net/tcp /proc/net/tcp6 2> /dev/null; }
port=
for _ in $(seq 50); do
  p=$((20000 + RANDOM % 20000))
  if ! listening | grep -qx -e "$p" -e "$((p + 1))"; then port=$p; break; fi
done
[ -n "$port" ] || fail "no free port pair found"

host=$(hostname -s)
cpus=$(nproc)
mem_mb=$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.8) }' /proc/meminfo)  # below the real size, or slurmd drains the node
mkdir -p "$T"/{state,spool,log,munge,run}
chmod 700 "$T/munge"
chmod 755 "$T/run"  # munged wants its socket's directory searchable by every user

# cgroup-free: processes tracked by parent pid, no task binding, no accounting.
cat > "$SLURM_CONF" << EOF
ClusterName=macforge-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/run/munge.socket
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/run/slurmctld.pid
SlurmdPidFile=$T/run/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
# Finished jobs stay visible to scontrol long enough to read their exit codes.
MinJobAge=3600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=mftest Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

say "private Slurm in $T (ports $port, $((port + 1)), node $host, $cpus CPUs)"
mungekey --create --keyfile="$T/munge/munge.key"
# --force: munged refuses to run as root or with a socket under /tmp otherwise.
munged --foreground --force --key-file="$T/munge/munge.key" --socket="$T/run/munge.socket" \
  --pid-file="$T/run/munged.pid" --log-file="$T/log/munged.log" --seed-file="$T/munge/seed" \
  > "$T/log/munged.out" 2>&1 &
daemon_pids+=($!)
for _ in $(seq 40); do [ -S "$T/run/munge.socket" ] && break; sleep 0.25; done
[ -S "$T/run/munge.socket" ] || fail "munged did not create its socket (log: $T/log/munged.out)"

slurmctld -D -f "$SLURM_CONF" > "$T/log/slurmctld.out" 2>&1 &
daemon_pids+=($!)
slurmd -D -N "$host" -f "$SLURM_CONF" > "$T/log/slurmd.out" 2>&1 &
daemon_pids+=($!)
state=
for _ in $(seq 120); do
  state=$(sinfo -h -n "$host" -o %T 2> /dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] || fail "the node did not become idle within 60 s (state '$state')"
say "cluster up: munged ${daemon_pids[0]}, slurmctld ${daemon_pids[1]}, slurmd ${daemon_pids[2]}"
# Should this script die by SIGKILL (no trap runs), a watchdog stops the jobs,
# the local sweep and the daemons.
(
  trap '' TERM INT
  while kill -0 $$ 2> /dev/null; do sleep 2; done
  [ -f "$T/run/local.pid" ] && kill "$(cat "$T/run/local.pid")"
  timeout 10 scancel --user=root
  sleep 3
  kill "${daemon_pids[@]}" 2> /dev/null
) > /dev/null 2>&1 &
watchdog_pid=$!

# The emitter's resource options, as a user would pass them for their cluster.
"$macforge" sweep "$sweep" --emit slurm --out "$T/slurm" --partition mftest --time 30 --mem 2G
for l in '--partition=mftest' '--time=30' '--mem=2G'; do
  grep -qx -- "#SBATCH $l" "$T/slurm/slurm.sh" || fail "slurm.sh lacks the line #SBATCH $l"
done
# A value sbatch would reject is refused when emitting: one line, exit 2.
for bad in '--time 1h' '--mem 2GB' '--partition a;b'; do
  set +e
  err=$("$macforge" sweep "$sweep" --emit slurm --out "$T/bad" $bad 2>&1 > /dev/null)
  rc=$?
  set -e
  [ "$rc" = 2 ] && [ "$(echo "$err" | wc -l)" = 1 ] || fail "--emit slurm $bad: exit $rc, '$err' (expected exit 2, one line)"
done
job=$(sbatch --parsable "$T/slurm/slurm.sh")
collect_job=$(sbatch --parsable --dependency=afterany:"$job" "$T/slurm/slurm_collect.sh")
say "submitted array job $job and collect job $collect_job"

# The same sweep with the local pool while Slurm runs (both share the two CPUs);
# in the background so that a signal to this script is handled at once.
"$macforge" sweep "$sweep" --out "$T/local" -j 2 > "$T/log/local.out" 2>&1 &
local_pid=$!
echo "$local_pid" > "$T/run/local.pid"
rc=0
wait "$local_pid" || rc=$?
local_pid=
rm "$T/run/local.pid"
[ "$rc" = 0 ] || { cat "$T/log/local.out"; fail "the local sweep failed (exit $rc)"; }
say "local sweep done"

while [ -n "$(squeue -h -j "$job,$collect_job" 2> /dev/null)" ]; do
  [ "$SECONDS" -lt "$timeout_s" ] || { squeue; fail "jobs still queued or running after ${timeout_s} s"; }
  sleep 2
done
say "Slurm jobs finished"

# Every array task and the collect job completed with exit code 0 (a failed
# point exits 1 and would show here as FAILED).
states=$(scontrol -o show job "$job" | grep -o 'JobState=[A-Z_]* .*ExitCode=[0-9:]*' |
  sed 's/JobState=\([A-Z_]*\) .*ExitCode=\([0-9:]*\)/\1 \2/' | sort | uniq -c)
echo "array tasks: $states"
npoints=$("$macforge" sweep "$sweep" --dry-run --out "$T/local" | tail -n +2 | wc -l)  # line 1 is a summary
[ "$states" = "$(printf '%7d COMPLETED 0:0' "$npoints")" ] || fail "not every one of $npoints array tasks completed with exit 0"
scontrol -o show job "$collect_job" | grep -q 'JobState=COMPLETED .*ExitCode=0:0' ||
  fail "the collect job did not complete: $(scontrol -o show job "$collect_job")"
ls "$T"/slurm/logs/slurm-collect-*.out > /dev/null || fail "no output of the collect job in $T/slurm/logs"

# `macforge collect` by hand gives the same as the collect job did (it only reads the stored points).
cp "$T/slurm/results.csv" "$T/collect_job.csv"
"$macforge" collect "$T/slurm"
cmp "$T/slurm/results.csv" "$T/collect_job.csv" || fail "macforge collect differs from the collect job's table"

# The merged tables against the local run. What legitimately differs: the sweep
# directory in paths (the `log` column, `log`/path fields of results.json) and
# the wall times of the stages (`seconds` fields of results.json; results.csv
# has no times). Everything else -- rows, hashes, parameters, status, every
# metric and relative column -- must be identical, byte for byte.
normalize() { sed -e "s|$1|DIR|g" -e '/"seconds"/d' -e '/_seconds"/d' "$2"; }
for f in results.csv results.json; do
  diff <(normalize "$T/local" "$T/local/$f") <(normalize "$T/slurm" "$T/slurm/$f") > "$T/$f.diff" ||
    { cat "$T/$f.diff"; fail "$f from Slurm differs from the local run"; }
done
rows=$(($(wc -l < "$T/slurm/results.csv") - 1))
ok=$(grep -c ',ok,' "$T/slurm/results.csv" || true)
[ "$rows" = "$npoints" ] && [ "$ok" = "$npoints" ] || fail "expected $npoints rows, all ok; got $rows rows, $ok ok"
say "PASS: $npoints points on Slurm equal the local run (results.csv, results.json)"
