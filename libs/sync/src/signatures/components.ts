/**
 * The signature base of RFC 9421 §2.5: one line per covered component, then
 * `"@signature-params"`. Signer and verifier both build it with this file, so
 * the two sides cannot disagree on how a component's value is derived.
 * Supported: the derived components @method, @target-uri, @authority, @scheme,
 * @path, @query (§2.2) and header fields by lowercase name (§2.1); component
 * parameters (;sf, ;key, ;bs, ;req, ;tr) are not, and are refused as malformed.
 */
import { serializeItem } from '../structured-fields.js';
import { SignatureError } from '../errors.js';
import type { Body } from '../digest/content-digest.js';

/** Header values as node:http gives them (IncomingHttpHeaders) or as a client builds them. */
export type HeaderValue = string | number | readonly string[] | undefined;
export type HeaderBag = Readonly<Record<string, HeaderValue>>;

/** What the covered components are derived from. */
export interface SignedMessage {
  /** As on the request line, e.g. `POST`. */
  readonly method: string;
  /**
   * The absolute target URI (RFC 9110 §7.1) compared byte for byte, so the
   * verifier must rebuild exactly what the signer sent to: its configured public
   * origin plus the raw path and query, not an address seen behind a proxy.
   */
  readonly targetUri: string;
  readonly headers: HeaderBag;
}

export interface SignedRequest extends SignedMessage {
  readonly body: Body;
}

export const SIGNATURE_PARAMS_COMPONENT = '@signature-params';

/**
 * A header's value (RFC 9421 §2.1): every field line trimmed, joined by ", ".
 * Names match case-insensitively, as HTTP field names do.
 */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const lines: string[] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    if (typeof value === 'string' || typeof value === 'number') lines.push(String(value));
    else lines.push(...value);
  }
  if (lines.length === 0) return undefined;
  // obs-fold and surrounding whitespace are not part of the value (RFC 9421 §2.1 steps 3-4).
  return lines.map((line) => line.replace(/\s*\r?\n[ \t]+/g, ' ').trim()).join(', ');
}

/** The value of one covered component, or a SignatureError naming why it has none. */
export function componentValue(message: SignedMessage, component: string): string {
  if (component !== component.toLowerCase()) {
    throw new SignatureError('malformed-signature', `component "${component}" must be lowercase`);
  }
  if (component.startsWith('@')) return derivedValue(message, component);
  const value = headerValue(message.headers, component);
  if (value === undefined) {
    throw new SignatureError(
      component === 'content-digest' ? 'missing-digest' : 'missing-component',
      `covered header "${component}" is missing from the request`,
    );
  }
  return value;
}

function derivedValue(message: SignedMessage, component: string): string {
  switch (component) {
    case '@method':
      return message.method;
    case '@target-uri':
      return message.targetUri;
    case '@authority':
      return targetUrl(message).host;
    case '@scheme':
      return targetUrl(message).protocol.replace(/:$/, '');
    case '@path':
      return targetUrl(message).pathname || '/';
    case '@query':
      return targetUrl(message).search || '?';
    default:
      throw new SignatureError('malformed-signature', `derived component "${component}" is not supported`);
  }
}

function targetUrl(message: SignedMessage): URL {
  try {
    return new URL(message.targetUri);
  } catch {
    throw new SignatureError(
      'malformed-signature',
      `target URI "${message.targetUri}" is not an absolute URI`,
    );
  }
}

/**
 * The signature base for `components` under the already serialized
 * @signature-params value (the inner list exactly as Signature-Input carries it).
 */
export function signatureBase(
  message: SignedMessage,
  components: readonly string[],
  signatureParams: string,
): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const component of components) {
    if (component === SIGNATURE_PARAMS_COMPONENT) {
      throw new SignatureError('malformed-signature', '"@signature-params" cannot be a covered component');
    }
    if (seen.has(component)) {
      throw new SignatureError('malformed-signature', `component "${component}" is covered twice`);
    }
    seen.add(component);
    const value = componentValue(message, component);
    // A newline would let a value forge the next line of the base.
    if (/[\r\n]/.test(value)) {
      throw new SignatureError('malformed-signature', `component "${component}" contains a line break`);
    }
    lines.push(`${serializeItem(component)}: ${value}`);
  }
  lines.push(`${serializeItem(SIGNATURE_PARAMS_COMPONENT)}: ${signatureParams}`);
  return lines.join('\n');
}
