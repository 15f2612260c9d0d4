/**
 * The devices `bench:scan` reads, in a process of their own so that the
 * servers' work does not share a core with the client being measured: 20
 * Modbus TCP servers (libs/modbus's own server, which answers without the ~1 ms
 * delay of modbus-serial's ServerTCP) and 20 BACnet/IP devices, all on
 * 127.0.0.1 at ports the OS picks. Prints one line `READY {json}` and runs
 * until killed, or until the bench that started it is gone.
 *
 * The BACnet devices answer a repeated read from their answer cache
 * (libs/bacnet device-answers.ts): the library's server path costs several
 * times what the client being measured does, and would otherwise set the pace
 * of every contender (issue 3: "device servers fast enough not to hide the
 * client's own cost"). Every contender reads through the same cache.
 */
import { BacnetDevice } from '#libs/bacnet';
import { ModbusTcpServer } from '#libs/modbus';
import {
  BACNET_DEVICES,
  MODBUS_DEVICES,
  bacnetProfile,
  modbusProfile,
  modbusRegisterImage,
} from './scan-workload.js';

async function main(): Promise<void> {
  const modbus: Array<{ port: number }> = [];
  for (let d = 0; d < MODBUS_DEVICES; d++) {
    // Every point holds its modbusValue(), so bench:scan can check what Bulwark decoded.
    const image = modbusRegisterImage(modbusProfile(d));
    const server = new ModbusTcpServer({
      host: '127.0.0.1',
      port: 0,
      handler: (req) =>
        req.functionCode === 3 || req.functionCode === 4
          ? {
              registers: Array.from(
                image[req.functionCode].subarray(req.address, req.address + req.quantity),
              ),
            }
          : { exception: 1 },
    });
    modbus.push({ port: (await server.listen()).port });
  }
  const bacnet: Array<{ port: number; deviceInstance: number }> = [];
  for (let d = 0; d < BACNET_DEVICES; d++) {
    const profile = bacnetProfile(d);
    const deviceInstance = 5000 + d;
    const device = new BacnetDevice({
      interface: '127.0.0.1',
      port: 0,
      deviceInstance,
      deviceName: `bench-${d}`,
      maxApdu: profile.bacnet!.maxApdu,
      supportsRpm: true,
      supportsCov: false,
      objects: profile.points.map((p, i) => ({
        type: p.bacnet!.objectType,
        instance: p.bacnet!.instance,
        name: p.name,
        units: '',
        presentValue: p.kind === 'analog' ? 20 + i / 10 : p.kind === 'binary' ? i % 2 : 1 + (i % 3),
        commandable: false,
        stateTexts: p.states ? Object.values(p.states) : undefined,
      })),
    });
    bacnet.push({ port: (await device.start()).port, deviceInstance });
  }
  console.log(`READY ${JSON.stringify({ modbus, bacnet })}`);
  // A bench that dies without killing us (its watchdog exits at once) leaves us to a new parent: then stop too.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 1000).unref();
}

main().catch((err: unknown) => {
  console.error(`bench peers: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
