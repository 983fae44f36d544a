#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A stand-in for the k6 API's GET /cloud/v6/auth, over HTTPS on loopback.

It answers the way the real endpoint does: 200 with stack_id and
default_project_id for a token that may use the stack named in X-Stack-Url,
403 for a known token and another stack, 401 for anything else.  Every
request is recorded, so tests can check what reached the network and what
did not.  A token may instead be given a canned answer (status, body) or a
function that writes raw bytes, for the tests of bad answers.

Run as a script it serves until interrupted (the demo does this):

    stand_in.py --cert C --key K --accounts FILE [--port N] [--keep-alive]

where FILE holds lines "TOKEN STACK_URL STACK_ID PROJECT_ID".
"""

import argparse
import http
import http.server
import json
import os
import socket
import ssl
import sys
import threading

AUTH_PATH = "/cloud/v6/auth"


class Account:
    def __init__(self, stack_url, stack_id, project_id):
        self.stack_url = stack_url
        self.stack_id = stack_id
        self.project_id = project_id


def error_body(message, code="error"):
    return json.dumps({"error": {"code": code, "message": message,
                                 "details": None, "target": None}}).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "k6-stand-in"
    sys_version = ""
    # Unbuffered: each reply leaves in one write, see respond().
    wbufsize = 0

    def setup(self):
        super().setup()
        # Headers and body go out in one segment; no Nagle delay either way.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.stand_in.connected()

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("stand-in: " + (fmt % args) + "\n")

    def respond(self, status, body=b"", headers=()):
        try:
            reason = http.HTTPStatus(status).phrase
        except ValueError:
            reason = "Status"
        keep_alive = self.server.stand_in.keep_alive
        head = ["HTTP/1.1 %d %s" % (status, reason),
                "Content-Type: application/json",
                "Content-Length: %d" % len(body)]
        head += [] if keep_alive else ["Connection: close"]
        head += ["%s: %s" % h for h in headers]
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        self.close_connection = not keep_alive

    def record(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.stand_in.record({
            "method": self.command,
            "path": self.path,
            "headers": list(self.headers.items()),
            "body": body,
            "alpn": self.request.selected_alpn_protocol(),
        })

    def do_GET(self):
        self.record()
        self.answer()

    def do_POST(self):
        self.record()
        self.respond(405, error_body("Method not allowed"))

    def answer(self):
        stand_in = self.server.stand_in
        if self.path != AUTH_PATH:
            self.respond(404, error_body("Not found"))
            return
        auth = self.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme != "Bearer" or not token:
            self.respond(401, error_body("Invalid token or authentication scheme."))
            return
        canned = stand_in.canned.get(token)
        if callable(canned):
            canned(self)
            return
        if canned is not None:
            status, body, headers = canned
            self.respond(status, body, headers)
            return
        account = stand_in.accounts.get(token)
        if account is None:
            self.respond(401, error_body("Invalid token or authentication scheme."))
            return
        stack_url = self.headers.get("X-Stack-Url", "")
        if stack_url != account.stack_url:
            self.respond(403, error_body(
                "Stack not found or you don't have access: '%s'" % stack_url))
            return
        self.respond(200, json.dumps({"default_project_id": account.project_id,
                                      "stack_id": account.stack_id}).encode())


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Bursts of logins connect at once; a short queue would drop their SYNs.
    request_queue_size = 128

    def __init__(self, address, stand_in, context, verbose):
        super().__init__(address, Handler)
        self.stand_in = stand_in
        self.verbose = verbose
        # The handshake happens in the request's thread, never in accept():
        # a client that stalls it must not stall the server.
        self.socket = context.wrap_socket(self.socket, server_side=True,
                                          do_handshake_on_connect=False)

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


class StandIn:
    """The stand-in API: start(), then point api_url at .url."""

    def __init__(self, cert, key, host="127.0.0.1", port=0, verbose=False, keep_alive=False,
                 alpn=("http/1.1",)):
        # keep_alive: answer several requests on one connection, as the real
        # API may; by default every answer closes its connection.  alpn: the
        # protocols offered in the TLS handshake, the first the client also
        # offers is chosen ("h2" would choose HTTP/2, which this server does
        # not speak: a client that takes it gets no answer).
        self.keep_alive = keep_alive
        self.accounts = {}
        self.canned = {}
        self.requests = []
        self.connections = 0
        self._lock = threading.Lock()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert, key)
        context.set_alpn_protocols(list(alpn))
        self.context = context  # tests may narrow it before the first connection
        self.server = Server((host, port), self, context, verbose)
        self.port = self.server.server_address[1]
        self.url = "https://%s:%d" % (host, self.port)
        self._thread = None

    def add_account(self, token, stack_url, stack_id, project_id):
        self.accounts[token] = Account(stack_url, stack_id, project_id)

    def add_canned(self, token, status, body=b"", headers=()):
        self.canned[token] = (status, body, tuple(headers))

    def add_raw(self, token, fn):
        """fn(handler) writes whatever it likes to handler.wfile."""
        self.canned[token] = fn

    def record(self, request):
        with self._lock:
            self.requests.append(request)

    def connected(self):
        with self._lock:
            self.connections += 1

    def take_connections(self):
        """Connections accepted since the last call."""
        with self._lock:
            taken, self.connections = self.connections, 0
        return taken

    def take_requests(self):
        with self._lock:
            taken, self.requests = self.requests, []
        return taken

    def start(self):
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class ConnectProxy:
    """An HTTP CONNECT proxy on loopback that tunnels every request to one
    port, whatever host was asked for, and records the targets asked for.

    mode says how it answers, and may change while it runs: "tunnel" (and
    502 when nothing listens on the port), a status code such as 403 or 429
    (a refusal of the CONNECT), "close" (the connection closed at once),
    "close-after-request" (closed once the CONNECT is read), "silent" (the
    CONNECT read and never answered)."""

    def __init__(self, target_port, host="127.0.0.1", mode="tunnel"):
        self.target_port = target_port
        self.targets = []
        self.mode = mode
        self._sock = socket.create_server((host, 0))
        self.port = self._sock.getsockname()[1]
        self.url = "http://%s:%d" % (host, self.port)
        self._closing = False
        self._quiet = threading.Event()

    def start(self):
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def stop(self):
        self._closing = True
        self._quiet.set()
        # A thread in accept() keeps a closed socket listening: wake it first.
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()

    def _serve(self):
        while not self._closing:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(conn,), daemon=True).start()

    def _tunnel(self, conn):
        mode = self.mode
        with conn:
            if mode == "close":
                return
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 8192:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            method, _, rest = request_line.partition(" ")
            self.targets.append(rest.split(" ")[0])
            if mode == "close-after-request":
                return
            if mode == "silent":
                self._quiet.wait(60)
                return
            if mode != "tunnel":
                conn.sendall(b"HTTP/1.1 %d Refused by the stand-in\r\nContent-Length: 0\r\n"
                             b"\r\n" % int(mode))
                return
            if method != "CONNECT":
                conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                # As squid says of a host it cannot reach.
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            with upstream:
                pump = threading.Thread(target=_pump, args=(upstream, conn), daemon=True)
                pump.start()
                _pump(conn, upstream)
                pump.join(5)


def _pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--accounts", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", help="write the port chosen here")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--keep-alive", action="store_true",
                        help="keep connections open between requests")
    args = parser.parse_args()

    stand_in = StandIn(args.cert, args.key, args.host, args.port, args.verbose,
                       args.keep_alive)
    with open(args.accounts) as f:
        for line in f:
            fields = line.split()
            if len(fields) == 4 and not line.startswith("#"):
                stand_in.add_account(fields[0], fields[1], int(fields[2]), int(fields[3]))
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % stand_in.port)
        os.rename(args.port_file + ".tmp", args.port_file)
    try:
        stand_in.server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
