#!/bin/bash
# Keeps a client node (client, office) alive for `lab shell` and the grader's probes.
#  - LAB_EXTRA_ADDRS ("172.28.4.50/24 …"): extra source addresses (both client nodes have NET_ADMIN for
#    this alone), so the grader can send from many clients of one network. Added as secondaries: the
#    node's own address stays the one its requests come from.
#  - LAB_PUBLISH ("8080:80 8443:443"): forwards those container ports to the VIP, so a host without a
#    route to container addresses (Docker Desktop) reaches the lab through published ports.
# `exec sleep` makes sleep the process Docker's init signals: a stop takes no time.
set -u
# A restarted container keeps its file system: not ready again until this start has done its work.
rm -f /run/lab-client.ready
if [ -f /etc/lab/ca.crt ]; then
  cp /etc/lab/ca.crt /usr/local/share/ca-certificates/lab-ca.crt && update-ca-certificates >/dev/null 2>&1 || true
fi
dev=$(ip -o -4 route show default 2>/dev/null | awk '{print $5; exit}')
for addr in ${LAB_EXTRA_ADDRS:-}; do
  ip addr add "$addr" dev "${dev:-eth0}" 2>/dev/null || echo "lab-client: could not add $addr" >&2
done
for pair in ${LAB_PUBLISH:-}; do
  socat "TCP-LISTEN:${pair%%:*},fork,reuseaddr" "TCP:${LAB_VIP}:${pair##*:}" &
done
# Ready (kinds/client.ts probes this file) once the CA is trusted, the addresses are held and every
# published port listens: a probe or a host request sent before that would fail for lab's reason.
for pair in ${LAB_PUBLISH:-}; do
  for _ in $(seq 1 50); do
    [ -n "$(ss -Hltn "sport = :${pair%%:*}" 2>/dev/null)" ] && break
    sleep 0.1
  done
done
touch /run/lab-client.ready
exec sleep infinity
