/** `bun perf/study/render-graphs.ts [csv...]`: renders perf/graphs/*.svg and *.png from results CSVs (default: newest per mode). */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import * as echarts from "echarts";
import { studyGraphs, type Graph } from "./charts.ts";
import { csvSourcesOrExit, loadRows } from "./latest-results.ts";
import { summarize } from "./summarize.ts";

const REPO = resolve(import.meta.dir, "../..");

/** Render one graph to SVG text with ECharts' server-side SVG renderer. */
export function renderSvg(g: Graph): string {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: g.width, height: g.height });
  try {
    chart.setOption(g.option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** Rasterise SVG text to PNG bytes (system fonts, DejaVu Sans by default). */
export function svgToPng(svg: string, scale = 1.5): Uint8Array {
  const resvg = new Resvg(svg, {
    background: "#ffffff",
    fitTo: { mode: "zoom", value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}

/** Write `<name>.svg` and `<name>.png` of every graph into `dir`; returns the paths written. */
export function writeGraphs(summaryCsvs: readonly string[], dir: string): string[] {
  const summary = summarize(loadRows(summaryCsvs));
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const g of studyGraphs(summary)) {
    const svg = renderSvg(g);
    writeFileSync(join(dir, `${g.name}.svg`), svg);
    writeFileSync(join(dir, `${g.name}.png`), svgToPng(svg));
    written.push(join(dir, `${g.name}.svg`), join(dir, `${g.name}.png`));
  }
  return written;
}

if (import.meta.main) {
  const sources = csvSourcesOrExit(process.argv.slice(2), resolve(REPO, "perf/results"));
  const written = writeGraphs(sources, resolve(REPO, "perf/graphs"));
  process.stderr.write(`rendered ${written.length / 2} graphs (svg + png) into perf/graphs from ${sources.length} CSV file(s)\n`);
}
