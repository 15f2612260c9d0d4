/** Maps a point's priority array and gate decision to the API's view (libs/contracts PriorityArrayDto). */
import type { PriorityArrayDto } from '#libs/contracts';
import { effective, FALLBACK_PRIORITY, heldSlots, isLive } from '#libs/priority';
import type { HoldReason, PriorityArray } from '#libs/priority';

export interface Pending {
  value: number;
  heldUntil: number;
  reason: HoldReason;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function priorityArrayView(
  array: PriorityArray,
  opts: {
    now: number;
    /** The link is AUTONOMOUS: fallback slot 12 counts. */
    autonomous: boolean;
    relinquishDefault: number | null;
    arbitration: 'device' | 'controller';
    pending?: Pending;
  },
): PriorityArrayDto {
  const win = effective(array, {
    now: opts.now,
    autonomous: opts.autonomous,
    relinquishDefault: opts.relinquishDefault ?? Number.NaN,
  });
  const view: PriorityArrayDto = {
    pointId: array.pointId,
    slots: heldSlots(array).map((s) => ({
      priority: s.priority,
      value: s.value,
      source: s.source,
      at: iso(s.at),
      ...(s.expiresAt !== undefined ? { expiresAt: iso(s.expiresAt) } : {}),
      inForce: isLive(s, opts.now) && (s.priority !== FALLBACK_PRIORITY || opts.autonomous),
    })),
    effective: {
      value: win.priority === null ? opts.relinquishDefault : win.value,
      priority: win.priority,
      source: win.source,
    },
    relinquishDefault: opts.relinquishDefault,
    arbitration: opts.arbitration,
  };
  if (opts.pending)
    view.pending = {
      value: opts.pending.value,
      heldUntil: iso(opts.pending.heldUntil),
      reason: opts.pending.reason,
    };
  return view;
}
