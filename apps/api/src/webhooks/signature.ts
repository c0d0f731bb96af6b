import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Plat's name for the signature header; the Heroku name carries the same value for receivers written for Heroku. */
export const SIGNATURE_HEADER = 'Plat-Webhook-Hmac-SHA256';
export const HEROKU_SIGNATURE_HEADER = 'Heroku-Webhook-Hmac-SHA256';

/** Base64 of HMAC-SHA256 over the raw body, keyed with the webhook's secret (Heroku's scheme). */
export function signBody(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}

export function signatureHeaders(body: string, secret: string): Record<string, string> {
  const signature = signBody(body, secret);
  return { [SIGNATURE_HEADER]: signature, [HEROKU_SIGNATURE_HEADER]: signature };
}

/** What a receiver does: recompute and compare in constant time. */
export function verifySignature(body: string, secret: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(body, secret));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** A secret for a webhook added without one: shown once, when it is added. */
export function newWebhookSecret(): string {
  return randomBytes(32).toString('hex');
}
