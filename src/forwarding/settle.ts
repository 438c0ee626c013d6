// After an HAProxy (or a director) reloads, the directors' health checks need a moment to see what now
// listens: a port HAProxy just bound stays out of rotation until the next check (delay_loop 0.5 s), and
// a request in between is refused although the config is right. `lab apply` and the class grader wait
// here, so the student's next curl and the grader's first probe meet the lab the config describes.
import type { LabView } from '../lifecycle/observe.js';
import type { Runtime } from '../runtime/types.js';
import { networkName } from '../topology/networks.js';

/**
 * Run in a director: `settle VIP "PORTS" TRIES BACKEND…`. Exits 0 once, for every port, the VIP's DNAT
 * rule names exactly the backends that accept a connection on it (all of them when none does: the
 * forwarder then sends to all, a refusal saying more than a silent VIP), 1 after TRIES looks 0.2 s apart.
 * Every port the experiment serves: 443 may converge later than 80; a port with no rule at all is not
 * forwarded (exp7's directors before the student writes its virtual_server), so nothing waits on it.
 * nft lists the forwarder's `dnat to` as `dnat ip to`; both are read.
 */
export const SETTLE = `
vip=$1 ports=$2 tries=$3; shift 3
settled() {
  for port in $ports; do
    exp=""
    for b in "$@"; do timeout 1 bash -c "exec 3<>/dev/tcp/$b/$port" 2>/dev/null && exp="$exp $b"; done
    [ -n "$exp" ] || exp="$*"
    rule=$(nft list table ip lab 2>/dev/null | grep -m1 -E "ip daddr $vip tcp dport $port dnat (ip )?to")
    [ -n "$rule" ] || continue
    cur=$(echo "$rule" | grep -oE '[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+' | grep -vxF "$vip" | sort -u | tr '\\n' ' ')
    want=$(echo $exp | tr ' ' '\\n' | sort -u | tr '\\n' ' ')
    [ "$cur" = "$want" ] || return 1
  done
}
for i in $(seq 1 "$tries"); do
  settled "$@" && exit 0
  sleep 0.2
done
exit 1`;

/**
 * Waits (at most about `tries` × 0.2 s) until every running director forwards the experiment's ports to
 * exactly the HAProxy nodes that accept them. Only where lab forwards with nftables (errata 13): with
 * IPVS, keepalived's own checks decide and there is no rule to read. Never throws: a lab that does not
 * settle is judged as it is.
 */
export async function settleForwarding(runtime: Runtime, view: LabView | undefined, ports: number[], tries = 20): Promise<boolean> {
  if (view?.forwarding !== 'nftables' || !view.vip || !ports.length) return true;
  const directors = view.nodes.filter((n) => n.role === 'director' && n.state === 'running');
  const proxyNet = networkName(view.name, 'proxy');
  const backends = view.nodes.filter((n) => n.role === 'haproxy').flatMap((n) => (n.addresses[proxyNet] ? [n.addresses[proxyNet]!] : []));
  if (!backends.length || !directors.length) return true;
  const args = ['settle', view.vip, ports.join(' '), String(tries), ...backends];
  const codes = await Promise.all(
    directors.map((d) => runtime.exec(d.container, ['bash', '-c', SETTLE, ...args], { timeoutMs: tries * 400 + 5000, kept: true }).then((r) => r.exitCode, () => 1)),
  );
  return codes.every((c) => c === 0);
}
