/**
 * BACnet rules a schema cannot express (ASHRAE 135): the object type fixes the
 * point's kind and the type of its Present_Value, input objects cannot be
 * commanded, and (object type, instance) names one object per device.
 */
import { otherPoint, pointFinding } from './check-context.js';
import type { PointEntry, ProfileCheck, ProfileCheckContext } from './check-context.js';
import type { Finding } from './schema-check.js';
import type { BacnetDataType, BacnetObjectType, BacnetPointAddress, PointKind } from './types.js';

interface BacnetEntry extends PointEntry {
  bacnet: BacnetPointAddress;
}

/**
 * ASHRAE 135 clause 12: Present_Value of Analog objects is REAL, of Binary
 * objects BACnetBinaryPV (ENUMERATED: 0 inactive, 1 active), of Multi-state
 * objects Unsigned (1..Number_Of_States).
 */
const FAMILY: Record<PointKind, { prefix: string; dataType: BacnetDataType }> = {
  analog: { prefix: 'analog-', dataType: 'real' },
  binary: { prefix: 'binary-', dataType: 'enumerated' },
  multistate: { prefix: 'multi-state-', dataType: 'unsigned' },
};

export const checkBacnet: ProfileCheck = (context) => {
  if (context.profile.protocol !== 'bacnet') return [];
  const entries = context.points.flatMap((entry): BacnetEntry[] =>
    entry.point.bacnet === undefined ? [] : [{ ...entry, bacnet: entry.point.bacnet }],
  );
  return [...entries.flatMap(objectRules), ...duplicateObjects(context, entries)];
};

function kindOf(objectType: BacnetObjectType): PointKind {
  if (objectType.startsWith('analog-')) return 'analog';
  if (objectType.startsWith('binary-')) return 'binary';
  return 'multistate';
}

function objectRules(entry: BacnetEntry): Finding[] {
  const { point, bacnet } = entry;
  const { objectType } = bacnet;
  const findings: Finding[] = [];
  const add = (field: readonly (string | number)[], message: string) =>
    findings.push(pointFinding(entry, field, message));

  const kind = kindOf(objectType);
  if (kind !== point.kind) {
    add(['bacnet', 'objectType'], `${objectType} holds ${kind} values but the point's kind is ${point.kind}`);
  } else if (point.dataType !== FAMILY[kind].dataType) {
    add(
      ['dataType'],
      `the present-value of ${objectType} is ${FAMILY[kind].dataType} (ASHRAE 135 clause 12), not ${point.dataType}`,
    );
  }

  const isInput = objectType.endsWith('-input');
  if (isInput && point.access === 'write') {
    add(['access'], `${objectType} objects cannot be commanded: use an output or value object`);
  }
  if (isInput && bacnet.commandable === true) {
    add(['bacnet', 'commandable'], `${objectType} objects have no priority array (ASHRAE 135 §19.2)`);
  }
  if (objectType.endsWith('-output') && bacnet.commandable === false) {
    add(['bacnet', 'commandable'], `${objectType} objects always have a priority array (ASHRAE 135 §19.2)`);
  }

  if (kind === 'multistate' && point.kind === 'multistate' && point.states !== undefined) {
    for (const key of Object.keys(point.states)) {
      if (Number(key) < 1)
        add(['states', key], `multi-state values start at 1 (ASHRAE 135 clause 12, Number_Of_States)`);
    }
  }
  return findings;
}

function duplicateObjects(context: ProfileCheckContext, entries: BacnetEntry[]): Finding[] {
  const first = new Map<string, BacnetEntry>();
  const findings: Finding[] = [];
  for (const entry of entries) {
    const key = `${entry.bacnet.objectType}:${entry.bacnet.instance}`;
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, entry);
    } else {
      findings.push(
        pointFinding(
          entry,
          ['bacnet', 'instance'],
          `duplicate object ${entry.bacnet.objectType} ${entry.bacnet.instance}: also used by ${otherPoint(context, earlier)}`,
        ),
      );
    }
  }
  return findings;
}
