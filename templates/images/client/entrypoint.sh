#!/bin/bash
# Keeps the client alive for `lab shell client` and probes. With LAB_PUBLISH set
# ("8080:80 8443:443"), forwards those container ports to the VIP so a host without a route
# to container addresses (Docker Desktop) can reach the lab through published ports.
set -u
if [ -f /etc/lab/ca.crt ]; then
  cp /etc/lab/ca.crt /usr/local/share/ca-certificates/lab-ca.crt && update-ca-certificates >/dev/null 2>&1 || true
fi
for pair in ${LAB_PUBLISH:-}; do
  socat "TCP-LISTEN:${pair%%:*},fork,reuseaddr" "TCP:${LAB_VIP}:${pair##*:}" &
done
exec sleep infinity
