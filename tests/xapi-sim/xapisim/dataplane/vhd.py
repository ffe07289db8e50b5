"""VHD dynamic disks (reference §9): a stream writer with vhd-tool's layout and a
streaming reader (dynamic and differencing) that writes blocks into a DiskFile.
Blocking on the given stream/files; no shared state."""

import struct
import uuid

from .errors import DataplaneError

SECTOR = 512
BLOCK = 2 << 20
BAT_OFFSET = 2048
HEADER_OFFSET = 512
UNUSED = 0xFFFFFFFF
FOOTER = struct.Struct(">8sIIQI4sIIQQHBBI I16sB427s".replace(" ", ""))
HEADER = struct.Struct(">8sQQIII I16sII512s192s256s".replace(" ", ""))
DISK_FIXED, DISK_DYNAMIC, DISK_DIFFERENCING = 2, 3, 4


def checksum(raw, field_offset):
    """One's complement of the byte sum, with the 4-byte checksum field taken as 0."""
    total = sum(raw[:field_offset]) + sum(raw[field_offset + 4:])
    return (~total) & 0xFFFFFFFF


def geometry(size):
    """CHS geometry by the VHD specification's algorithm."""
    sectors = min(size // SECTOR, 65535 * 16 * 255)
    if sectors >= 65535 * 16 * 63:
        spt, heads = 255, 16
        cyl_heads = sectors // spt
    else:
        spt = 17
        cyl_heads = sectors // spt
        heads = max(4, (cyl_heads + 1023) // 1024)
        if cyl_heads >= heads * 1024 or heads > 16:
            spt, heads = 31, 16
            cyl_heads = sectors // spt
        if cyl_heads >= heads * 1024:
            spt, heads = 63, 16
            cyl_heads = sectors // spt
    return cyl_heads // heads, heads, spt


def footer(size, disk_type=DISK_DYNAMIC, uid=None, creator=b"caml"):
    cyl, heads, spt = geometry(size)
    uid = uid or uuid.uuid4().bytes
    fields = [b"conectix", 2, 0x00010000, HEADER_OFFSET, 0, creator, 0x00000001, 0,
              size, size, cyl, heads, spt, disk_type, 0, uid, 0, bytes(427)]
    raw = bytearray(FOOTER.pack(*fields))
    struct.pack_into(">I", raw, 64, checksum(raw, 64))
    return bytes(raw)


def dynamic_header(max_entries, parent_uid=bytes(16), parent_name=""):
    name = parent_name.encode("utf-16-be")[:512].ljust(512, b"\0")
    raw = bytearray(HEADER.pack(b"cxsparse", 0xFFFFFFFFFFFFFFFF, BAT_OFFSET, 0x00010000,
                                max_entries, BLOCK, 0, parent_uid, 0, 0, name,
                                bytes(192), bytes(256)))
    struct.pack_into(">I", raw, 36, checksum(raw, 36))
    return bytes(raw)


def bat_bytes(entries):
    raw = struct.pack(">%dI" % len(entries), *entries)
    return raw + b"\xff" * ((-len(raw)) % SECTOR)


def included_blocks(disk):
    """Blocks holding allocated data (xapi: allocated anywhere in the VHD chain),
    found by hopping from one allocated extent to the next."""
    blocks, offset = [], 0
    while offset < disk.size:
        offset = disk.next_data(offset)
        if offset >= disk.size:
            break
        index = offset // BLOCK
        blocks.append(index)
        offset = (index + 1) * BLOCK
    return blocks


def write_vhd(disk, blocks=None, disk_type=DISK_DYNAMIC, uid=None, parent_uid=bytes(16)):
    """Yield the vhd-tool stream of a DiskFile: footer copy, header, zero sector, BAT,
    bitmap (all ones) + 2 MiB data per included block in index order, footer."""
    size = disk.size
    max_entries = (size + BLOCK - 1) // BLOCK
    if blocks is None:
        blocks = included_blocks(disk)
    the_footer = footer(size, disk_type, uid)
    bat = [UNUSED] * max_entries
    table = bat_bytes(bat)
    sector = (BAT_OFFSET + len(table)) // SECTOR
    for index in blocks:
        bat[index] = sector
        sector += 1 + BLOCK // SECTOR
    yield the_footer
    yield dynamic_header(max_entries, parent_uid)
    yield bytes(SECTOR)
    yield bat_bytes(bat)
    bitmap = b"\xff" * SECTOR
    for index in blocks:
        offset = index * BLOCK
        length = min(BLOCK, size - offset)
        data = disk.read(offset, length)
        yield bitmap
        yield data if length == BLOCK else data + bytes(BLOCK - length)
    yield the_footer


class _Cursor:
    """Sequential reader that counts its position and can only skip forward."""

    def __init__(self, stream):
        self.stream_ = stream
        self.pos = 0

    def read(self, n):
        parts, left = [], n
        while left:
            piece = self.stream_.read(min(left, 1 << 20))
            if not piece:
                raise DataplaneError("VDI_IO_ERROR", "premature end of VHD stream")
            parts.append(piece)
            left -= len(piece)
        self.pos += n
        return b"".join(parts)

    def skip_to(self, offset):
        if offset < self.pos:
            raise DataplaneError("VDI_IO_ERROR", "VHD blocks are not in stream order")
        while self.pos < offset:
            self.read(min(offset - self.pos, 1 << 20))


def parse_footer(raw):
    fields = FOOTER.unpack(raw)
    if fields[0] != b"conectix":
        raise DataplaneError("VDI_IO_ERROR", "VHD footer cookie missing")
    if checksum(raw, 64) != fields[14]:
        raise DataplaneError("VDI_IO_ERROR", "VHD footer checksum mismatch")
    return {"data_offset": fields[3], "current_size": fields[9], "disk_type": fields[13],
            "uid": fields[15]}


def parse_header(raw):
    fields = HEADER.unpack(raw)
    if fields[0] != b"cxsparse":
        raise DataplaneError("VDI_IO_ERROR", "VHD dynamic header cookie missing")
    if checksum(raw, 36) != fields[6]:
        raise DataplaneError("VDI_IO_ERROR", "VHD dynamic header checksum mismatch")
    block_size = fields[5]
    if block_size < SECTOR or block_size & (block_size - 1):
        raise DataplaneError("VDI_IO_ERROR", "VHD block size not a power of two")
    return {"table_offset": fields[2], "max_entries": fields[4], "block_size": block_size}


def _write_block(sink, offset, data, bitmap, differencing):
    """Dynamic: the whole block. Differencing: only the sectors marked in the bitmap."""
    end = min(len(data), sink.size - offset)
    if end <= 0:
        return
    if not differencing:
        sink.write(offset, data[:end])
        return
    sector = 0
    sectors = (end + SECTOR - 1) // SECTOR
    while sector < sectors:
        if not bitmap[sector // 8] & (0x80 >> (sector % 8)):
            sector += 1
            continue
        run = sector
        while run < sectors and bitmap[run // 8] & (0x80 >> (run % 8)):
            run += 1
        lo, hi = sector * SECTOR, min(run * SECTOR, end)
        sink.write(offset + lo, data[lo:hi])
        sector = run


def read_vhd(stream, sink):
    """Read a dynamic or differencing VHD stream into sink (write(offset, data), size):
    blocks go to their virtual offsets. Returns the VHD's virtual size."""
    cur = _Cursor(stream)
    info = parse_footer(cur.read(SECTOR))
    if info["disk_type"] not in (DISK_DYNAMIC, DISK_DIFFERENCING):
        raise DataplaneError("VDI_IO_ERROR", "unsupported VHD disk type %d" % info["disk_type"])
    if info["current_size"] > sink.size:
        raise DataplaneError("VDI_IO_ERROR", "VHD virtual size %d larger than the VDI (%d)"
                             % (info["current_size"], sink.size))
    cur.skip_to(info["data_offset"])
    head = parse_header(cur.read(1024))
    block_size = head["block_size"]
    if head["max_entries"] * block_size < info["current_size"]:
        raise DataplaneError("VDI_IO_ERROR", "VHD BAT too small for its size")
    cur.skip_to(head["table_offset"])
    count = head["max_entries"]
    bat = struct.unpack(">%dI" % count, cur.read(count * 4))
    bitmap_len = -(-block_size // SECTOR // 8 // SECTOR) * SECTOR
    differencing = info["disk_type"] == DISK_DIFFERENCING
    for sector, index in sorted((s, i) for i, s in enumerate(bat) if s != UNUSED):
        cur.skip_to(sector * SECTOR)
        bitmap = cur.read(bitmap_len)
        offset = index * block_size
        length = min(block_size, info["current_size"] - offset)
        data = cur.read(block_size)
        if length > 0:
            _write_block(sink, offset, data[:length], bitmap, differencing)
    return info["current_size"]
