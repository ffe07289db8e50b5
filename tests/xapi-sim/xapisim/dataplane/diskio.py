"""Sparse disk files: find allocated ranges, read chunks, write without filling holes.
Blocking file I/O on the caller's thread; one DiskFile per open file descriptor."""

import errno
import os

ZERO_MIB = bytes(1 << 20)


def is_zero(data):
    if len(data) == len(ZERO_MIB):
        return data == ZERO_MIB
    return data.count(0) == len(data)


class DiskFile:
    """A VDI's backing file of virtual_size bytes, opened for reading or read/write."""

    def __init__(self, path, virtual_size=None, writable=False):
        self.path = path
        self.fd_ = os.open(path, os.O_RDWR if writable else os.O_RDONLY)
        self.size = os.fstat(self.fd_).st_size if virtual_size is None else int(virtual_size)

    def close(self):
        if self.fd_ >= 0:
            os.close(self.fd_)
            self.fd_ = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def read(self, offset, length):
        """Bytes [offset, offset+length), zero-filled past the end of the file."""
        data = os.pread(self.fd_, length, offset)
        if len(data) < length:
            data += bytes(length - len(data))
        return data

    def next_data(self, offset):
        """Offset of the first allocated byte at or after `offset` (the file size when
        only holes follow; `offset` itself if the file system cannot tell)."""
        try:
            return os.lseek(self.fd_, offset, os.SEEK_DATA)
        except OSError as err:
            return self.size if err.errno == errno.ENXIO else offset

    def has_data(self, offset, length):
        """False when [offset, offset+length) lies entirely in a hole (no read needed)."""
        return self.next_data(offset) < offset + length

    def write(self, offset, data):
        """Write data at offset; all-zero data over a hole is skipped to keep it sparse."""
        if offset + len(data) > self.size:
            raise OSError(errno.ENOSPC, "write past the end of the virtual disk")
        if is_zero(data):
            if not self.has_data(offset, len(data)) or is_zero(self.read(offset, len(data))):
                return
        view = memoryview(data)
        while view:
            written = os.pwrite(self.fd_, view, offset)
            view = view[written:]
            offset += written
