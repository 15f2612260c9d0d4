/**
 * Who may command a point, and at which slot of its 16-level priority array
 * (DESIGN.md point 2; slot meanings after ASHRAE 135 §19.2 and its informative
 * Table 19-1 "standard command priorities"). A slot belongs to exactly one
 * source, so a slot's occupant always says who commanded the output.
 */

export type CommandSource =
  'interlock' | 'minimum-on-off' | 'operator' | 'cloud' | 'fallback-schedule' | 'rule' | 'schedule';

/** Slots (priorities) each source may write. Every other slot (3–5, 7, 9, 11, 13, 15) is unused. */
export const SOURCE_SLOTS: Readonly<Record<CommandSource, readonly number[]>> = {
  interlock: [1, 2], // life safety / safety interlocks
  'minimum-on-off': [6], // reserved: BACnet's minimum on/off (ASHRAE 135 §19.2.3)
  operator: [8], // manual operator override
  cloud: [10], // always leased
  'fallback-schedule': [12], // only in force while AUTONOMOUS
  rule: [14],
  schedule: [16],
};

export const COMMAND_SOURCES = Object.keys(SOURCE_SLOTS) as CommandSource[];

/** The slot that only counts while the controller is AUTONOMOUS (DESIGN.md point 2). */
export const FALLBACK_PRIORITY = 12;

/** Cloud leases: the default maximum (issue 4: "maximum configurable, default 15 minutes"). */
export const DEFAULT_MAX_LEASE_MS = 15 * 60_000;

/** Commands at or above this priority (numerically at or below) bypass minimum on/off and ramps, as BACnet's slots 1–5 outrank slot 6. */
export const DEFAULT_OVERRIDE_MAX_PRIORITY = 5;

export const PRIORITY_LEVELS = 16;

export function isCommandSource(value: unknown): value is CommandSource {
  return typeof value === 'string' && Object.hasOwn(SOURCE_SLOTS, value);
}

export function isPriority(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= PRIORITY_LEVELS;
}

export function ownsSlot(source: CommandSource, priority: number): boolean {
  return SOURCE_SLOTS[source].includes(priority);
}
