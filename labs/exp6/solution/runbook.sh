#!/bin/sh
# 实验六 / exp6 reference runbook. lab runs it with sh in EACH HAProxy node, against that node's socket:
#   sh /lab/workspace/runbook.sh drain     drain nginx2, wait until its sessions reach 0, then maintenance
#   sh /lab/workspace/runbook.sh restore   back in rotation
set -eu
SOCK=${SOCK:-/var/run/haproxy.sock}
SERVER=${SERVER:-web-backend/web2}   # backend/server of nginx2:10080 in haproxy.cfg
BACKEND=${SERVER%/*}
NAME=${SERVER#*/}

cli() { echo "$*" | socat stdio "UNIX-CONNECT:$SOCK"; }

# Current sessions of the server: column 5 (scur) of `show stat`.
sessions() { cli "show stat" | awk -F, -v b="$BACKEND" -v s="$NAME" '$1 == b && $2 == s { print $5 }'; }

case "${1:-}" in
  drain)
    cli "set server $SERVER state drain" >/dev/null     # no new sessions; the current ones finish
    while :; do
      n=$(sessions)
      echo "$(hostname): $SERVER current sessions: $n"
      [ "$n" -eq 0 ] && break
      sleep 0.3
    done
    cli "set server $SERVER state maint" >/dev/null     # out of rotation, health checks paused
    echo "$(hostname): $SERVER is in maintenance"
    ;;
  restore)
    cli "set server $SERVER state ready" >/dev/null
    echo "$(hostname): $SERVER is back in rotation"
    ;;
  *)
    echo "usage: $0 drain|restore" >&2
    exit 2
    ;;
esac
