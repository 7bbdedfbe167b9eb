/** Synchronous request validation with the routes' zod schemas (the same schemas that document them). */
import type { Context } from "hono";
import type { z } from "zod";
import { FaasError } from "../faas-error.ts";
import { describeZodError } from "./error-handler.ts";

/** `value` parsed by `schema`, or a FaasError BAD_REQUEST naming the fields (`target`: json, query, param). */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, target: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new FaasError("BAD_REQUEST", describeZodError(target, r.error));
  return r.data;
}

/**
 * The JSON body parsed by `schema`. A body without Content-Type is read as JSON; another media type is 415.
 * `plain`: a cheap check of bodies the schema would pass unchanged (those skip it). Default: none.
 */
export async function parseJsonBody<S extends z.ZodType>(c: Context, schema: S, plain?: (v: unknown) => v is z.infer<S>): Promise<z.infer<S>> {
  const type = c.req.header("content-type");
  if (type !== undefined && !/^application\/([a-z0-9.+-]*\+)?json\b/i.test(type.trim())) {
    throw new FaasError("BAD_REQUEST", "request body must be JSON: send Content-Type: application/json", 415);
  }
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch (err) {
    if (err instanceof FaasError) throw err;
    throw new FaasError("BAD_REQUEST", "request body is not valid JSON");
  }
  return plain?.(body) ? body : parseWith(schema, body, "json");
}
