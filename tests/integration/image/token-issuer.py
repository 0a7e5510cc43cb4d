#!/usr/bin/env python3
"""A small Bearer token issuer for docker-registry's `auth: token`, owned by
the tests. Tokens are RS256 JWTs carrying the signing certificate in x5c; the
registry trusts that certificate through its rootcertbundle.

  token-issuer.py --key KEY.pem --cert CERT.pem --issuer ISS --service SVC
                  [--user USER:PASS] [--expired-first N] [--ttl SECONDS] [--log FILE]

GET /token?service=SVC&scope=repository:NAME:pull,push
  --user: Basic credentials required (401 otherwise); without it tokens are anonymous.
  --expired-first N: the first N tokens are already expired (exp in the past)
  although expires_in says --ttl; later ones are good.
GET /control?expire_next=N: the next N tokens are issued expired.
Prints HOST:PORT on stdout once ready. Each token request is logged to FILE.
"""
import argparse
import base64
import http.server
import json
import os
import socketserver
import threading
import time
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        s = self.server
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        if u.path == "/control":
            with s.lock:
                s.expired_first = s.issued + int(q.get("expire_next", ["0"])[0])
            self.reply(200, {"expired_until": s.expired_first})
            return
        user = ""
        if s.user:
            auth = self.headers.get("Authorization", "")
            ok = auth.startswith("Basic ") and base64.b64decode(auth[6:]).decode() == s.user
            if not ok:
                self.reply(401, {"details": "bad credentials"})
                self.log("401", q)
                return
            user = s.user.split(":")[0]
        access = []
        for scope in q.get("scope", []):
            for one in scope.split(" "):
                parts = one.split(":")
                if len(parts) >= 3:
                    access.append({"type": parts[0], "name": ":".join(parts[1:-1]),
                                   "actions": parts[-1].split(",")})
        with s.lock:
            s.issued += 1
            expired = s.issued <= s.expired_first
        now = int(time.time())
        exp = now - 600 if expired else now + s.ttl
        header = {"typ": "JWT", "alg": "RS256", "x5c": [s.cert_der_b64]}
        claims = {"iss": s.issuer, "sub": user, "aud": q.get("service", [s.service])[0],
                  "exp": exp, "nbf": now - 1200 if expired else now - 10, "iat": now - 1200 if expired else now,
                  "jti": b64url(os.urandom(12)), "access": access}
        signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
        sig = s.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        token = signing_input.decode() + "." + b64url(sig)
        self.reply(200, {"token": token, "access_token": token, "expires_in": s.ttl,
                         "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))})
        self.log("200" + (" expired" if expired else ""), q)

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log(self, what, q):
        if self.server.log:
            with self.server.lock, open(self.server.log, "a") as f:
                f.write("%s %s\n" % (what, " ".join(q.get("scope", []))))


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--user")
    ap.add_argument("--expired-first", type=int, default=0)
    ap.add_argument("--ttl", type=int, default=300)
    ap.add_argument("--log")
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    with open(a.key, "rb") as f:
        srv.key = serialization.load_pem_private_key(f.read(), password=None)
    with open(a.cert, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    srv.cert_der_b64 = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    srv.issuer, srv.service, srv.user = a.issuer, a.service, a.user
    srv.expired_first, srv.ttl, srv.log = a.expired_first, a.ttl, a.log
    srv.issued = 0
    srv.lock = threading.Lock()
    print("127.0.0.1:%d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
