/**
 * libs/priority: the 16-level priority array (BACnet's meaning, ASHRAE 135
 * §19.2), leases and expiries, the safety envelope of command values, and the
 * output gate (minimum on/off, ramps). Pure: no I/O, time passed in as epoch ms.
 */
export {
  COMMAND_SOURCES,
  DEFAULT_MAX_LEASE_MS,
  DEFAULT_OVERRIDE_MAX_PRIORITY,
  FALLBACK_PRIORITY,
  isCommandSource,
  isPriority,
  ownsSlot,
  PRIORITY_LEVELS,
  SOURCE_SLOTS,
  type CommandSource,
} from './sources.js';
export {
  CommandRefusedError,
  InvalidCommandError,
  InvalidPriorityError,
  LeaseExpiredError,
  LeaseNotAllowedError,
  LeaseNotFoundError,
  LeaseRequiredError,
  LeaseTooLongError,
  NoSafeRangeError,
  NotBinaryValueError,
  NotWritableError,
  OutOfSafeRangeError,
  PriorityFormatError,
  SlotNotOwnedError,
  UnknownStateError,
  type RefusalCode,
} from './errors.js';
export {
  command,
  createPriorityArray,
  effective,
  expire,
  heldSlots,
  isLive,
  nextExpiry,
  relinquish,
  renewLease,
  slotAt,
  type CommandInput,
  type Effective,
  type EvaluationContext,
  type ExpiredSlot,
  type ExpireResult,
  type PriorityArray,
  type PriorityPolicy,
  type RenewInput,
  type Slot,
} from './priority-array.js';
export {
  fromJSON,
  outputStateFromJSON,
  PRIORITY_ARRAY_FORMAT_VERSION,
  toJSON,
  type PriorityArrayJson,
  type SlotJson,
} from './serialize.js';
export { checkCommandValue, type EnvelopePoint } from './envelope.js';
export {
  advanceState,
  decideOutput,
  gateLimitsFor,
  INITIAL_OUTPUT_STATE,
  nextAllowedChange,
  OutputGate,
  rampToward,
  type Desired,
  type GateDecision,
  type GateLimits,
  type HoldReason,
  type MinOnOff,
  type OutputState,
} from './output-gate.js';
