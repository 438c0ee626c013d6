#!/bin/sh
# 实验六 / exp6: the maintenance runbook. lab runs it with sh in EACH HAProxy node (haproxy1 and haproxy2;
# the workspace is mounted read-only at /lab/workspace there), against that node's own runtime socket:
#   sh /lab/workspace/runbook.sh drain     take nginx2 out of rotation without dropping a request:
#                                          drain it, wait until its current sessions reach 0 (read and
#                                          print them every second or so, the number last on its line),
#                                          then put it in maintenance at once
#   sh /lab/workspace/runbook.sh restore   put it back in rotation
# Exit 0 when done. Try it by hand: lab exec haproxy1 -- sh /lab/workspace/runbook.sh drain
SOCK=/var/run/haproxy.sock

case "$1" in
  drain)
    echo "TODO: drain nginx2's server, wait for its sessions to reach 0 (print them), then maintenance" >&2
    exit 1
    ;;
  restore)
    echo "TODO: put nginx2's server back in rotation" >&2
    exit 1
    ;;
  *)
    echo "usage: $0 drain|restore" >&2
    exit 2
    ;;
esac
