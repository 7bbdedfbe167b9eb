/** Test helpers speaking the Python clients' wire format with a real python3 and dill: payloads made, results loaded. */

/** The python3 that has dill (Debian's python3-dill), as the executors find it. */
export const PYTHON = Bun.which("python3", { PATH: "/usr/local/bin:/usr/bin:/bin" }) ?? "python3";

function python(script: string, input: string): string {
  const run = Bun.spawnSync([PYTHON, "-c", script], { stdin: Buffer.from(input), stdout: "pipe", stderr: "pipe", env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8" } });
  if (run.exitCode !== 0) throw new Error(`python3 failed: ${run.stderr.toString()}`);
  return run.stdout.toString();
}

/**
 * Payloads as the Python clients make them: `codecs.encode(dill.dumps(v), "base64").decode()` for each Python
 * expression (evaluated after `prelude`, in the client's `__main__`).
 */
export function dillPayloads(prelude: string, expressions: string[]): string[] {
  const script = [
    "import codecs, dill, json, sys",
    prelude,
    "exprs = json.loads(sys.stdin.read())",
    "print(json.dumps([codecs.encode(dill.dumps(eval(e)), 'base64').decode() for e in exprs]))",
  ].join("\n");
  return JSON.parse(python(script, JSON.stringify(expressions))) as string[];
}

/** What `dill.loads(base64decode(payload))` gives, per payload: its class name, whether an exception, repr, JSON value when it has one. */
export interface Loaded {
  type: string;
  exception: boolean;
  repr: string;
  value?: unknown;
  /** For an exception: `isinstance` checks against these built-in classes, by name. */
  isinstance?: Record<string, boolean>;
}

/** Load each payload with python3 dill, as the Python clients do. */
export function dillLoads(payloads: string[]): Loaded[] {
  const script = [
    "import base64, builtins, dill, json, sys",
    "out = []",
    "for p in json.loads(sys.stdin.read()):",
    "    v = dill.loads(base64.b64decode(p))",
    "    d = {'type': type(v).__name__, 'exception': isinstance(v, BaseException), 'repr': repr(v)}",
    "    try:",
    "        json.dumps(v); d['value'] = v",
    "    except Exception:",
    "        pass",
    "    if d['exception']:",
    "        d['isinstance'] = {n: isinstance(v, getattr(builtins, n)) for n in ['ValueError', 'TimeoutError', 'MemoryError', 'RuntimeError', 'SystemExit', 'Exception']}",
    "    out.append(d)",
    "print(json.dumps(out))",
  ].join("\n");
  return JSON.parse(python(script, JSON.stringify(payloads))) as Loaded[];
}
