/**
 * The one network side effect of the sync client, behind a port so its tests
 * run against fakes with named failure modes: an HTTP exchange that either
 * answers (any status) or fails as a timeout or a network error.
 */
export interface CloudRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  timeoutMs: number;
  /** Aborts the exchange (shutdown); it then fails as 'network' with reason "aborted". */
  signal?: AbortSignal;
}

export interface CloudAnswer {
  status: number;
  /** Lowercase header names. */
  headers: Record<string, string>;
  body: Buffer;
}

/** Why an exchange brought no answer: 'timeout' (no answer in time) or 'network' (refused, reset, DNS…). */
export class CloudTransportError extends Error {
  override readonly name = 'CloudTransportError';
  constructor(
    readonly kind: 'timeout' | 'network',
    message: string,
  ) {
    super(message);
  }
}

export interface CloudTransport {
  request(request: CloudRequest): Promise<CloudAnswer>;
}

export const CLOUD_TRANSPORT = Symbol('CLOUD_TRANSPORT');

/** Node's fetch (undici): outbound only, keep-alive connections. */
export const fetchTransport: CloudTransport = {
  async request(req: CloudRequest): Promise<CloudAnswer> {
    let response: Response;
    const timeout = AbortSignal.timeout(req.timeoutMs);
    const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
    try {
      response = await fetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal,
      });
      const body = Buffer.from(await response.arrayBuffer());
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => (headers[name.toLowerCase()] = value));
      return { status: response.status, headers, body };
    } catch (err) {
      if (req.signal?.aborted) throw new CloudTransportError('network', 'aborted');
      if (timeout.aborted) throw new CloudTransportError('timeout', `no answer within ${req.timeoutMs} ms`);
      throw new CloudTransportError('network', networkReason(err));
    }
  },
};

/** fetch says "fetch failed"; the useful part (ECONNREFUSED 127.0.0.1:4000) is in its cause. */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  return cause?.message ?? (err as Error).message ?? String(err);
}
