/**
 * The controller's sync client (issue 5 items 2, 5, 6; DESIGN.md points 5–7),
 * present when `cloud.url` is configured. Outbound only: it uploads the outbox
 * in signed batches (batch-uploader.ts), pings when idle (heartbeat.ts),
 * long-polls desired state and reports what is in force (desired-poller.ts).
 * Every request's outcome drives the link monitor through link driver 'cloud';
 * when the link comes back, upload and poll start at once instead of waiting
 * out their backoff.
 *
 * At start it loads or makes the controller's key pair (controller-keys.ts)
 * and prints the fingerprint an administrator enrols in the cloud.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import type { LinkOutcome } from '#libs/link';
import type { LoadedSite } from '#libs/profiles';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { CONFIG, LOGGER, SITE } from '../common/tokens.js';
import { CommandService } from '../commands/command.service.js';
import { pointRefs } from '../commands/point-ref.js';
import { TIMERS } from '../commands/timers.js';
import type { Timers } from '../commands/timers.js';
import type { CloudConfig, ControllerConfig } from '../config/controller-config.js';
import { ConfigurationService } from '../configuration/configuration.service.js';
import { ScannerService } from '../fieldbus/scanner.service.js';
import { LinkService } from '../link/link.service.js';
import { OUTBOX } from '../outbox/outbox.port.js';
import type { OutboxPort, OutboxStats } from '../outbox/outbox.port.js';
import { BatchUploader } from './batch-uploader.js';
import type { UploaderStats } from './batch-uploader.js';
import { CLOUD_TRANSPORT } from './cloud-transport.js';
import type { CloudTransport } from './cloud-transport.js';
import { loadOrCreateKeys } from './controller-keys.js';
import type { ControllerKeys } from './controller-keys.js';
import { DesiredPoller } from './desired-poller.js';
import { DesiredStateApplier } from './desired-state.js';
import { Heartbeat } from './heartbeat.js';
import { ReplayReader } from './replay-reader.js';
import { ScanJitter } from './scan-jitter.js';
import type { JitterSummary } from './scan-jitter.js';
import { SignedCloudClient } from './signed-client.js';

export interface SyncStatus {
  cloud: string;
  site: string;
  keyId: string;
  link: string;
  outcomes: { success: number; failure: number; timeout: number };
  clockOffsetMs: number;
  upload: UploaderStats;
  outbox: OutboxStats;
  desired: { appliedVersion: number; lastError: string | null };
  scanJitter: JitterSummary;
}

@Injectable()
export class SyncService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly keys: ControllerKeys;
  readonly client: SignedCloudClient;
  readonly uploader: BatchUploader;
  readonly heartbeat: Heartbeat;
  readonly poller: DesiredPoller;
  readonly applier: DesiredStateApplier;
  readonly jitter = new ScanJitter();
  private readonly replay: ReplayReader | undefined;
  /** Whether the cloud answered the last exchange (a success as the link counts it). */
  private answering = true;
  private readonly cloud: CloudConfig & { url: string };
  private readonly site: string;
  private readonly subscriptions: Subscription[] = [];

  constructor(
    @Inject(CONFIG) config: ControllerConfig,
    @Inject(SITE) site: LoadedSite,
    @Inject(CLOCK) clock: Clock,
    @Inject(TIMERS) timers: Timers,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(CLOUD_TRANSPORT) transport: CloudTransport,
    @Inject(OUTBOX) private readonly outbox: OutboxPort,
    private readonly link: LinkService,
    commands: CommandService,
    configuration: ConfigurationService,
    private readonly scanner: ScannerService,
  ) {
    if (!config.cloud?.url) throw new Error('sync: cloud.url is not configured (BULWARK_CLOUD_URL)');
    this.cloud = config.cloud as CloudConfig & { url: string };
    this.site = config.cloud.site ?? site.name;
    this.keys = loadOrCreateKeys(config.cloud.keyDir, { comment: `bulwark-controller@${this.site}` });
    const verb = this.keys.created ? 'made a new key pair' : 'using key pair';
    log.info(
      { fingerprint: this.keys.fingerprint, publicKey: this.keys.publicPath, site: this.site },
      `sync: ${verb} ${this.keys.privatePath}; fingerprint ${this.keys.fingerprint}`,
    );
    console.log(
      `controller key fingerprint: ${this.keys.fingerprint} (${this.keys.publicPath}; enrol it in the cloud for site "${this.site}")`,
    );
    const recorder = link.cloud;
    if (!recorder) throw new Error(`sync: the link driver is '${link.driver}', not 'cloud'`);
    this.heartbeat = new Heartbeat(
      { exchange: (...args) => this.client.exchange(...args) },
      clock,
      timers,
      Math.max(100, Math.floor(link.monitor.options.degradedAfterMs / 4)),
      Math.max(500, Math.floor(link.monitor.options.degradedAfterMs * 0.75)),
    );
    this.client = new SignedCloudClient({
      baseUrl: this.cloud.url,
      key: this.keys.privateKey,
      transport,
      clock,
      record: (outcome: LinkOutcome) => {
        if (outcome.kind === 'success') this.heartbeat.noteSuccess();
        // The cloud answers again after failing (a ping, say): replay now, not when the link's
        // hysteresis says CONNECTED (some 3 s later) nor when the upload's backoff runs out (up to
        // 30 s). Only on that change: a batch the cloud refuses keeps its backoff.
        const recovered = outcome.kind === 'success' && !this.answering;
        this.answering = outcome.kind === 'success';
        if (recovered) this.uploader.wakeUp();
        recorder.record(outcome);
      },
    });
    // A replay must leave the scan loop its cadence (issue 5 item 5: jitter p99 < 100 ms): batches are
    // read, serialised and gzipped in the replay worker, on a connection of its own and at a lower CPU
    // priority. An in-memory database has no second connection: there they are peeked on the main
    // thread, in batches sized by the time they take there.
    this.replay =
      config.database === ':memory:'
        ? undefined
        : new ReplayReader({ file: config.database, site: this.site, outbox, log });
    this.uploader = new BatchUploader({
      client: this.client,
      outbox,
      site: this.site,
      limits: { maxRecords: this.cloud.batchMaxRecords, maxBytes: this.cloud.batchMaxBytes },
      timers,
      log,
      source: this.replay,
      workBudgetMs: 10,
    });
    const writable = [...pointRefs(site).values()]
      .filter((r) => r.point.access === 'write')
      .map((r) => r.key);
    this.applier = new DesiredStateApplier(commands, configuration, writable, log);
    this.poller = new DesiredPoller({
      client: this.client,
      applier: this.applier,
      clock,
      timers,
      log,
      linkState: () => link.state,
      longPollSeconds: this.cloud.longPollSeconds,
    });
  }

  onApplicationBootstrap(): void {
    this.jitter.watchEventLoop();
    this.subscriptions.push(
      this.scanner.scans$.subscribe((t) => this.jitter.tick(t.deviceId, t.at)),
      this.link.transitions$.subscribe((t) => {
        if (t.to !== 'CONNECTED') return;
        this.uploader.wakeUp();
        this.poller.wakeUp();
      }),
    );
    this.heartbeat.start();
    this.uploader.start();
    this.poller.start();
    this.log.info({ cloud: this.cloud.url, site: this.site }, `sync: talking to ${this.cloud.url}`);
  }

  async onModuleDestroy(): Promise<void> {
    for (const s of this.subscriptions) s.unsubscribe();
    this.heartbeat.stop();
    this.jitter.stop();
    this.client.close();
    await Promise.all([this.uploader.stop(), this.poller.stop()]);
    await this.replay?.close();
  }

  status(): SyncStatus {
    return {
      cloud: this.cloud.url,
      site: this.site,
      keyId: this.keys.fingerprint,
      link: this.link.state,
      outcomes: this.link.cloud!.recorded,
      clockOffsetMs: this.client.cloudClock.offsetMs,
      upload: this.uploader.status(),
      outbox: this.outbox.stats(),
      desired: { appliedVersion: this.applier.version, lastError: this.poller.lastError },
      scanJitter: this.jitter.summary(),
    };
  }
}
