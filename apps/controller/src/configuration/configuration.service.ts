/**
 * The live configuration (ConfigurationPort) over the snapshot store.
 *
 * - Boot: the site file gives a configuration (site-configuration.ts). With no
 *   head yet, it is committed as an 'import' version. After that, only when
 *   the file gives something else than at its last import (compared by the
 *   hash of what it gave; profiles count, they are part of it) is a new
 *   'import' made: the file's changes since the last import are applied on top
 *   of head, so edits made through the API to other parts survive; if the two
 *   touched the same field, the file wins whole. Editing the site file and
 *   restarting therefore shows up as a version that can be diffed and rolled
 *   back.
 * - Edits (`edit`) and rollbacks run one at a time. An edit is validated whole
 *   with the site loader's validators before anything is written, and committed
 *   in one store transaction; a refused edit commits nothing.
 * - Every commit records the operator overrides in force then (slot 8) in its
 *   `overrides` section, records a 'configuration' event and emits the new head
 *   on changes$, in commit order. A rollback restores the target's
 *   configuration; its overrides section, like every version's, records the
 *   overrides in force when it is made (overrides are live state, a rollback
 *   does not change commands).
 * - Schedules, calendars and rules follow changes$ live. Site settings, devices
 *   and profiles do not: the scan is built from the site file at boot, so a
 *   version whose site, devices or profiles differ from those the controller
 *   runs with answers `restartRequired: true` — and takes effect only once the
 *   site file says the same and the controller restarts.
 */
import path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { ReplaySubject } from 'rxjs';
import type { LoadedSite } from '#libs/profiles';
import {
  applyChanges,
  buildTree,
  checkout,
  cloneJson,
  commit,
  configurationHash,
  diff,
  diffConfigurations,
  getVersion,
  headVersion,
  HeadMovedError,
  PatchConflictError,
  readConfiguration,
  SnapshotError,
  versionId as versionIdOf,
} from '#libs/snapshots';
import type { Change, Configuration, Hash, Version, VersionId } from '#libs/snapshots';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { LOGGER, SITE } from '../common/tokens.js';
import { EVENT_SINK } from '../events/event-sink.js';
import type { EventSink } from '../events/event-sink.js';
import {
  assertValidConfiguration,
  checkConfiguration,
  formatConfigurationIssue,
} from './configuration-checks.js';
import { SNAPSHOT_STORE } from './configuration-store.js';
import type { ConfigurationStore } from './configuration-store.js';
import type { ConfigurationPort, ConfigurationState } from './configuration.port.js';
import { OVERRIDES } from './overrides.js';
import type { OverridesSource } from './overrides.js';
import { bootPartsHash, configurationFromSite, withoutOverrides } from './site-configuration.js';

export interface CommitAnswer {
  /** 'unchanged': the edit or rollback would not change the configuration; no version was made. */
  status: 'created' | 'unchanged';
  version: Version;
  /** Site, devices or profiles of this version differ from those the running scan was built from. */
  restartRequired: boolean;
}

/** Who edits: until authentication exists (a later issue), whatever the API caller names. */
export const SITE_FILE_AUTHOR = 'site-file';

@Injectable()
export class ConfigurationService implements ConfigurationPort, OnModuleInit {
  private head?: ConfigurationState;
  private readonly subject = new ReplaySubject<ConfigurationState>(1);
  readonly changes$ = this.subject.asObservable();
  private queue: Promise<unknown> = Promise.resolve();
  /** What the running scan was built from: the site file at boot. */
  private readonly running: Hash;

  constructor(
    @Inject(SNAPSHOT_STORE) private readonly store: ConfigurationStore,
    @Inject(SITE) private readonly site: LoadedSite,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(EVENT_SINK) private readonly events: EventSink,
    @Inject(OVERRIDES) private readonly overrides: OverridesSource,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.running = bootPartsHash(configurationFromSite(site));
  }

  async onModuleInit(): Promise<void> {
    await this.boot();
  }

  current(): ConfigurationState {
    if (this.head === undefined) throw new Error('the configuration is not loaded yet (boot has not run)');
    return this.head;
  }

  restartRequired(config: Configuration): boolean {
    return bootPartsHash(config) !== this.running;
  }

  /** Loads head, importing the site file first when it is new or changed (see the file comment). */
  boot(): Promise<ConfigurationState> {
    return this.serial(async () => {
      const fromFile = configurationFromSite(this.site);
      const sourceHash = configurationHash(fromFile);
      const head = await headVersion(this.store);
      const last = this.store.lastImport();
      if (head !== null && last?.sourceHash === sourceHash) {
        this.head = { version: head, configuration: await checkout(this.store, head.id) };
        this.subject.next(this.head);
        return this.head;
      }
      const { config, how } = await this.importOnto(head, last?.sourceHash, fromFile);
      // The file's own configuration is kept (blobs only) as the base of the next import's merge.
      await this.store.putBlobs(buildTree(fromFile).blobs);
      const file = displayPath(this.site.file);
      const result = await this.commitNow(
        config,
        { author: SITE_FILE_AUTHOR, message: `import ${file} (${how})`, kind: 'import' },
        head?.id ?? null,
      );
      await this.store.recordImport({
        sourceHash,
        file,
        versionId: result.version.id,
        importedAt: new Date(this.clock.now()).toISOString(),
      });
      this.log.info(
        { version: result.version.id, status: result.status },
        `configuration: ${how} import of ${file}`,
      );
      return this.current();
    });
  }

  /**
   * Applies `fn` to a copy of head and commits the result as an 'edit', or
   * throws ConfigurationInvalidError naming every problem (nothing written).
   */
  edit(author: string, message: string, fn: (draft: Configuration) => void): Promise<CommitAnswer> {
    return this.serial(async () => {
      const state = this.current();
      const draft = cloneJson(state.configuration);
      fn(draft);
      assertValidConfiguration(draft);
      if (sameDecisions(draft, state.configuration))
        return { status: 'unchanged', version: state.version, restartRequired: this.restartRequired(draft) };
      const result = await this.commitNow(draft, { author, message, kind: 'edit' }, state.version.id);
      return { ...result, restartRequired: this.restartRequired(draft) };
    });
  }

  /** A new 'rollback' version whose configuration is version `to`'s (UnknownVersionError for an unknown id). */
  rollback(to: VersionId, author: string, message?: string): Promise<CommitAnswer> {
    return this.serial(async () => {
      const target = await checkout(this.store, to);
      const state = this.current();
      if (sameDecisions(target, state.configuration))
        return { status: 'unchanged', version: state.version, restartRequired: this.restartRequired(target) };
      const config = { ...target, overrides: await this.overrides.operatorOverrides() };
      const tree = buildTree(config);
      const expected = state.version.id;
      const version = await this.store.transaction(async (tx) => {
        const head = await tx.head();
        if (head !== expected) throw new HeadMovedError(expected, head);
        await tx.putBlobs(tree.blobs);
        const fields = {
          parent: head,
          createdAt: new Date(this.clock.now()).toISOString(),
          author,
          message: message ?? `rollback to ${to}`,
          rootHash: tree.rootHash,
          kind: 'rollback' as const,
          rolledBackTo: to,
        };
        const made: Version = { id: versionIdOf(fields), ...fields };
        await tx.putVersion(made);
        await tx.setHead(head, made.id);
        return made;
      });
      await this.publish(version, config);
      return { status: 'created', version, restartRequired: this.restartRequired(config) };
    });
  }

  /** Newest first, as the store keeps them. */
  list(limit: number, offset: number): Promise<Version[]> {
    return this.store.listVersions({ limit, offset });
  }

  async get(id: VersionId): Promise<{ version: Version; configuration: Configuration }> {
    const version = await getVersion(this.store, id);
    return { version, configuration: await checkout(this.store, id) };
  }

  /** What changed from `from` to `to` (both any versions), down to fields. */
  diff(from: VersionId, to: VersionId): Promise<Change[]> {
    return diff(this.store, from, to);
  }

  private async importOnto(
    head: Version | null,
    lastSource: Hash | undefined,
    fromFile: Configuration,
  ): Promise<{ config: Configuration; how: string }> {
    if (head === null) return { config: fromFile, how: 'first import' };
    if (lastSource === undefined) return { config: fromFile, how: 'no earlier import: file taken whole' };
    try {
      const base = await readConfiguration(this.store, lastSource);
      const changes = diffConfigurations(withoutOverrides(base), fromFile);
      const current = withoutOverrides(await checkout(this.store, head.id));
      const merged = applyChanges(current, changes);
      const issues = checkConfiguration(merged);
      if (issues.length > 0)
        return {
          config: fromFile,
          how: `file changed, and with head's edits it would be invalid (${formatConfigurationIssue(issues[0])}): file taken whole`,
        };
      return { config: merged, how: `file changed: ${changes.length} change(s) applied on top of head` };
    } catch (error) {
      if (!(error instanceof PatchConflictError) && !(error instanceof SnapshotError)) throw error;
      return {
        config: fromFile,
        how: `file changed and conflicts with head (${error.message}): file taken whole`,
      };
    }
  }

  private async commitNow(
    config: Configuration,
    meta: { author: string; message: string; kind: 'edit' | 'import' },
    expectedHead: VersionId | null,
  ): Promise<{ status: 'created' | 'unchanged'; version: Version }> {
    const full = { ...config, overrides: await this.overrides.operatorOverrides() };
    const result = await commit(this.store, full, { ...meta, at: new Date(this.clock.now()), expectedHead });
    if (result.status === 'created') await this.publish(result.version, full);
    else {
      this.head = { version: result.version, configuration: full };
      this.subject.next(this.head);
    }
    return { status: result.status, version: result.version };
  }

  private async publish(version: Version, configuration: Configuration): Promise<void> {
    this.head = { version, configuration };
    const restartRequired = this.restartRequired(configuration);
    try {
      await this.events.record({
        type: 'configuration',
        source: version.author,
        subject: version.id,
        message: `configuration ${version.kind} ${version.id.slice(0, 12)}: ${version.message}`,
        data: {
          kind: version.kind,
          parent: version.parent,
          ...(version.rolledBackTo === undefined ? {} : { rolledBackTo: version.rolledBackTo }),
          restartRequired,
        },
        at: Date.parse(version.createdAt),
      });
    } catch (error) {
      // The version is committed and is head: a lost event must not make it look refused.
      this.log.error({ err: error, version: version.id }, 'configuration event could not be recorded');
    }
    this.subject.next(this.head);
  }

  private serial<T>(run: () => Promise<T>): Promise<T> {
    const result = this.queue.then(run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

/** Equal but for the overrides record: nothing an editor decides has changed. */
function sameDecisions(a: Configuration, b: Configuration): boolean {
  return configurationHash(withoutOverrides(a)) === configurationHash(withoutOverrides(b));
}

function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === '' || relative.startsWith('..') ? file : relative;
}
