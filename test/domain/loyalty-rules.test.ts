/**
 * Issue 26: the value quadrant and the relationship ladder never call a
 * cancelled or a detractor customer loyal, and "strangers" is kept for the
 * unprofitable (docs/domain.md, "Segments and signals").
 */
import { describe, expect, it } from 'vitest';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import { relationshipLevel } from '../../src/domain/relationship.js';
import type { Score } from '../../src/domain/rfm.js';
import { emptyState, type CustomerState } from '../../src/domain/state.js';
import { valueQuadrant } from '../../src/domain/value-quadrant.js';
import { cancellation, ctx, feedback, fold, purchase } from './fixtures.js';

const rules = defaultDomainParameters.quadrant;
const customer = (patch: Partial<CustomerState>): CustomerState => ({ ...emptyState('c'), orders: 3, purchaseDays: 3, grossMinor: 10_000, ...patch });
const scores = (r: Score, f: Score, m: Score) => ({ r, f, m });
const loyalScores = scores(5, 5, 5);

describe('value quadrant', () => {
  it('a cancelled customer is not a True Friend (not loyal: a butterfly while profitable)', () => {
    const cancelled = customer({ cancelledAt: 1000, lastPurchaseAt: 500 });
    expect(valueQuadrant(cancelled, loyalScores, 1, rules)).toBe('butterflies');
  });

  it('a reactivated customer (bought after cancelling) can be loyal again', () => {
    expect(valueQuadrant(customer({ cancelledAt: 500, lastPurchaseAt: 1000 }), loyalScores, 1, rules)).toBe('true_friends');
  });

  it('a detractor is not loyal', () => {
    expect(valueQuadrant(customer({ npsScore: 6 }), loyalScores, 1, rules)).toBe('butterflies');
    expect(valueQuadrant(customer({ npsScore: 7 }), loyalScores, 1, rules)).toBe('true_friends');
  });

  it('a low-value customer who pays their way and is not loyal is a butterfly, not a stranger', () => {
    expect(valueQuadrant(customer({}), scores(2, 1, 1), 1, rules)).toBe('butterflies');
  });

  it.each([
    ['discount-only', customer({ discountMinor: 10_001 }), 1],
    ['frequent returns', customer({ refundMinor: 3001 }), 1],
    ['not paying their way (historic CLV ≤ 0)', customer({}), 0],
  ] as const)('strangers: not loyal and unprofitable — %s', (_why, s, clv) => {
    expect(valueQuadrant(s, scores(2, 1, 1), clv, rules)).toBe('strangers');
  });

  it('through the reducer: a loyal, profitable customer who cancels leaves True Friends', () => {
    const days = [0, 10, 20, 30, 40];
    const { state } = fold(days.map((d) => purchase('c', d, 50_000)));
    expect(state.segments.value_quadrant).toBe('true_friends');
    const after = fold([cancellation('c', 41)], ctx, state);
    expect(after.state.segments.value_quadrant).not.toBe('true_friends');
  });
});

describe('relationship ladder', () => {
  const ladder = defaultDomainParameters.ladder;
  const referrer = { ...emptyState('c'), orders: 5, purchaseDays: 5, successfulReferrals: 4 };

  it('a detractor is neither an advocate nor a partner, whatever their referrals', () => {
    expect(relationshipLevel({ ...referrer }, 5, ladder)).toBe('partner');
    expect(relationshipLevel({ ...referrer, npsScore: 3 }, 5, ladder)).toBe('client');
    expect(relationshipLevel({ ...referrer, successfulReferrals: 1, npsScore: 6 }, 5, ladder)).toBe('client');
  });

  it('a cancelled customer is at most a client', () => {
    const cancelled = { ...referrer, npsScore: 10, cancelledAt: 1000, lastPurchaseAt: 500 };
    expect(relationshipLevel(cancelled, 5, ladder)).toBe('client');
    expect(relationshipLevel({ ...cancelled, orders: 1, purchaseDays: 1 }, 5, ladder)).toBe('customer');
  });

  it('through the reducer: a promoter who cancels stops being an advocate', () => {
    const { state } = fold([purchase('c', 0, 1000), purchase('c', 5, 1000), feedback('c', 6, 10)]);
    expect(state.segments.relationship).toBe('advocate');
    expect(fold([cancellation('c', 7)], ctx, state).state.segments.relationship).toBe('client');
  });
});
