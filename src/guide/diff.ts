// A unified diff (diff -u style) of two texts, for "show me the solution diff" on a step's files.
// Longest common subsequence over lines; the files of a lab are a few hundred lines at most.

type Op = { t: ' ' | '-' | '+'; line: string; a: number; b: number };

function ops(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: LCS length of a[i..] and b[j..].
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) out.push({ t: ' ', line: a[i]!, a: i++, b: j++ });
    // Deletions before insertions, as diff -u prints them.
    else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) out.push({ t: '-', line: a[i]!, a: i++, b: j });
    else out.push({ t: '+', line: b[j]!, a: i, b: j++ });
  }
  return out;
}

function lines(text: string): string[] {
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

/** `--- aName` / `+++ bName` and @@ hunks with `context` lines around each change; '' when equal. */
export function unifiedDiff(aText: string, bText: string, aName: string, bName: string, context = 3): string {
  const all = ops(lines(aText), lines(bText));
  const changed = all.map((o, k) => (o.t !== ' ' ? k : -1)).filter((k) => k >= 0);
  if (!changed.length) return '';
  // Group changes whose context overlaps into hunks.
  const hunks: [number, number][] = [];
  for (const k of changed) {
    const lo = Math.max(0, k - context);
    const hi = Math.min(all.length - 1, k + context);
    const last = hunks[hunks.length - 1];
    if (last && lo <= last[1] + 1) last[1] = hi;
    else hunks.push([lo, hi]);
  }
  const out = [`--- ${aName}`, `+++ ${bName}`];
  for (const [lo, hi] of hunks) {
    const slice = all.slice(lo, hi + 1);
    const aLen = slice.filter((o) => o.t !== '+').length;
    const bLen = slice.filter((o) => o.t !== '-').length;
    const aStart = aLen ? slice.find((o) => o.t !== '+')!.a + 1 : slice[0]!.a;
    const bStart = bLen ? slice.find((o) => o.t !== '-')!.b + 1 : slice[0]!.b;
    out.push(`@@ -${aStart},${aLen} +${bStart},${bLen} @@`);
    for (const o of slice) out.push(`${o.t}${o.line}`);
  }
  return `${out.join('\n')}\n`;
}
