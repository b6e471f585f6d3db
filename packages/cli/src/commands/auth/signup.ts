import type { auth, BodyOf, DataOf } from '@acct/shared';
import type { Context } from '../../context.js';
import { UsageError } from '../../lib/errors.js';
import { readSecretFromStdin, valueOrPrompt } from '../../lib/io.js';
import { printJson } from '../../lib/output.js';

export interface SignupOptions {
  email?: string;
  name?: string;
  passwordStdin: boolean;
}

/** `acct signup`: creates an account (prompts, or flags and --password-stdin for scripts). */
export async function run(ctx: Context, opts: SignupOptions): Promise<number> {
  const { io } = ctx;
  const email = await valueOrPrompt(io, opts.email, '--email', () => io.prompter.input('Email:'));
  const name = await valueOrPrompt(io, opts.name, '--name', () => io.prompter.input('Name:'));
  let password: string;
  if (opts.passwordStdin) {
    password = await readSecretFromStdin(io, 'password');
  } else {
    if (!io.canPrompt) throw new UsageError('--password-stdin is required when not running interactively');
    password = await io.prompter.password('Password (at least 15 characters):');
    const again = await io.prompter.password('Password again:');
    if (again !== password) throw new UsageError('the passwords do not match');
  }
  const body: BodyOf<typeof auth.signUp> = { email, name, password };
  const { data } = await ctx.http.api<DataOf<typeof auth.signUp>>({ method: 'POST', path: '/api/auth/sign-up/email', json: body, credential: 'none' });
  if (ctx.json) {
    printJson(io, data);
    return 0;
  }
  io.err(`✓ Account created for ${data.user.email} on ${ctx.origin}. Check your email to verify it.\n`);
  io.err(`Next: acct login${opts.email ? ` --email ${email}` : ''}\n`);
  return 0;
}
