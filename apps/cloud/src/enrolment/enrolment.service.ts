/**
 * Enrolment of controller keys (issue 5 item 2), like adding a line to
 * authorized_keys: a controller belongs to one site and holds up to two
 * active keys at once (rotation); a revoked key stays on file so a request
 * signed with it is refused as "revoked", not "unknown". Used by the admin
 * API and by the CLI, both straight on the database.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { KeyFormatError, parsePublicKey } from '#libs/sync';
import type { ResolvedKey, SshPublicKey } from '#libs/sync';
import { Problem } from '../common/problem.js';
import { CLOCK } from '../common/tokens.js';
import type { Clock } from '../common/tokens.js';
import {
  ControllerKeyRow,
  ControllerProgressRow,
  ControllerRow,
  OrganizationRow,
  SiteRow,
} from '../database/entities/fleet.entities.js';

export const MAX_ACTIVE_KEYS = 2;
export const DEFAULT_ORGANIZATION = 'default';
const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export interface KeyDto {
  fingerprint: string;
  publicKey: string;
  status: 'active' | 'revoked';
  createdAt: string;
  revokedAt: string | null;
}
export interface ControllerDto {
  id: number;
  site: string;
  name: string;
  createdAt: string;
  highWaterMark: number;
  keys: KeyDto[];
}
export interface SiteDto {
  slug: string;
  name: string;
  organization: string;
  createdAt: string;
}
export interface EnrolResult {
  controller: ControllerDto;
  fingerprint: string;
  /** False when this exact name and key were already enrolled (a repeated enrolment is harmless). */
  created: boolean;
}

/** Who a verified key belongs to: handed to the ingest and shadow handlers. */
export interface KeyOwner {
  controllerId: number;
  siteId: number;
  site: string;
}

@Injectable()
export class EnrolmentService {
  // fingerprint → parsed key. The mapping never changes (the fingerprint is the key's hash), so caching the
  // parse is safe per replica; the status is read from the database on every request.
  private readonly parsed = new Map<string, KeyObject>();

  constructor(
    private readonly db: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async createSite(input: { slug: unknown; name?: unknown; organization?: unknown }): Promise<SiteDto> {
    const slug = slugOf(input.slug, 'slug');
    const orgSlug =
      input.organization === undefined ? DEFAULT_ORGANIZATION : slugOf(input.organization, 'organization');
    const name = input.name === undefined ? slug : textOf(input.name, 'name');
    return this.db.transaction(async (m) => {
      if (await m.findOneBy(SiteRow, { slug })) {
        throw new Problem(409, 'site-exists', `site "${slug}" already exists`);
      }
      const org = await this.organization(m, orgSlug);
      const site = await m.save(m.create(SiteRow, { organizationId: org.id, slug, name }));
      const saved = await m.findOneByOrFail(SiteRow, { id: site.id });
      return { slug, name, organization: org.slug, createdAt: saved.createdAt.toISOString() };
    });
  }

  /** The CLI's convenience: enrolling for a site that does not exist yet creates it. */
  async ensureSite(slug: string): Promise<boolean> {
    if (await this.db.getRepository(SiteRow).findOneBy({ slug: slugOf(slug, 'site') })) return false;
    await this.createSite({ slug });
    return true;
  }

  async listSites(): Promise<SiteDto[]> {
    const rows: { slug: string; name: string; organization: string; created_at: Date }[] =
      await this.db.query(
        `SELECT s.slug, s.name, o.slug AS organization, s.created_at
         FROM sites s JOIN organizations o ON o.id = s.organization_id ORDER BY s.slug`,
      );
    return rows.map((r) => ({
      slug: r.slug,
      name: r.name,
      organization: r.organization,
      createdAt: r.created_at.toISOString(),
    }));
  }

  async enrol(siteSlug: string, input: { name: unknown; publicKey: unknown }): Promise<EnrolResult> {
    const name = nameOf(input.name);
    const key = keyOf(input.publicKey);
    const result = await this.db.transaction(async (m) => {
      const site = await this.site(m, siteSlug);
      const existing = await m.findOneBy(ControllerRow, { siteId: site.id, name });
      const holder = await m.findOneBy(ControllerKeyRow, { fingerprint: key.fingerprint });
      if (existing) {
        if (holder?.controllerId === existing.id && holder.status === 'active') {
          return { id: existing.id, created: false };
        }
        throw new Problem(
          409,
          'controller-exists',
          `controller "${name}" is already enrolled at site "${site.slug}" with another key; add a key with POST /api/v1/controllers/${existing.id}/keys`,
        );
      }
      if (holder) throw keyTaken(key.fingerprint, holder);
      const controller = await m.save(m.create(ControllerRow, { siteId: site.id, name }));
      await m.insert(ControllerProgressRow, {
        controllerId: controller.id,
        highWaterMark: '0',
        updatedAt: new Date(this.clock.now()),
      });
      await this.insertKey(m, controller.id, key);
      return { id: controller.id, created: true };
    });
    return {
      controller: await this.controller(result.id),
      fingerprint: key.fingerprint,
      created: result.created,
    };
  }

  /** Rotation: a second key beside the current one; the old one is revoked once the controller uses the new. */
  async addKey(
    controllerId: number,
    publicKey: unknown,
  ): Promise<{ controller: ControllerDto; fingerprint: string }> {
    const key = keyOf(publicKey);
    await this.db.transaction(async (m) => {
      const controller = await m.findOne(ControllerRow, {
        where: { id: controllerId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!controller) throw notFound(controllerId);
      const holder = await m.findOneBy(ControllerKeyRow, { fingerprint: key.fingerprint });
      if (holder) throw keyTaken(key.fingerprint, holder);
      const active = await m.countBy(ControllerKeyRow, { controllerId, status: 'active' });
      if (active >= MAX_ACTIVE_KEYS) {
        throw new Problem(
          409,
          'too-many-keys',
          `controller ${controllerId} already has ${active} active keys; revoke one before adding another`,
        );
      }
      await this.insertKey(m, controllerId, key);
    });
    return { controller: await this.controller(controllerId), fingerprint: key.fingerprint };
  }

  async revokeKey(controllerId: number, fingerprint: string): Promise<ControllerDto> {
    const key = await this.db.getRepository(ControllerKeyRow).findOneBy({ fingerprint });
    if (!key || key.controllerId !== controllerId) {
      throw new Problem(404, 'key-not-found', `controller ${controllerId} has no key ${fingerprint}`);
    }
    if (key.status === 'active') {
      await this.db
        .getRepository(ControllerKeyRow)
        .update({ fingerprint }, { status: 'revoked', revokedAt: new Date(this.clock.now()) });
    }
    return this.controller(controllerId);
  }

  /** The controller a key belongs to, for the CLI's `revoke --fingerprint`. */
  async controllerOfKey(fingerprint: string): Promise<number> {
    const key = await this.db.getRepository(ControllerKeyRow).findOneBy({ fingerprint });
    if (!key) throw new Problem(404, 'key-not-found', `no controller holds key ${fingerprint}`);
    return key.controllerId;
  }

  async controllerByName(siteSlug: string, name: string): Promise<ControllerDto> {
    const site = await this.site(this.db.manager, siteSlug);
    const row = await this.db.getRepository(ControllerRow).findOneBy({ siteId: site.id, name });
    if (!row)
      throw new Problem(404, 'controller-not-found', `site "${siteSlug}" has no controller "${name}"`);
    return this.controller(row.id);
  }

  async listControllers(siteSlug: string): Promise<ControllerDto[]> {
    const site = await this.site(this.db.manager, siteSlug);
    const rows = await this.db
      .getRepository(ControllerRow)
      .find({ where: { siteId: site.id }, order: { id: 'ASC' } });
    return Promise.all(rows.map((r) => this.controller(r.id)));
  }

  async controller(id: number): Promise<ControllerDto> {
    const rows: { id: number; name: string; site: string; created_at: Date; hwm: string | null }[] =
      await this.db.query(
        `SELECT c.id, c.name, s.slug AS site, c.created_at, p.high_water_mark AS hwm
           FROM controllers c JOIN sites s ON s.id = c.site_id
           LEFT JOIN controller_progress p ON p.controller_id = c.id
          WHERE c.id = $1`,
        [id],
      );
    const row = rows[0];
    if (!row) throw notFound(id);
    const keys = await this.db
      .getRepository(ControllerKeyRow)
      .find({ where: { controllerId: id }, order: { createdAt: 'ASC', fingerprint: 'ASC' } });
    return {
      id: row.id,
      site: row.site,
      name: row.name,
      createdAt: row.created_at.toISOString(),
      highWaterMark: Number(row.hwm ?? 0),
      keys: keys.map((k) => ({
        fingerprint: k.fingerprint,
        publicKey: k.publicKey,
        status: k.status,
        createdAt: k.createdAt.toISOString(),
        revokedAt: k.revokedAt?.toISOString() ?? null,
      })),
    };
  }

  /** libs/sync KeyResolver over controller_keys. */
  async resolveKey(fingerprint: string): Promise<ResolvedKey<KeyOwner> | undefined> {
    const rows: {
      public_key: string;
      status: 'active' | 'revoked';
      controller_id: number;
      site_id: number;
      site: string;
    }[] = await this.db.query(
      `SELECT k.public_key, k.status, k.controller_id, c.site_id, s.slug AS site
           FROM controller_keys k JOIN controllers c ON c.id = k.controller_id JOIN sites s ON s.id = c.site_id
          WHERE k.fingerprint = $1`,
      [fingerprint],
    );
    const row = rows[0];
    if (!row) return undefined;
    let publicKey = this.parsed.get(fingerprint);
    if (!publicKey) {
      publicKey = parsePublicKey(row.public_key).keyObject;
      this.parsed.set(fingerprint, publicKey);
    }
    return {
      publicKey,
      status: row.status,
      owner: { controllerId: row.controller_id, siteId: row.site_id, site: row.site },
    };
  }

  private async insertKey(m: EntityManager, controllerId: number, key: SshPublicKey): Promise<void> {
    await m.insert(ControllerKeyRow, {
      fingerprint: key.fingerprint,
      controllerId,
      publicKey: key.openssh,
      status: 'active',
      createdAt: new Date(this.clock.now()),
      revokedAt: null,
    });
  }

  private async organization(m: EntityManager, slug: string): Promise<OrganizationRow> {
    await m.query(`INSERT INTO organizations (slug, name) VALUES ($1, $1) ON CONFLICT (slug) DO NOTHING`, [
      slug,
    ]);
    return m.findOneByOrFail(OrganizationRow, { slug });
  }

  private async site(m: EntityManager, slug: string): Promise<SiteRow> {
    const site = await m.findOneBy(SiteRow, { slug });
    if (!site)
      throw new Problem(
        404,
        'site-not-found',
        `site "${slug}" does not exist; create it with POST /api/v1/sites`,
      );
    return site;
  }
}

function keyOf(text: unknown): SshPublicKey {
  if (typeof text !== 'string') {
    throw new Problem(400, 'invalid-key', 'publicKey must be a string: one "ssh-ed25519 AAAA… comment" line');
  }
  try {
    return parsePublicKey(text);
  } catch (error) {
    if (error instanceof KeyFormatError) throw new Problem(400, 'invalid-key', `publicKey: ${error.message}`);
    throw error;
  }
}

function slugOf(value: unknown, field: string): string {
  if (typeof value !== 'string' || !SLUG.test(value)) {
    throw new Problem(
      400,
      'invalid-input',
      `${field} must be lowercase letters, digits and '-', 1 to 63 characters, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function nameOf(value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new Problem(
      400,
      'invalid-input',
      `name must be letters, digits, '.', '_' and '-', 1 to 100 characters, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function textOf(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 200) {
    throw new Problem(400, 'invalid-input', `${field} must be a non-empty string of at most 200 characters`);
  }
  return value;
}

function keyTaken(fingerprint: string, holder: ControllerKeyRow): Problem {
  return new Problem(
    409,
    'key-in-use',
    `key ${fingerprint} is already enrolled for controller ${holder.controllerId} (${holder.status}); a key is enrolled once`,
  );
}

function notFound(id: number): Problem {
  return new Problem(404, 'controller-not-found', `controller ${id} does not exist`);
}
