/**
 * What the command path records (EVENT_SINK) for each change it makes to an
 * array: a command, a relinquish, a slot that ran out. One message serves the
 * event and the log line, so both always say the same thing.
 */
import type { CommandSource, ExpiredSlot } from '#libs/priority';
import type { NewEvent } from '../events/event-sink.js';

export interface CommandOptions {
  value: number;
  priority: number;
  source: CommandSource;
  /** Epoch ms; non-cloud sources only. */
  expiresAt?: number;
  /** Cloud only (required there): lease length in ms. */
  leaseMs?: number;
  leaseId?: string;
}

export function commandEvent(pointId: string, opts: CommandOptions): NewEvent {
  return {
    type: 'command',
    source: opts.source,
    subject: pointId,
    message: `command ${pointId} = ${opts.value} at priority ${opts.priority} by ${opts.source}`,
    data: {
      priority: opts.priority,
      value: opts.value,
      ...(opts.expiresAt !== undefined ? { expiresAt: new Date(opts.expiresAt).toISOString() } : {}),
      ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs, leaseId: opts.leaseId } : {}),
    },
  };
}

export function relinquishEvent(pointId: string, priority: number, source: CommandSource): NewEvent {
  return {
    type: 'relinquish',
    source,
    subject: pointId,
    message: `relinquish ${pointId} priority ${priority}`,
    data: { priority },
  };
}

export function expiryEvent(pointId: string, slot: ExpiredSlot): NewEvent {
  return {
    type: 'expiry',
    source: slot.source,
    subject: pointId,
    message: `expired ${pointId} priority ${slot.priority} (${slot.source})`,
    data: { priority: slot.priority, value: slot.value, expiresAt: slot.expiresAt },
  };
}
