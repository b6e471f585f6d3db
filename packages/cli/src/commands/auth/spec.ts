import type { CommandSpec } from '../spec.js';

const login: CommandSpec = {
  name: 'login',
  description: 'sign in with email and password, in the browser with --web, or save a token with --with-token',
  options: [
    { flags: '--web', description: 'sign in in the browser (device login: a URL and a code; works with SSO accounts)' },
    { flags: '--scope <scopes>', description: 'with --web: space-separated scopes to ask for (default: the whole API)' },
    { flags: '--email <email>', description: 'email address' },
    { flags: '--password-stdin', description: 'read the password from stdin' },
    { flags: '--with-token', description: 'read a personal access token from stdin and save it to the keychain' },
    { flags: '--insecure-storage', description: 'without a keychain, save the token in a 0600 file' },
  ],
  examples: ['acct login', 'acct login --web', 'acct login --email me@example.com --password-stdin < password.txt', 'acct login --with-token < token.txt'],
  run: {
    name: 'login',
    load: () => import('./login.js'),
    options: (o) => ({ email: o.email, passwordStdin: Boolean(o.passwordStdin), withToken: Boolean(o.withToken), insecureStorage: Boolean(o.insecureStorage), web: Boolean(o.web), scope: o.scope }),
  },
};

const logout: CommandSpec = {
  name: 'logout',
  description: "sign out on the server and clear this host's cookies",
  options: [{ flags: '--forget-token', description: 'also delete the tokens saved for this host' }],
  examples: ['acct logout', 'acct logout --forget-token'],
  run: { name: 'logout', load: () => import('./logout.js'), options: (o) => ({ forgetToken: Boolean(o.forgetToken) }) },
};

/** The sign-in flow: `signup`, `login`, `logout`, `whoami` and the `auth` group. */
export const specs: CommandSpec[] = [
  {
    name: 'signup',
    description: 'create an account',
    options: [
      { flags: '--email <email>', description: 'email address' },
      { flags: '--name <name>', description: 'your name' },
      { flags: '--password-stdin', description: 'read the password from stdin' },
    ],
    examples: ['acct signup', "printf '%s' \"$PASSWORD\" | acct signup --email me@example.com --name 'Me' --password-stdin"],
    run: { name: 'signup', load: () => import('./signup.js'), options: (o) => ({ email: o.email, name: o.name, passwordStdin: Boolean(o.passwordStdin) }) },
  },
  login,
  logout,
  {
    name: 'whoami',
    description: 'print who you are signed in as',
    run: { name: 'whoami', load: () => import('./whoami.js'), options: () => ({}) },
  },
  {
    name: 'auth',
    description: 'sign in, sign out, and see which credential is in use',
    subcommands: [
      {
        name: 'status',
        description: 'show the host, the credential in use, the user, scopes and expiry',
        run: { name: 'auth status', load: () => import('./status.js'), options: () => ({}) },
      },
      {
        name: 'token',
        description: 'print the credential the next command would send, and nothing else',
        examples: ['curl -H "Authorization: Bearer $(acct auth token)" https://acct.example.com/api/user/me'],
        run: { name: 'auth token', load: () => import('./token.js'), options: () => ({}) },
      },
      {
        name: 'switch',
        description: 'make another account signed in on this host the active one',
        options: [{ flags: '--user <email>', description: 'the account (default: the other one, when there are two)' }],
        examples: ['acct auth switch', 'acct auth switch --user ana@example.com'],
        run: { name: 'auth switch', load: () => import('./switch.js'), options: (o) => ({ user: o.user }) },
      },
      login,
      logout,
    ],
  },
];
