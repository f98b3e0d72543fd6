#!/usr/bin/env bash
# A throw-away single-node SLURM cluster on this machine, for tests/test_slurm.py and for trying
# profiles/slurm by hand.  Needs root and Debian's packages (slurm-wlm, slurm-client, munge; installed
# with apt-get when missing).  Works without systemd: the daemons are started by hand.
#
#   tests/cluster/slurm_cluster.sh up DIR     # install if needed, write DIR/slurm.conf, start daemons
#   sinfo; sbatch ...; snakemake --profile profiles/slurm --config scale=smoke   # partition "debug"
#   tests/cluster/slurm_cluster.sh down DIR   # stop what `up` started (by the PIDs in DIR's pid files)
#   tests/cluster/slurm_cluster.sh install    # only install the packages (what .ci/run does)
#
# DIR holds slurm.conf, the state/spool folders, pid files and logs (slurmctld.log, slurmd.log).
# /etc/slurm/slurm.conf becomes a symlink to DIR/slurm.conf (removed by `down`): SLURM_CONF alone is
# not enough, because snakemake-executor-plugin-slurm-jobstep removes every SLURM_* variable, SLURM_CONF
# included, before the `srun` that runs a job inside its allocation.  An /etc/slurm/slurm.conf that is
# not such a symlink (a real SLURM installation) is left alone and `up` fails with exit code 4.
# munged uses its standard socket /run/munge/munge.socket.2; an munged that is already running is
# reused (and left running by `down`).
#
# Exit codes:  0 ok | 1 usage | 2 not root | 3 packages missing and not installable
#              4 a daemon did not start / the cluster did not become ready (see the logs in DIR)
#              5 `down`: a daemon survived SIGKILL
# Every wait is bounded: SLURM_CLUSTER_TIMEOUT seconds for the node to become idle (default 60),
# apt-get at most 2 x 300 s plus 120 s for an update, `down` at most 15 s per daemon.
set -uo pipefail

READY_TIMEOUT=${SLURM_CLUSTER_TIMEOUT:-60}
PACKAGES=(slurm-wlm slurm-client munge)
BINARIES=(slurmctld slurmd sinfo srun sbatch squeue scontrol munged munge unmunge)

log() { printf '[slurm_cluster] %s\n' "$*" >&2; }
die() { local code=$1; shift; log "ERROR: $*"; exit "$code"; }

usage() {
    awk 'NR > 1 && !/^#/ {exit} NR > 1 {print}' "$0" >&2
    exit 1
}

missing_binaries() {
    local b out=()
    for b in "${BINARIES[@]}"; do command -v "$b" >/dev/null 2>&1 || out+=("$b"); done
    echo "${out[*]}"
}

# --------------------------------------------------------------------------- packages
ensure_packages() {
    local missing
    missing=$(missing_binaries)
    [[ -z $missing ]] && return 0
    log "missing: $missing; installing ${PACKAGES[*]} with apt-get"
    command -v apt-get >/dev/null 2>&1 || die 3 "no apt-get: install ${PACKAGES[*]} by hand"
    # make apt start no services (no systemd here; the daemons are started below, by hand)
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && made_policy=1
    fi
    local apt=(timeout -s KILL 300 env DEBIAN_FRONTEND=noninteractive apt-get install -y -q
               --no-install-recommends "${PACKAGES[@]}")
    if ! "${apt[@]}" >&2; then
        log "apt-get install failed; running apt-get update and retrying"
        timeout -s KILL 120 apt-get update -q >&2 || true
        "${apt[@]}" >&2
    fi
    local rc=$?
    (( made_policy )) && rm -f "$policy"
    missing=$(missing_binaries)
    [[ $rc -eq 0 && -z $missing ]] || die 3 "could not install ${PACKAGES[*]} (apt-get exit $rc; still missing: ${missing:-none})"
}

# --------------------------------------------------------------------------- helpers
# running and not a zombie (a killed daemon whose parent does not reap it counts as stopped)
alive() {
    [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null || return 1
    [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

pid_from() { [[ -s $1 ]] && tr -dc '0-9' < "$1"; }

# wait_for SECONDS CMD...: run CMD every 0.5 s until it succeeds; fail after SECONDS
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        (( SECONDS >= deadline )) && return 1
        sleep 0.5
    done
}

munge_works() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

# --------------------------------------------------------------------------- munge
start_munge() {
    local dir=$1
    if munge_works; then
        log "munged already running: reusing it"
        return 0
    fi
    [[ -s /etc/munge/munge.key ]] || {
        log "creating /etc/munge/munge.key"
        if command -v mungekey >/dev/null 2>&1; then mungekey --create --keyfile=/etc/munge/munge.key
        else dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none; fi
    }
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge /etc/munge
    chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
    touch /var/log/munge/munged.log && chown munge:munge /var/log/munge/munged.log
    # a stale pid file from a killed munged makes the new one refuse to start
    local old; old=$(pid_from /run/munge/munged.pid)
    alive "$old" || rm -f /run/munge/munged.pid /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock
    runuser -u munge -- munged || die 4 "munged did not start (see /var/log/munge/munged.log)"
    wait_for 10 munge_works || die 4 "munged is not answering (see /var/log/munge/munged.log)"
    printf '%s\n' "$(pid_from /run/munge/munged.pid)" > "$dir/munged.pid"   # ours: `down` stops it
}

# --------------------------------------------------------------------------- slurm.conf
write_conf() {
    local dir=$1 cpus mem_kib mem_mib
    cpus=$(nproc)
    mem_kib=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
    # a bit below the free memory: a node reporting less than RealMemory would be drained
    mem_mib=$(( mem_kib * 9 / 10 / 1024 ))
    (( mem_mib < 500 )) && mem_mib=500
    mkdir -p "$dir/state" "$dir/spool"
    cat > "$dir/slurm.conf" <<EOF
$MARK
ClusterName=mixedmotive
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
# finished jobs stay visible to squeue (the profile's status command) this long
MinJobAge=300
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=localhost CPUs=$cpus RealMemory=$mem_mib State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
}

# --------------------------------------------------------------------------- /etc/slurm/slurm.conf
ETC_CONF=/etc/slurm/slurm.conf
MARK="# single-node test cluster written by tests/cluster/slurm_cluster.sh"

link_conf() {   # point /etc/slurm/slurm.conf at DIR/slurm.conf, unless it is a real configuration
    local dir=$1
    if [[ -e $ETC_CONF || -L $ETC_CONF ]]; then
        # a symlink left by an earlier `up` (dangling, or to one of our configs) may be replaced
        if [[ -L $ETC_CONF ]] && { [[ ! -e $ETC_CONF ]] || [[ $(head -n 1 "$ETC_CONF") == "$MARK" ]]; }; then
            rm -f "$ETC_CONF"
        else
            die 4 "$ETC_CONF exists and was not written by this script: not touching a real SLURM configuration"
        fi
    fi
    mkdir -p "$(dirname "$ETC_CONF")"
    ln -s "$dir/slurm.conf" "$ETC_CONF"
}

unlink_conf() {
    local dir=$1
    [[ -L $ETC_CONF && $(readlink "$ETC_CONF") == "$dir/slurm.conf" ]] && rm -f "$ETC_CONF"
    return 0
}

# --------------------------------------------------------------------------- up / down
node_idle() { [[ $(sinfo -h -o %t 2>/dev/null) == idle ]]; }

cleanup_failed_up() {
    local rc=$?
    if (( rc != 0 )) && [[ -n ${UP_DIR:-} ]]; then
        log "up failed (exit $rc): stopping what it started"
        cmd_down "$UP_DIR" || true
    fi
}

cmd_up() {
    local dir=$1 t0=$SECONDS
    [[ $EUID -eq 0 ]] || die 2 "must run as root (the daemons run as root, munged as user munge)"
    ensure_packages
    mkdir -p "$dir" && dir=$(cd "$dir" && pwd)
    for f in slurmctld slurmd; do
        alive "$(pid_from "$dir/$f.pid")" && die 4 "$f from $dir is still running: run '$0 down $dir' first"
    done
    UP_DIR=$dir
    trap cleanup_failed_up EXIT   # a failed `up` stops what it started
    start_munge "$dir"
    write_conf "$dir"
    link_conf "$dir"
    export SLURM_CONF=$dir/slurm.conf
    slurmctld -i || die 4 "slurmctld did not start (see $dir/slurmctld.log)"
    wait_for 20 scontrol ping || die 4 "slurmctld is not answering (see $dir/slurmctld.log)"
    slurmd -N localhost || die 4 "slurmd did not start (see $dir/slurmd.log)"
    if ! wait_for "$READY_TIMEOUT" node_idle; then
        log "node state: '$(sinfo -h -o '%t %E' 2>&1)'"
        tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 2>/dev/null
        die 4 "the node did not become idle within ${READY_TIMEOUT}s"
    fi
    local host
    host=$(timeout -s KILL 60 srun -N1 -n1 -t 1 hostname 2>&1) || die 4 "srun hostname failed: $host"
    trap - EXIT
    log "cluster up in $((SECONDS - t0))s (srun hostname: $host)"
    echo "export SLURM_CONF=$dir/slurm.conf"
}

stop_pid() {   # stop_pid NAME PIDFILE: SIGTERM, up to 10 s, then SIGKILL, up to 5 s
    local name=$1 pidfile=$2 pid
    pid=$(pid_from "$pidfile")
    if ! alive "$pid"; then rm -f "$pidfile"; return 0; fi
    kill -TERM "$pid" 2>/dev/null
    local deadline=$((SECONDS + 10))
    while alive "$pid" && (( SECONDS < deadline )); do sleep 0.2; done
    if alive "$pid"; then
        log "$name ($pid) ignored SIGTERM: SIGKILL"
        kill -KILL "$pid" 2>/dev/null
        deadline=$((SECONDS + 5))
        while alive "$pid" && (( SECONDS < deadline )); do sleep 0.2; done
    fi
    if alive "$pid"; then log "$name ($pid) is still running"; return 1; fi
    rm -f "$pidfile"
    log "stopped $name ($pid)"
}

cmd_down() {
    local dir=$1 rc=0
    [[ -d $dir ]] || { log "$dir does not exist: nothing to stop"; return 0; }
    [[ $EUID -eq 0 ]] || die 2 "must run as root"
    stop_pid slurmd "$dir/slurmd.pid" || rc=5
    stop_pid slurmctld "$dir/slurmctld.pid" || rc=5
    stop_pid munged "$dir/munged.pid" || rc=5   # only when `up` started it
    unlink_conf "$dir"
    return $rc
}

case ${1:-}:$# in
    up:2) cmd_up "$2" ;;
    down:2) cmd_down "$2" ;;
    install:1) [[ $EUID -eq 0 ]] || die 2 "must run as root"; ensure_packages ;;
    *) usage ;;
esac
