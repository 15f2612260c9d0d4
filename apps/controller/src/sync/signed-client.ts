/**
 * Signed requests to the cloud (DESIGN.md point 7): every request carries an
 * RFC 9421 signature made with the controller's key, with the time corrected
 * by the cloud's `Date` header, and every outcome goes to the link monitor
 * (DESIGN.md point 5): an answer is a success, except a 5xx (the cloud is not
 * working) and a 401/403 (the cloud refuses this controller: nothing syncs,
 * which the link must show); no answer is a failure or a timeout.
 */
import type { LinkOutcome } from '#libs/link';
import { RequestSigner, signingKeyFrom } from '#libs/sync';
import type { SshPrivateKey } from '#libs/sync';
import type { Clock } from '../common/clock.js';
import { CloudClock } from './cloud-clock.js';
import { CloudTransportError } from './cloud-transport.js';
import type { CloudAnswer, CloudRequest, CloudTransport } from './cloud-transport.js';

export interface SignedClientOptions {
  /** The cloud's base URL, e.g. https://cloud.example (a path prefix is kept). */
  baseUrl: string;
  key: SshPrivateKey;
  transport: CloudTransport;
  clock: Clock;
  /** Receives every exchange's outcome (the 'cloud' link driver). */
  record: (outcome: LinkOutcome) => void;
  randomBytes?: (n: number) => Uint8Array;
}

export interface ExchangeOptions {
  body?: Uint8Array;
  headers?: Record<string, string>;
  timeoutMs: number;
}

export class SignedCloudClient {
  readonly cloudClock: CloudClock;
  private readonly signer: RequestSigner;
  private readonly base: string;
  private readonly inFlight = new Set<AbortController>();
  private closed = false;

  constructor(private readonly options: SignedClientOptions) {
    this.cloudClock = new CloudClock(options.clock);
    this.signer = new RequestSigner({
      key: signingKeyFrom(options.key),
      now: () => this.cloudClock.now(),
      randomBytes: options.randomBytes,
    });
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  /** Aborts every exchange in flight (a 25 s long-poll must not hold a shutdown up) and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const abort of this.inFlight) abort.abort();
  }

  get keyId(): string {
    return this.signer.keyId;
  }

  /**
   * One signed exchange. Resolves with any answer (the caller judges its
   * status); rejects with CloudTransportError when none came.
   */
  async exchange(method: CloudRequest['method'], path: string, opts: ExchangeOptions): Promise<CloudAnswer> {
    const url = `${this.base}${path}`;
    const body = opts.body ?? new Uint8Array(0);
    const signature = this.signer.sign({ method, targetUri: url, body });
    const request: CloudRequest = {
      method,
      url,
      headers: { ...opts.headers, ...signature },
      ...(method === 'GET' ? {} : { body }),
      timeoutMs: opts.timeoutMs,
    };
    const sentAt = this.options.clock.now();
    if (this.closed) throw new CloudTransportError('network', 'aborted: the sync client is closing');
    const abort = new AbortController();
    this.inFlight.add(abort);
    let answer: CloudAnswer;
    try {
      answer = await this.options.transport.request({ ...request, signal: abort.signal });
    } catch (err) {
      // Our own shutdown says nothing about the link.
      if (this.closed) throw err;
      if (err instanceof CloudTransportError && err.kind === 'timeout')
        this.options.record({ kind: 'timeout' });
      else this.options.record({ kind: 'failure', reason: `${method} ${path}: ${(err as Error).message}` });
      throw err;
    } finally {
      this.inFlight.delete(abort);
    }
    this.cloudClock.observe(answer.headers.date, sentAt, this.options.clock.now());
    this.options.record(outcomeOf(method, path, answer));
    return answer;
  }
}

export function outcomeOf(method: string, path: string, answer: CloudAnswer): LinkOutcome {
  if (answer.status >= 500 || answer.status === 401 || answer.status === 403)
    return { kind: 'failure', reason: `${method} ${path}: ${answer.status} ${problemReason(answer)}`.trim() };
  return { kind: 'success' };
}

/** The `detail` (or `title`) of a problem-details answer, for logs and the link's last failure. */
export function problemReason(answer: CloudAnswer): string {
  try {
    const problem = JSON.parse(answer.body.toString('utf8')) as { detail?: unknown; title?: unknown };
    const text = problem.detail ?? problem.title;
    return typeof text === 'string' ? text : '';
  } catch {
    return answer.body.toString('utf8').slice(0, 200);
  }
}
