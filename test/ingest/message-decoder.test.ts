// The decoder's side of "a registry that is down is waited for, never bad input":
// what the registry client reports when no HTTP answer came back at all.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { createSchemaRegistry } from '../../src/kafka/client.js';
import { MessageDecoder, RegistryUnavailableError } from '../../src/ingest/message-decoder.js';
import type { IngestRules } from '../../src/ingest/decode.js';

const RULES: IngestRules = {
  unknownFields: 'reject',
  earliestMs: 0,
  maxFutureSkewMs: 60_000,
  maxMessageBytes: 10_000,
  baseCurrency: 'USD',
  rates: new Map() as never,
};

/** A loopback port nothing listens on: bound by us, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('MessageDecoder with an unreachable registry', () => {
  it('throws RegistryUnavailableError (retried by the runner) instead of rejecting the message', async () => {
    const port = await closedPort();
    const registry = createSchemaRegistry({ SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}`, SCHEMA_REGISTRY_USERNAME: undefined, SCHEMA_REGISTRY_PASSWORD: undefined, KAFKA_CLIENT_ID: 'test' });
    const decoder = new MessageDecoder(RULES, registry);
    const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), Buffer.from('{}')]);
    await expect(decoder.decode(framed, 'purchase')).rejects.toBeInstanceOf(RegistryUnavailableError);
  });
});
