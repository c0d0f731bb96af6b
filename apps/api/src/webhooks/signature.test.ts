import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signatureHeaders, signBody, verifySignature } from './signature.js';

describe('webhook signatures', () => {
  it('are base64 HMAC-SHA256 of the raw body, under both header names', () => {
    const body = '{"id":"e1"}';
    const expected = createHmac('sha256', 's3cret').update(body).digest('base64');
    expect(signBody(body, 's3cret')).toBe(expected);
    expect(signatureHeaders(body, 's3cret')).toEqual({
      'Plat-Webhook-Hmac-SHA256': expected,
      'Heroku-Webhook-Hmac-SHA256': expected,
    });
  });

  it('verify only the same body with the same secret', () => {
    const body = '{"id":"e1"}';
    const header = signBody(body, 's3cret');
    expect(verifySignature(body, 's3cret', header)).toBe(true);
    expect(verifySignature('{"id":"e2"}', 's3cret', header)).toBe(false);
    expect(verifySignature(body, 'other', header)).toBe(false);
    expect(verifySignature(body, 's3cret', undefined)).toBe(false);
    expect(verifySignature(body, 's3cret', 'short')).toBe(false);
  });

  it('makes secrets of 256 random bits', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});
