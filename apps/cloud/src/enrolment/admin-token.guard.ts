/**
 * The admin API's stand-in for people-auth (DESIGN.md point 9 is not built
 * yet): `Authorization: Bearer <BULWARK_CLOUD_ADMIN_TOKEN>`, compared in
 * constant time. Without a configured token the admin API is closed.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { Problem } from '../common/problem.js';
import { CLOUD_CONFIG } from '../common/tokens.js';
import type { CloudConfig } from '../config/cloud-config.js';

@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(@Inject(CLOUD_CONFIG) config: CloudConfig) {
    this.expected = config.adminToken === undefined ? undefined : digest(config.adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.expected === undefined) {
      throw new Problem(401, 'admin-disabled', 'the admin API is disabled: set BULWARK_CLOUD_ADMIN_TOKEN');
    }
    const header = context.switchToHttp().getRequest<Request>().headers.authorization;
    const match = /^Bearer (\S+)$/.exec(header ?? '');
    if (!match) throw new Problem(401, 'missing-token', 'send Authorization: Bearer <admin token>');
    // Hashing first gives equal lengths, so timingSafeEqual never leaks the token's length.
    if (!timingSafeEqual(digest(match[1]), this.expected)) {
      throw new Problem(401, 'bad-token', 'the admin token is not valid');
    }
    return true;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
