/**
 * A write straight to a simulated Modbus device, behind the controller's back
 * (as a technician's laptop would), for specs that check the controller puts
 * its commanded value back.
 */
import { createConnection } from 'node:net';

/** One raw Modbus TCP request (MODBUS Application Protocol 1.1b3 §6.6, Write Single Register). */
export function writeRegister(port: number, address: number, value: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      const frame = Buffer.alloc(12);
      frame.writeUInt16BE(1, 0); // transaction id
      frame.writeUInt16BE(0, 2); // protocol id
      frame.writeUInt16BE(6, 4); // length: unit + PDU
      frame.writeUInt8(1, 6); // unit id
      frame.writeUInt8(6, 7);
      frame.writeUInt16BE(address, 8);
      frame.writeUInt16BE(value, 10);
      socket.write(frame);
    });
    socket.once('data', (reply) => {
      socket.destroy();
      if (reply.readUInt8(7) !== 6) reject(new Error(`Modbus exception ${reply.readUInt8(8)}`));
      else resolvePromise();
    });
    socket.once('error', reject);
  });
}
