import type { Kysely } from 'kysely';

/**
 * Relay endpoints (`acct webhooks listen`): an endpoint with no URL whose deliveries the CLI
 * collects over the API and forwards to a local receiver. `relay_expires_at` is set only on relays
 * (so it also tells the kinds apart): each poll pushes it forward, and the worker deletes a relay
 * nobody polled for that long (the CLI was killed without deleting it).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('webhook_endpoints').addColumn('relay_expires_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('webhook_endpoints').dropColumn('relay_expires_at').execute();
}
