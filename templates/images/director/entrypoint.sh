#!/bin/bash
# Starts a director. lab renders /etc/lab/keepalived.conf with @IF:<address>@ placeholders because
# Docker does not promise which ethN a network becomes; we resolve them here from the addresses.
set -euo pipefail
src=/etc/lab/keepalived.conf
conf=/run/keepalived.conf
cp "$src" "$conf"
for ip in $(grep -o '@IF:[0-9.]*@' "$src" | sort -u | sed 's/@IF:\(.*\)@/\1/'); do
  dev=$(ip -o -4 addr show | awk -v ip="$ip" '{split($4, a, "/"); if (a[1] == ip) print $2}' | head -n1)
  [ -n "$dev" ] || { echo "lab-director: no interface holds $ip" >&2; exit 1; }
  sed -i "s/@IF:$ip@/$dev/g" "$conf"
done
keepalived -t -f "$conf"
if [ "${LAB_FORWARDING:-nftables}" = "nftables" ]; then
  # No IPVS in this kernel: keepalived runs VRRP only (-P); lab-l4-forward does layer-4 forwarding.
  /usr/local/bin/lab-l4-forward &
  exec keepalived -n -l -D -P -f "$conf"
fi
exec keepalived -n -l -D -f "$conf"
