import { ROUTES } from '@acct/shared/routes';
import type { auth, BodyOf, DataOf } from '@acct/shared';
import type { Context } from '../../context.js';
import { UsageError } from '../../lib/errors.js';
import { apiErrorFrom } from '../../lib/http.js';
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
  const ask = async (): Promise<string> => {
    const password = await io.prompter.password('Password (at least 15 characters):');
    const again = await io.prompter.password('Password again:');
    if (again !== password) throw new UsageError('the passwords do not match');
    return password;
  };
  let password: string;
  if (opts.passwordStdin) {
    password = await readSecretFromStdin(io, 'password');
  } else {
    if (!io.canPrompt) throw new UsageError('--password-stdin is required when not running interactively');
    password = await ask();
  }
  // A person at a terminal whose password the server refuses (too short, too common, …) is told
  // why and asked again, instead of starting over; scripts get the error and exit 1.
  for (let attempt = 1; ; attempt++) {
    const body: BodyOf<typeof auth.signUp> = { email, name, password };
    const res = await ctx.api.request(ROUTES.signUp, { body, credential: 'none' });
    const refused = res.status === 400 ? passwordRefusal(res.json()) : null;
    if (refused && !opts.passwordStdin && io.canPrompt && attempt < MAX_PASSWORD_ATTEMPTS) {
      io.err(`✗ ${refused}; choose another.\n`);
      password = await ask();
      continue;
    }
    if (res.status < 200 || res.status >= 300) throw apiErrorFrom(res);
    return created(ctx, opts, email, (res.json() as { data: DataOf<typeof auth.signUp> }).data);
  }
}

const MAX_PASSWORD_ATTEMPTS = 5;

/** The server's reason for refusing the password, when that is what it refused. */
function passwordRefusal(body: unknown): string | null {
  const errors = (body as { errors?: { field?: string; message?: string }[] } | undefined)?.errors;
  const e = Array.isArray(errors) ? errors.find((x) => x.field === 'password') : undefined;
  return e?.message ?? null;
}

function created(ctx: Context, opts: SignupOptions, email: string, data: DataOf<typeof auth.signUp>): number {
  const { io } = ctx;
  if (ctx.json) {
    printJson(io, data);
    return 0;
  }
  io.err(`✓ Account created for ${data.user.email} on ${ctx.origin}. Check your email to verify it.\n`);
  io.err(`Next: acct login${opts.email ? ` --email ${email}` : ''}\n`);
  return 0;
}
