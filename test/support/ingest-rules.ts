/**
 * The ingest rules of the tests that decode generated traffic: strict about
 * unknown fields, USD only, events back to 1990 (the generator's and the
 * benchmark's simulated start). Not a test file itself.
 */
import type { IngestRules } from '../../src/ingest/decode.js';

export const GENERATED_TRAFFIC_RULES: IngestRules = {
  unknownFields: 'reject',
  earliestMs: Date.parse('1990-01-01T00:00:00Z'),
  maxFutureSkewMs: 300_000,
  maxMessageBytes: 65_536,
  baseCurrency: 'USD',
  rates: {},
};
