/**
 * The one place that imports modbus-serial. RawModbus declares only the calls
 * we use of its ModbusRTU class (CONVENTIONS.md habit 5); the helpers below
 * reach into two internals of the pinned version (8.0.25), each for a reason
 * its public API does not cover.
 */
import modbusSerial from 'modbus-serial';

/** The part of modbus-serial 8.0.25's ModbusRTU class we use. */
export interface RawModbus {
  readonly isOpen: boolean;
  setID(id: number): void;
  setTimeout(ms: number): void;
  connectTCP(host: string, options: { port: number }): Promise<void>;
  connectRTUBuffered(
    path: string,
    options: { baudRate: number; parity: 'none' | 'even' | 'odd'; dataBits: 8; stopBits: 1 },
  ): Promise<void>;
  readCoils(address: number, length: number): Promise<{ data: boolean[] }>;
  readDiscreteInputs(address: number, length: number): Promise<{ data: boolean[] }>;
  readHoldingRegisters(address: number, length: number): Promise<{ data: number[] }>;
  readInputRegisters(address: number, length: number): Promise<{ data: number[] }>;
  writeCoil(address: number, state: boolean): Promise<{ address: number }>;
  writeRegister(address: number, value: number): Promise<{ address: number }>;
  writeRegisters(address: number, values: number[]): Promise<{ address: number }>;
  writeCoils(address: number, states: boolean[]): Promise<{ address: number }>;
  maskWriteRegister(address: number, andMask: number, orMask: number): Promise<{ address: number }>;
  close(callback: (err?: unknown) => void): void;
  destroy(callback: (err?: unknown) => void): void;
  on(event: 'error' | 'close', listener: (...args: unknown[]) => void): unknown;
}

type RawCtor = new () => RawModbus;
// CommonJS package exporting itself as .default (see STACK.md).
const ModbusSerial = (modbusSerial as unknown as { default: RawCtor }).default;

export function newRawModbus(): RawModbus {
  return new ModbusSerial();
}

/**
 * modbus-serial 8.0.25's buffered RTU port frames a reply by the length it
 * expects for the request's function code, and knows none for function 22:
 * the reply would sit in its buffer until the request timed out. A mask write
 * reply echoes the request (1.1b3 §6.16): unit, function, address, AND mask,
 * OR mask, CRC = 10 bytes. Set that length after each function-22 request.
 */
export function teachMaskWriteLength(raw: RawModbus): void {
  const port = (raw as unknown as { _port?: { write?: (data: Buffer) => void; _length?: number } })._port;
  const write = port?.write;
  if (!port || typeof write !== 'function') return;
  port.write = function (this: typeof port, data: Buffer) {
    write.call(this, data);
    if (data.length > 1 && data[1] === 22) port._length = 10;
  };
}
