"""Old-style (V7) tar headers as xapi writes them in XVA archives, and a
streaming reader of such archives. Pure functions over bytes / file-like objects;
no threads, blocking only on the given stream."""

BLOCK = 512


def _octal(value, width):
    """width-1 octal digits then NUL, as V7 tar numbers are written."""
    digits = format(value, "o").rjust(width - 1, "0")
    if len(digits) > width - 1:
        raise ValueError("tar field overflow: %d" % value)
    return digits.encode("ascii") + b"\0"


def header(name, size, mtime=0):
    """One 512-byte V7 header: no ustar magic, typeflag NUL, mode 0400, uid/gid 0."""
    raw_name = name.encode("utf-8")
    if len(raw_name) > 100:
        raise ValueError("tar name longer than 100 bytes: %r" % name)
    block = bytearray(BLOCK)
    block[0:len(raw_name)] = raw_name
    block[100:108] = _octal(0o400, 8)
    block[108:116] = _octal(0, 8)
    block[116:124] = _octal(0, 8)
    block[124:136] = _octal(size, 12)
    block[136:148] = _octal(int(mtime), 12)
    block[148:156] = b" " * 8
    block[156] = 0  # typeflag NUL: regular file (pre-POSIX)
    checksum = sum(block)
    block[148:156] = format(checksum, "o").rjust(6, "0").encode("ascii") + b"\0 "
    return bytes(block)


def padding(size):
    """Zero bytes that pad an entry of `size` bytes to a whole block."""
    return b"\0" * ((-size) % BLOCK)


def entry(name, data, mtime=0):
    """Header + data + padding for a small in-memory file."""
    return header(name, len(data), mtime) + data + padding(len(data))


def end_of_archive():
    """Two zero blocks, no padding to a record (xapi's trailer)."""
    return b"\0" * (2 * BLOCK)


class TarFormatError(Exception):
    pass


class TarPrematureEof(TarFormatError):
    pass


def read_exact(stream, n):
    """Read exactly n bytes, or raise TarPrematureEof."""
    parts = []
    left = n
    while left > 0:
        piece = stream.read(left)
        if not piece:
            raise TarPrematureEof("stream ended %d bytes early" % left)
        parts.append(piece)
        left -= len(piece)
    return b"".join(parts)


def _parse_number(field):
    text = field.split(b"\0", 1)[0].strip(b" ")
    if not text:
        return 0
    if field[0] & 0x80:  # GNU base-256 encoding for large sizes
        value = int.from_bytes(field[1:], "big")
        return value
    return int(text, 8)


def parse_header(block):
    """(name, size) of a header block, None for a zero block (end of archive)."""
    if block == b"\0" * BLOCK:
        return None
    stored = _parse_number(block[148:156])
    computed = sum(block[:148]) + 8 * 32 + sum(block[156:])
    if stored != computed:
        raise TarFormatError("bad tar header checksum")
    name = block[0:100].split(b"\0", 1)[0].decode("utf-8")
    if block[257:262] == b"ustar":
        prefix = block[345:500].split(b"\0", 1)[0].decode("utf-8")
        if prefix:
            name = prefix + "/" + name
    return name, _parse_number(block[124:136])


def iter_entries(stream):
    """Yield (name, size, read_body) for each entry; read_body() returns the data and
    must be called (or the entry is skipped) before advancing. Stops at the first zero
    block, so a connection cut after the end of the archive is harmless."""
    while True:
        name_size = parse_header(read_exact(stream, BLOCK))
        if name_size is None:
            return
        name, size = name_size
        state = {"done": False}

        def read_body(size=size, state=state):
            data = read_exact(stream, size)
            read_exact(stream, (-size) % BLOCK)
            state["done"] = True
            return data

        yield name, size, read_body
        if not state["done"]:
            read_body()
