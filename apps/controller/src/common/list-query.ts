/**
 * The query string of a list endpoint (events, audit), read one parameter at
 * a time. Every error names the parameter so the 400 says what to fix:
 * `limit: "5000" must be an integer 1..1000`.
 */

export class QueryError extends Error {
  override readonly name = 'QueryError';
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

export class ListQueryReader {
  /** Refuses any parameter not in `known` before a value is read. */
  constructor(
    private readonly raw: Record<string, unknown>,
    known: readonly string[],
  ) {
    for (const name of Object.keys(raw))
      if (!known.includes(name))
        throw new QueryError(`${name}: unknown parameter (known: ${known.join(', ')})`);
  }

  /** A parameter given once and not empty; undefined when absent. */
  text(name: string): string | undefined {
    const v = this.raw[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new QueryError(`${name}: give it once, as a plain value`);
    if (v === '') throw new QueryError(`${name}: must not be empty`);
    return v;
  }

  /** An ISO 8601 instant with a zone, as epoch milliseconds. */
  instant(name: string): number | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    const ms = ISO_INSTANT.test(v) ? Date.parse(v) : Number.NaN;
    if (Number.isNaN(ms))
      throw new QueryError(`${name}: "${v}" is not an ISO 8601 instant such as 2025-06-01T08:00:00Z`);
    return ms;
  }

  /** Decimal digits only, within min..max (an open top when max is MAX_SAFE_INTEGER). */
  integer(name: string, min: number, max: number): number | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new QueryError(
        `${name}: "${v}" must be an integer ${min}..${max === Number.MAX_SAFE_INTEGER ? '' : max}`,
      );
    return n;
  }
}
