#!/bin/bash
# Starts a director. lab renders /etc/lab/keepalived.conf with @IF:<address>@ placeholders because
# Docker does not promise which ethN a network becomes; we resolve them here from the addresses.
# Without IPVS (LAB_FORWARDING=nftables) keepalived runs VRRP only (-P) and lab-l4-forward does what its
# virtual_server blocks say, from /etc/lab/l4.spec, which lab generates from the same keepalived.conf.
# A student-written configuration (exp7, LAB_KEEPALIVED_CONF=/etc/keepalived/lvsN.conf) is read as it is;
# lab's include (/etc/lab/lab.conf, machine-specific variables) is what gets resolved, to LAB_INCLUDE.
# Signals: TERM/INT stop both at once; HUP re-resolves and reloads both.
set -euo pipefail
if [ -n "${LAB_KEEPALIVED_CONF:-}" ]; then
  src=/etc/lab/lab.conf
  resolved=${LAB_INCLUDE:-/run/lab/lab.conf}
  conf=$LAB_KEEPALIVED_CONF
else
  src=/etc/lab/keepalived.conf
  resolved=/run/keepalived.conf
  conf=$resolved
fi
mkdir -p "$(dirname "$resolved")"
export LAB_L4_SPEC=${LAB_L4_SPEC:-/etc/lab/l4.spec}

# resolve SRC DEST [FALLBACK]: SRC with each @IF:<address>@ replaced by the interface holding the address
# (or by FALLBACK when none does), written to DEST.
resolve() {
  local from=$1 to=$2 fallback=${3:-} ip dev
  cp "$from" "$to.new"
  for ip in $(grep -o '@IF:[0-9.]*@' "$from" | sort -u | sed 's/@IF:\(.*\)@/\1/'); do
    dev=$(ip -o -4 addr show | awk -v ip="$ip" '{split($4, a, "/"); if (a[1] == ip) print $2}' | head -n1)
    dev=${dev:-$fallback}
    [ -n "$dev" ] || { echo "lab-director: no interface holds $ip" >&2; rm -f "$to.new"; return 1; }
    sed -i "s/@IF:$ip@/$dev/g" "$to.new"
  done
  mv "$to.new" "$to"
}

# `lab-director --check [FILE]`: keepalived -t on FILE (default /etc/lab/keepalived.conf) with its @IF
# placeholders resolved, in any container of this image: addresses this container does not hold (a
# throwaway container validating a config before a director is recreated) get its first non-loopback
# interface, so that keepalived checks everything else. Line numbers are those of FILE.
if [ "${1:-}" = "--check" ]; then
  any=$(ip -o link show | awk -F': ' '$2 != "lo" {sub(/@.*/, "", $2); print $2; exit}')
  if [ -n "${LAB_KEEPALIVED_CONF:-}" ]; then
    # The student's file is checked as it is (its lines are the student's); lab's include is resolved
    # where the file expects it, as at start.
    resolve "$src" "$resolved" "$any"
    exec keepalived -t -f "${2:-$conf}"
  fi
  resolve "${2:-$src}" /tmp/keepalived.check.conf "$any"
  exec keepalived -t -f /tmp/keepalived.check.conf
fi

resolve "$src" "$resolved"
keepalived -t -f "$conf"

# A director killed outright (SIGKILL, a power cut) leaves keepalived's pid files in /run; started
# again, PIDs repeat in the new namespace and keepalived would say "daemon is already running" and
# exit. Nothing else runs in this container yet, so any pid file here is stale.
rm -f /run/keepalived.pid /run/vrrp.pid /run/checkers.pid /run/bfd.pid /run/keepalived/*.pid

pids=()
if [ "${LAB_FORWARDING:-nftables}" = "nftables" ]; then
  # No IPVS in this kernel: keepalived runs VRRP only (-P); lab-l4-forward does layer-4 forwarding.
  /usr/local/bin/lab-l4-forward &
  pids+=($!)
  keepalived -n -l -D -P -f "$conf" &
  pids+=($!)
else
  keepalived -n -l -D -f "$conf" &
  pids+=($!)
fi

stopping=
stop() {
  stopping=1
  kill -TERM "${pids[@]}" 2>/dev/null || true
}
reload() {
  if resolve "$src" "$resolved"; then
    kill -HUP "${pids[@]}" 2>/dev/null || true
  else
    echo "lab-director: reload skipped, keeping the running configuration" >&2
  fi
}
trap stop TERM INT
trap reload HUP

# Run until one of them exits (then stop the other, and exit with its status) or we are told to stop.
# A trapped signal interrupts `wait -n` without any child having exited, so wait again unless one has.
status=0
while :; do
  if wait -n "${pids[@]}"; then status=0; else status=$?; fi
  if [ -n "$stopping" ]; then
    status=0
    break
  fi
  alive=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
  [ "$alive" -eq "${#pids[@]}" ] && continue
  echo "lab-director: a child exited with status $status; stopping" >&2
  stop
  break
done
wait "${pids[@]}" 2>/dev/null || true
exit "$status"
