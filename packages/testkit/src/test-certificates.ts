import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runStep } from './run-step.js';

/** A CA made for one test run, and a broker certificate it signed (PEM and PKCS#12 files). */
export interface TestCertificates {
  /** PEM of the CA: what a client trusts. */
  caFile: string;
  /** The broker's key and certificate chain in a PKCS#12 store, for Kafka's `ssl.keystore.*`. */
  keystoreFile: string;
  keystorePassword: string;
  /** The same certificate and key as PEM text, for a Node HTTPS server. */
  cert: string;
  key: string;
}

/**
 * Generates a CA and a certificate for `localhost` and `127.0.0.1` with openssl, valid two days:
 * TLS as managed Kafka runs it (a private CA the client must be given), without shipping keys.
 */
export function generateTestCertificates(dir: string): TestCertificates {
  mkdirSync(dir, { recursive: true });
  const path = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const step = (what: string, args: string[]) =>
    runStep('openssl', args, { step: `Generating the test ${what}`, timeoutMs: 30_000 });
  step('CA', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=faultline-test-ca',
  ]);
  step('broker key', [
    'req',
    ...ec,
    '-keyout',
    path('broker.key'),
    '-out',
    path('broker.csr'),
    '-subj',
    '/CN=localhost',
  ]);
  writeFileSync(path('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  step('broker certificate', [
    'x509',
    '-req',
    '-in',
    path('broker.csr'),
    '-CA',
    path('ca.pem'),
    '-CAkey',
    path('ca.key'),
    '-CAcreateserial',
    '-out',
    path('broker.pem'),
    '-days',
    '2',
    '-extfile',
    path('san.ext'),
  ]);
  const keystorePassword = 'faultline-test';
  step('broker keystore', [
    'pkcs12',
    '-export',
    '-in',
    path('broker.pem'),
    '-inkey',
    path('broker.key'),
    '-certfile',
    path('ca.pem'),
    '-out',
    path('broker.p12'),
    '-passout',
    `pass:${keystorePassword}`,
  ]);
  return {
    caFile: path('ca.pem'),
    keystoreFile: path('broker.p12'),
    keystorePassword,
    cert: readFileSync(path('broker.pem'), 'utf8'),
    key: readFileSync(path('broker.key'), 'utf8'),
  };
}
