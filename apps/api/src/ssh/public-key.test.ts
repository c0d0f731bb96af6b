import { describe, expect, it } from 'vitest';
import { parsePublicKey } from './public-key.js';

/** Made with ssh-keygen; fingerprints as `ssh-keygen -l` printed them. */
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILoFdRLNzMRgVBLwTsEZTbW8zqtfMcq/jXFJTvw8KGrf me@box';
const RSA_2048 = [
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDBBtnjG8wkljtBuTh1HcXupY6ktQJOuedfwuGEZedinMi/AmMa31qUa2yxoG4a',
  'i9e8biPMa9wNa/sSf7Zh2CdJhOaeMlOpVu+c3I26rzFRHtCmzWEUqqiAANWjDKX2Vs5fDHDIIXRznkVBqxVUD8tuemNB+uiXyJ6j',
  'ogdiIaD9wsMnPoG9G8ZPmhhpguAwmL9ZfdWhshNTeWQ3Lfqqm1B3yNU+ebLWEzlZnN3KqdwK+iXjrN7weUo+piVrDiGqQBHwQyr1',
  'AjEUs+eYHdQT2S/vzke3XOp2wX/fjfc21V23I0JlAuDM4nWm8qpF4DWMeBxRWSZ8PfurOdk1yG7PPk0n r@h',
].join('');
const RSA_1024 = [
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDE29v3PHyYtYc5cSbSKKZQEqgouNgTj/XlM+Yl4xOMO/Eu+qgdv2cPAAOShy/N',
  'LbmXllsV+t8b5rvjqhJ6TTw8iAZXYUAtky0049NLPb/b1hRYVMmCoIdNtvmorqtplE0jCkh2arBaRmrocZrWjDABLakV2Nj9guDB',
  'K3fjGcF0nQ== root@vm',
].join('');
const ECDSA_384 = [
  'ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBFg/iefFwQMQZZKsoZRPIaRlnCD+',
  'Vc3cDMf2YwnUtFHf2g7fsJ0JnglUMjJOZi7S7gaqai/1shL3SEYqHZYIWn4m39FPkcF3enF9B+kV03FGUwkXJ86k7JbZIms3MKVI',
  'QQ== e@h',
].join('');

describe('parsePublicKey', () => {
  it('reads the type, body, comment and the fingerprint ssh-keygen prints', () => {
    expect(parsePublicKey(`${ED25519}\n`)).toEqual({
      type: 'ssh-ed25519',
      body: ED25519.split(' ')[1],
      fingerprint: 'SHA256:D9eYlFEcn1dsmGx9N527sdg4N8DHc8MfNJY9j/Ph65c',
      comment: 'me@box',
      bits: 256,
    });
    expect(parsePublicKey(RSA_2048)).toMatchObject({
      type: 'ssh-rsa',
      bits: 2048,
      fingerprint: 'SHA256:RfHfwdoH5oQko+P/IysolYjtIRWwV1gAvCDcsAEVG+c',
    });
    expect(parsePublicKey(ECDSA_384)).toMatchObject({
      bits: 384,
      fingerprint: 'SHA256:G9FCEf/b6Gxkcu6s7YAKCAo7Rvl3xnsHm4RjkXS78zU',
    });
    expect(parsePublicKey(ED25519.replace(' me@box', '')).comment).toBe('');
  });

  it('refuses what is not one well-formed public key, saying why', () => {
    const [type, body] = ED25519.split(' ') as [string, string];
    const refusals: [string, RegExp][] = [
      ['', /empty/],
      ['hello', /must start with its type/],
      [`command="ls" ${ED25519}`, /must start with its type/],
      [`ssh-dss ${body}`, /must start with its type/],
      [`${type} not-base64!`, /not base64/],
      [`${type} ${body.slice(0, 40)}`, /truncated|not an SSH key|not base64/],
      [`ssh-rsa ${body}`, /is a ssh-ed25519 key, not ssh-rsa/],
      [RSA_1024, /1024 bits is too weak/],
      [`${ED25519}\n${ED25519}`, /one key, on one line/],
      [
        '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----',
        /private key/,
      ],
      [`${ED25519} ${'x'.repeat(300)}`, /comment/],
    ];
    for (const [text, reason] of refusals) {
      expect(() => parsePublicKey(text), text).toThrow(reason);
    }
  });

  it('refuses an ed25519 body of the wrong length', () => {
    const blob = Buffer.concat([
      Buffer.from([0, 0, 0, 11]),
      Buffer.from('ssh-ed25519'),
      Buffer.from([0, 0, 0, 3, 1, 2, 3]),
    ]);
    expect(() => parsePublicKey(`ssh-ed25519 ${blob.toString('base64')}`)).toThrow(/32 bytes/);
  });
});
