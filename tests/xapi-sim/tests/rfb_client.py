"""A small RFB 3.8 client (RFC 6143) for the console tests: version, security None,
ClientInit, ServerInit, SetPixelFormat (noVNC's: 32 bpp little-endian, red shift 0),
one FramebufferUpdateRequest, one raw FramebufferUpdate read back. `recv(n)` and `send(b)`
are the transport (a socket, or a WebSocket's binary frames)."""
import struct


class RfbError(Exception):
    pass


class RfbClient:
    def __init__(self, recv, send):
        self.recv_, self.send_ = recv, send
        self.width = self.height = 0
        self.name = ""

    def read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.recv_(n - len(data))
            if not chunk:
                raise RfbError("connection closed after %d of %d bytes" % (len(data), n))
            data += chunk
        return data

    def handshake(self):
        version = self.read(12)
        if version != b"RFB 003.008\n":
            raise RfbError("server version %r" % version)
        self.send_(b"RFB 003.008\n")
        count = self.read(1)[0]
        types = self.read(count)
        if 1 not in types:
            raise RfbError("no None security type in %r" % types)
        self.send_(b"\x01")
        if struct.unpack(">I", self.read(4))[0] != 0:
            raise RfbError("security failed")
        self.send_(b"\x01")  # shared
        self.width, self.height = struct.unpack(">HH", self.read(4))
        self.read(16)
        (length,) = struct.unpack(">I", self.read(4))
        self.name = self.read(length).decode("utf-8")
        # noVNC's pixel format: 32 bpp, depth 24, little-endian, true colour, shifts 0/8/16.
        self.send_(struct.pack(">B3xBBBBHHHBBB3x", 0, 32, 24, 0, 1, 255, 255, 255, 0, 8, 16))
        self.send_(struct.pack(">BxHi", 2, 1, 0))  # SetEncodings: Raw

    def framebuffer(self):
        """Requests the whole screen; returns the raw pixels (width*height*4 bytes)."""
        self.send_(struct.pack(">BBHHHH", 3, 0, 0, 0, self.width, self.height))
        kind, count = struct.unpack(">BxH", self.read(4))
        if kind != 0 or count != 1:
            raise RfbError("expected one FramebufferUpdate rectangle, got type %d count %d" % (kind, count))
        x, y, w, h, enc = struct.unpack(">HHHHi", self.read(12))
        if (x, y, w, h, enc) != (0, 0, self.width, self.height, 0):
            raise RfbError("unexpected rectangle %r" % ((x, y, w, h, enc),))
        return self.read(w * h * 4)

    def pixel(self, pixels, x, y):
        """(r, g, b) at (x, y) in the format set above."""
        off = (y * self.width + x) * 4
        return pixels[off], pixels[off + 1], pixels[off + 2]
