"""Whole-stream compression of exports (gzip, zstd) and input sniffing for imports
(plain tar / zstd magic / gzip). Stream adapters; blocking on the wrapped stream."""

import zlib

import zstandard

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"


def export_compression(query_value):
    """xapi: use_compression=true|gzip → gzip, zstd → zstd, anything else → none."""
    value = (query_value or "").lower()
    if value in ("true", "gzip"):
        return "gzip"
    if value == "zstd":
        return "zstd"
    return None


def compress_pieces(pieces, method):
    """Re-yield byte pieces compressed as one gzip or zstd stream (or unchanged)."""
    if method is None:
        yield from pieces
        return
    if method == "gzip":
        comp = zlib.compressobj(1, zlib.DEFLATED, 31)  # speed over ratio, like a busy host
        finish = comp.flush
    else:
        comp = zstandard.ZstdCompressor(level=3).compressobj()
        finish = comp.flush
    for piece in pieces:
        out = comp.compress(piece)
        if out:
            yield out
    yield finish()


class PrefixedStream:
    """A read()-able stream that first returns `prefix`, then reads from `inner`."""

    def __init__(self, prefix, inner):
        self.prefix_ = prefix
        self.inner_ = inner

    def read(self, n=-1):
        if self.prefix_:
            if n < 0 or n >= len(self.prefix_):
                out, self.prefix_ = self.prefix_, b""
                if n < 0:
                    return out + self.inner_.read()
                return out
            out, self.prefix_ = self.prefix_[:n], self.prefix_[n:]
            return out
        return self.inner_.read(n)


class GzipReader:
    """Streaming gzip decoder over a non-seekable stream (concatenated members too)."""

    def __init__(self, inner):
        self.inner_ = inner
        self.dec_ = zlib.decompressobj(31)
        self.buf_ = bytearray()
        self.pos_ = 0
        self.eof_ = False

    def _fill(self):
        raw = self.dec_.unconsumed_tail or self.inner_.read(65536)
        if not raw:
            self.eof_ = True
            return
        if self.pos_:
            del self.buf_[:self.pos_]
            self.pos_ = 0
        self.buf_ += self.dec_.decompress(raw, 1 << 20)
        if self.dec_.eof:
            rest = self.dec_.unused_data
            self.dec_ = zlib.decompressobj(31)
            if rest:
                self.buf_ += self.dec_.decompress(rest, 1 << 20)

    def read(self, n=-1):
        while not self.eof_ and (n < 0 or len(self.buf_) - self.pos_ < n):
            self._fill()
        end = len(self.buf_) if n < 0 else min(len(self.buf_), self.pos_ + n)
        out = bytes(self.buf_[self.pos_:end])
        self.pos_ = end
        return out


def sniff_import_stream(stream):
    """Return a stream of the plain tar: zstd and gzip are recognised by their magic,
    anything else is taken as a plain tar (whose first entry must be ova.xml)."""
    head = b""
    while len(head) < 4:
        piece = stream.read(4 - len(head))
        if not piece:
            break
        head += piece
    whole = PrefixedStream(head, stream)
    if head.startswith(ZSTD_MAGIC):
        return zstandard.ZstdDecompressor().stream_reader(whole, read_across_frames=True)
    if head.startswith(GZIP_MAGIC):
        return GzipReader(whole)
    return whole
