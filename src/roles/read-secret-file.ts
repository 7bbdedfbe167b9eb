/** Reading a role's shared secret from `--secret-file` once at start: a private file, or the pipe `faas up` writes it to. */
import { fstatSync, openSync, readFileSync, closeSync } from "node:fs";
import { FaasError } from "../faas-error.ts";

/**
 * The first line of `path`, trimmed. Refuses (FaasError CONFIG) a regular file that group or others may read, an
 * empty secret, or a file that cannot be read. `-` reads stdin to its end (how `faas up` hands it over, in a pipe).
 */
export function readSecretFile(path: string): string {
  let fd: number;
  try {
    fd = path === "-" ? 0 : openSync(path, "r");
  } catch (err) {
    throw new FaasError("CONFIG", `cannot open --secret-file ${path}: ${(err as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    const mode = st.mode;
    if (st.isFile() && (mode & 0o077) !== 0) {
      throw new FaasError("CONFIG", `--secret-file ${path} may be read by other users (mode ${(mode & 0o777).toString(8)}): chmod 600 it`);
    }
    const secret = (readFileSync(fd, "utf8").split("\n")[0] ?? "").trim();
    if (secret === "") throw new FaasError("CONFIG", `--secret-file ${path} holds no secret`);
    return secret;
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}
