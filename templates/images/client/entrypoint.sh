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
# Trust the lab CA: what update-ca-certificates does for one added CA (the bundle curl and openssl read,
# and a hash link for CApath users), without re-reading Debian's 140 (update-ca-certificates took a
# tenth of the machine's CPU in the e2e runs, two client nodes per lab up). From Debian's bundle as the
# image has it, so a restarted node holds the current lab CA once, and no earlier one.
if [ -f /etc/lab/ca.crt ]; then
  c=/etc/ssl/certs
  cp /etc/lab/ca.crt /usr/local/share/ca-certificates/lab-ca.crt
  ln -sfn /usr/local/share/ca-certificates/lab-ca.crt $c/lab-ca.pem
  find $c -maxdepth 1 -lname lab-ca.pem -delete
  h=$(openssl x509 -hash -noout -in /etc/lab/ca.crt)
  for n in 0 1 2 3 4 5 6 7 8 9; do [ -e "$c/$h.$n" ] || { ln -s lab-ca.pem "$c/$h.$n"; break; }; done
  cat /etc/ssl/ca-certificates.debian.crt /etc/lab/ca.crt > $c/ca-certificates.crt.new && mv $c/ca-certificates.crt.new $c/ca-certificates.crt
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
