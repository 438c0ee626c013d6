#!/usr/bin/env python3
"""The lab's app server: every request answers JSON about what reached it, so probes can see the path a
request took (which app, which Host, which scheme and client address the proxies passed on)."""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

INSTANCE = os.environ.get("APP_NAME", "app")
PORT = int(os.environ.get("APP_PORT", "8070"))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lab-app"

    def answer(self):
        if self.path == "/health":
            body, status = b"ok\n", 200
            ctype = "text/plain"
        else:
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
    ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
