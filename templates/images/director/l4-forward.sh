#!/bin/bash
# Layer-4 forwarding for kernels without IPVS (errata 13): DNAT VIP:port to the live HAProxy nodes,
# spread with numgen. Its own TCP health check rewrites the ruleset atomically when a node dies or
# returns, so a dead node stops getting new connections within about two check periods.
# Env: LAB_VIP, LAB_BACKENDS (space-separated IPs), LAB_PORTS (e.g. "80 443"), LAB_CHECK_PORT.
set -u
interval=${LAB_CHECK_INTERVAL:-0.5}
check_port=${LAB_CHECK_PORT:-80}
read -r -a backends <<<"$LAB_BACKENDS"

ruleset() {
  local alive=("$@") n=$# i port map
  echo "table ip lab {"
  echo "  chain pre {"
  echo "    type nat hook prerouting priority -100;"
  for port in $LAB_PORTS; do
    if [ "$n" -eq 1 ]; then
      echo "    ip daddr $LAB_VIP tcp dport $port dnat to ${alive[0]}"
    else
      map=""
      for ((i = 0; i < n; i++)); do map+="${map:+, }$i : ${alive[$i]}"; done
      echo "    ip daddr $LAB_VIP tcp dport $port dnat to numgen inc mod $n map { $map }"
    fi
  done
  echo "  }"
  echo "}"
}

apply() {
  # One transaction: create-if-missing, delete, re-add. Clients never see a half-written table.
  { echo "table ip lab"; echo "delete table ip lab"; ruleset "$@"; } | nft -f - \
    || echo "lab-l4-forward: nft rejected the ruleset" >&2
}

probe() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$check_port" 2>/dev/null; }

current=""
declare -A pids
while true; do
  for b in "${backends[@]}"; do
    probe "$b" &
    pids[$b]=$!
  done
  alive=()
  for b in "${backends[@]}"; do
    if wait "${pids[$b]}"; then alive+=("$b"); fi
  done
  # With nothing alive, keep forwarding to all: a refused connection says more than a silent VIP.
  [ ${#alive[@]} -gt 0 ] || alive=("${backends[@]}")
  if [ "${alive[*]}" != "$current" ]; then
    apply "${alive[@]}"
    echo "lab-l4-forward: forwarding ${LAB_VIP} ports ${LAB_PORTS} to: ${alive[*]}"
    current="${alive[*]}"
  fi
  sleep "$interval"
done
