/** Injection tokens for what boot hands the cloud app. */
export const CLOUD_CONFIG = Symbol('CLOUD_CONFIG');
export const LOGGER = Symbol('LOGGER');
export const CLOCK = Symbol('CLOCK');
export const PUBLIC_ORIGIN = Symbol('PUBLIC_ORIGIN');

/** Time is injected (CONVENTIONS.md habit 6): tests shift it, production reads the wall clock. */
export interface Clock {
  /** Epoch ms. */
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/**
 * The origin controllers sign their requests to. Filled at boot: from the
 * config, or from the listening address when the config has none (tests on
 * port 0 learn their port only after listen).
 */
export interface PublicOrigin {
  value: string;
}
