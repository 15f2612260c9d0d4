/**
 * Wire and API types shared by the apps (controller, simulator, web UI, cloud).
 * Plain data only: no NestJS, no TypeORM, no entities (CONVENTIONS.md "five
 * things not to do", 4).
 */

/** good: read on the last scan; stale: not refreshed for three poll intervals; comm-fail: the device did not answer. */
export type PointQuality = 'good' | 'stale' | 'comm-fail';
export const POINT_QUALITIES: readonly PointQuality[] = ['good', 'stale', 'comm-fail'];

export interface PointDto {
  id: string;
  name: string;
  deviceId: string;
  kind: 'analog' | 'binary' | 'multistate';
  unit: string;
  value: number | null;
  /** multistate: the state text of `value`, when the profile names it. */
  stateText?: string;
  quality: PointQuality;
  /** ISO 8601 time of the last successful read, or null before the first. */
  updatedAt: string | null;
  /** Why a comm-fail point failed: a stable code (timeout, modbus-exception:illegal-data-address, bacnet-error:object/unknown-object, ...) and a message. */
  error?: { code: string; message: string };
  writable: boolean;
}

export interface DeviceHealthDto {
  id: string;
  protocol: 'modbus' | 'bacnet';
  state: 'ok' | 'comm-fail' | 'starting';
  lastError: string | null;
  lastScanAt: string | null;
}

export interface HealthDto {
  status: 'ok' | 'degraded';
  site: string;
  uptimeSeconds: number;
  points: Record<PointQuality, number>;
  devices: DeviceHealthDto[];
  /** The durable outbox (DESIGN.md point 6): what waits for the cloud and how long until the cap. */
  outbox?: OutboxHealthDto;
}

export interface OutboxHealthDto {
  /** Unsent records and their accounted bytes. */
  backlog: number;
  backlogBytes: number;
  /** ISO 8601: when the oldest unsent record happened; null when nothing waits. */
  oldestUnsentAt: string | null;
  capBytes: number;
  usedBytes: number;
  /** Bytes appended per second over the last minute. */
  ratePerSecond: number;
  /** (capBytes − usedBytes) / ratePerSecond; null while nothing is appended. */
  runwaySeconds: number | null;
}

/** RFC 9457 problem details. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

/** The simulator's control API (apps/simulator): the hardware's true state, for tests and people. */
export interface SimPriorityArraySlot {
  priority: number;
  value: number;
}
export interface SimPointState {
  id: string;
  name: string;
  value: number;
  writable: boolean;
  /** BACnet commandable objects: the device's own priority array (non-empty slots only). */
  priorityArray?: SimPriorityArraySlot[];
  relinquishDefault?: number | null;
  lastWrite?: { value: number | null; priority: number | null; at: string } | null;
}
export interface SimFaults {
  offline?: boolean;
  /** Answer every request this much later. */
  delayMs?: number;
  /** Modbus only: answer every request with this exception code. */
  exceptionCode?: number;
  /** Modbus only: answer every request with bytes that are not a Modbus frame. */
  garbage?: boolean;
  /** Hold these points at a value whatever the physics or writes do. */
  stuck?: Record<string, number>;
  /** Report these points far outside their plausible range. */
  outOfRange?: string[];
}
export interface SimDeviceState {
  id: string;
  name: string;
  protocol: 'modbus' | 'bacnet';
  address: string;
  faults: SimFaults;
  /** Requests served (Modbus devices). */
  requests?: number;
  points: SimPointState[];
}

/** POST /api/v1/points/{id}/commands: the operator's command (slot 8 unless the source owns another). */
export interface CommandRequestDto {
  value: number;
  /** 1..16; the API commands as source 'operator', which owns slot 8 (the default). */
  priority?: number;
  /** ISO 8601 instant after now: the override ends by itself then. */
  expiresAt?: string;
}

export interface PrioritySlotDto {
  priority: number;
  value: number;
  /** interlock | minimum-on-off | operator | cloud | fallback-schedule | rule | schedule */
  source: string;
  /** ISO 8601: when the command was given. */
  at: string;
  expiresAt?: string;
  /**
   * Whether the slot takes part in arbitration now: false for the fallback
   * slot 12 while the link is not AUTONOMOUS (held, ready for the next loss of
   * the cloud, but not in force) and for a slot whose expiry has passed.
   */
  inForce: boolean;
}

/** GET /api/v1/points/{id}/priority-array: who commands the output, at which slot, until when. */
export interface PriorityArrayDto {
  pointId: string;
  /** Held slots only, highest priority (lowest number) first. */
  slots: PrioritySlotDto[];
  /** The winner; priority null and source 'relinquish-default' when no slot is held. */
  effective: { value: number | null; priority: number | null; source: string };
  /** The profile's failSafe: what the output takes with every slot empty. */
  relinquishDefault: number | null;
  /** Where the controller arbitrates: 'device' for BACnet commandable objects, 'controller' otherwise. */
  arbitration: 'device' | 'controller';
  /** The output gate holds the winner back (minimum on/off, ramp): what is waiting and until when. */
  pending?: { value: number; heldUntil: string; reason: 'minimum-on' | 'minimum-off' | 'rate-limit' };
}

/** GET /api/v1/mode: the controller's view of the cloud link (DESIGN.md point 5). */
export interface ModeDto {
  /** CONNECTED | DEGRADED | AUTONOMOUS; fallback schedules (slot 12) are in force only while AUTONOMOUS. */
  state: 'CONNECTED' | 'DEGRADED' | 'AUTONOMOUS';
  /** ISO 8601: when the current state began. */
  since: string;
  /** ISO 8601: the last successful exchange with the cloud; null if none yet. */
  lastSuccessAt: string | null;
  lastFailure: { at: string; reason: string } | null;
  /** What drives the link: 'none' (no cloud configured: AUTONOMOUS for good) or 'manual' (a fake for tests and the demo). */
  driver: string;
  /** Ids of the fallback schedules in force now (holding slot 12 while AUTONOMOUS); empty otherwise. */
  fallbackSchedules: string[];
  /** Driver 'manual' only: whether the simulated cloud answers. */
  simulatedLink?: { reachable: boolean };
}

/** GET /api/v1/events: one entry of the controller's append-only event log. */
export interface EventDto {
  /** Append order, unique per controller and never reused (the outbox sequence). */
  seq: number;
  /** ISO 8601: when it happened. */
  at: string;
  /** command | relinquish | expiry | mode-change | schedule-transition | interlock | alarm | configuration */
  type: string;
  /** Who caused it: a command source, 'link', 'interlock:<rule>', an alarm detector, a person. */
  source: string;
  /** What it concerns (a point key, a schedule id, ...); null for site-wide events. */
  subject: string | null;
  message: string;
  data: Record<string, unknown> | null;
}

/**
 * An alarm occurrence's state (ISA-18.2): active (condition present, not yet
 * acknowledged), acknowledged (condition present, acknowledged), cleared
 * (condition gone before anyone acknowledged it: stays listed until someone
 * does), closed (cleared and acknowledged: history).
 */
export type AlarmState = 'active' | 'acknowledged' | 'cleared' | 'closed';
export type AlarmKind =
  | 'comm-fail'
  | 'limit-high'
  | 'limit-low'
  | 'write-failed'
  | 'schedule-ending'
  | 'schedule-no-transitions'
  | 'outbox-near-cap'
  | 'sync-record-too-large';
export type AlarmSeverity = 'critical' | 'major' | 'minor' | 'warning';

/** GET /api/v1/alarms, GET /api/v1/alarms/{id}: one alarm occurrence. */
export interface AlarmDto {
  id: number;
  kind: AlarmKind;
  severity: AlarmSeverity;
  /** A device id (comm-fail), a point key (limits, failed writes), a schedule id. */
  subject: string;
  message: string;
  state: AlarmState;
  /** ISO 8601 instants; null until it happens. */
  raisedAt: string;
  clearedAt: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  acknowledgementComment: string | null;
  data: Record<string, unknown> | null;
}

/** POST /api/v1/alarms/{id}/acknowledge: both fields required and non-empty. */
export interface AlarmAcknowledgeRequestDto {
  /** The person acknowledging (taken from the body until authentication exists). */
  by: string;
  comment: string;
}
