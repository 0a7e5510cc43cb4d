#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of a registry, owned by the tests.

  fault-proxy.py UPSTREAM_HOST:PORT [--fault WHAT:MODE:COUNT]... [--log FILE]

WHAT: blob | layer (a blob of more than 16 KiB) | manifest | any.  MODE:
  500       answer 500 Internal Server Error
  404       answer 404 with a registry error body
  corrupt   forward the body with one byte flipped in its middle
  truncate  send the headers (full Content-Length) and half the body, then close
  stall     send the headers and half the body, then send nothing more
COUNT: how many matching requests get the fault (-1: all of them).
Prints the listening HOST:PORT on stdout once ready; runs until killed.
Each request is logged to FILE as "METHOD PATH STATUS RANGE FAULT".
"""
import argparse
import http.client
import http.server
import re
import socketserver
import sys
import threading
import time

BLOB = re.compile(r"^/v2/.+/blobs/sha256:[0-9a-f]{64}$")
MANIFEST = re.compile(r"^/v2/.+/manifests/[^/]+$")


class Faults:
    def __init__(self, specs):
        self.lock = threading.Lock()
        self.rules = []
        for s in specs:
            what, mode, count = s.split(":")
            self.rules.append([what, mode, int(count)])

    def take(self, path, size):
        kind = "blob" if BLOB.match(path) else "manifest" if MANIFEST.match(path) else "other"
        with self.lock:
            for r in self.rules:
                if r[0] == "layer" and (kind != "blob" or size is None or size <= 16384):
                    continue
                if r[0] in (kind, "any", "layer") and r[2] != 0:
                    if r[2] > 0:
                        r[2] -= 1
                    return r[1]
        return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def record(self, status, fault):
        if self.server.log:
            with self.server.log_lock, open(self.server.log, "a") as f:
                f.write("%s %s %s %s %s\n" % (self.command, self.path, status,
                                             self.headers.get("Range", "-"), fault or "-"))

    def handle_any(self):
        path = self.path.split("?")[0]
        size = None
        if BLOB.match(path) and self.command == "GET":
            size = self.server.blob_size(path, dict(self.headers.items()))
        fault = self.server.faults.take(path, size) if self.command in ("GET", "HEAD") else None
        if fault == "500" or fault == "404":
            body = b'{"errors":[{"code":"UNKNOWN","message":"injected fault"}]}' if fault == "500" else \
                b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'
            self.send_response(int(fault))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            self.record(fault, fault)
            return
        length = int(self.headers.get("Content-Length", "0") or 0)
        req_body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        up = http.client.HTTPConnection(self.server.upstream, timeout=60)
        up.request(self.command, self.path, body=req_body, headers=headers)
        resp = up.getresponse()
        data = resp.read()
        up.close()
        if fault == "corrupt" and len(data) > 0 and resp.status in (200, 206):
            i = len(data) // 2
            data = data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() in ("connection", "transfer-encoding", "content-length", "keep-alive"):
                continue
            if k.lower() == "location" and v.startswith("http://" + self.server.upstream):
                v = "http://%s:%d%s" % (self.server.server_address[0], self.server.server_address[1],
                                        v[len("http://" + self.server.upstream):])
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        if fault in ("truncate", "stall") and resp.status in (200, 206) and len(data) > 1:
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.record(resp.status, fault)
            if fault == "stall":
                while not self.server.stopping:
                    time.sleep(0.2)
            self.close_connection = True
            return
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.record(resp.status, fault)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def blob_size(self, path, headers):
        headers = {k: v for k, v in headers.items() if k.lower() not in ("host", "connection", "range")}
        up = http.client.HTTPConnection(self.upstream, timeout=60)
        up.request("HEAD", path, headers=headers)
        r = up.getresponse()
        r.read()
        up.close()
        return int(r.getheader("Content-Length", "0")) if r.status == 200 else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("upstream")
    ap.add_argument("--fault", action="append", default=[])
    ap.add_argument("--log")
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.upstream = a.upstream
    srv.faults = Faults(a.fault)
    srv.log = a.log
    srv.log_lock = threading.Lock()
    srv.stopping = False
    print("127.0.0.1:%d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    srv.stopping = True


if __name__ == "__main__":
    main()
