/** Injection tokens for what boot hands the app: the validated config, the loaded site, the logger. */
export const CONFIG = Symbol('CONFIG');
export const SITE = Symbol('SITE');
export const LOGGER = Symbol('LOGGER');
