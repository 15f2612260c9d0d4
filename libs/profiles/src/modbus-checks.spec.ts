/** Modbus rules beyond the schema (MODBUS Application Protocol 1.1b3). */
import { describe, expect, it } from '@jest/globals';
import { parseProfile } from './index.js';
import type { ModbusDeviceQuirks, PointDef } from './index.js';
import { analogInput, analogSetpoint, modbusProfile, relay, yaml } from './test-support/builders.js';

function issuesOf(points: PointDef[], quirks: ModbusDeviceQuirks = { addressing: 'zero-based' }) {
  return parseProfile(yaml(modbusProfile(points, { modbus: quirks })), 'mem.yaml').issues.map(
    ({ pointId, field, message }) => ({ pointId, field, message }),
  );
}

const status = (id: string, address: number, bit?: number): PointDef =>
  analogInput({ id, kind: 'binary', dataType: 'bool', unit: '', modbus: { function: 4, address, bit } });

describe('data types and tables', () => {
  it.each([1, 2] as const)('function %i holds only bool', (table) => {
    expect(
      issuesOf([analogInput({ dataType: 'uint16', modbus: { function: table, address: 0 } })]),
    ).toContainEqual({
      pointId: 'temp',
      field: 'dataType',
      message: expect.stringContaining('uint16 cannot live in'),
    });
  });

  it('bit only on a bool in a register', () => {
    expect(issuesOf([analogInput({ modbus: { function: 4, address: 0, bit: 3 } })])).toEqual([
      { pointId: 'temp', field: 'modbus.bit', message: 'only applies to dataType bool, not float32' },
    ]);
    expect(issuesOf([relay({ modbus: { function: 1, address: 0, bit: 3, writeFunction: 5 } })])).toEqual([
      {
        pointId: 'relay',
        field: 'modbus.bit',
        message: expect.stringContaining('does not apply to coils (function 1)'),
      },
    ]);
  });

  it('a bool in a register must name its bit', () => {
    expect(issuesOf([status('alarm', 7)])).toEqual([
      {
        pointId: 'alarm',
        field: 'modbus.bit',
        message: expect.stringContaining('is required for a bool in input registers'),
      },
    ]);
  });

  it('bool only for binary points, floats never for multistate points', () => {
    expect(issuesOf([analogInput({ dataType: 'bool', modbus: { function: 2, address: 0 } })])).toEqual([
      { pointId: 'temp', field: 'dataType', message: 'bool can only hold a binary point, not analog' },
    ]);
    const mode = analogInput({ id: 'mode', kind: 'multistate', states: { '1': 'a' }, dataType: 'float32' });
    expect(issuesOf([mode])).toEqual([
      {
        pointId: 'mode',
        field: 'dataType',
        message: 'a multistate point needs an integer type, not float32',
      },
    ]);
  });

  it('wordOrder only on values of more than one register', () => {
    expect(
      issuesOf([
        analogInput({ dataType: 'int16', modbus: { function: 4, address: 0, wordOrder: 'little' } }),
      ]),
    ).toEqual([
      {
        pointId: 'temp',
        field: 'modbus.wordOrder',
        message: 'only applies to 32- and 64-bit values, not int16',
      },
    ]);
    expect(
      issuesOf([
        analogInput({ dataType: 'uint64', modbus: { function: 4, address: 0, wordOrder: 'little' } }),
      ]),
    ).toEqual([]);
  });
});

describe('address bounds (MODBUS 1.1b3 §4.4)', () => {
  it.each<[string, ModbusDeviceQuirks['addressing'], number, string, string | undefined]>([
    ['zero-based 0', 'zero-based', 0, 'uint16', undefined],
    ['zero-based 65535', 'zero-based', 65535, 'uint16', undefined],
    ['zero-based 65536', 'zero-based', 65536, 'uint16', '65536 is outside 0..65535 (zero-based addressing)'],
    ['one-based 0', 'one-based', 0, 'uint16', '0 is outside 1..65536 (one-based addressing)'],
    ['one-based 65536', 'one-based', 65536, 'uint16', undefined],
    [
      'a float32 at the last register',
      'zero-based',
      65535,
      'float32',
      'float32 at 65535 needs registers up to 65536, past 65535',
    ],
    ['a float64 ending on the last register', 'one-based', 65533, 'float64', undefined],
  ])('%s', (_name, addressing, address, dataType, message) => {
    const point = analogInput({
      dataType: dataType as PointDef['dataType'],
      modbus: { function: 3, address },
    });
    const expected = message === undefined ? [] : [{ pointId: 'temp', field: 'modbus.address', message }];
    expect(issuesOf([point], { addressing })).toEqual(expected);
  });
});

describe('writing', () => {
  it.each<[string, PointDef]>([
    ['discrete inputs (function 2)', relay({ modbus: { function: 2, address: 0 } })],
    ['input registers (function 4)', analogSetpoint({ modbus: { function: 4, address: 0 } })],
  ])('refuses writes to %s', (table, point) => {
    expect(issuesOf([point])).toEqual([
      {
        pointId: point.id,
        field: 'access',
        message: `${table} are read-only: a point there cannot be written`,
      },
    ]);
  });

  it.each<[string, PointDef, string | undefined]>([
    ['5 on a coil', relay({ modbus: { function: 1, address: 0, writeFunction: 5 } }), undefined],
    ['15 on a coil', relay({ modbus: { function: 1, address: 0, writeFunction: 15 } }), undefined],
    [
      '6 on a coil',
      relay({ modbus: { function: 1, address: 0, writeFunction: 6 } }),
      '6 does not write coils (function 1): use 5 or 15',
    ],
    [
      '16 on a coil',
      relay({ modbus: { function: 1, address: 0, writeFunction: 16 } }),
      '16 does not write coils (function 1): use 5 or 15',
    ],
    [
      '5 on a holding register',
      analogSetpoint({ modbus: { function: 3, address: 0, writeFunction: 5 } }),
      '5 does not write holding registers (function 3): use 6 or 16',
    ],
    ['6 on an int16', analogSetpoint({ modbus: { function: 3, address: 0, writeFunction: 6 } }), undefined],
    ['16 on an int16', analogSetpoint({ modbus: { function: 3, address: 0, writeFunction: 16 } }), undefined],
    [
      '6 on a uint32',
      analogSetpoint({ dataType: 'uint32', modbus: { function: 3, address: 0, writeFunction: 6 } }),
      '6 writes a single register but uint32 spans 2: use 16',
    ],
    [
      '16 on a float64',
      analogSetpoint({ dataType: 'float64', modbus: { function: 3, address: 0, writeFunction: 16 } }),
      undefined,
    ],
    [
      '22 (mask write) on a bool packed in a holding register',
      analogSetpoint({
        kind: 'binary',
        dataType: 'bool',
        safeRange: undefined,
        failSafe: 0,
        minOnSeconds: 10,
        minOffSeconds: 10,
        modbus: { function: 3, address: 0, bit: 4, writeFunction: 22 },
      }),
      undefined,
    ],
    [
      '22 (mask write) on an int16',
      analogSetpoint({ modbus: { function: 3, address: 0, writeFunction: 22 } }),
      '22 does not write holding registers (function 3): use 6 or 16',
    ],
    [
      '22 (mask write) on a coil',
      relay({ modbus: { function: 1, address: 0, writeFunction: 22 } }),
      '22 does not write coils (function 1): use 5 or 15',
    ],
    [
      'none on a writable coil',
      relay({ modbus: { function: 1, address: 0 } }),
      'is required for a writable point in coils (function 1): 5 or 15',
    ],
    [
      'one on a read-only point',
      analogInput({ modbus: { function: 3, address: 0, writeFunction: 16 } }),
      'only applies to writable points (access: write)',
    ],
  ])('writeFunction %s', (_name, point, message) => {
    const expected =
      message === undefined ? [] : [{ pointId: point.id, field: 'modbus.writeFunction', message }];
    expect(issuesOf([point])).toEqual(expected);
  });
});

describe('overlapping registers', () => {
  const reg = (id: string, fn: 3 | 4, address: number, dataType: PointDef['dataType']) =>
    analogInput({ id, dataType, modbus: { function: fn, address } });

  it('a float32 overlapping the second register of another', () => {
    expect(issuesOf([reg('l1_power', 4, 12, 'float32'), reg('total_power', 4, 13, 'float32')])).toEqual([
      {
        pointId: 'total_power',
        field: 'modbus.address',
        message: expect.stringMatching(/^overlaps point "l1_power" \(registers 12-13\) at line \d+$/),
      },
    ]);
  });

  it('a 64-bit value swallowing a 16-bit one', () => {
    expect(issuesOf([reg('energy', 3, 100, 'uint64'), reg('status', 3, 103, 'uint16')])).toEqual([
      { pointId: 'status', field: 'modbus.address', message: expect.stringContaining('(registers 100-103)') },
    ]);
  });

  it('adjacent values and different tables do not overlap', () => {
    expect(
      issuesOf([reg('a', 4, 12, 'float32'), reg('b', 4, 14, 'float32'), reg('c', 3, 12, 'float32')]),
    ).toEqual([]);
  });

  it('the same address in coils and discrete inputs does not overlap', () => {
    const input = relay({ id: 'feedback', access: 'read', modbus: { function: 2, address: 0 } });
    for (const field of ['failSafe', 'minOnSeconds', 'minOffSeconds'] as const) delete input[field];
    expect(issuesOf([relay(), input])).toEqual([]);
  });

  it('two coils at one address overlap', () => {
    expect(issuesOf([relay(), relay({ id: 'relay2' })])).toEqual([
      {
        pointId: 'relay2',
        field: 'modbus.address',
        message: expect.stringContaining('overlaps point "relay" (coil 0)'),
      },
    ]);
  });

  it('bools on distinct bits of one register do not overlap; on the same bit they do', () => {
    expect(issuesOf([status('a', 30, 0), status('b', 30, 1)])).toEqual([]);
    expect(issuesOf([status('a', 30, 0), status('b', 30, 0)])).toEqual([
      {
        pointId: 'b',
        field: 'modbus.address',
        message: expect.stringContaining('overlaps point "a" (register 30 bit 0)'),
      },
    ]);
  });

  it('a bit of a register overlaps a whole-register value there', () => {
    expect(issuesOf([reg('word', 4, 30, 'uint16'), status('a', 30, 2)])).toEqual([
      { pointId: 'a', field: 'modbus.address', message: expect.stringContaining('(register 30)') },
    ]);
  });

  it('compares spans in PDU space with one-based addressing', () => {
    expect(
      issuesOf([reg('a', 4, 1, 'float32'), reg('b', 4, 2, 'uint16')], { addressing: 'one-based' }),
    ).toEqual([
      { pointId: 'b', field: 'modbus.address', message: expect.stringContaining('(registers 1-2)') },
    ]);
  });

  it('reports each clashing point once', () => {
    const issues = issuesOf([reg('a', 4, 0, 'uint64'), reg('b', 4, 1, 'uint16'), reg('c', 4, 2, 'uint16')]);
    expect(issues.map((issue) => issue.pointId)).toEqual(['b', 'c']);
  });
});
