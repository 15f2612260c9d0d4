/**
 * HTTP mapping shared by the snapshot and the schedule/calendar APIs: errors
 * to RFC 9457 problem details (through ProblemDetailsFilter), and who is
 * editing.
 *
 *   400 malformed body, query or path (the field named)
 *   404 unknown version, schedule or calendar
 *   409 head moved under the edit, or a calendar still referenced
 *   422 well-formed, but the configuration it makes is invalid (part and field named)
 */
import {
  BadRequestException,
  ConflictException,
  NotFoundException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { HeadMovedError, InvalidIdError, UnknownVersionError } from '#libs/snapshots';
import { mapErrors } from '../common/map-errors.js';
import { ConfigurationInvalidError } from './configuration-checks.js';

export class BodyError extends Error {
  override readonly name = 'BodyError';
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

/** Header naming the person editing. No authentication exists yet (a later issue): the name is taken on trust. */
export const USER_HEADER = 'x-bulwark-user';
export const DEFAULT_AUTHOR = 'api';

/** The author: the X-Bulwark-User header, else `fromBody`, else 'api'. */
export function authorOf(header: unknown, fromBody?: unknown): string {
  const candidate = typeof header === 'string' && header.trim() !== '' ? header : fromBody;
  if (candidate === undefined) return DEFAULT_AUTHOR;
  if (typeof candidate !== 'string' || candidate.trim() === '' || candidate.length > 100)
    throw new BodyError('author: must be a non-empty name of at most 100 characters');
  return candidate.trim();
}

export function mapConfigurationErrors<T>(run: () => Promise<T>): Promise<T> {
  return mapErrors(run, toHttp);
}

function toHttp(err: unknown): unknown {
  if (err instanceof BodyError) return new BadRequestException(err.message);
  if (err instanceof NotFoundError) return new NotFoundException(err.message);
  if (err instanceof ConflictError) return new ConflictException(err.message);
  if (err instanceof UnknownVersionError) return new NotFoundException(`no version ${err.id}`);
  if (err instanceof InvalidIdError) return new NotFoundException(`no such version: ${err.message}`);
  if (err instanceof HeadMovedError) return new ConflictException(err.message);
  if (err instanceof ConfigurationInvalidError) return new UnprocessableEntityException(err.message);
  return err;
}
