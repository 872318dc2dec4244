import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { WebhookVerificationError, verifyWebhook, type WebhookRejection } from 'chainport/client';
import { generateSecret, signatureHeaders } from '../../src/webhooks/sign.js';

// Shared vectors: what the server signs (src/webhooks/sign.ts, node:crypto) the client verifies
// (src/client/webhooks.ts, WebCrypto), for every kind of secret the key rule distinguishes.

const NOW_S = 1_790_000_000;
const at = (seconds: number) => new Date(seconds * 1000);
const BODY = JSON.stringify({ event: 'chain.completed', run_id: 'run-abc', output: 'héllo wörld ✓ 🔑', attempt: 1 });

const SECRETS: Record<string, string> = {
  'generated (whsec_ + canonical base64 of 32 bytes)': generateSecret(),
  'whsec_ + canonical base64 of text': 'whsec_c2VjcmV0LWJ5dGVzLWZvci10ZXN0cw==',
  'whsec_ + base64 with non-zero padding bits (not canonical: UTF-8 bytes, whole)': 'whsec_c2VjcmV0LWJ5dGVzLWZvci10ZXN0cx==',
  'whsec_ + text that is not base64': 'whsec_not base64 at all, clearly!',
  'whsec_ + base64 of the wrong length': 'whsec_c2VjcmV0LWJ5dGVzLWZvci10ZXN0c',
  'chosen, without the prefix': 'my-own-webhook-secret-0123456789',
  'chosen, multi-byte UTF-8': 'sécret-ключ-🔑-0123456789',
};

async function rejection(promise: Promise<unknown>): Promise<WebhookRejection> {
  const err = await promise.then(
    () => assert.fail('expected the delivery to be refused'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WebhookVerificationError, String(err));
  return err.reason;
}

void describe('verifyWebhook', () => {
  void it('accepts what the server signs, for every kind of secret, as text or bytes, with Node or Fetch headers', async () => {
    for (const [kind, secret] of Object.entries(SECRETS)) {
      const headers = signatureHeaders(secret, 'run-abc-wh1', NOW_S, BODY);
      for (const body of [BODY, Buffer.from(BODY), new TextEncoder().encode(BODY)]) {
        const payload = await verifyWebhook(secret, headers, body, { now: at(NOW_S) });
        assert.equal(payload.run_id, 'run-abc', kind);
      }
      await verifyWebhook(secret, new Headers(headers), BODY, { now: at(NOW_S) });
      const shouted = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
      await verifyWebhook(secret, shouted, BODY, { now: at(NOW_S) });
    }
  });

  void it('accepts what the server signs for any secret, id and body (property)', async () => {
    const secrets = fc.oneof(
      fc.string({ minLength: 16, maxLength: 64, unit: 'grapheme' }),
      fc.uint8Array({ minLength: 1, maxLength: 48 }).map((bytes) => `whsec_${Buffer.from(bytes).toString('base64')}`),
      fc.string({ minLength: 10, maxLength: 40 }).map((rest) => `whsec_${rest}`),
    );
    await fc.assert(
      fc.asyncProperty(secrets, fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }), fc.jsonValue(), async (secret, id, value) => {
        const body = JSON.stringify(value ?? null);
        const webhookId = id.replace(/\s/g, '_');
        const headers = signatureHeaders(secret, webhookId, NOW_S, body);
        assert.deepEqual(await verifyWebhook(secret, headers, body, { now: at(NOW_S) }), JSON.parse(body));
        assert.equal(await rejection(verifyWebhook(`${secret}x`, headers, body, { now: at(NOW_S) })), 'bad_signature');
      }),
      { numRuns: 150 },
    );
  });

  void it('accepts what the standardwebhooks library signs', async () => {
    const secret = SECRETS['generated (whsec_ + canonical base64 of 32 bytes)']!;
    const signature = new Webhook(secret).sign('msg_1', at(NOW_S), BODY);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(NOW_S), 'webhook-signature': signature };
    assert.equal((await verifyWebhook(secret, headers, BODY, { now: at(NOW_S) })).run_id, 'run-abc');
  });

  void it('refuses a changed body, another secret, another id, or re-serialised JSON', async () => {
    const secret = SECRETS['chosen, without the prefix']!;
    const headers = signatureHeaders(secret, 'run-abc-wh1', NOW_S, BODY);
    const now = { now: at(NOW_S) };
    assert.equal(await rejection(verifyWebhook(secret, headers, BODY.replace('héllo', 'hello'), now)), 'bad_signature');
    assert.equal(await rejection(verifyWebhook('another-secret-0123456789', headers, BODY, now)), 'bad_signature');
    assert.equal(await rejection(verifyWebhook(secret, { ...headers, 'webhook-id': 'run-abc-wh2' }, BODY, now)), 'bad_signature');
    assert.equal(await rejection(verifyWebhook(secret, headers, JSON.stringify(JSON.parse(BODY), null, 1), now)), 'bad_signature');
  });

  void it('accepts any matching v1 signature among several, and ignores other schemes', async () => {
    const secret = SECRETS['chosen, without the prefix']!;
    const headers = signatureHeaders(secret, 'run-abc-wh1', NOW_S, BODY);
    const good = headers['webhook-signature']!;
    const now = { now: at(NOW_S) };
    await verifyWebhook(secret, { ...headers, 'webhook-signature': `v1,AAAA v1a,${good.slice(3)} ${good}` }, BODY, now);
    assert.equal(await rejection(verifyWebhook(secret, { ...headers, 'webhook-signature': `v2,${good.slice(3)} v1,%%%` }, BODY, now)), 'bad_signature');
  });

  void it('refuses timestamps outside the tolerance, either way, and honours toleranceS', async () => {
    const secret = SECRETS['chosen, without the prefix']!;
    const headers = signatureHeaders(secret, 'run-abc-wh1', NOW_S, BODY);
    await verifyWebhook(secret, headers, BODY, { now: at(NOW_S + 300) });
    await verifyWebhook(secret, headers, BODY, { now: at(NOW_S - 300) });
    assert.equal(await rejection(verifyWebhook(secret, headers, BODY, { now: at(NOW_S + 301) })), 'outside_tolerance');
    assert.equal(await rejection(verifyWebhook(secret, headers, BODY, { now: at(NOW_S - 301) })), 'outside_tolerance');
    assert.equal(await rejection(verifyWebhook(secret, headers, BODY, { now: at(NOW_S + 61), toleranceS: 60 })), 'outside_tolerance');
    assert.equal(await rejection(verifyWebhook(secret, headers, BODY)), 'outside_tolerance', 'the default clock is now');
  });

  void it('refuses missing headers, a timestamp that is not unix seconds, and a signed body that is not JSON', async () => {
    const secret = SECRETS['chosen, without the prefix']!;
    const headers = signatureHeaders(secret, 'run-abc-wh1', NOW_S, BODY);
    const now = { now: at(NOW_S) };
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const { [name]: _dropped, ...rest } = headers;
      assert.equal(await rejection(verifyWebhook(secret, rest, BODY, now)), 'missing_header', name);
    }
    assert.equal(await rejection(verifyWebhook(secret, { ...headers, 'webhook-timestamp': '1.79e9' }, BODY, now)), 'bad_timestamp');
    const text = 'not json';
    assert.equal(await rejection(verifyWebhook(secret, signatureHeaders(secret, 'x', NOW_S, text), text, now)), 'bad_body');
  });
});
