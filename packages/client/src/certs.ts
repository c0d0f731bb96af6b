import type { CertificateAdded, Certs } from '@plat/core';
import { appPath, type Transport } from './transport.js';

/** HTTPS certificates the router serves for the app. */
export function certsResource(http: Transport) {
  return {
    list: (app: string): Promise<Certs> => http.request('GET', appPath(app, '/certs')),
    /** PEM text: the chain (server certificate first) and its unencrypted private key. */
    add: (app: string, pem: { certificateChain: string; privateKey: string }): Promise<CertificateAdded> =>
      http.request('POST', appPath(app, '/certs'), {
        certificate_chain: pem.certificateChain,
        private_key: pem.privateKey,
      }),
    remove: (app: string, id: string): Promise<void> =>
      http.request('DELETE', appPath(app, `/certs/${encodeURIComponent(id)}`)),
    /** Automatic certificates (ACME) on: Plat gets and renews them. */
    enableAuto: (app: string): Promise<Certs> => http.request('POST', appPath(app, '/acm')),
    disableAuto: (app: string): Promise<Certs> => http.request('DELETE', appPath(app, '/acm')),
  };
}
