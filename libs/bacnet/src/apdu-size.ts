/**
 * Encoded sizes of answers (ASHRAE 135 §20.1.5 Complex-ACK, §20.2 tags and
 * application values, §21 ReadAccessResult), so that a device can tell an
 * answer does not fit its max-APDU and a client can size a
 * ReadPropertyMultiple to fit the device's — without encoding anything.
 */
import { ApplicationTag } from './vendor.js';
import type { LibAppData } from './vendor.js';

/** PDU type, invoke id, service choice of an unsegmented Complex-ACK (§20.1.5). */
export const COMPLEX_ACK_HEADER = 3;

/** Octets of an unsigned integer's content, shortest form (§20.2.4). */
export function unsignedLength(n: number): number {
  if (n < 0x100) return 1;
  if (n < 0x10000) return 2;
  if (n < 0x1000000) return 3;
  return 4;
}

/** A tag's own octets for content of `length` octets (§20.2.1.3: lengths over 4 are extended). */
function tagLength(length: number, tagNumber = 0): number {
  const numberOctets = tagNumber > 14 ? 1 : 0;
  if (length <= 4) return 1 + numberOctets;
  if (length <= 253) return 2 + numberOctets;
  if (length <= 65535) return 4 + numberOctets;
  return 6 + numberOctets;
}

/** Size of one application-tagged value (§20.2). */
export function appDataSize(d: LibAppData): number {
  switch (d.type) {
    case ApplicationTag.NULL:
    case ApplicationTag.BOOLEAN:
      return 1;
    case ApplicationTag.UNSIGNED_INTEGER:
    case ApplicationTag.ENUMERATED:
      return 1 + unsignedLength(Math.abs(Number(d.value)));
    case ApplicationTag.SIGNED_INTEGER:
      return 1 + Math.min(4, unsignedLength(Math.abs(Number(d.value)) * 2));
    case ApplicationTag.REAL:
    case ApplicationTag.OBJECTIDENTIFIER:
    case ApplicationTag.DATE:
    case ApplicationTag.TIME:
      return 5;
    case ApplicationTag.DOUBLE:
      return 10;
    case ApplicationTag.CHARACTER_STRING: {
      const content = 1 + Buffer.byteLength(String(d.value)); // character set octet (§20.2.9)
      return tagLength(content) + content;
    }
    case ApplicationTag.BIT_STRING: {
      const bits = (d.value as { bitsUsed?: number } | null)?.bitsUsed ?? 0;
      const content = 1 + Math.ceil(bits / 8); // unused-bits octet (§20.2.10)
      return tagLength(content) + content;
    }
    case ApplicationTag.ERROR:
      return 6; // [5] opening, error-class and error-code ENUMERATED, [5] closing
    default:
      return 10;
  }
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/** Context tag + content of a property identifier, and of an array index when one was asked for. */
function propertyRefSize(propertyId: number, index: number | undefined): number {
  const id = 1 + unsignedLength(propertyId);
  return index === undefined ? id : id + 1 + unsignedLength(index);
}

/** A ReadProperty-ACK (§15.5.1.3): object id [0], property [1], index [2], value in [3] opening/closing. */
export function readPropertyAckSize(
  propertyId: number,
  index: number | undefined,
  values: LibAppData[],
): number {
  return COMPLEX_ACK_HEADER + 5 + propertyRefSize(propertyId, index) + 2 + sum(values.map(appDataSize));
}

export interface ReadAccessResultShape {
  values: { propertyId: number; index?: number; value: LibAppData[] }[];
}

/** A ReadPropertyMultiple-ACK (§15.7.1.3, §21 ReadAccessResult): object id [0], results in [1], each value in [4] or error in [5]. */
export function readPropertyMultipleAckSize(results: ReadAccessResultShape[]): number {
  return (
    COMPLEX_ACK_HEADER +
    sum(
      results.map(
        (r) =>
          7 +
          sum(
            r.values.map((v) => {
              const isError = v.value[0]?.type === ApplicationTag.ERROR;
              return (
                propertyRefSize(v.propertyId, v.index) + (isError ? 6 : 2 + sum(v.value.map(appDataSize)))
              );
            }),
          ),
      ),
    )
  );
}

/**
 * What a client should expect one property's result to take in a
 * ReadPropertyMultiple-ACK: property reference plus `valueSize` wrapped in its
 * [4] opening and closing tags. An error result ([5] class and code, 6
 * octets) is larger only for values under 4 octets; counting it for every
 * item would cost whole requests on every scan (100 binary present-values
 * need 200 octets more) to cover a case that is rare (a profile naming an
 * object the device lacks) and already safe: an answer that then overflows
 * the APDU is aborted by the device, and the batch reader splits the batch.
 */
export function expectedResultSize(propertyId: number, index: number | undefined, valueSize: number): number {
  return propertyRefSize(propertyId, index) + 2 + valueSize;
}

/** Per object in a ReadPropertyMultiple-ACK: its identifier [0] and the [1] opening and closing tags. */
export const READ_ACCESS_RESULT_OVERHEAD = 7;
