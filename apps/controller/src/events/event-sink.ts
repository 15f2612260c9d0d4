/**
 * The port every part of the controller records its events through (issue 4
 * item 6, DESIGN.md points 5–6): commands, relinquishes, lease and override
 * expiries, mode changes, schedule transitions, interlock actions, alarms and
 * configuration changes. The store behind it is append-only with a sequence
 * number; the cloud-sync issue turns it into the outbox.
 */
export const EVENT_TYPES = [
  'command',
  'relinquish',
  'expiry',
  'mode-change',
  'schedule-transition',
  'interlock',
  'alarm',
  'configuration',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface NewEvent {
  type: EventType;
  /** Who caused it: a command source (operator, cloud, schedule, ...), 'link', 'interlock:<rule>', a user name. */
  source: string;
  /** What it concerns: a point key (`device.point`), a schedule id, a version id; absent for site-wide events. */
  subject?: string;
  /** One line for people. */
  message: string;
  /** Structured details (priority, value, expiresAt, from/to, ...); plain JSON. */
  data?: Record<string, unknown>;
  /** Epoch ms; the sink's clock when absent. */
  at?: number;
}

export interface EventSink {
  /** Resolves once the event is durable. */
  record(event: NewEvent): Promise<void>;
}

export const EVENT_SINK = Symbol('EVENT_SINK');

/** Keeps events in memory; for unit tests. The controller records through SqliteEventStore (event-store.ts). */
export class MemoryEventSink implements EventSink {
  readonly events: (NewEvent & { at: number })[] = [];
  constructor(private readonly now: () => number = Date.now) {}
  record(event: NewEvent): Promise<void> {
    this.events.push({ ...event, at: event.at ?? this.now() });
    return Promise.resolve();
  }
}
