// Which TLS failures end a start at once (a certificate the client refuses is
// refused again on every reconnect), and what the line says.
import { describe, expect, it } from 'vitest';
import { tlsRefusalMessage } from '../../src/state/access-check.js';

const tlsError = (code: string, message: string): Error => Object.assign(new Error(message), { code });

describe('tlsRefusalMessage', () => {
  it('names the server and the CA file for a certificate that does not verify', () => {
    expect(tlsRefusalMessage(tlsError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), 'redis:6380', { caFile: 'ca.pem' })).toBe(
      'Redis TLS: the certificate of redis:6380 is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate): REDIS_TLS_CA_FILE=ca.pem does not hold the CA that signed it',
    );
    expect(tlsRefusalMessage(tlsError('CERT_HAS_EXPIRED', 'certificate has expired'), 'redis:6380', {})).toMatch(/REDIS_TLS_CA_FILE is unset and the system CA store does not hold/);
  });

  it('names a certificate that lists another host', () => {
    expect(tlsRefusalMessage(tlsError('ERR_TLS_CERT_ALTNAME_INVALID', "Host: redis. is not in the cert's altnames"), 'redis:6380', { caFile: 'ca.pem' })).toMatch(
      /^Redis TLS: the certificate of redis:6380 does not name the host connected to \(ERR_TLS_CERT_ALTNAME_INVALID: /,
    );
  });

  it('names a client certificate the server wants and did not get, or does not accept', () => {
    const required = tlsError('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'tlsv13 alert certificate required');
    expect(tlsRefusalMessage(required, 'redis:6380', {})).toMatch(/^Redis TLS: redis:6380 refused the client certificate \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: .*\): it requires a client certificate: set REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE$/);
    const unknown = tlsError('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'tlsv1 alert unknown ca');
    expect(tlsRefusalMessage(unknown, 'redis:6380', { certFile: 'client.pem' })).toMatch(/: REDIS_TLS_CERT_FILE=client.pem is not signed by a CA it trusts$/);
  });

  it("finds the node's error a cluster client wraps, and leaves every other error alone", () => {
    const wrapped = Object.assign(new Error('Failed to refresh slots cache.'), { lastNodeError: tlsError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain') });
    expect(tlsRefusalMessage(wrapped, 'a cluster node', { caFile: 'ca.pem' })).toMatch(/not trusted \(SELF_SIGNED_CERT_IN_CHAIN: /);
    expect(tlsRefusalMessage(tlsError('ECONNREFUSED', 'connect ECONNREFUSED'), 'redis:6380', {})).toBeUndefined();
    expect(tlsRefusalMessage(new Error('WRONGPASS'), 'redis:6380', {})).toBeUndefined();
  });
});
