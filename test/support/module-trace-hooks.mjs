// The loader hook of module-trace.mjs (it runs on the loader thread).
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (process.env.HEARTH_TEST_MODULE_TRACE) appendFileSync(process.env.HEARTH_TEST_MODULE_TRACE, `${resolved.url}\n`);
  return resolved;
}
