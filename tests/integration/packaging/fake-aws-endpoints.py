#!/usr/bin/env python3
"""A stand-in IMDS (IMDSv2) and ECS endpoint for `ecsd doctor` tests.

    fake-aws-endpoints.py SKEW_SECONDS PORT_FILE

Serves on 127.0.0.1 (a free port, written to PORT_FILE once listening):
PUT /latest/api/token, GET /latest/meta-data/iam/security-credentials/ and
/latest/meta-data/placement/region (token required); anything else answers
404. Every response's Date header is the real time plus SKEW_SECONDS.
"""
import email.utils
import http.server
import os
import sys
import time

SKEW = int(sys.argv[1])
TOKEN = "pkgtest-token"


class Handler(http.server.BaseHTTPRequestHandler):
    def date_time_string(self, timestamp=None):
        return email.utils.formatdate(time.time() + SKEW, usegmt=True)

    def log_message(self, *args):
        pass

    def reply(self, code, body=b""):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_PUT(self):
        if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(200, TOKEN.encode())
        self.reply(400)

    def do_GET(self):
        authed = self.headers.get("X-aws-ec2-metadata-token") == TOKEN
        if self.path == "/latest/meta-data/iam/security-credentials/":
            return self.reply(200 if authed else 401, b"pkgtest-role" if authed else b"")
        if self.path == "/latest/meta-data/placement/region":
            return self.reply(200 if authed else 401, b"us-west-2" if authed else b"")
        self.reply(404, b'{"__type":"UnknownOperationException"}')

    do_HEAD = do_GET


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
tmp = sys.argv[2] + ".tmp"
with open(tmp, "w") as f:
    f.write(str(server.server_address[1]))
os.rename(tmp, sys.argv[2])
server.serve_forever()
