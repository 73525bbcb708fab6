import type { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisClient, redisTlsOptions } from '../../src/state/connect.js';

const PEM = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

describe('REDIS_TLS_CA_FILE', () => {
  it('adds nothing when unset', () => {
    expect(redisTlsOptions({ REDIS_TLS_CA_FILE: undefined })).toEqual({});
  });

  it('trusts the given CA bundle', () => {
    expect(redisTlsOptions({ REDIS_TLS_CA_FILE: '/etc/redis/ca.pem' }, () => PEM)).toEqual({ tls: { ca: [PEM] } });
  });

  it('adds a client certificate and key, with or without a CA', () => {
    const files: Record<string, Buffer> = { '/ca.pem': PEM, '/c.pem': Buffer.from('cert'), '/k.pem': Buffer.from('key') };
    const read = (path: string): Buffer => files[path] as Buffer;
    expect(redisTlsOptions({ REDIS_TLS_CA_FILE: '/ca.pem', REDIS_TLS_CERT_FILE: '/c.pem', REDIS_TLS_KEY_FILE: '/k.pem' }, read)).toEqual({ tls: { ca: [PEM], cert: files['/c.pem'], key: files['/k.pem'] } });
    expect(redisTlsOptions({ REDIS_TLS_CA_FILE: undefined, REDIS_TLS_CERT_FILE: '/c.pem', REDIS_TLS_KEY_FILE: '/k.pem' }, read)).toEqual({ tls: { cert: files['/c.pem'], key: files['/k.pem'] } });
  });

  it('names an unreadable file', () => {
    expect(() =>
      redisTlsOptions({ REDIS_TLS_CA_FILE: '/nope.pem' }, () => {
        throw new Error('ENOENT');
      }),
    ).toThrow('REDIS_TLS_CA_FILE="/nope.pem" cannot be read: ENOENT');
  });

  it('reaches the standalone and cluster clients, URL credentials kept', () => {
    const settings = { REDIS_URL: 'rediss://app:pw@r.example:6380', REDIS_KEY_PREFIX: 'clv', REDIS_CLUSTER_NODES: undefined, REDIS_TLS_CA_FILE: '/ca.pem' };
    const standalone = createRedisClient(settings, { redisOptions: { lazyConnect: true }, readFile: () => PEM }) as Redis;
    expect(standalone.options.tls).toEqual({ ca: [PEM] });
    expect([standalone.options.username, standalone.options.password, standalone.options.host]).toEqual(['app', 'pw', 'r.example']);
    standalone.disconnect();
    const cluster = createRedisClient(
      { ...settings, REDIS_CLUSTER_NODES: ['n1:7000', 'n2:7001'] },
      { redisOptions: { lazyConnect: true }, clusterOptions: { lazyConnect: true }, readFile: () => PEM },
    ) as Cluster;
    expect(cluster.options.redisOptions).toMatchObject({ tls: { ca: [PEM] }, username: 'app', password: 'pw' });
    cluster.disconnect();
  });
});
