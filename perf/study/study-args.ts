/** Command-line options of the study runner (`run-study.ts`): parsing and validation, with the usage text. */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { STUDIES, type StudyName } from "./results-csv.ts";
import { STUDY_MODES, workerLayouts, type StudyMode, type WorkerLayout } from "./study-plan.ts";
import { parseTaskKind, type TaskKind } from "./task-kinds.ts";

/** The runner's options, validated. */
export interface StudyArgs {
  mode: StudyMode;
  /** pull/push: a running dispatcher to start workers against. Default: none (start whole stacks). */
  dispatcher: string | undefined;
  /** The API of that running stack. Default: none (the stack's default, http://127.0.0.1:8000). */
  api: string | undefined;
  /** Results CSV. Default: perf/results/<date>-<mode>.csv. */
  out: string;
  /** Default: 1, 2, 4, 8 executors (see `workerLayouts`). */
  layouts: WorkerLayout[];
  /** Default: 1. */
  scale: number;
  /** Default: 3. */
  reps: number;
  /** Default: all. */
  studies: StudyName[] | undefined;
  /** Default: all. */
  kinds: TaskKind[] | undefined;
  /** Default: calibrated at start. */
  cpuIterations: number | undefined;
  /** Default: dist/faas. */
  bin: string | undefined;
  /** Default: a bar on a terminal. */
  plain: boolean | undefined;
}

export const USAGE = `Usage: bun perf/study/run-study.ts --mode local|pull|push [options]

  --mode M            dispatch mode to measure (required)
  --dispatcher URL    pull/push: a running dispatcher (tcp://host:port); only workers are started, against it
  --api URL           the API of that running stack (default http://127.0.0.1:8000)
  --out FILE          results CSV (default perf/results/<date>-<mode>.csv)
  --layouts L         worker layouts, processes x threads, e.g. 1x1,1x2,2x2 (default: 1,2,4,8 executors)
  --scale F           multiply every task count by F (default 1)
  --reps N            measured repetitions per run (default 3)
  --studies S         comma list of latency,saturation,batch,weak,strong (default all)
  --kinds K           comma list of noop,sleep10,cpu10 (default all)
  --cpu-iterations N  loop count of the cpu10 kind (default: calibrated to ~10 ms now)
  --bin FILE          the faas executable (default dist/faas)
  --plain             counter lines instead of a progress bar
`;

/** Print the problem and the usage on stderr and exit 2. */
function fail(msg: string): never {
  process.stderr.write(`${msg}\n\n${USAGE}`);
  process.exit(2);
}

/** Parse the runner's arguments (exits with the usage on `--help` or a bad option). */
export function parseStudyArgs(argv: string[], repo: string): StudyArgs {
  const { values: o } = (() => {
    try {
      return parseArgs({
        options: {
          mode: { type: "string" }, dispatcher: { type: "string" }, api: { type: "string" }, out: { type: "string" },
          layouts: { type: "string" }, scale: { type: "string" }, reps: { type: "string" }, studies: { type: "string" },
          kinds: { type: "string" }, "cpu-iterations": { type: "string" }, bin: { type: "string" }, plain: { type: "boolean" },
          help: { type: "boolean", short: "h" },
        },
        args: argv,
      });
    } catch (err) {
      return fail((err as Error).message);
    }
  })();
  if (o.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const mode = o.mode as StudyMode;
  if (!STUDY_MODES.includes(mode)) fail(`--mode must be one of ${STUDY_MODES.join(", ")}`);
  if (o.dispatcher && mode === "local") fail("--dispatcher is for pull/push: local mode has no dispatcher endpoint");
  const positive = (name: string, text: string | undefined, def: number, integer = true): number => {
    if (text === undefined) return def;
    const v = Number(text);
    if (!(v > 0) || (integer && !Number.isInteger(v))) fail(`--${name} must be a positive ${integer ? "integer" : "number"} (got "${text}")`);
    return v;
  };
  const scale = positive("scale", o.scale, 1, false);
  const reps = positive("reps", o.reps, 3);
  const list = <T>(text: string | undefined, parse: (s: string) => T): T[] | undefined =>
    text === undefined ? undefined : text.split(",").map((s) => parse(s.trim()));
  const studies = list(o.studies, (s) => {
    if (!(STUDIES as readonly string[]).includes(s)) fail(`unknown study "${s}"`);
    return s as StudyName;
  });
  let kinds: TaskKind[] | undefined;
  try {
    kinds = list(o.kinds, parseTaskKind);
  } catch (err) {
    fail((err as Error).message);
  }
  const layouts: WorkerLayout[] = list(o.layouts, (s) => {
    const m = /^(\d+)x(\d+)$/.exec(s);
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) fail(`bad layout "${s}" (want PROCESSESxTHREADS, e.g. 2x2)`);
    if (mode === "local" && Number(m[1]) !== 1) fail("local mode has one process: use layouts 1xT");
    return { processes: Number(m[1]), threads: Number(m[2]) };
  }) ?? workerLayouts(mode);
  const date = new Date().toISOString().slice(0, 10);
  const out = resolve(o.out ?? `${repo}/perf/results/${date}-${mode}.csv`);
  const cpuIterations = o["cpu-iterations"] !== undefined ? positive("cpu-iterations", o["cpu-iterations"], 1) : undefined;
  return { mode, dispatcher: o.dispatcher, api: o.api, out, layouts, scale, reps, studies, kinds, cpuIterations, bin: o.bin, plain: o.plain };
}
