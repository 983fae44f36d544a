# SPDX-License-Identifier: MIT
"""Misbehaving servers and answers for pam_k6's fault tests, all on loopback.

The TCP-level servers here work below TLS (they never know a token); the
answer functions plug into the stand-in (StandIn.add_raw) and misbehave
after a request has arrived.  Everything is bounded in time and bytes.
"""

import base64
import os
import socket
import struct
import subprocess
import threading
import time

from stand_in import _pump


class _Listener:
    def __init__(self, backlog=16):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self.url = "https://127.0.0.1:%d" % self.port
        self.closing = False
        self.connections = []

    def stop(self):
        self.closing = True
        for conn in self.connections:
            try:
                conn.close()
            except OSError:
                pass
        self.sock.close()

    def _accept_loop(self, handle):
        def loop():
            while not self.closing:
                try:
                    conn, _ = self.sock.accept()
                except OSError:
                    return
                self.connections.append(conn)
                threading.Thread(target=handle, args=(conn,), daemon=True).start()
        threading.Thread(target=loop, daemon=True).start()
        return self


class SilentServer(_Listener):
    """Accepts and then says nothing at all, not even a TLS hello."""

    def start(self):
        return self._accept_loop(lambda conn: None)


class HandshakeCloser(_Listener):
    """Reads the TLS ClientHello, then hangs up."""

    def start(self):
        def handle(conn):
            conn.recv(4096)
            conn.close()
        return self._accept_loop(handle)


class FullBacklog(_Listener):
    """Listens but never accepts, with its queue already full: new SYNs are
    dropped, so only the client's connect timeout can end the wait."""

    def __init__(self):
        super().__init__(backlog=0)
        self.fillers = []

    def start(self):
        for _ in range(8):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", self.port))
            except BlockingIOError:
                pass
            self.fillers.append(s)
        time.sleep(0.2)
        return self

    def stop(self):
        for s in self.fillers:
            s.close()
        super().stop()


class ResetRelay(_Listener):
    """Relays the TLS handshake to a real server, then resets the client's
    connection right after the server's first flight: the client's next
    write meets a dead socket, which raises SIGPIPE unless it is guarded
    (or written with MSG_NOSIGNAL, as libcurl's own writes are)."""

    def __init__(self, upstream_port):
        super().__init__()
        self.upstream_port = upstream_port

    def start(self):
        def handle(conn):
            with socket.create_connection(("127.0.0.1", self.upstream_port)) as up:
                hello = conn.recv(65536)
                up.sendall(hello)
                flight = up.recv(65536)
                conn.sendall(flight)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
        return self._accept_loop(handle)


class SlowRelay(_Listener):
    """Relays every connection to a real server whole, but only after
    `delay` seconds: each TLS handshake through it starts that late."""

    def __init__(self, upstream_port, delay):
        super().__init__()
        self.upstream_port = upstream_port
        self.delay = delay
        self.accepted = 0

    def start(self):
        def handle(conn):
            self.accepted += 1
            time.sleep(self.delay)
            try:
                up = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                return
            with up:
                pump = threading.Thread(target=_pump, args=(up, conn), daemon=True)
                pump.start()
                _pump(conn, up)
                pump.join(5)
        return self._accept_loop(handle)


# --- answers that misbehave after the request, for StandIn.add_raw -------------

def _hang_up(handler):
    handler.close_connection = True
    try:
        handler.request.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def close_mid_headers(handler):
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: appl")
    _hang_up(handler)


def close_mid_body(handler):
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 100\r\n\r\n{\"stack_id\": 1")
    _hang_up(handler)


def answer_then_reset(handler):
    """A whole 200 that keeps the connection open (HTTP/1.1 without
    "Connection: close"), and then a reset (RST, no close_notify): the
    client holds a dead connection, and a TLS alert written to it when the
    connection is closed meets a reset socket."""
    body = b'{"stack_id": 12345, "default_project_id": 67890}'
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    handler.close_connection = True
    handler.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # The file objects hold the socket open; closed first, close() is at once.
    handler.wfile.close()
    handler.rfile.close()
    handler.request.close()


def slow_body(seconds):
    """A valid answer, one byte a second: only the total timeout ends it."""
    body = b'{"stack_id": 12345, "default_project_id": 67890}'

    def answer(handler):
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            b"Content-Length: %d\r\n\r\n" % len(body))
        try:
            for i in range(min(seconds, len(body))):
                handler.wfile.write(body[i:i + 1])
                time.sleep(1)
        except OSError:
            pass
        _hang_up(handler)
    return answer


def huge_body(total, chunked, sent):
    """Up to `total` bytes of padding inside a JSON string; `sent` is a list
    that receives how many bytes actually left before the client gave up."""

    def answer(handler):
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        head += b"Transfer-Encoding: chunked\r\n\r\n" if chunked else (
            b"Content-Length: %d\r\n\r\n" % total)
        count = 0
        try:
            handler.wfile.write(head)
            piece = b"a" * 65536
            while count < total:
                data = piece if not chunked else b"%x\r\n%s\r\n" % (len(piece), piece)
                handler.wfile.write(data)
                count += len(piece)
        except OSError:
            pass
        sent.append(count)
        _hang_up(handler)
    return answer


# --- certificates ----------------------------------------------------------------

CA_CONFIG = """\
[ca]
default_ca = test
[test]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
unique_subject = no
x509_extensions = server
[any]
commonName = supplied
[server]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
"""


def expired_certificate(pki, ca):
    """A certificate for 127.0.0.1 from the run's CA that expired in 2020."""
    def run(*args):
        subprocess.run(["openssl"] + list(args), cwd=pki.dir, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    with open(pki.path("ca.cnf"), "w") as f:
        f.write(CA_CONFIG)
    open(pki.path("index.txt"), "w").close()
    with open(pki.path("serial"), "w") as f:
        f.write("1000\n")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "expired.key", "-out", "expired.csr", "-subj", "/CN=expired")
    run("ca", "-batch", "-config", "ca.cnf", "-cert", ca + ".pem", "-keyfile", ca + ".key",
        "-in", "expired.csr", "-out", "expired.pem",
        "-startdate", "20200101000000Z", "-enddate", "20200102000000Z")
    return pki.path("expired.pem"), pki.path("expired.key")


def public_key_pin(cert):
    """The sha256//BASE64 pin of a certificate's public key, as curl wants it."""
    key = subprocess.run(["openssl", "x509", "-pubkey", "-noout", "-in", cert],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=key,
                         check=True, capture_output=True).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der,
                            check=True, capture_output=True).stdout
    return "sha256//" + base64.b64encode(digest).decode()


def can_unshare_network():
    """Whether a command can run in a network namespace of its own."""
    argv = ["unshare", "-n", "true"] if os.geteuid() == 0 else ["unshare", "-rn", "true"]
    try:
        return subprocess.run(argv, capture_output=True).returncode == 0
    except FileNotFoundError:
        return False
