import { describe, expect, it } from 'vitest';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import type { Score } from '../../src/domain/rfm.js';
import { emptyState, type CustomerState } from '../../src/domain/state.js';
import { valueQuadrant } from '../../src/domain/value-quadrant.js';
import { fold, purchase, timerAt } from './fixtures.js';

// loyal: F ≥ 3 and R ≥ 3 (and neither cancelled nor a detractor); profitable: CLV > 0, M ≥ 3 (here; default 1), refunds ≤ 30 % of gross, discount ≤ 50 %
const rules = { ...defaultDomainParameters.quadrant, profitableMinMScore: 3 };

const customer = (patch: Partial<CustomerState>): CustomerState => ({ ...emptyState('c'), orders: 3, grossMinor: 10_000, ...patch });
const scores = (r: Score, f: Score, m: Score) => ({ r, f, m });

describe('value quadrant', () => {
  it('true friends: loyal and profitable (boundaries inclusive)', () => {
    // refunds 3000 = 0.3 × 10000; discount 10000 = 0.5 × (10000 + 10000)
    const s = customer({ refundMinor: 3000, discountMinor: 10_000 });
    expect(valueQuadrant(s, scores(3, 3, 3), 1, rules)).toBe('true_friends');
  });

  it('barnacles: loyal, not profitable (refunds above 30 % of gross)', () => {
    expect(valueQuadrant(customer({ refundMinor: 3001 }), scores(3, 3, 3), 1, rules)).toBe('barnacles');
  });

  it('butterflies: profitable, not loyal (F below 3)', () => {
    expect(valueQuadrant(customer({}), scores(5, 2, 5), 1, rules)).toBe('butterflies');
  });

  it('butterflies: profitable, not loyal (R below 3)', () => {
    expect(valueQuadrant(customer({}), scores(2, 5, 5), 1, rules)).toBe('butterflies');
  });

  it('strangers: neither', () => {
    expect(valueQuadrant(customer({}), scores(2, 2, 2), 0, rules)).toBe('strangers');
  });

  it.each([
    ['historic CLV not positive', customer({}), scores(3, 3, 3), 0],
    ['M score below 3', customer({}), scores(3, 3, 2), 1],
    // discount 10001 of 20001 before discounts > 50 %
    ['discounts dominating', customer({ discountMinor: 10_001 }), scores(3, 3, 3), 1],
  ] as const)('not profitable when %s', (_why, s, sc, clv) => {
    expect(valueQuadrant(s, sc, clv, rules)).toBe('barnacles');
  });

  it('is derived in the profile from the customer (a big one-day buyer is a butterfly)', () => {
    const { state } = fold([purchase('c', 0, 50_000)]);
    // F = 1 (not loyal); M: 50000 → 4; historic = 15000 > 0 → butterflies
    expect(timerAt(state, 1).profile?.segments.value_quadrant).toBe('butterflies');
  });
});
