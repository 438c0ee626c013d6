// What the kernel can forward the VIP with: IPVS (keepalived's virtual_server) or, where the kernel has
// no IPVS, nftables NAT with a numgen map. Probed inside a throwaway director container, since the
// containers' kernel is the engine's, which need not be this machine's.
import type { Runtime } from '../runtime/types.js';

export interface ForwardingReport {
  mode: 'ipvs' | 'nftables';
  ipvs: { ok: boolean; detail: string };
  nftNat: { ok: boolean; detail: string };
}

/** Addresses from TEST-NET-3, only written into a ruleset in a container without a network: no traffic. */
const PROBE_SCRIPT = `
out=$(ipvsadm -Ln 2>&1); rc=$?
echo "@@IPVS $rc"; echo "$out" | head -n 3 | sed 's/^/@@IPVSOUT /'
cat > /tmp/probe.nft <<'EOF'
table ip labprobe {
  chain pre {
    type nat hook prerouting priority -100;
    ip daddr 203.0.113.10 tcp dport 80 dnat to numgen inc mod 2 map { 0 : 203.0.113.11, 1 : 203.0.113.12 }
  }
}
EOF
out=$(nft -f /tmp/probe.nft 2>&1); rc=$?
echo "@@NFT $rc"; echo "$out" | head -n 3 | sed 's/^/@@NFTOUT /'
[ $rc -eq 0 ] && nft delete table ip labprobe 2>/dev/null
exit 0
`;

/** Parses the probe's markers; exported for unit tests. */
export function parseForwardingProbe(stdout: string): ForwardingReport {
  const code = (k: string) => Number(new RegExp(`^@@${k} (\\d+)$`, 'm').exec(stdout)?.[1] ?? NaN);
  const text = (k: string) =>
    stdout.split('\n').filter((l) => l.startsWith(`@@${k}OUT `)).map((l) => l.slice(k.length + 6).trim()).filter(Boolean).join(' / ');
  const ipvsRc = code('IPVS');
  const nftRc = code('NFT');
  const ipvs = ipvsRc === 0
    ? { ok: true, detail: 'ipvsadm -Ln works: the kernel has IPVS' }
    : { ok: false, detail: Number.isNaN(ipvsRc) ? 'probe gave no answer' : `ipvsadm -Ln: ${text('IPVS') || `exit ${ipvsRc}`}` };
  const nftNat = nftRc === 0
    ? { ok: true, detail: 'nft accepts a nat prerouting chain with a numgen dnat map' }
    : { ok: false, detail: Number.isNaN(nftRc) ? 'probe gave no answer' : `nft: ${text('NFT') || `exit ${nftRc}`}` };
  return { mode: ipvs.ok ? 'ipvs' : 'nftables', ipvs, nftNat };
}

/** Probes IPVS and nftables NAT in one throwaway director container with NET_ADMIN and no network. */
export async function detectForwarding(runtime: Runtime, directorImage: string, labels: Record<string, string> = {}): Promise<ForwardingReport> {
  const probe = () =>
    runtime.run({
      image: directorImage,
      cmd: ['sh', '-c', PROBE_SCRIPT],
      capAdd: ['NET_ADMIN'],
      // With the lab's labels, so a probe left behind by a killed process is still swept by `lab down`.
      labels: { ...labels, 'lab.probe': 'forwarding' },
    });
  let res = await probe();
  // No answer at all is not "neither works": a loaded engine may end the container before its output
  // reached the log it is read from (dockerd waits 2 s for that). Once more, then it is what it is.
  if (!/@@IPVS/.test(res.stdout)) res = await probe();
  const report = parseForwardingProbe(res.stdout);
  if (!/@@IPVS/.test(res.stdout)) {
    const why = `probe container exited ${res.exitCode}: ${res.stderr.trim().split('\n').slice(-1)[0] ?? ''}`;
    report.ipvs.detail = why;
    report.nftNat.detail = why;
  }
  return report;
}
