#!/usr/bin/python3
"""An independent Modbus peer for interoperability tests: pymodbus 3.0 (Debian's
python3-pymodbus, run with /usr/bin/python3) serving a register map given as JSON.

Usage:
  pymodbus_server.py tcp <port> '<json map>' [--units 1,2] [--size 1000]    port 0 picks a free one
  pymodbus_server.py rtu <serial device> '<json map>' [--baud 9600] [--units 1,2] [--size 1000]

--size sets the number of addresses of each table (default 1000; requests
beyond it get exception 2). --units serves the map to each of these unit ids,
each with its own copy (a write to one unit does not change another), and the
last holding register of each unit holds its unit id, so a test can tell which unit answered. Requests to any
other unit id get no answer at all (a dead device on the line); without
--units every unit id is answered from one map.

JSON map (addresses are 0-based PDU addresses):
  {"holding":  [{"address": 0, "type": "float32", "value": 123.456,
                 "byteorder": "big", "wordorder": "big"}, ...],
   "input":    [... same shape ...],
   "coils":    [{"address": 0, "values": [true, false, true]}],
   "discrete": [... same shape ...]}
types: int16 uint16 int32 uint32 float32 int64 uint64 float64 (encoded with
pymodbus' own BinaryPayloadBuilder, so the byte layout is pymodbus', not ours).

Once serving it prints one line to stdout:
  READY {"port": <tcp port or null>, "holding": {"<address>": [registers], ...},
         "input": {...}, "values": {"holding:<address>": <value as encoded>, ...}}
"value as encoded" is the value read back from pymodbus' bytes with
BinaryPayloadDecoder (float32 123.456 becomes 123.45600128173828).
The process runs until it is killed.
"""
import argparse
import asyncio
import json
import logging
import sys

from pymodbus.constants import Endian
from pymodbus.datastore import (
    ModbusSequentialDataBlock,
    ModbusServerContext,
    ModbusSlaveContext,
)
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.payload import BinaryPayloadBuilder, BinaryPayloadDecoder
from pymodbus.server.async_io import StartAsyncSerialServer, StartAsyncTcpServer

TABLE_SIZE = 1000
ADD = {
    "int16": "add_16bit_int",
    "uint16": "add_16bit_uint",
    "int32": "add_32bit_int",
    "uint32": "add_32bit_uint",
    "float32": "add_32bit_float",
    "int64": "add_64bit_int",
    "uint64": "add_64bit_uint",
    "float64": "add_64bit_float",
}
ENDIAN = {"big": Endian.Big, "little": Endian.Little}


def encode(entry):
    """Registers for one value, and the value pymodbus decodes back from them."""
    kind = entry["type"]
    value = entry["value"]
    if kind.startswith("float"):
        value = float(value)
    else:
        value = int(value)
    byteorder = ENDIAN[entry.get("byteorder", "big")]
    wordorder = ENDIAN[entry.get("wordorder", "big")]
    builder = BinaryPayloadBuilder(byteorder=byteorder, wordorder=wordorder)
    getattr(builder, ADD[kind])(value)
    registers = builder.to_registers()
    decoder = BinaryPayloadDecoder.fromRegisters(registers, byteorder=byteorder, wordorder=wordorder)
    decoded = getattr(decoder, ADD[kind].replace("add_", "decode_"))()
    return registers, decoded


def build(spec, units=None, size=1000):
    TABLE_SIZE = size
    tables = {"holding": [0] * TABLE_SIZE, "input": [0] * TABLE_SIZE}
    bits = {"coils": [False] * TABLE_SIZE, "discrete": [False] * TABLE_SIZE}
    report = {"holding": {}, "input": {}, "values": {}}
    for table in ("holding", "input"):
        for entry in spec.get(table, []):
            registers, decoded = encode(entry)
            address = entry["address"]
            tables[table][address : address + len(registers)] = registers
            report[table][str(address)] = registers
            report["values"][f"{table}:{address}"] = decoded
    for table in ("coils", "discrete"):
        for entry in spec.get(table, []):
            values = [bool(v) for v in entry["values"]]
            address = entry["address"]
            bits[table][address : address + len(values)] = values
    def slave(unit=None):
        holding = list(tables["holding"])
        if unit is not None:
            holding[TABLE_SIZE - 1] = unit
        return ModbusSlaveContext(
            di=ModbusSequentialDataBlock(0, list(bits["discrete"])),
            co=ModbusSequentialDataBlock(0, list(bits["coils"])),
            hr=ModbusSequentialDataBlock(0, holding),
            ir=ModbusSequentialDataBlock(0, list(tables["input"])),
            zero_mode=True,  # request address 0 is block index 0
        )

    if not units:
        return ModbusServerContext(slaves=slave(), single=True), report
    return ModbusServerContext(slaves={u: slave(u) for u in units}, single=False), report


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["tcp", "rtu"])
    parser.add_argument("where", help="TCP port (0 = free) or serial device")
    parser.add_argument("map", help="JSON register map")
    parser.add_argument("--baud", type=int, default=9600)
    parser.add_argument("--units", default="", help="comma-separated unit ids to serve (default: any)")
    parser.add_argument("--size", type=int, default=TABLE_SIZE, help="addresses per table")
    args = parser.parse_args()
    units = [int(u) for u in args.units.split(",") if u]
    context, report = build(json.loads(args.map), units, args.size)
    # A unit id nobody serves gets silence, as on a real line, not a gateway exception.
    quiet = {"ignore_missing_slaves": True}

    if args.mode == "tcp":
        server = await StartAsyncTcpServer(
            context=context, address=("127.0.0.1", int(args.where)), defer_start=True, **quiet
        )
        task = asyncio.create_task(server.serve_forever())
        await server.serving
        report["port"] = server.server.sockets[0].getsockname()[1]
    else:
        server = await StartAsyncSerialServer(
            context=context,
            framer=ModbusRtuFramer,  # the default framer here is ASCII
            port=args.where,
            baudrate=args.baud,
            defer_start=True,
            **quiet,
        )
        await server.start()
        if server.transport is None:
            print(f"cannot open {args.where}", file=sys.stderr, flush=True)
            sys.exit(2)
        task = asyncio.create_task(server.serve_forever())
        report["port"] = None

    print("READY " + json.dumps(report), flush=True)
    await task


if __name__ == "__main__":
    logging.basicConfig(level=logging.CRITICAL)
    asyncio.run(main())
