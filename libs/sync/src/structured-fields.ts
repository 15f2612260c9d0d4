/**
 * The part of `structured-headers` (RFC 8941) this library uses, typed here:
 * the package's own types name the DOM's BufferSource, which this Node-only
 * project does not load, so they would reach our code as untyped values.
 */
import {
  parseDictionary as sfParseDictionary,
  serializeDictionary as sfSerializeDictionary,
  serializeInnerList as sfSerializeInnerList,
  serializeItem as sfSerializeItem,
} from 'structured-headers';

/** Parsed byte sequences are ArrayBuffers; tokens and display strings are objects. */
export type BareItem = string | number | boolean | ArrayBuffer | Uint8Array | Date | SfObject;
export interface SfObject {
  toString(): string;
}
export type Parameters = Map<string, BareItem>;
export type Item = [BareItem, Parameters];
export type InnerList = [Item[], Parameters];
export type Dictionary = Map<string, Item | InnerList>;

export const parseDictionary = sfParseDictionary as (input: string) => Dictionary;
export const serializeDictionary = sfSerializeDictionary as (input: Dictionary) => string;
export const serializeInnerList = sfSerializeInnerList as (input: InnerList) => string;
export const serializeItem = sfSerializeItem as (value: BareItem, params?: Parameters) => string;
