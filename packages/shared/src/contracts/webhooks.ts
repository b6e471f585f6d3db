import { Type } from '@sinclair/typebox';
import { defineRoute } from '../contract.js';
import { Id, ListQuery, NullableTimestamp, Strict, Timestamp } from '../schemas.js';

/** Every event a webhook endpoint can subscribe to (API.md "Webhooks"). */
export const WEBHOOK_EVENT_TYPES = [
  'api_key.created', 'api_key.rotated', 'api_key.revoked', 'api_key.leaked',
  'member.added', 'member.role_changed', 'member.removed',
  'invitation.created', 'invitation.accepted', 'invitation.revoked',
  'project.created', 'project.updated', 'project.deleted',
  'payment.created', 'subscription.updated',
  'team_key.created', 'team_key.rotated', 'team_key.revoked',
  'webhook.test',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

export const WebhookEventName = Type.Union(WEBHOOK_EVENT_TYPES.map((t) => Type.Literal(t)), { description: 'An event type' });

/** `active`: receives events; `failing`: receives events but its last deliveries failed; `disabled`: receives nothing. */
export const WebhookStatusName = Type.Union([Type.Literal('active'), Type.Literal('failing'), Type.Literal('disabled')]);

/** `url`: deliveries are POSTed to its URL; `relay`: `acct webhooks listen` collects them and forwards them to a local URL. */
export const WebhookKindName = Type.Union([Type.Literal('url'), Type.Literal('relay')]);

export const WebhookEndpoint = Type.Object({
  id: Id,
  organizationId: Id,
  kind: WebhookKindName,
  /** Empty for a relay. */
  url: Type.String(),
  description: Type.String(),
  events: Type.Array(WebhookEventName),
  status: WebhookStatusName,
  failingSince: NullableTimestamp,
  secretRotatedAt: NullableTimestamp,
  /** Until then the previous secret signs too (a second `v1,` signature). */
  previousSecretExpiresAt: NullableTimestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const WebhookDeliveryStatusName = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]);

export const WebhookDelivery = Type.Object({
  id: Id,
  webhookId: Id,
  /** The `webhook-id` header: the same for every attempt and redelivery of one event. */
  messageId: Type.String(),
  eventType: WebhookEventName,
  status: WebhookDeliveryStatusName,
  attempts: Type.Integer(),
  nextAttemptAt: NullableTimestamp,
  lastAttemptAt: NullableTimestamp,
  lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
  lastDurationMs: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  deliveredAt: NullableTimestamp,
});

const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'https URL receiving the deliveries' });
const Events = Type.Array(WebhookEventName, { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length, uniqueItems: true });
const Description = Type.String({ maxLength: 500 });
const base = '/api/user/organizations/:organizationId/webhooks';

export const listWebhooks = defineRoute({
  method: 'GET', path: base, tag: 'webhooks', auth: 'user', scope: 'webhooks:read', tenant: true,
  summary: "The organization's webhook endpoints, oldest first (never the secret)", message: 'Webhooks fetched successfully',
  query: ListQuery, data: Type.Array(WebhookEndpoint),
});

export const createWebhook = defineRoute({
  method: 'POST', path: base, tag: 'webhooks', auth: 'user', scope: 'webhooks:write', tenant: true,
  summary: 'Add an endpoint; its signing secret (whsec_…) is shown only in this response', message: 'Webhook created', status: 201,
  body: Strict({ url: Url, events: Events, description: Type.Optional(Description) }),
  data: Type.Intersect([WebhookEndpoint, Type.Object({ secret: Type.String() })]),
});

export const getWebhook = defineRoute({
  method: 'GET', path: `${base}/:webhookId`, tag: 'webhooks', auth: 'user', scope: 'webhooks:read', tenant: true,
  summary: 'One webhook endpoint', message: 'Webhook fetched successfully', data: WebhookEndpoint,
});

export const updateWebhook = defineRoute({
  method: 'PATCH', path: `${base}/:webhookId`, tag: 'webhooks', auth: 'user', scope: 'webhooks:write', tenant: true,
  summary: 'Change the URL, events or description; `enabled: false` disables the endpoint', message: 'Webhook updated',
  body: Strict({ url: Type.Optional(Url), events: Type.Optional(Events), description: Type.Optional(Description), enabled: Type.Optional(Type.Boolean()) }),
  data: WebhookEndpoint,
});

export const deleteWebhook = defineRoute({
  method: 'DELETE', path: `${base}/:webhookId`, tag: 'webhooks', auth: 'user', scope: 'webhooks:write', tenant: true,
  summary: 'Delete an endpoint and its pending deliveries', message: 'Webhook deleted', data: Type.Object({ id: Id, deleted: Type.Literal(true) }),
});

export const rotateWebhookSecret = defineRoute({
  method: 'POST', path: `${base}/:webhookId/rotate-secret`, tag: 'webhooks', auth: 'user', scope: 'webhooks:write', tenant: true,
  summary: 'New signing secret, shown once; the old one keeps signing too for overlapSeconds (default 24 h)', message: 'Webhook secret rotated',
  body: Strict({ overlapSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 86400 })) }),
  data: Type.Intersect([WebhookEndpoint, Type.Object({ secret: Type.String() })]),
});

export const testWebhook = defineRoute({
  method: 'POST', path: `${base}/:webhookId/test`, tag: 'webhooks', auth: 'user', scope: 'webhooks:write', tenant: true,
  summary: 'Queue a webhook.test event for this endpoint', message: 'Test event queued', status: 202, data: WebhookDelivery,
});

export const listWebhookDeliveries = defineRoute({
  method: 'GET', path: `${base}/:webhookId/deliveries`, tag: 'webhooks', auth: 'user', scope: 'webhooks:read', tenant: true,
  summary: "The endpoint's deliveries, newest first, with status codes and timings", message: 'Deliveries fetched successfully',
  query: Strict({ ...ListQuery.properties, status: Type.Optional(WebhookDeliveryStatusName) }), data: Type.Array(WebhookDelivery),
});

export const redeliverWebhook = defineRoute({
  method: 'POST', path: `${base}/:webhookId/deliveries/:deliveryId/redeliver`, tag: 'webhooks', auth: 'user', scope: 'webhooks:write', tenant: true,
  summary: 'Send a delivery again (same webhook-id, fresh attempts)', message: 'Redelivery queued', status: 202, data: WebhookDelivery,
});

/** How long a relay lives without a poll: the CLI polls at least every 25 s, so only a killed CLI leaves one to expire. */
export const RELAY_TTL_SECONDS = 120;

/** One delivery handed to a relay's listener: what it forwards to the local receiver, as is. */
export const RelayedDelivery = Type.Object({
  deliveryId: Id,
  messageId: Type.String(),
  eventType: WebhookEventName,
  /** The Standard Webhooks headers, signed with the relay's secret. */
  headers: Type.Object({ 'webhook-id': Type.String(), 'webhook-timestamp': Type.String(), 'webhook-signature': Type.String() }),
  /** The JSON body exactly as signed. */
  body: Type.String(),
});

export const createWebhookRelay = defineRoute({
  method: 'POST', path: `${base}/relays`, tag: 'webhooks', auth: 'user', scope: 'webhooks:write', tenant: true,
  summary: 'Add a relay endpoint for `acct webhooks listen` (every event type unless `events` says); its secret is shown only in this response; it expires 120 s after its last poll',
  message: 'Webhook relay created', status: 201,
  body: Strict({ events: Type.Optional(Events), description: Type.Optional(Description) }),
  data: Type.Intersect([WebhookEndpoint, Type.Object({ secret: Type.String() })]),
});

export const pollWebhookRelay = defineRoute({
  method: 'POST', path: `${base}/:webhookId/relay/poll`, tag: 'webhooks', auth: 'user', scope: 'webhooks:write', tenant: true,
  summary: "Claim the relay's due deliveries, waiting up to `wait` seconds (default 20) for one; keeps the relay alive",
  message: 'Relay polled',
  body: Strict({ wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 25 })) }),
  data: Type.Array(RelayedDelivery),
});

export const reportWebhookRelayResult = defineRoute({
  method: 'POST', path: `${base}/:webhookId/deliveries/:deliveryId/relay-result`, tag: 'webhooks', auth: 'user', scope: 'webhooks:write', tenant: true,
  summary: "The local receiver's answer to a relayed delivery (status code, or null and an error when none came), shown in the deliveries list",
  message: 'Relay result recorded',
  body: Strict({
    statusCode: Type.Union([Type.Integer({ minimum: 100, maximum: 599 }), Type.Null()]),
    durationMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
    error: Type.Optional(Type.String({ maxLength: 300 })),
  }),
  data: WebhookDelivery,
});
