import { ROUTES } from '@acct/shared/routes';
import type { BodyOf, DataOf, webhooks } from '@acct/shared';
import type { Context } from '../../context.js';
import { ApiError, UsageError } from '../../lib/errors.js';
import { inOrg, orgLabel, orgParams, type ResolvedOrg } from '../../lib/org.js';
import { checkEvents } from './create.js';

export interface ListenOptions {
  org?: string;
  forwardTo?: string;
  events: string[];
}

type Relayed = DataOf<typeof webhooks.pollWebhookRelay>[number];

/** How long the local receiver has to answer a forwarded delivery, as the worker gives a real one. */
const FORWARD_TIMEOUT_MS = 10_000;
/** The most of the local receiver's answer read. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** Seconds a poll waits on the server for a delivery (the relay lives 120 s past the last poll). */
const POLL_WAIT_SECONDS = 20;

/** The local receiver's URL: absolute http(s). */
function forwardUrl(raw: string | undefined): URL {
  if (!raw) throw new UsageError('--forward-to is required, e.g. --forward-to http://localhost:4000/hook');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--forward-to must be an absolute URL, not ${raw}`, 'e.g. --forward-to http://localhost:4000/hook');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--forward-to must be an http or https URL, not ${url.protocol}`);
  return url;
}

/** POSTs one delivery to the local receiver with the headers and body as signed. */
async function forward(url: URL, d: Relayed): Promise<{ statusCode: number | null; durationMs: number; error?: string }> {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  try {
    const res = await fetch(url, {
      method: 'POST', redirect: 'manual', signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
      headers: { ...d.headers, 'content-type': 'application/json', 'user-agent': 'acct-webhooks-listen' },
      body: d.body,
    });
    // Read (a bounded part of) the answer so the connection is reusable, then drop the rest.
    const reader = res.body?.getReader();
    for (let read = 0; reader && read <= MAX_ANSWER_BYTES;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      read += chunk.value.byteLength;
    }
    await reader?.cancel().catch(() => undefined);
    const ok = res.status >= 200 && res.status < 300;
    return { statusCode: res.status, durationMs: took(), ...(ok ? {} : { error: res.status >= 300 && res.status < 400 ? `redirect (${res.status}) not followed` : `answered ${res.status}` }) };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${FORWARD_TIMEOUT_MS} ms` : `${e.cause?.code ?? e.name}: ${e.cause ? String((e.cause as Error).message ?? '') : e.message}`;
    return { statusCode: null, durationMs: took(), error: why.slice(0, 300) };
  }
}

/**
 * `acct webhooks listen --forward-to URL [--event T…]`: makes a relay endpoint, prints its signing
 * secret, then polls for its deliveries and POSTs each to URL with its Standard Webhooks headers,
 * reporting the answer back (so `acct webhooks deliveries` shows it). Ctrl-C deletes the relay;
 * a listener killed outright leaves it to expire 120 s after its last poll.
 */
export async function run(ctx: Context, opts: ListenOptions): Promise<number> {
  const target = forwardUrl(opts.forwardTo);
  if (opts.events.length) await checkEvents(opts.events);
  return inOrg(ctx, opts.org, async (org) => {
    const body = { ...(opts.events.length ? { events: [...new Set(opts.events)] } : {}), description: `acct webhooks listen → ${target.href}`.slice(0, 500) } as BodyOf<typeof webhooks.createWebhookRelay>;
    const { data: relay } = await ctx.api.call(ROUTES.createWebhookRelay, { params: orgParams(org), body });
    const params = { ...orgParams(org), webhookId: relay.id };
    const stop = stopper(ctx, org, relay.id);
    ctx.io.err(`Ready! Forwarding ${relay.events.length === 1 ? relay.events[0] : `${relay.events.length} event types`} of ${orgLabel(org)} to ${target.href} (relay ${relay.id}; Ctrl-C stops)\n`);
    ctx.io.err(`Your webhook signing secret is ${relay.secret}\n`);
    try {
      for (;;) {
        const { data } = await ctx.api.call(ROUTES.pollWebhookRelay, { params, body: { wait: POLL_WAIT_SECONDS } });
        for (const d of data) {
          const result = await forward(target, d);
          if (stop.stopping) return await stop.done;
          await ctx.api.call(ROUTES.reportWebhookRelayResult, { params: { ...params, deliveryId: d.deliveryId }, body: result });
          if (ctx.json) ctx.io.out(`${JSON.stringify({ deliveryId: d.deliveryId, messageId: d.messageId, eventType: d.eventType, ...result })}\n`);
          else ctx.io.out(`${new Date().toISOString()}  ${d.eventType}  ${d.messageId}  → ${result.statusCode ?? 'no answer'} (${result.durationMs} ms)${result.error && result.statusCode === null ? `  ${result.error}` : ''}\n`);
        }
      }
    } catch (err) {
      if (stop.stopping) return await stop.done;
      // Leave nothing behind on the way out with an error.
      await ctx.api.request(ROUTES.deleteWebhook, { params }).catch(() => undefined);
      throw err;
    }
  });
}

/** On Ctrl-C (or SIGTERM): delete the relay, then exit 0; a second Ctrl-C exits at once. */
function stopper(ctx: Context, org: ResolvedOrg, relayId: string) {
  const state = { stopping: false, done: Promise.resolve(0) };
  const onSignal = (signal: NodeJS.Signals) => {
    if (state.stopping) process.exit(130);
    state.stopping = true;
    state.done = ctx.api.request(ROUTES.deleteWebhook, { params: { ...orgParams(org), webhookId: relayId } }).then(
      (res) => {
        if (res.status === 200 || res.status === 404) ctx.io.err(`\nStopped (${signal}); relay ${relayId} deleted\n`);
        else ctx.io.err(`\nStopped (${signal}); could not delete relay ${relayId} (${res.status}); it expires on its own within 2 minutes\n`);
        return 0;
      },
      (err: unknown) => {
        ctx.io.err(`\nStopped (${signal}); could not delete relay ${relayId} (${err instanceof ApiError ? err.message : String(err)}); it expires on its own within 2 minutes\n`);
        return 0;
      },
    );
    // The poll in flight may wait 20 s more: leave as soon as the relay is gone.
    void state.done.then((code) => process.exit(code));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return state;
}
