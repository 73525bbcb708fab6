import { describe, expect, it } from 'vitest';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import { relationshipLevel } from '../../src/domain/relationship.js';
import { emptyState, type CustomerState } from '../../src/domain/state.js';
import { ctx, fold, feedback, purchase } from './fixtures.js';

const rules = defaultDomainParameters.ladder; // partner: ≥ 3 successful referrals and M = 5
const s = (patch: Partial<CustomerState>): CustomerState => ({ ...emptyState('c'), ...patch });
const buyer = { orders: 1, purchaseDays: 1 };
const repeat = { orders: 2, purchaseDays: 2 };

describe('relationship ladder', () => {
  it('prospect: has not bought, whatever else is known', () => {
    expect(relationshipLevel(s({ npsScore: 10, successfulReferrals: 5 }), null, rules)).toBe('prospect');
  });

  it('customer: has bought once (several orders on one day are still one purchase day)', () => {
    expect(relationshipLevel(s(buyer), 1, rules)).toBe('customer');
    expect(relationshipLevel(s({ orders: 3, purchaseDays: 1 }), 1, rules)).toBe('customer');
  });

  it('client: a repeat buyer', () => {
    expect(relationshipLevel(s(repeat), 1, rules)).toBe('client');
  });

  it.each([7, 8])('supporter: a repeat buyer whose NPS is %i', (score) => {
    expect(relationshipLevel(s({ ...repeat, npsScore: score }), 1, rules)).toBe('supporter');
  });

  it('a detractor repeat buyer stays a client; a passive one-time buyer stays a customer', () => {
    expect(relationshipLevel(s({ ...repeat, npsScore: 6 }), 1, rules)).toBe('client');
    expect(relationshipLevel(s({ ...buyer, npsScore: 8 }), 1, rules)).toBe('customer');
  });

  it('advocate: a buyer who is a promoter or has one successful referral', () => {
    expect(relationshipLevel(s({ ...buyer, npsScore: 9 }), 1, rules)).toBe('advocate');
    expect(relationshipLevel(s({ ...buyer, successfulReferrals: 1 }), 1, rules)).toBe('advocate');
  });

  it('partner: three successful referrals and M = 5, else advocate', () => {
    expect(relationshipLevel(s({ ...buyer, successfulReferrals: 3 }), 5, rules)).toBe('partner');
    expect(relationshipLevel(s({ ...buyer, successfulReferrals: 3 }), 4, rules)).toBe('advocate');
    expect(relationshipLevel(s({ ...buyer, successfulReferrals: 2 }), 5, rules)).toBe('advocate');
  });

  it('climbs through the reducer: customer → client → supporter → advocate', () => {
    const { emits } = fold([purchase('c', 0, 100), purchase('c', 5, 100), feedback('c', 6, 7), feedback('c', 7, 10)], ctx);
    const rungs = emits.flatMap((e) => (e.type === 'segment-changed' && e.dimension === 'relationship' ? [`${e.from}→${e.to}`] : []));
    expect(rungs).toEqual(['prospect→customer', 'customer→client', 'client→supporter', 'supporter→advocate']);
  });
});
