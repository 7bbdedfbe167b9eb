// The command line of the client commands (faas fn | call | task): flags, FAAS_URL / FAAS_KEY, usage errors.
import { expect, test } from "bun:test";
import { parseCommand } from "../../src/config.ts";
import { FaasError } from "../../src/faas-error.ts";

const usageOf = (argv: string[], env = {}) => {
  try {
    parseCommand(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(FaasError);
    expect((err as FaasError).code).toBe("USAGE");
    return (err as FaasError).message;
  }
  throw new Error(`no usage error for ${argv.join(" ")}`);
};

test("fn deploy/list/rm, call and task: flags win over FAAS_URL / FAAS_KEY, which win over the defaults", () => {
  expect(parseCommand(["fn", "deploy", "f.ts", "--name", "double"], {})).toMatchObject({
    role: "fn", action: "deploy", target: "f.ts", name: "double", url: "http://127.0.0.1:8000", key: undefined,
  });
  const env = { FAAS_URL: "http://api.example:9000/", FAAS_KEY: "k1" };
  expect(parseCommand(["fn", "list"], env)).toMatchObject({ role: "fn", action: "list", url: "http://api.example:9000", key: "k1" });
  expect(parseCommand(["fn", "rm", "ID", "--url", "https://x", "--key", "k2"], env)).toMatchObject({ action: "rm", target: "ID", url: "https://x", key: "k2" });
  expect(parseCommand(["call", "double"], {})).toMatchObject({ role: "call", target: "double", args: "[]", waitSeconds: 300 });
  expect(parseCommand(["call", "double", "[21, {\"a\": 1}]", "--wait", "2.5"], {})).toMatchObject({ args: "[21, {\"a\": 1}]", waitSeconds: 2.5 });
  expect(parseCommand(["task", "T"], {})).toMatchObject({ role: "task", target: "T" });
  expect(parseCommand(["call", "--help"], {})).toEqual({ role: "help", topic: "call" });
});

test("usage errors name what is wrong", () => {
  expect(usageOf(["fn"])).toContain("fn needs deploy, list or rm");
  expect(usageOf(["fn", "deploy", "f.ts"])).toContain("faas fn deploy FILE --name NAME");
  expect(usageOf(["fn", "list", "--name", "x"])).toContain("--name goes with fn deploy");
  expect(usageOf(["fn", "rm"])).toContain("faas fn rm ID");
  expect(usageOf(["call"])).toContain("faas call NAME_OR_ID");
  expect(usageOf(["call", "f", "21"])).toContain("ARGS_JSON must be a JSON array");
  expect(usageOf(["call", "f", "[]", "extra"])).toContain('unexpected argument "extra"');
  expect(usageOf(["call", "f", "--wait", "0"])).toContain("--wait");
  expect(usageOf(["task"])).toContain("faas task ID");
  expect(usageOf(["task", "T", "--url", "ftp://x"])).toContain("--url must be an http:// or https:// URL");
  expect(usageOf(["task", "T", "--bogus"])).toContain("bogus");
});
