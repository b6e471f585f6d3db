#!/usr/bin/env bash
# The Quick Start (seeds/000) replayed with curl exactly as the seed writes it, against the
# acct server at $1 (e.g. http://127.0.0.1:3000). Only what the seed tells the reader to replace
# is replaced: the host, the API key and the organization id (fetched from
# GET /api/user/organizations, as Step 4 says).
# The seed shows the email as "[email protected]": an email-obfuscation artifact of the
# page it was scraped from. We use you@example.com, the form seed 001 shows.
# Exits non-zero, naming the step, when a response differs from what the Quick Start promises.
set -euo pipefail
HOST="${1:?usage: quickstart.sh http://HOST:PORT}"
command -v jq >/dev/null || { echo "quickstart.sh: jq is needed" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work" # cookies.txt lives here, as in the seed

fail() {
  # Never print a whole token: mask everything after a secret's prefix.
  echo "quickstart.sh: $1: $(sed -E 's/(b[a-z]_[0-9A-Za-z]{4})[0-9A-Za-z]+/\1…/g' <<<"${2:-}")" >&2
  exit 1
}
check() { # check <step> <json> <jq condition>
  jq -e "$3" >/dev/null 2>&1 <<<"$2" || fail "$1: expected $3" "$2"
}
ENVELOPE='(keys - ["meta", "errors"] | sort) == ["code", "data", "message", "status", "success"]'

# Step 1 — Create an account
STEP1=$(curl -X POST "$HOST/api/auth/sign-up/email" \
-H "Content-Type: application/json" \
-d '{
"email": "you@example.com",
"password": "a-long-secure-passphrase",
"name": "Your Name"
}')
check "step 1 (sign-up)" "$STEP1" "$ENVELOPE"
check "step 1 (sign-up)" "$STEP1" '.success == true and .status == 201 and .data.user.email == "you@example.com"'

# Step 2 — Sign in and capture the session cookie
# -c saves cookies, -b sends them back on later calls
STEP2=$(curl -X POST "$HOST/api/auth/sign-in/email" \
-H "Content-Type: application/json" \
-c cookies.txt \
-d '{
"email": "you@example.com",
"password": "a-long-secure-passphrase"
}')
check "step 2 (sign-in)" "$STEP2" "$ENVELOPE"
check "step 2 (sign-in)" "$STEP2" '.success == true and .status == 200 and .code == "OK"'
grep -q 'acct_session' cookies.txt || fail "step 2 (sign-in): no session cookie in cookies.txt"

# Step 3 — Issue a Personal Access Token
STEP3=$(curl -X POST "$HOST/api/auth/api-key/create" \
-H "Content-Type: application/json" \
-b cookies.txt \
-d '{
"name": "CI deploy bot",
"expiresIn": 2592000,
"scopes": ["user:read", "projects:read", "projects:write"]
}')
check "step 3 (api-key/create)" "$STEP3" "$ENVELOPE"
check "step 3 (api-key/create)" "$STEP3" '.success == true and .status == 200 and .code == "OK" and .message == "API key created"'
check "step 3 (api-key/create)" "$STEP3" '.data.id | startswith("ak_")'
check "step 3 (api-key/create)" "$STEP3" '.data.key | startswith("ba_")'
check "step 3 (api-key/create)" "$STEP3" '.data.name == "CI deploy bot" and .data.scopes == ["user:read", "projects:read", "projects:write"]'
check "step 3 (api-key/create)" "$STEP3" '(.data.expiresAt | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) - now | . > 2592000 - 300 and . < 2592000 + 300'
API_KEY=$(jq -r '.data.key' <<<"$STEP3")

# Step 4 — Call an authenticated endpoint
# Account route — no organization id required
ME=$(curl "$HOST/api/user/me" \
-H "X-Api-Key: ${API_KEY}")
check "step 4 (/api/user/me)" "$ME" "$ENVELOPE"
check "step 4 (/api/user/me)" "$ME" '.success == true and .status == 200 and .code == "OK" and .message == "User fetched successfully"'
check "step 4 (/api/user/me)" "$ME" '(.data | keys) == (["id", "email", "fullName", "handle", "isVerified", "verifiedAt", "isActive", "lastLoginAt", "role", "organizationCount", "createdAt", "updatedAt"] | sort)'
check "step 4 (/api/user/me)" "$ME" '.data.email == "you@example.com" and .data.fullName == "Your Name" and .data.organizationCount == 1'

# "Get yours from GET /api/user/organizations", with the same key: its user:read lists them.
ORGS=$(curl "$HOST/api/user/organizations" \
-H "X-Api-Key: ${API_KEY}")
check "step 4 (/api/user/organizations)" "$ORGS" '.success == true and (.data | length) == 1'
# Tenant route — substitute the organization id you fetched earlier
ORG_ID="$(jq -r '.data[0].id' <<<"$ORGS")"
PROJECTS=$(curl "$HOST/api/user/organizations/${ORG_ID}/projects" \
-H "X-Api-Key: ${API_KEY}")
check "step 4 (projects)" "$PROJECTS" "$ENVELOPE"
check "step 4 (projects)" "$PROJECTS" '.success == true and .status == 200 and .code == "OK" and (.data | type) == "array"'
check "step 4 (projects)" "$PROJECTS" '.meta.pagination | type == "object"'

echo "quickstart.sh: all four steps behaved as the Quick Start says"
