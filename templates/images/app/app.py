#!/usr/bin/env python3
"""The lab's app server: every request answers JSON about what reached it, so probes can see the path a
request took (which app, which Host, which scheme and client address the proxies passed on).

Faults for exercises and graders (`lab fault appN ...` writes FAULT_FILE):
  unhealthy   GET /health answers 503, every other path keeps answering 200 (a health check that looks
              at the wrong path cannot tell);
  slow <ms>   every answer waits <ms> first.
GET /slow?ms=N (or any path ending in /slow, e.g. /leastconn/slow?ms=N behind a path-routing frontend)
holds the connection N ms (at most 60 s) before answering, so leastconn can be seen;
&by=IP:MS,IP:MS holds a request whose X-Real-IP is IP for MS instead."""
import json
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

INSTANCE = os.environ.get("APP_NAME", "app")
PORT = int(os.environ.get("APP_PORT", "8070"))
FAULT_FILE = "/run/lab-fault"


def fault():
    try:
        with open(FAULT_FILE) as f:
            words = f.read().split()
    except OSError:
        return None, 0
    if not words:
        return None, 0
    if words[0] == "slow" and len(words) > 1 and words[1].isdigit():
        return "slow", int(words[1])
    return words[0], 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lab-app"

    def answer(self):
        kind, delay_ms = fault()
        if kind == "slow":
            time.sleep(min(delay_ms, 60000) / 1000.0)
        url = urlsplit(self.path)
        if url.path == "/health":
            if kind == "unhealthy":
                body, status = b"unhealthy (lab fault)\n", 503
            else:
                body, status = b"ok\n", 200
            ctype = "text/plain"
        else:
            if url.path == "/slow" or url.path.endswith("/slow"):
                query = parse_qs(url.query)
                ms = query.get("ms", ["0"])[0]
                # by=IP:MS,...: another hold for requests that came through the HAProxy node at IP (Nginx
                # passes it as X-Real-IP), so a grader can give each node a hold of its own.
                real = self.headers.get("X-Real-IP")
                for pair in ",".join(query.get("by", [])).split(","):
                    ip, _, v = pair.rpartition(":")
                    if ip and ip == real and v.isdigit():
                        ms = v
                time.sleep(min(int(ms) if ms.isdigit() else 0, 60000) / 1000.0)
            body = json.dumps({
                "app": INSTANCE,
                "host": self.headers.get("Host"),
                "path": self.path,
                "method": self.command,
                "proto": self.headers.get("X-Forwarded-Proto"),
                "xff": self.headers.get("X-Forwarded-For"),
                "realIp": self.headers.get("X-Real-IP"),
                "peer": self.client_address[0],
            }).encode() + b"\n"
            status, ctype = 200, "application/json"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Lab-App", INSTANCE)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = answer

    def log_message(self, fmt, *args):
        print("%s %s" % (self.client_address[0], fmt % args), flush=True)


if __name__ == "__main__":
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
