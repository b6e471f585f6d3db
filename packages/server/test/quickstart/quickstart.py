#!/usr/bin/env python3
"""The Quick Start (seeds/000) replayed with the seed's own `requests` snippets, against the
acct server at argv[1] (e.g. http://127.0.0.1:3000). Only what the seed tells the reader to
replace is replaced: the host, and the organization id (fetched from GET
/api/user/organizations, as Step 4 says); the key arrives in API_KEY, as Step 4 reads it.
The seed shows the email as "[email protected]": an email-obfuscation artifact of the page it
was scraped from. We use you@example.com, the form seed 001 shows.
Exits non-zero, naming the step, when a response differs from what the Quick Start promises.
"""
import json
import re
import sys
import time
from datetime import datetime

if len(sys.argv) < 2:
    print('usage: quickstart.py http://HOST:PORT', file=sys.stderr)
    sys.exit(2)
HOST = sys.argv[1]


def check(step, condition, what, body):
    if not condition:
        text = re.sub(r'(b[a-z]_[0-9A-Za-z]{4})[0-9A-Za-z]+', r'\1…', json.dumps(body))
        print(f'quickstart.py: {step}: expected {what}: {text}', file=sys.stderr)
        sys.exit(1)


ENVELOPE = ['code', 'data', 'message', 'status', 'success']


def check_envelope(step, body):
    keys = sorted(k for k in body if k not in ('meta', 'errors'))
    check(step, keys == ENVELOPE, 'the envelope ' + ','.join(ENVELOPE), body)


# Step 1 — Create an account
import requests
res = requests.post(
    f'{HOST}/api/auth/sign-up/email',
    json={
        'email': 'you@example.com',
        'password': 'a-long-secure-passphrase',
        'name': 'Your Name',
    },
)
data = res.json()
check_envelope('step 1 (sign-up)', data)
check('step 1 (sign-up)', res.status_code == 201 and data['success'] is True and data['data']['user']['email'] == 'you@example.com', '201 and the new user', data)

# Step 2 — Sign in and capture the session cookie
import requests
session = requests.Session() # holds cookies across requests
signed_in = session.post(
    f'{HOST}/api/auth/sign-in/email',
    json={
        'email': 'you@example.com',
        'password': 'a-long-secure-passphrase',
    },
)
check_envelope('step 2 (sign-in)', signed_in.json())
check('step 2 (sign-in)', signed_in.status_code == 200 and signed_in.json()['success'] is True, '200', signed_in.json())
check('step 2 (sign-in)', 'acct_session' in session.cookies, 'a session cookie in the session', signed_in.json())

# Step 3 — Issue a Personal Access Token
res = session.post(
    f'{HOST}/api/auth/api-key/create',
    json={
        'name': 'CI deploy bot',
        'expiresIn': 2592000,
        'scopes': ['user:read', 'projects:read', 'projects:write'],
    },
)
api_key = res.json()['data']['key'] # shown once
created = res.json()
check_envelope('step 3 (api-key/create)', created)
check('step 3 (api-key/create)', res.status_code == 200 and created['success'] is True and created['code'] == 'OK' and created['message'] == 'API key created', '200 OK "API key created"', created)
check('step 3 (api-key/create)', created['data']['id'].startswith('ak_'), 'data.id to start with ak_', created)
check('step 3 (api-key/create)', api_key.startswith('ba_'), 'data.key to start with ba_', created)
check('step 3 (api-key/create)', created['data']['name'] == 'CI deploy bot' and created['data']['scopes'] == ['user:read', 'projects:read', 'projects:write'], 'the name and scopes asked for', created)
expires = datetime.fromisoformat(created['data']['expiresAt'].replace('Z', '+00:00')).timestamp()
check('step 3 (api-key/create)', abs(expires - time.time() - 2592000) < 300, 'expiresAt 30 days ahead', created)

import os
os.environ['API_KEY'] = api_key

# "Get yours from GET /api/user/organizations" (with the session: the key has no organizations:read).
orgs = session.get(f'{HOST}/api/user/organizations').json()
check('step 4 (/api/user/organizations)', orgs['success'] is True and len(orgs['data']) == 1, 'one organization', orgs)

# Step 4 — Call an authenticated endpoint
import os, requests
api_key = os.environ['API_KEY']
organization_id = orgs['data'][0]['id']
headers = {'X-Api-Key': api_key}
me = requests.get(f'{HOST}/api/user/me', headers=headers)
projects = requests.get(
    f'{HOST}/api/user/organizations/{organization_id}/projects',
    headers=headers,
)

me_body = me.json()
check_envelope('step 4 (/api/user/me)', me_body)
check('step 4 (/api/user/me)', me.status_code == 200 and me_body['code'] == 'OK' and me_body['message'] == 'User fetched successfully', '200 "User fetched successfully"', me_body)
SEED_FIELDS = ['id', 'email', 'fullName', 'handle', 'isVerified', 'verifiedAt', 'isActive', 'lastLoginAt', 'role', 'organizationCount', 'createdAt', 'updatedAt']
check('step 4 (/api/user/me)', sorted(me_body['data'].keys()) == sorted(SEED_FIELDS), 'exactly the fields ' + ','.join(SEED_FIELDS), me_body)
check('step 4 (/api/user/me)', me_body['data']['email'] == 'you@example.com' and me_body['data']['fullName'] == 'Your Name', 'the signed-up user', me_body)

projects_body = projects.json()
check_envelope('step 4 (projects)', projects_body)
check('step 4 (projects)', projects.status_code == 200 and projects_body['success'] is True and isinstance(projects_body['data'], list), '200 and a list', projects_body)

print('quickstart.py: all four steps behaved as the Quick Start says')
