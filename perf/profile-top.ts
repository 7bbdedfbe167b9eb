/**
 * The functions that took the most self time in a `.cpuprofile` (from `bun --cpu-prof`), with their share.
 * `bun perf/profile-top.ts FILE.cpuprofile [N]` (default N = 40).
 */
export {};

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }
const [file, n = "40"] = process.argv.slice(2);
if (!file) throw new Error("usage: bun perf/profile-top.ts FILE.cpuprofile [N]");
const profile = JSON.parse(await Bun.file(file).text()) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const frame = byId.get(id)!.callFrame;
  const key = `${frame.functionName || "(anonymous)"} ${frame.url.split("/").slice(-2).join("/")}:${frame.lineNumber}`;
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
});
console.log(`total ${(total / 1000).toFixed(0)} ms of samples`);
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) {
  console.log(`${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`);
}
