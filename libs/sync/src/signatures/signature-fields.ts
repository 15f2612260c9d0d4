/**
 * The Signature-Input and Signature headers (RFC 9421 §4.1, §4.2): RFC 8941
 * dictionaries keyed by a label, read and written with `structured-headers`.
 * The @signature-params value is the canonical re-serialization of the parsed
 * inner list; a signer using canonical RFC 8941 output (as this file does)
 * produces the same bytes.
 */
import { parseDictionary, serializeDictionary, serializeInnerList } from '../structured-fields.js';
import type { BareItem, Dictionary, InnerList, Item, Parameters } from '../structured-fields.js';
import { SignatureError } from '../errors.js';

/** The signature parameters of RFC 9421 §2.3 that this library reads. */
export interface SignatureParameters {
  /** Epoch seconds. */
  readonly created?: number;
  /** Epoch seconds. */
  readonly expires?: number;
  readonly nonce?: string;
  readonly keyid?: string;
  readonly alg?: string;
  readonly tag?: string;
}

const INTEGER_PARAMS = ['created', 'expires'] as const;
const STRING_PARAMS = ['nonce', 'keyid', 'alg', 'tag'] as const;
/** The order this library writes parameters in; the verifier keeps whatever order it received. */
const PARAM_ORDER = ['created', 'expires', 'nonce', 'keyid', 'alg', 'tag'] as const;

export interface ParsedSignature {
  readonly label: string;
  readonly components: readonly string[];
  readonly params: SignatureParameters;
  /** The @signature-params value: the serialized inner list. */
  readonly signatureParams: string;
  readonly signature: Uint8Array;
}

/** The serialized inner list `("@method" …);created=…;…` for a signer's components and parameters. */
export function signatureParamsValue(components: readonly string[], params: SignatureParameters): string {
  return serializeInnerList(innerList(components, params));
}

/** Both header values for one signature under `label`. */
export function serializeSignatureFields(
  label: string,
  components: readonly string[],
  params: SignatureParameters,
  signature: Uint8Array,
): { signatureInput: string; signature: string } {
  return {
    signatureInput: serializeDictionary(new Map([[label, innerList(components, params)]])),
    signature: serializeDictionary(new Map([[label, [Buffer.from(signature), new Map<string, BareItem>()]]])),
  };
}

function innerList(components: readonly string[], params: SignatureParameters): InnerList {
  const parameters: Parameters = new Map();
  for (const name of PARAM_ORDER) {
    const value = params[name];
    if (value !== undefined) parameters.set(name, value);
  }
  return [components.map((component): Item => [component, new Map<string, BareItem>()]), parameters];
}

/**
 * The signature under `label` (or the only one when no label is given) from the
 * two header values. Throws missing-signature when a header or the label is
 * absent and malformed-signature for anything that does not parse as RFC 9421.
 */
export function parseSignatureFields(
  signatureInput: string | undefined,
  signature: string | undefined,
  label?: string,
): ParsedSignature {
  if (isBlank(signatureInput) && isBlank(signature)) {
    throw new SignatureError(
      'missing-signature',
      'the request has no Signature-Input and no Signature header',
    );
  }
  if (isBlank(signatureInput))
    throw new SignatureError('missing-signature', 'the Signature-Input header is missing');
  if (isBlank(signature)) throw new SignatureError('missing-signature', 'the Signature header is missing');
  const inputs = parseHeader('Signature-Input', signatureInput);
  const signatures = parseHeader('Signature', signature);

  const chosen = label ?? onlyLabel(inputs);
  const input = inputs.get(chosen);
  if (input === undefined) {
    throw new SignatureError('missing-signature', `Signature-Input has no signature labelled "${chosen}"`);
  }
  const sigMember = signatures.get(chosen);
  if (sigMember === undefined) {
    throw new SignatureError('missing-signature', `Signature has no signature labelled "${chosen}"`);
  }
  if (!isInnerList(input)) {
    throw new SignatureError(
      'malformed-signature',
      `Signature-Input "${chosen}" is not an inner list of components`,
    );
  }
  if (isInnerList(sigMember) || !(sigMember[0] instanceof ArrayBuffer)) {
    throw new SignatureError(
      'malformed-signature',
      `Signature "${chosen}" is not a byte sequence (:base64:)`,
    );
  }
  return {
    label: chosen,
    components: readComponents(chosen, input),
    params: readParams(chosen, input[1]),
    signatureParams: serializeInnerList(input),
    signature: new Uint8Array(sigMember[0]),
  };
}

function isBlank(value: string | undefined): value is undefined {
  return value === undefined || value.trim() === '';
}

function parseHeader(name: string, value: string): Dictionary {
  try {
    return parseDictionary(value);
  } catch (error) {
    throw new SignatureError(
      'malformed-signature',
      `${name} is not a structured-field dictionary: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function onlyLabel(inputs: Dictionary): string {
  const labels = [...inputs.keys()];
  if (labels.length !== 1) {
    throw new SignatureError(
      'malformed-signature',
      `Signature-Input carries ${labels.length} signatures (${labels.join(', ')}); expected exactly one`,
    );
  }
  return labels[0];
}

function isInnerList(member: Item | InnerList): member is InnerList {
  return Array.isArray(member[0]);
}

function readComponents(label: string, input: InnerList): string[] {
  return input[0].map(([name, parameters]) => {
    if (typeof name !== 'string') {
      throw new SignatureError(
        'malformed-signature',
        `Signature-Input "${label}": components must be strings`,
      );
    }
    if (parameters.size > 0) {
      throw new SignatureError(
        'malformed-signature',
        `Signature-Input "${label}": component parameters (${[...parameters.keys()].join(', ')}) on "${name}" are not supported`,
      );
    }
    return name;
  });
}

function readParams(label: string, parameters: Parameters): SignatureParameters {
  const params: Record<string, number | string> = {};
  const wrong = (name: string, expected: string, value: BareItem): SignatureError =>
    new SignatureError(
      'malformed-signature',
      `Signature-Input "${label}": parameter ${name} must be ${expected}, got ${describe(value)}`,
    );
  for (const name of INTEGER_PARAMS) {
    const value = parameters.get(name);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw wrong(name, 'an integer', value);
    params[name] = value;
  }
  for (const name of STRING_PARAMS) {
    const value = parameters.get(name);
    if (value === undefined) continue;
    if (typeof value !== 'string') throw wrong(name, 'a string', value);
    params[name] = value;
  }
  return params;
}

function describe(value: BareItem): string {
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return 'a date';
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return 'a byte sequence';
  return `token ${String(value)}`;
}
