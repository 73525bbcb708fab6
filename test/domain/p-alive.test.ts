/**
 * Issue 26: a one-time buyer's P(alive) is never shown as 1 beside `lost`. The
 * BG/NBD says nothing about one-time buyers (its P(alive) is 1 at any age), so
 * it is null with a reason; the modified BG/NBD gives a real figure.
 */
import { describe, expect, it } from 'vitest';
import { defaultDomainParameters } from '../../src/domain/parameters.js';
import type { ModelSnapshot } from '../../src/domain/model-snapshot.js';
import { mbgnbdProbabilityAlive, pnbdProbabilityAlive } from '../../src/domain/models/index.js';
import { evaluate } from '../../src/domain/profile.js';
import { snapshotOf } from '../../src/domain/emissions.js';
import { nextCheckDay } from '../../src/domain/schedule.js';
import { DAY0, ctxWith, fold, purchase, timerAt } from './fixtures.js';

const params = { r: 0.243, alpha: 4.414 * 7, a: 0.793, b: 2.426 };
const bgnbd: ModelSnapshot = { version: 'bg', purchaseModel: 'bgnbd', bgnbd: params, gammaGamma: null, cutPoints: null };
// BTYDplus' CDNOW fit of the modified BG/NBD, α in days.
const mbgnbd: ModelSnapshot = { version: 'mbg', purchaseModel: 'mbgnbd', bgnbd: { r: 0.525, alpha: 6.183 * 7, a: 0.891, b: 1.614 }, gammaGamma: null, cutPoints: null };

// Fader, Hardie & Lee's CDNOW Pareto/NBD, α and β in days.
const pnbd: ModelSnapshot = { version: 'pnbd', purchaseModel: 'pnbd', bgnbd: null, pnbd: { r: 0.553, alpha: 10.58 * 7, s: 0.606, beta: 11.67 * 7 }, gammaGamma: null, cutPoints: null };

describe('P(alive) of a one-time buyer quiet for 545 days', () => {
  it('BG/NBD: null with the reason, not 1 beside `lost`', () => {
    const { state } = fold([purchase('o', 0, 1000)], ctxWith({}, bgnbd));
    const p = timerAt(state, 545, ctxWith({}, bgnbd)).profile!;
    expect(p.churn.level).toBe('lost');
    expect(p.pAlive).toBeNull();
    const snap = snapshotOf(state, p, bgnbd, defaultDomainParameters);
    expect(snap).toMatchObject({ p_alive: null, p_alive_reason: 'one_time_buyer', churn_level: 'lost' });
  });

  it('modified BG/NBD: a real P(alive), the churn level follows it', () => {
    const { state } = fold([purchase('o', 0, 1000)], ctxWith({}, mbgnbd));
    const p = timerAt(state, 545, ctxWith({}, mbgnbd)).profile!;
    expect(p.pAlive).toBeCloseTo(mbgnbdProbabilityAlive(mbgnbd.bgnbd!, 0, 0, 545), 12);
    expect(p.pAlive!).toBeLessThan(0.6);
    expect(p.pAliveReason).toBeNull();
    expect(p.churn.reasons).toContain('p_alive');
  });

  it('modified BG/NBD: the next check is the day P(alive) crosses the next threshold', () => {
    const c = ctxWith({}, mbgnbd);
    const { state } = fold([purchase('o', 0, 1000)], c);
    const day = DAY0 + 1;
    const p = evaluate(state, day, mbgnbd, defaultDomainParameters);
    const next = nextCheckDay(state, p, mbgnbd, defaultDomainParameters)!;
    const before = evaluate(state, next - 1, mbgnbd, defaultDomainParameters);
    const at = evaluate(state, next, mbgnbd, defaultDomainParameters);
    expect(before.churn.level).toBe(p.churn.level);
    expect(at.churn.level).not.toBe(p.churn.level);
  });

  it('Pareto/NBD published: P(alive) is the Pareto/NBD\'s, and the next check is the first day it crosses the next threshold', () => {
    const c = ctxWith({}, pnbd);
    const { state } = fold([purchase('o', 0, 1000), purchase('o', 40, 1000), purchase('o', 90, 1000)], c);
    const p545 = timerAt(state, 545, c).profile!;
    expect(p545.pAlive).toBe(pnbdProbabilityAlive(pnbd.pnbd!, 2, 90, 545));
    expect(p545.pAliveReason).toBeNull();
    // A one-time buyer has one too (the Pareto/NBD's dropout may come before any repeat).
    const once = fold([purchase('n', 0, 1000)], c).state;
    expect(evaluate(once, DAY0 + 300, pnbd, defaultDomainParameters).pAlive).toBeCloseTo(pnbdProbabilityAlive(pnbd.pnbd!, 0, 0, 300), 12);
    // Following the scheduled checks (recency drops come first) reaches the day the level
    // changes exactly: the bisected day, with the old level on the day before.
    const start = evaluate(state, DAY0 + 91, pnbd, defaultDomainParameters);
    let day = DAY0 + 91;
    let changed: number | null = null;
    for (let i = 0; i < 50 && changed === null; i++) {
      const next = nextCheckDay(state, evaluate(state, day, pnbd, defaultDomainParameters), pnbd, defaultDomainParameters)!;
      expect(next).toBeGreaterThan(day);
      if (evaluate(state, next, pnbd, defaultDomainParameters).churn.level !== start.churn.level) changed = next;
      day = next;
    }
    expect(changed).not.toBeNull();
    expect(evaluate(state, changed! - 1, pnbd, defaultDomainParameters).churn.level).toBe(start.churn.level);
    expect(evaluate(state, changed! - 1, pnbd, defaultDomainParameters).pAlive!).toBeGreaterThanOrEqual(0.6);
    expect(evaluate(state, changed!, pnbd, defaultDomainParameters).pAlive!).toBeLessThan(0.6);
  });

  it('no purchase, no model: null with those reasons', () => {
    const { state } = fold([purchase('o', 0, 1000)]);
    expect(timerAt(state, 10).profile?.pAliveReason).toBe('no_model');
  });
});
