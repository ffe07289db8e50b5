"""A minimal WebSocket client (RFC 6455) for the console tests: the upgrade request over
a plain socket, masked binary frames out, frames in, close. Only what the tests need."""
import base64
import hashlib
import os
import socket
import struct

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WsClient:
    def __init__(self, port, path, headers=None, protocols=("binary",), timeout=15):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.key = base64.b64encode(os.urandom(16)).decode()
        h = {"Host": "127.0.0.1:%d" % port, "Upgrade": "websocket", "Connection": "Upgrade",
             "Sec-WebSocket-Key": self.key, "Sec-WebSocket-Version": "13"}
        if protocols:
            h["Sec-WebSocket-Protocol"] = ", ".join(protocols)
        h.update(headers or {})
        lines = ["GET %s HTTP/1.1" % path] + ["%s: %s" % kv for kv in h.items() if kv[1] is not None]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buf = b""
        head = self._until(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split(" ")[1])
        self.headers = {}
        for line in header_lines:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        self.body = b""
        if self.status != 101:
            n = int(self.headers.get("content-length", "0"))
            while len(self.buf) < n and self._fill():
                pass
            self.body = self.buf[:n]
        self.data = b""  # binary payload bytes not yet consumed by recv()
        self.closed_with = None  # (code, reason) of the server's close frame

    def expected_accept(self):
        return base64.b64encode(hashlib.sha1(self.key.encode() + GUID).digest()).decode()

    def _fill(self):
        chunk = self.sock.recv(65536)
        self.buf += chunk
        return bool(chunk)

    def _until(self, marker):
        while marker not in self.buf:
            if not self._fill():
                raise ConnectionError("closed before %r" % marker)
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i - len(marker)], self.buf[i:]
        return out

    def _take(self, n):
        while len(self.buf) < n:
            if not self._fill():
                raise ConnectionError("closed in a frame")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def frame(self):
        """(opcode, payload) of the next server frame; server frames must not be masked."""
        b0, b1 = self._take(2)
        if b1 & 0x80:
            raise AssertionError("server frame is masked")
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack(">H", self._take(2))
        elif n == 127:
            (n,) = struct.unpack(">Q", self._take(8))
        return b0 & 0x0F, self._take(n)

    def recv(self, n):
        """Up to n console bytes (binary frames' payloads); b"" once the server closed."""
        while not self.data:
            if self.closed_with is not None:
                return b""
            op, payload = self.frame()
            if op == 2:
                self.data += payload
            elif op == 8:
                code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                self.closed_with = (code, payload[2:].decode())
        out, self.data = self.data[:n], self.data[n:]
        return out

    def sendall(self, data):
        self.send_frame(2, data)

    def close(self, code=1000):
        self.send_frame(8, struct.pack(">H", code))

    def wait_close(self):
        """Reads until the server's close frame; returns (code, reason)."""
        while self.closed_with is None:
            self.data = b""
            self.recv(1 << 20)
        return self.closed_with

    def eof(self, timeout=5):
        self.sock.settimeout(timeout)
        try:
            return self.buf == b"" and self.sock.recv(1) == b""
        except socket.timeout:
            return False

    def shutdown(self):
        try:
            self.sock.close()
        except OSError:
            pass
