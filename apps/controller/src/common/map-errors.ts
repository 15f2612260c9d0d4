/**
 * Runs a request handler and rethrows what it throws through `toHttp`, which
 * turns a domain error into its NestJS HTTP exception (ProblemDetailsFilter
 * then writes RFC 9457) and hands anything else back unchanged.
 */
export async function mapErrors<T>(run: () => Promise<T>, toHttp: (err: unknown) => unknown): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toHttp(err);
  }
}
