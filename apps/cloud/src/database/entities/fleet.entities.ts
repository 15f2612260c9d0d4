/**
 * Fleet tables (migration CloudInit1764748800000): organizations, sites,
 * controllers, their enrolled keys and ingest progress. Entities stay inside
 * the app; the API maps them to DTOs (CONVENTIONS.md, don't 4).
 */
import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** An identity id, a name and the database's own creation time: the columns every fleet entity has. */
abstract class NamedRow {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id!: number;
  @Column('text')
  name!: string;
  @Column({ type: 'timestamptz', name: 'created_at', insert: false, update: false })
  createdAt!: Date;
}

@Entity('organizations')
export class OrganizationRow extends NamedRow {
  @Column('text')
  slug!: string;
}

@Entity('sites')
export class SiteRow extends NamedRow {
  @Column('integer', { name: 'organization_id' })
  organizationId!: number;
  @Column('text')
  slug!: string;
}

@Entity('controllers')
export class ControllerRow extends NamedRow {
  @Column('integer', { name: 'site_id' })
  siteId!: number;
}

export type ControllerKeyStatus = 'active' | 'revoked';

@Entity('controller_keys')
export class ControllerKeyRow {
  @PrimaryColumn('text')
  fingerprint!: string;
  @Column('integer', { name: 'controller_id' })
  controllerId!: number;
  @Column('text', { name: 'public_key' })
  publicKey!: string;
  @Column('text')
  status!: ControllerKeyStatus;
  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;
}

@Entity('controller_progress')
export class ControllerProgressRow {
  @PrimaryColumn('integer', { name: 'controller_id' })
  controllerId!: number;
  /** bigint: node-postgres hands it over as a string. */
  @Column('bigint', { name: 'high_water_mark' })
  highWaterMark!: string;
  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}

@Entity('used_nonces')
export class UsedNonceRow {
  @PrimaryColumn('text')
  keyid!: string;
  @PrimaryColumn('text')
  nonce!: string;
  @Column('timestamptz', { name: 'expires_at' })
  expiresAt!: Date;
}
