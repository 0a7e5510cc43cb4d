#!/usr/bin/env python3
"""Generates random requests and signs them with botocore's SigV4 signers.

Usage: botocore_sign.py COUNT SEED > cases.json
Each case: method, url, headers [[name, value]...], body, region, service,
credentials, epoch (the signing time), and botocore's results: the
Authorization header (+ X-Amz-Date, X-Amz-Security-Token) of SigV4Auth and
the presigned URL of SigV4QueryAuth (expires 900).
"""
import datetime
import json
import random
import sys
from unittest import mock
from urllib.parse import quote

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

count, seed = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(seed)

SAFE = "-_.~"
ALPH = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~ /:=&+%!$'()*,;@é"


def word(lo=1, hi=12, alphabet=ALPH):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def path():
    segs = []
    for _ in range(rng.randint(0, 4)):
        s = word(1, 8, "abcXYZ019-_.~")
        if rng.random() < 0.1:
            s = rng.choice([".", "..", ""])
        segs.append(s)
    p = "/" + "/".join(segs)
    if rng.random() < 0.2:
        p += "/"
    return p


def query():
    pairs = []
    for _ in range(rng.randint(0, 5)):
        k = quote(word(1, 8), safe=SAFE)
        v = quote(word(0, 10), safe=SAFE)
        pairs.append(f"{k}={v}")
    return "&".join(pairs)


cases = []
for i in range(count):
    scheme = rng.choice(["http", "https"])
    host = rng.choice(["ecs.us-east-1.amazonaws.com", "127.0.0.1", "localhost", "Example.COM"])
    port = rng.choice([None, None, 80, 443, 8080, 5000])
    netloc = host + (f":{port}" if port else "")
    q = query()
    url = f"{scheme}://{netloc}{path()}" + (f"?{q}" if q else "")
    method = rng.choice(["GET", "POST", "PUT", "DELETE"])
    headers = []
    names = ["Content-Type", "X-Amz-Target", "X-Custom", "user-agent", "Accept", "x-amz-meta-Thing", "Connection"]
    for _ in range(rng.randint(0, 5)):
        n = rng.choice(names)
        v = "  ".join(word(1, 6, "abcdefXYZ0123 /.;=-") for _ in range(rng.randint(1, 3)))
        headers.append([n, v])
    body = word(0, 200) if method in ("POST", "PUT") else ""
    token = word(16, 40, "ABCDEFabcdef0123456789/+=") if rng.random() < 0.5 else None
    creds = {"access_key_id": "AKID" + word(8, 16, "ABCDEFGHIJKLMNOP0123456789"),
             "secret_access_key": word(20, 40, "abcdefABCDEF0123456789/+"),
             "session_token": token or ""}
    region = rng.choice(["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1"])
    service = rng.choice(["ecs", "ecr", "sts", "logs"])
    epoch = 1700000000 + rng.randint(0, 200000000)
    when = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).replace(tzinfo=None)
    c = Credentials(creds["access_key_id"], creds["secret_access_key"], token)

    # Use unique header names per case (HTTPHeaders duplicate handling differs
    # across versions); drop repeats.
    seen = set()
    uniq = []
    for n, v in headers:
        if n.lower() in seen:
            continue
        seen.add(n.lower())
        uniq.append([n, v])
    headers = uniq

    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
        r = AWSRequest(method=method, url=url, data=body.encode() if body else None)
        for n, v in headers:
            r.headers[n] = v
        botocore.auth.SigV4Auth(c, service, region).add_auth(r)
        signed = {k: v for k, v in r.headers.items()}
        del r.headers["Authorization"]
        canonical = botocore.auth.SigV4Auth(c, service, region).canonical_request(r)
        p = AWSRequest(method=method, url=url, data=None)
        for n, v in headers:
            if n.lower() != "content-type":
                p.headers[n] = v
        botocore.auth.SigV4QueryAuth(c, service, region, expires=900).add_auth(p)
    cases.append({
        "method": method, "url": url, "headers": headers, "body": body, "region": region, "service": service,
        "credentials": creds, "epoch": epoch,
        "authorization": signed["Authorization"], "x_amz_date": signed["X-Amz-Date"],
        "canonical_request": canonical,
        "presign_headers": [[n, v] for n, v in headers if n.lower() != "content-type"],
        "presigned_url": p.url,
    })
json.dump(cases, sys.stdout)
