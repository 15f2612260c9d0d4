/** Builders for the application-tagged values (ASHRAE 135 §20.2) a simulated device answers with. */
import type { BitString } from './values.js';
import { ApplicationTag } from './vendor.js';
import type { LibAppData } from './vendor.js';

/** A property's value: one value, or an array whose elements can be read by index (ASHRAE 135 §15.5.1.1.3). */
export type PropertyValue = LibAppData | { array: LibAppData[] };

/** An Error PDU's content: BACnetErrorClass and BACnetErrorCode numbers (§21). */
export interface Failure {
  errorClass: number;
  errorCode: number;
}
export const fail = (errorClass: number, errorCode: number): Failure => ({ errorClass, errorCode });
export const isFailure = (o: object): o is Failure => 'errorClass' in o;

export const app = {
  real: (v: number): LibAppData => ({ type: ApplicationTag.REAL, value: v }),
  unsigned: (v: number): LibAppData => ({ type: ApplicationTag.UNSIGNED_INTEGER, value: v }),
  enumerated: (v: number): LibAppData => ({ type: ApplicationTag.ENUMERATED, value: v }),
  boolean: (v: boolean): LibAppData => ({ type: ApplicationTag.BOOLEAN, value: v }),
  string: (v: string): LibAppData => ({ type: ApplicationTag.CHARACTER_STRING, value: v }),
  objectId: (type: number, instance: number): LibAppData => ({
    type: ApplicationTag.OBJECTIDENTIFIER,
    value: { type, instance },
  }),
  bits: (v: BitString): LibAppData => ({ type: ApplicationTag.BIT_STRING, value: v }),
  null: (): LibAppData => ({ type: ApplicationTag.NULL, value: null }),
};
