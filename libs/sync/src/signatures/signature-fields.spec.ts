import { describe, expect, it } from '@jest/globals';
import {
  componentValue,
  headerValue,
  parseSignatureFields,
  serializeSignatureFields,
  SignatureError,
  signatureBase,
  signatureParamsValue,
} from '#libs/sync';
import type { SignatureFailureReason, SignedMessage } from '#libs/sync';

function reasonOf(fn: () => unknown): SignatureFailureReason | 'accepted' {
  try {
    fn();
    return 'accepted';
  } catch (error) {
    if (error instanceof SignatureError) return error.reason;
    throw error;
  }
}

const SIG = `sig1=:${Buffer.alloc(64, 1).toString('base64')}:`;

describe('Signature-Input and Signature serialization', () => {
  it('writes RFC 8941 dictionaries with the parameters in a fixed order', () => {
    const fields = serializeSignatureFields(
      'sig1',
      ['@method', '@target-uri', 'content-digest'],
      { alg: 'ed25519', keyid: 'SHA256:abc+/x', nonce: 'bm9uY2U', expires: 1700000060, created: 1700000000 },
      Uint8Array.of(0xfb, 0xff),
    );
    expect(fields.signatureInput).toBe(
      'sig1=("@method" "@target-uri" "content-digest");created=1700000000;expires=1700000060;nonce="bm9uY2U";keyid="SHA256:abc+/x";alg="ed25519"',
    );
    expect(fields.signature).toBe('sig1=:+/8=:');
  });

  it('escapes quotes and backslashes in string parameters and reads them back', () => {
    const value = signatureParamsValue(['@method'], { created: 1, keyid: 'a"b\\c' });
    expect(value).toBe('("@method");created=1;keyid="a\\"b\\\\c"');
    expect(parseSignatureFields(`sig1=${value}`, SIG).params.keyid).toBe('a"b\\c');
  });

  it('parses back what it wrote, keeping the received parameter order for @signature-params', () => {
    const input = 'sig1=("@method" "content-digest");keyid="k";created=5;tag="x";foo=1';
    const parsed = parseSignatureFields(input, SIG);
    expect(parsed.components).toEqual(['@method', 'content-digest']);
    expect(parsed.params).toEqual({ keyid: 'k', created: 5, tag: 'x' });
    expect(parsed.signatureParams).toBe('("@method" "content-digest");keyid="k";created=5;tag="x";foo=1');
    expect(parsed.signature).toEqual(new Uint8Array(64).fill(1));
  });

  it.each([
    ['created as a string', 'sig1=("@method");created="5"', 'parameter created must be an integer, got "5"'],
    ['created as a decimal', 'sig1=("@method");created=5.5', 'parameter created must be an integer, got 5.5'],
    ['alg as a token', 'sig1=("@method");alg=ed25519', 'parameter alg must be a string, got token ed25519'],
    ['a token component', 'sig1=(method)', 'components must be strings'],
    [
      'a component parameter',
      'sig1=("content-digest";sf)',
      'component parameters (sf) on "content-digest" are not supported',
    ],
    ['an item instead of an inner list', 'sig1="@method"', 'is not an inner list of components'],
    ['an unterminated list', 'sig1=("@method"', 'Signature-Input is not a structured-field dictionary'],
  ])('refuses %s as malformed-signature', (_name, input, message) => {
    expect(reasonOf(() => parseSignatureFields(input, SIG))).toBe('malformed-signature');
    expect(() => parseSignatureFields(input, SIG)).toThrow(message);
  });
});

const MESSAGE: SignedMessage = {
  method: 'POST',
  targetUri: 'HTTPS://Cloud.Example:443/api/v1/batches?after=4',
  headers: { 'X-Multi': ['  a ', 'b\t'], 'x-folded': 'one\r\n  two', 'content-length': 18 },
};

describe('component values', () => {
  it('joins repeated header lines with ", " after trimming each, matching names in any case', () => {
    expect(headerValue(MESSAGE.headers, 'x-multi')).toBe('a, b');
    expect(headerValue(MESSAGE.headers, 'X-MULTI')).toBe('a, b');
    expect(headerValue(MESSAGE.headers, 'x-folded')).toBe('one two');
    expect(headerValue(MESSAGE.headers, 'content-length')).toBe('18');
    expect(headerValue(MESSAGE.headers, 'absent')).toBeUndefined();
  });

  it('derives @authority, @scheme, @path and @query from the target URI; @target-uri is verbatim', () => {
    expect(componentValue(MESSAGE, '@authority')).toBe('cloud.example');
    expect(componentValue(MESSAGE, '@scheme')).toBe('https');
    expect(componentValue(MESSAGE, '@path')).toBe('/api/v1/batches');
    expect(componentValue(MESSAGE, '@query')).toBe('?after=4');
    expect(componentValue({ ...MESSAGE, targetUri: 'http://h:8080' }, '@query')).toBe('?');
    expect(componentValue({ ...MESSAGE, targetUri: 'http://h:8080' }, '@authority')).toBe('h:8080');
    expect(componentValue({ ...MESSAGE, targetUri: 'http://h:8080' }, '@path')).toBe('/');
    expect(componentValue(MESSAGE, '@target-uri')).toBe(MESSAGE.targetUri);
  });

  it.each([
    ['an uppercase header name', ['X-Multi'], 'malformed-signature'],
    ['an unsupported derived component', ['@request-target'], 'malformed-signature'],
    ['a component covered twice', ['@method', '@method'], 'malformed-signature'],
    ['"@signature-params" as a component', ['@signature-params'], 'malformed-signature'],
    ['an absent header', ['x-absent'], 'missing-component'],
    ['an absent content-digest', ['content-digest'], 'missing-digest'],
    ['a relative target URI', ['@path'], 'malformed-signature'],
  ])('refuses %s', (name, components, reason) => {
    const message = name === 'a relative target URI' ? { ...MESSAGE, targetUri: '/api/v1' } : MESSAGE;
    expect(reasonOf(() => signatureBase(message, components, '()'))).toBe(reason);
  });

  it('refuses a value that would add a line to the base', () => {
    const message = { ...MESSAGE, method: 'POST\n"@target-uri": https://evil.example/' };
    expect(reasonOf(() => signatureBase(message, ['@method'], '()'))).toBe('malformed-signature');
  });
});
