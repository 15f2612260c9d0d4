/**
 * libs/modbus: register codecs, the read planner, our own fast Modbus TCP
 * server (simulator, benchmarks) and a client: our own MBAP link over TCP,
 * modbus-serial over RTU.
 */
export {
  decodeBit,
  compileDecoder,
  decodeRegisters,
  encodeBit,
  encodeRegisters,
  ModbusCodecError,
  registerCount,
  type Encoding,
  type RegisterDecoder,
} from './codec.js';
export { BatchDecoder } from './batch-decode.js';
export {
  limitFor,
  ModbusPlanError,
  planReads,
  type PlanItem,
  type PlanLimits,
  type PlannedRead,
  type ReadBarriers,
} from './planner.js';
export {
  AdaptivePlanner,
  clustersOf,
  readAdaptively,
  recoverRefused,
  type AdaptiveReadResult,
  type ReadFailureVerdict,
} from './adaptive-read.js';
export { buildMbapFrame, type ModbusHandler, type ModbusReply, type ModbusRequest } from './pdu.js';
export { ModbusTcpServer, type ModbusTcpServerOptions } from './server.js';
export { exceptionName, ModbusError, type ModbusErrorKind, type ModbusExceptionName } from './errors.js';
export { ModbusClient, type RequestOptions, type RtuOptions, type TcpOptions } from './client.js';
export type { CallDone } from './session.js';
