import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { parseCommand } from "../../src/config.ts";

test("--python-path DIR is repeatable on up, dispatcher and worker, resolved to absolute paths; none by default", () => {
  expect(parseCommand(["up", "--python-path", "/opt/mods", "--python-path", "lib"], {})).toMatchObject({ pythonPath: ["/opt/mods", resolve("lib")] });
  expect(parseCommand(["dispatcher", "--python-path", "/opt/mods"], {})).toMatchObject({ pythonPath: ["/opt/mods"] });
  expect(parseCommand(["worker", "push", "1", "tcp://127.0.0.1:5555", "--python-path", "/opt/mods"], {})).toMatchObject({ pythonPath: ["/opt/mods"] });
  expect(parseCommand(["dispatcher"], {})).toMatchObject({ pythonPath: [] });
  expect(() => parseCommand(["dispatcher", "--python-path", ""], {})).toThrow(expect.objectContaining({ code: "USAGE" }));
});
