import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { applyEdit, configurationArb, editArb } from '../test-support/arbitraries.js';
import type { Edit } from '../test-support/arbitraries.js';
import { meta, minute } from '../test-support/builders.js';
import { canonicalJson } from './canonical.js';
import { InMemorySnapshotStore } from './memory-store.js';
import { checkout, commit, log, rollback } from './operations.js';
import type { VersionId } from './store.js';
import type { Configuration } from './tree.js';

type Step = { type: 'edits'; edits: Edit[] } | { type: 'rollback'; pick: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      type: fc.constant('edits' as const),
      edits: fc.array(editArb, { minLength: 1, maxLength: 3 }),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ type: fc.constant('rollback' as const), pick: fc.nat() }), weight: 1 },
);

describe('history (property)', () => {
  it('random edits and rollbacks, then a rollback to a random earlier version, checks out as that version', async () => {
    await fc.assert(
      fc.asyncProperty(
        configurationArb,
        fc.array(stepArb, { maxLength: 10 }),
        fc.nat(),
        async (start, steps, finalPick) => {
          const store = new InMemorySnapshotStore();
          /** What each created version must check out as: the model. */
          const model = new Map<VersionId, Configuration>();
          let head = (await commit(store, start, meta(null, 0))).version.id;
          model.set(head, start);
          let current = start;
          let clock = 1;
          const statuses: [string, string][] = [];
          const rolledBackTo: [string | undefined, string][] = [];
          for (const step of steps) {
            if (step.type === 'edits') {
              const next = step.edits.reduce(applyEdit, current);
              const result = await commit(store, next, meta(head, clock++));
              statuses.push([
                result.status,
                canonicalJson(next) === canonicalJson(current) ? 'unchanged' : 'created',
              ]);
              current = next;
            } else {
              const ids = [...model.keys()];
              const target = ids[step.pick % ids.length];
              const result = await rollback(store, target, {
                author: 'bob',
                at: minute(clock++),
                expectedHead: head,
              });
              rolledBackTo.push([result.status === 'created' ? result.version.rolledBackTo : target, target]);
              current = model.get(target)!;
            }
            head = (await store.head())!;
            if (!model.has(head)) model.set(head, current);
          }
          const ids = [...model.keys()];
          const target = ids[finalPick % ids.length];
          expect(statuses.map(([actual]) => actual)).toEqual(statuses.map(([, expected]) => expected));
          expect(rolledBackTo.map(([actual]) => actual)).toEqual(
            rolledBackTo.map(([, expected]) => expected),
          );
          const final = await rollback(store, target, { author: 'bob', at: minute(clock++) });
          expect(canonicalJson(await checkout(store, final.version.id))).toBe(
            canonicalJson(model.get(target)),
          );
          if (final.status === 'created') model.set(final.version.id, model.get(target)!);
          // History is intact: every version ever created still checks out as it was, and log reaches them all.
          const history = await log(store);
          expect(new Set(history.map((v) => v.id))).toEqual(new Set(model.keys()));
          expect(history.at(-1)!.parent).toBeNull();
          for (const [id, config] of model) {
            expect(canonicalJson(await checkout(store, id))).toBe(canonicalJson(config));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
