/** A device with one object of each kind, shared by the int specs (bound to 127.0.0.1, port 0). */
import { BacnetDevice } from '../device.js';
import type { BacnetDeviceOptions, DeviceObjectDef } from '../device.js';

export const OBJECTS: DeviceObjectDef[] = [
  {
    type: 'analog-input',
    instance: 1,
    name: 'Zone temp',
    units: 'degC',
    presentValue: 21.5,
    commandable: false,
  },
  {
    type: 'analog-output',
    instance: 1,
    name: 'Damper',
    description: 'supply damper position',
    units: '%',
    presentValue: 0,
    commandable: true,
    relinquishDefault: 5,
  },
  {
    type: 'analog-value',
    instance: 1,
    name: 'Setpoint',
    units: 'degC',
    presentValue: 22,
    commandable: false,
  },
  { type: 'binary-input', instance: 1, name: 'Filter alarm', presentValue: 1, commandable: false },
  {
    type: 'binary-output',
    instance: 1,
    name: 'Fan',
    presentValue: 0,
    commandable: true,
    relinquishDefault: 0,
  },
  { type: 'binary-value', instance: 1, name: 'Occupied', presentValue: 0, commandable: false },
  {
    type: 'multi-state-input',
    instance: 1,
    name: 'Fan speed',
    presentValue: 2,
    commandable: false,
    stateTexts: ['Off', 'Low', 'High'],
  },
  {
    type: 'multi-state-output',
    instance: 1,
    name: 'Mode',
    presentValue: 1,
    commandable: true,
    relinquishDefault: 1,
    stateTexts: ['Auto', 'Heat', 'Cool'],
  },
];

export const DEVICE_INSTANCE = 260001;

export function testDevice(over: Partial<BacnetDeviceOptions> = {}): BacnetDevice {
  return new BacnetDevice({
    interface: '127.0.0.1',
    port: 0,
    deviceInstance: DEVICE_INSTANCE,
    deviceName: 'AHU-1',
    vendorId: 999,
    maxApdu: 1476,
    objects: OBJECTS,
    ...over,
  });
}
