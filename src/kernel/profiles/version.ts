/** Kernel version strings: "6.12", "6.12.118+deb13-amd64", "Linux version 5.10.0-46-amd64 …". */

/** Major and minor of a kernel release string, or null when it does not start with N.N. */
export function parseRelease(s: string): { major: number; minor: number; text: string } | null {
  const m = /^(?:Linux version )?(\d{1,3})\.(\d{1,3})(?=$|[.\-+~_ ])/.exec(s.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), text: `${Number(m[1])}.${Number(m[2])}` };
}

/** Compare "A.B[.C]" version strings numerically. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
