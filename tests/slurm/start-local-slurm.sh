#!/usr/bin/env bash
# Start (or stop, with --stop) a throwaway single-node SLURM on this host so the
# workflow's SLURM profile can be tested for real. Debian/Ubuntu only, run as root.
#
#   tests/slurm/start-local-slurm.sh          # idempotent; prints "partition: <name>"
#   tests/slurm/start-local-slurm.sh --stop   # kills only the daemons this script started
#
# No systemd, cgroups or accounting database: munged, slurmctld and slurmd are
# started directly and keep their pid, state, spool and log files in $RSSEG_SLURM_DIR.
# Exit status 77 (the usual "skipped" code) means this host cannot run it: not root,
# or slurm-wlm and munge neither installed nor installable. Any other failure is 1.
set -euo pipefail

SCRATCH=${RSSEG_SLURM_DIR:-/tmp/rsseg-slurm}
PARTITION=${RSSEG_SLURM_PARTITION:-debug}
WAIT_SECONDS=${RSSEG_SLURM_WAIT:-60}
CONF=/etc/slurm/slurm.conf
# Client commands (sbatch, squeue, the Snakemake plugin) read $CONF, so the file
# is marked and a config we did not write is never overwritten.
MARKER="# written by rsseg tests/slurm/start-local-slurm.sh"

die() { echo "start-local-slurm: $*" >&2; exit 1; }
cannot_run() { echo "start-local-slurm: $*" >&2; exit 77; }

pid_alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Arguments: pid files of daemons this script started.
stop_daemons() {
    local pidfile pid
    for pidfile in "$@"; do
        if pid_alive "$pidfile"; then
            pid=$(cat "$pidfile")
            kill "$pid"
            # A restarted daemon cannot bind its port until the old one is gone.
            for (( i = 0; i < 100; i++ )); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            echo "stopped $(basename "$pidfile" .pid) (pid $pid)"
        fi
        rm -f "$pidfile"
    done
}
SLURM_PIDFILES=("$SCRATCH/slurmd.pid" "$SCRATCH/slurmctld.pid")
MUNGE_PIDFILE=$SCRATCH/munge/munged.pid

node_state() { sinfo --noheader --partition "$PARTITION" --format=%t 2>/dev/null | head -n1; }

[[ $(id -u) -eq 0 ]] || cannot_run "must run as root (installs packages and starts daemons)"

if [[ ${1:-} == --stop ]]; then
    stop_daemons "${SLURM_PIDFILES[@]}" "$MUNGE_PIDFILE"
    exit 0
fi
[[ $# -eq 0 ]] || die "usage: $0 [--stop]"

installed() { local c; for c in munged slurmctld slurmd sbatch; do command -v "$c" >/dev/null || return 1; done; }

if ! installed; then
    command -v apt-get >/dev/null || cannot_run "apt-get not found; install slurm-wlm and munge by hand"
    echo "installing slurm-wlm and munge with apt-get"
    apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurm-wlm munge; }
    # A fresh machine may have no package lists yet: fetch them only when the install needs them.
    { apt_install || { apt-get update && apt_install; }; } >"$SCRATCH-apt.log" 2>&1 \
        || cannot_run "apt-get could not install slurm-wlm and munge, see $SCRATCH-apt.log"
fi

mkdir -p "$SCRATCH"/{state,spool,log}
install -d -o munge -g munge -m 0700 "$SCRATCH/munge"

if [[ ! -s /etc/munge/munge.key ]]; then
    mkdir -p /etc/munge
    mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
fi

if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    install -d -o munge -g munge -m 0755 /run/munge
    runuser -u munge -- munged --num-threads=10 --pid-file="$MUNGE_PIDFILE" --log-file="$SCRATCH/munge/munged.log" \
        || die "munged did not start, see $SCRATCH/munge/munged.log"
    munge -n | unmunge >/dev/null || die "munge credentials do not round-trip"
fi

host=$(hostname -s)
cpus=$(nproc)
mem_total_mb=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 ))
# slurmd drains a node that reports less memory than configured; leave headroom.
real_mem_mb=$(( mem_total_mb * 8 / 10 ))

new_conf=$(cat <<EOF
$MARKER
ClusterName=rsseg-local
SlurmctldHost=$host(127.0.0.1)
# Bind to the node's address (loopback) instead of all interfaces.
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
AuthType=auth/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$SCRATCH/state
SlurmdSpoolDir=$SCRATCH/spool
SlurmctldPidFile=$SCRATCH/slurmctld.pid
SlurmdPidFile=$SCRATCH/slurmd.pid
SlurmctldLogFile=$SCRATCH/log/slurmctld.log
SlurmdLogFile=$SCRATCH/log/slurmd.log
# No cgroups in containers: track processes through /proc, no task binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
# Finished jobs stay visible to squeue this long; Snakemake polls status with squeue.
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$real_mem_mb State=UNKNOWN
PartitionName=$PARTITION Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
)

if [[ -e $CONF ]] && ! grep -qxF "$MARKER" "$CONF"; then
    die "$CONF exists and was not written by this script; refusing to overwrite it"
fi
if [[ ! -e $CONF ]] || [[ $(cat "$CONF") != "$new_conf" ]]; then
    mkdir -p "$(dirname "$CONF")"
    printf '%s\n' "$new_conf" >"$CONF"
    # Running daemons hold the old configuration.
    stop_daemons "${SLURM_PIDFILES[@]}"
fi

pid_alive "$SCRATCH/slurmctld.pid" || slurmctld || die "slurmctld did not start, see $SCRATCH/log/slurmctld.log"
pid_alive "$SCRATCH/slurmd.pid" || slurmd || die "slurmd did not start, see $SCRATCH/log/slurmd.log"

state=""
for (( waited = 0; waited < WAIT_SECONDS; waited++ )); do
    state=$(node_state)
    case $state in
        idle|mix|alloc) echo "partition: $PARTITION"; exit 0 ;;
        drain|drng|down) scontrol update NodeName="$host" State=RESUME 2>/dev/null || true ;;
    esac
    sleep 1
done
die "node $host not idle after ${WAIT_SECONDS}s (state '${state:-no answer}'); logs in $SCRATCH/log"
