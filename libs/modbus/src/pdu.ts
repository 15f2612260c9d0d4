/**
 * Server-side PDUs (MODBUS Application Protocol 1.1b3 §6) and the MBAP frame
 * (Modbus Messaging on TCP/IP Implementation Guide 1.0b §3.1.3). Pure functions:
 * the socket handling lives in server.ts.
 */

/** A decoded request. For 5/6 `quantity` is 1 and `values` has one element. */
export type ModbusRequest = {
  unitId: number;
  functionCode: number;
  address: number;
  quantity: number;
  values?: number[] | boolean[];
  /** MBAP transaction id, so a fault-injecting handler can build `raw` frames (see buildMbapFrame). */
  transactionId?: number;
};

/**
 * What the handler answers. `drop` sends nothing (device offline / timeout);
 * `raw` sends these bytes as the whole frame, MBAP header included (garbage or
 * truncated frames for fault tests); `exception` sends function|0x80 + code (§7).
 */
export type ModbusReply =
  | { registers: number[] }
  | { bits: boolean[] }
  | { ok: true }
  | { exception: number }
  | { drop: true }
  | { raw: Buffer };

export type ModbusHandler = (req: ModbusRequest) => ModbusReply | Promise<ModbusReply>;

/** §7 exception codes the server itself raises. */
export const EXCEPTION = {
  illegalFunction: 1,
  illegalDataAddress: 2,
  illegalDataValue: 3,
  serverDeviceFailure: 4,
} as const;

export const SUPPORTED_FUNCTIONS: readonly number[] = [1, 2, 3, 4, 5, 6, 15, 16];

/** Per-request quantity limits, 1.1b3 §6.1–6.4, §6.11, §6.12. */
const MAX_QUANTITY: Record<number, number> = { 1: 2000, 2: 2000, 3: 125, 4: 125, 15: 1968, 16: 123 };

export type ParsedRequest = { request: ModbusRequest } | { functionCode: number; exception: number };

function fail(functionCode: number, exception: number): ParsedRequest {
  return { functionCode, exception };
}

/** Decode a request PDU (function code first). Malformed PDUs map to the exception §7 prescribes. */
export function parseRequestPdu(unitId: number, pdu: Buffer, transactionId?: number): ParsedRequest {
  const functionCode = pdu.length > 0 ? pdu[0] : 0;
  if (!SUPPORTED_FUNCTIONS.includes(functionCode)) return fail(functionCode, EXCEPTION.illegalFunction);
  if (pdu.length < 5) return fail(functionCode, EXCEPTION.illegalDataValue);
  const address = pdu.readUInt16BE(1);
  const word = pdu.readUInt16BE(3);
  const base = { unitId, functionCode, address, transactionId };
  switch (functionCode) {
    case 5:
      // §6.5: 0xFF00 is ON, 0x0000 OFF; any other value is illegal data value.
      if (pdu.length !== 5 || (word !== 0xff00 && word !== 0))
        return fail(functionCode, EXCEPTION.illegalDataValue);
      return { request: { ...base, quantity: 1, values: [word === 0xff00] } };
    case 6:
      if (pdu.length !== 5) return fail(functionCode, EXCEPTION.illegalDataValue);
      return { request: { ...base, quantity: 1, values: [word] } };
  }
  const quantity = word;
  if (quantity < 1 || quantity > MAX_QUANTITY[functionCode])
    return fail(functionCode, EXCEPTION.illegalDataValue);
  if (functionCode <= 4) {
    if (pdu.length !== 5) return fail(functionCode, EXCEPTION.illegalDataValue);
  } else {
    // §6.11 / §6.12: byte count must match the quantity and the bytes present.
    const byteCount = functionCode === 15 ? Math.ceil(quantity / 8) : quantity * 2;
    if (pdu.length !== 6 + byteCount || pdu[5] !== byteCount)
      return fail(functionCode, EXCEPTION.illegalDataValue);
  }
  if (address + quantity > 0x10000) return fail(functionCode, EXCEPTION.illegalDataAddress);
  if (functionCode === 15) {
    const values: boolean[] = [];
    for (let i = 0; i < quantity; i++) values.push(((pdu[6 + (i >> 3)] >> (i & 7)) & 1) === 1);
    return { request: { ...base, quantity, values } };
  }
  if (functionCode === 16) {
    const values: number[] = [];
    for (let i = 0; i < quantity; i++) values.push(pdu.readUInt16BE(6 + i * 2));
    return { request: { ...base, quantity, values } };
  }
  return { request: { ...base, quantity } };
}

export function exceptionPdu(functionCode: number, code: number): Buffer {
  return Buffer.from([(functionCode | 0x80) & 0xff, code]);
}

/** Thrown when a handler's reply does not fit the request; the server answers exception 4 instead. */
export class ModbusReplyError extends Error {
  override readonly name = 'ModbusReplyError';
}

/** Response PDU for a normal (non-exception, non-drop, non-raw) reply. */
export function buildReplyPdu(req: ModbusRequest, reply: ModbusReply): Buffer {
  const fc = req.functionCode;
  if (fc === 1 || fc === 2) {
    if (!('bits' in reply) || reply.bits.length !== req.quantity) {
      throw new ModbusReplyError(`function ${fc} needs ${req.quantity} bits in the reply`);
    }
    // §6.1: bits packed LSB first, the last byte padded with zeros.
    const n = Math.ceil(req.quantity / 8);
    const out = Buffer.alloc(2 + n);
    out[0] = fc;
    out[1] = n;
    reply.bits.forEach((b, i) => {
      if (b) out[2 + (i >> 3)] |= 1 << (i & 7);
    });
    return out;
  }
  if (fc === 3 || fc === 4) {
    if (!('registers' in reply) || reply.registers.length !== req.quantity) {
      throw new ModbusReplyError(`function ${fc} needs ${req.quantity} registers in the reply`);
    }
    const out = Buffer.alloc(2 + req.quantity * 2);
    out[0] = fc;
    out[1] = req.quantity * 2;
    reply.registers.forEach((r, i) => out.writeUInt16BE(r, 2 + i * 2)); // throws on a non-16-bit value
    return out;
  }
  if (!('ok' in reply)) throw new ModbusReplyError(`function ${fc} needs { ok: true } in the reply`);
  const out = Buffer.alloc(5);
  out[0] = fc;
  out.writeUInt16BE(req.address, 1);
  if (fc === 5) out.writeUInt16BE(req.values?.[0] === true ? 0xff00 : 0, 3);
  else if (fc === 6) out.writeUInt16BE(Number(req.values?.[0] ?? 0), 3);
  else out.writeUInt16BE(req.quantity, 3); // 15 and 16 echo address and quantity
  return out;
}

/** MBAP header (transaction id, protocol 0, length = unit id + PDU, unit id) followed by the PDU. */
export function buildMbapFrame(transactionId: number, unitId: number, pdu: Buffer): Buffer {
  const frame = Buffer.alloc(7 + pdu.length);
  frame.writeUInt16BE(transactionId & 0xffff, 0);
  frame.writeUInt16BE(0, 2);
  frame.writeUInt16BE(pdu.length + 1, 4);
  frame[6] = unitId & 0xff;
  pdu.copy(frame, 7);
  return frame;
}
