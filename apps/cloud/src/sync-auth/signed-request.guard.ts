/**
 * Every /api/v1/sync/* request is signed by a controller (issue 5 item 3,
 * DESIGN.md point 7). The guard reads the exact body bytes (capped), rebuilds
 * the request as the controller signed it — method, the configured public
 * origin + the raw path and query, the headers, the body — and verifies it
 * with libs/sync against controller_keys and the shared nonce table. A refusal
 * is 401 problem details whose `reason` is the SignatureError code.
 *
 * Handlers behind it read `signedBy(req)` (who signed) and
 * `await signedJson(req, max)` (the body, inflated and parsed). Use it as
 * `@UseGuards(SignedRequestGuard)` and import SyncAuthModule.
 *
 * The nonce is recorded by the guard, in a commit of its own, except on a
 * handler marked `@NonceInTransaction()`: there the guard checks everything
 * but the nonce, and the handler must record `deferredNonce(req)` with
 * PgNonceCache.rememberIn first thing in its own transaction and answer 401
 * 'replayed-nonce' when it was used (ingest: one commit per batch, not two).
 */
import { Inject, Injectable, SetMetadata } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { RequestVerifier, SignatureError } from '#libs/sync';
import type { VerifiedRequest } from '#libs/sync';
import { Problem } from '../common/problem.js';
import { CLOCK, CLOUD_CONFIG, PUBLIC_ORIGIN } from '../common/tokens.js';
import type { Clock, PublicOrigin } from '../common/tokens.js';
import type { CloudConfig } from '../config/cloud-config.js';
import { EnrolmentService } from '../enrolment/enrolment.service.js';
import type { KeyOwner } from '../enrolment/enrolment.service.js';
import { PgNonceCache } from './pg-nonce-cache.js';
import type { DeferredNonce } from './pg-nonce-cache.js';
import { decodeJsonBody, readRawBody } from './request-body.js';

interface SignedHttpRequest extends Request {
  bulwarkRawBody?: Buffer;
  bulwarkSigned?: VerifiedRequest<KeyOwner>;
  bulwarkNonce?: DeferredNonce;
}

const NONCE_IN_TRANSACTION = 'bulwark:nonce-in-transaction';

/** On a handler that records the request's nonce in its own transaction (deferredNonce). */
export const NonceInTransaction = (): MethodDecorator => SetMetadata(NONCE_IN_TRANSACTION, true);

@Injectable()
export class SignedRequestGuard implements CanActivate {
  private readonly verifier: RequestVerifier<KeyOwner>;

  constructor(
    @Inject(CLOUD_CONFIG) private readonly config: CloudConfig,
    @Inject(PUBLIC_ORIGIN) private readonly origin: PublicOrigin,
    @Inject(CLOCK) clock: Clock,
    enrolment: EnrolmentService,
    nonces: PgNonceCache,
    private readonly reflector: Reflector,
  ) {
    this.verifier = new RequestVerifier<KeyOwner>({
      resolveKey: (keyId) => enrolment.resolveKey(keyId),
      nonces,
      now: () => clock.now(),
      clockSkewSeconds: config.clockSkewSeconds,
    });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<SignedHttpRequest>();
    const body = await readRawBody(req, this.config.maxBodyBytes);
    req.bulwarkRawBody = body;
    const deferNonce =
      this.reflector.get<boolean | undefined>(NONCE_IN_TRANSACTION, context.getHandler()) === true;
    try {
      const signed = await this.verifier.verify(
        {
          method: req.method,
          targetUri: `${this.origin.value}${req.originalUrl}`,
          headers: req.headers,
          body,
        },
        { deferNonce },
      );
      req.bulwarkSigned = signed;
      if (deferNonce)
        req.bulwarkNonce = { keyId: signed.keyId, nonce: signed.nonce, untilMs: signed.nonceUntilMs };
    } catch (error) {
      if (error instanceof SignatureError) throw new Problem(401, error.reason, error.message);
      throw error;
    }
    return true;
  }
}

/** Who signed the request; only behind SignedRequestGuard. */
export function signedBy(req: Request): VerifiedRequest<KeyOwner> {
  const signed = (req as SignedHttpRequest).bulwarkSigned;
  if (!signed) throw new Error('signedBy() called on a route without SignedRequestGuard');
  return signed;
}

/** The nonce the handler must record in its transaction; only on a @NonceInTransaction() handler. */
export function deferredNonce(req: Request): DeferredNonce {
  const nonce = (req as SignedHttpRequest).bulwarkNonce;
  if (!nonce) throw new Error('deferredNonce() called on a handler without @NonceInTransaction()');
  return nonce;
}

/** The verified body, decoded (Content-Encoding identity or gzip, capped at `max`) and parsed as JSON. */
export function signedJson(req: Request, max: number): Promise<unknown> {
  const raw = (req as SignedHttpRequest).bulwarkRawBody;
  if (!raw) throw new Error('signedJson() called on a route without SignedRequestGuard');
  return decodeJsonBody(raw, req.headers['content-encoding'], max);
}
