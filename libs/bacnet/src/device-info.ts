/** The Device object of a simulated device (ASHRAE 135 §12.11): identity, capabilities, object list. */
import { app } from './app-data.js';
import type { PropertyValue } from './app-data.js';
import { bitString } from './values.js';
import { ObjectType, PropertyIdentifier as P, Segmentation, ServicesSupported } from './vendor.js';
import type { LibAppData } from './vendor.js';

export interface DeviceInfo {
  deviceInstance: number;
  deviceName: string;
  vendorId: number;
  /** Vendor_Name and Model_Name of the device object (§12.11.6, §12.11.8). */
  vendorName?: string;
  modelName?: string;
  /** Max-APDU-length-accepted: 50, 128, 206, 480, 1024 or 1476 (§20.1.2.5). */
  maxApdu: number;
  supportsRpm: boolean;
  supportsCov: boolean;
  /** Commandable objects have current-command-priority (property 431, 135-2016); false for older devices. */
  currentCommandPriority: boolean;
}

/** Protocol_Revision 14 defines services-supported bits 0..43 and object types 0..59. */
const SERVICES_BITS = 44;
const OBJECT_TYPE_BITS = 60;

/** The services this device executes (Protocol_Services_Supported, §12.11.21). */
export function servicesSupported(info: DeviceInfo): number[] {
  const s: number[] = [
    ServicesSupported.READ_PROPERTY,
    ServicesSupported.WRITE_PROPERTY,
    ServicesSupported.WHO_IS,
  ];
  if (info.supportsRpm) s.push(ServicesSupported.READ_PROPERTY_MULTIPLE);
  if (info.supportsCov) s.push(ServicesSupported.SUBSCRIBE_COV);
  return s;
}

export function deviceProperties(
  info: DeviceInfo,
  objectList: LibAppData[],
  objectTypes: number[],
): Map<number, PropertyValue> {
  return new Map<number, PropertyValue>([
    [P.OBJECT_IDENTIFIER, app.objectId(ObjectType.DEVICE, info.deviceInstance)],
    [P.OBJECT_NAME, app.string(info.deviceName)],
    [P.OBJECT_TYPE, app.enumerated(ObjectType.DEVICE)],
    [P.SYSTEM_STATUS, app.enumerated(0)], // operational
    [P.VENDOR_NAME, app.string(info.vendorName ?? 'Bulwark simulator')],
    [P.VENDOR_IDENTIFIER, app.unsigned(info.vendorId)],
    [P.MODEL_NAME, app.string(info.modelName ?? 'simulated device')],
    [P.FIRMWARE_REVISION, app.string('1.0')],
    [P.APPLICATION_SOFTWARE_VERSION, app.string('1.0')],
    [P.DESCRIPTION, app.string('')],
    [P.PROTOCOL_VERSION, app.unsigned(1)],
    [P.PROTOCOL_REVISION, app.unsigned(14)],
    [P.PROTOCOL_SERVICES_SUPPORTED, app.bits(bitString(SERVICES_BITS, servicesSupported(info)))],
    [P.PROTOCOL_OBJECT_TYPES_SUPPORTED, app.bits(bitString(OBJECT_TYPE_BITS, objectTypes))],
    [P.OBJECT_LIST, { array: objectList }],
    [P.MAX_APDU_LENGTH_ACCEPTED, app.unsigned(info.maxApdu)],
    [P.SEGMENTATION_SUPPORTED, app.enumerated(Segmentation.NO_SEGMENTATION)],
    [P.APDU_TIMEOUT, app.unsigned(3000)],
    [P.NUMBER_OF_APDU_RETRIES, app.unsigned(0)],
    [P.DEVICE_ADDRESS_BINDING, { array: [] }],
    [P.DATABASE_REVISION, app.unsigned(1)],
  ]);
}
