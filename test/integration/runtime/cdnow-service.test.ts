// The whole chain through the service: the CDNOW purchases (calibration period)
// produced to Kafka, consumed by the runtime into Redis, then `fit` from the live
// state reproduces the published BG/NBD and Gamma-Gamma parameters.
import { expect, it } from 'vitest';
import { fitFromState } from '../../../src/app/fit-state.js';
import { localDayOf } from '../../../src/domain/time.js';
import { connectState } from '../../../src/state/connect.js';
import { ModelStore } from '../../../src/state/model-store.js';
import { cdnowEventLines, expectPublishedCdnowFit } from '../../support/cdnow-events.js';
import {
  cleanupsAfterEach,
  createTestKafka,
  deleteKeysByPrefix,
  describeWithInfra,
  uniqueSuffix,
  waitFor,
  type InfraEndpoints,
} from '../../support/infra.js';
import { EXACTLY_ONCE_INPUT, createTopicSet, deleteTopicSet, inProcessRunner, produceAll, runtimeEnv, settingsOf, storedInboundRecords, type TestMessage } from '../../support/runtime-harness.js';

const PARTITIONS = 4;
const CALIBRATION_END = '1997-09-30';

describeWithInfra('CDNOW through the service, then fit from Redis', (infra: InfraEndpoints) => {
  const cleanups = cleanupsAfterEach();

  it('reproduces the published parameters', { timeout: 120_000 }, async () => {
    const topics = await createTopicSet(infra, PARTITIONS, 'cdnow');
    cleanups.push(() => deleteTopicSet(infra, topics));
    const prefix = `clvtest-cdnow-${uniqueSuffix()}`.slice(0, 32);
    const settings = settingsOf(runtimeEnv(infra, topics, { prefix }));
    const state = connectState(settings);
    cleanups.push(() => state.close());
    cleanups.push(() => deleteKeysByPrefix(state.redis, `${prefix}:`));

    const messages: TestMessage[] = (await cdnowEventLines())
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { customer_id: string; occurred_at: string })
      .filter((e) => e.occurred_at.slice(0, 10) <= CALIBRATION_END)
      .map((e) => ({ type: 'purchase', key: e.customer_id, value: Buffer.from(JSON.stringify(e)) }));
    const producer = createTestKafka(infra).producer(EXACTLY_ONCE_INPUT);
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    await produceAll(producer, topics, messages);

    const runner = inProcessRunner(infra, settings, state.store);
    await runner.start();
    cleanups.push(() => runner.stop());
    await waitFor(async () => (await storedInboundRecords(state.redis, prefix, PARTITIONS, topics)) === messages.length, {
      timeoutMs: 60_000,
      what: 'every CDNOW purchase stored',
    });

    const models = new ModelStore(state.redis, state.keys);
    const outcome = await fitFromState({ states: state.store, models, asOfDay: localDayOf(CALIBRATION_END), currency: 'USD', now: new Date() });
    expect(outcome).toMatchObject({ published: true });
    expect(outcome.output.diagnostics).toMatchObject({ customers: 2357, repeat_buyers: 946, converged: true });
    const current = await models.current();
    const { bgnbd, gammaGamma } = current?.snapshot ?? { bgnbd: null, gammaGamma: null };
    if (bgnbd === null || gammaGamma === null) throw new Error('no fitted model published');
    expectPublishedCdnowFit(bgnbd, gammaGamma);
  });
});
