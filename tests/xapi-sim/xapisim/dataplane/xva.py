"""XVA archives (reference §8): a streaming writer (generator of byte pieces) and a
streaming reader that verifies checksums and writes disk data to DiskFile-like sinks.
Run on the request thread; blocking only on the given stream and files."""

import hashlib
import time

import xxhash

from . import tarfmt
from .diskio import is_zero
from .errors import DataplaneError

CHUNK = 1 << 20
KEEPALIVE_SECONDS = 5.0


def xxhash_text(data):
    return xxhash.xxh64(data, seed=0).hexdigest().upper()


def _chunk_files(disk_id, counter, data):
    stem = "%s/%08d" % (disk_id, counter)
    return (tarfmt.entry(stem, data)
            + tarfmt.entry(stem + ".xxhash", xxhash_text(data).encode("ascii")))


def _disk_pieces(disk_id, disk, keepalive_seconds, clock):
    """Chunk files of one disk: zero chunks skipped by counter gaps (not the first nor
    the last), a zero-length keep-alive chunk after keepalive_seconds of silence."""
    size = disk.size
    count = max(1, (size + CHUNK - 1) // CHUNK)
    last_counter = -1
    pending = 0
    last_emit = clock()
    data_at = 0  # no allocated byte before this offset (saves a syscall per hole chunk)
    for index in range(count):
        offset = index * CHUNK
        length = min(CHUNK, size - offset)
        edge = index == 0 or index == count - 1
        if data_at < offset + length and data_at <= offset:
            data_at = disk.next_data(offset)
        data = None
        if edge or data_at < offset + length:
            data = disk.read(offset, length)
        if not edge and (data is None or is_zero(data)):
            pending += 1
            if clock() - last_emit >= keepalive_seconds:
                last_counter += pending + 1
                pending = 0
                last_emit = clock()
                yield _chunk_files(disk_id, last_counter, b"")
            continue
        last_counter += pending + 1
        pending = 0
        last_emit = clock()
        yield _chunk_files(disk_id, last_counter, data)


def disk_sort_key(disk_id):
    return disk_id  # lexicographic, so Ref:10 comes before Ref:2 as in xapi


def write_xva(ova_xml, disks, mtime=None, keepalive_seconds=KEEPALIVE_SECONDS,
              clock=time.monotonic):
    """Yield the uncompressed XVA: ova.xml (bytes or str), then each disk of the
    {disk_id: DiskFile} map in lexicographic id order, then two zero blocks."""
    if isinstance(ova_xml, str):
        ova_xml = ova_xml.encode("utf-8")
    yield tarfmt.entry("ova.xml", ova_xml, time.time() if mtime is None else mtime)
    for disk_id in sorted(disks, key=disk_sort_key):
        yield from _disk_pieces(disk_id, disks[disk_id], keepalive_seconds, clock)
    yield tarfmt.end_of_archive()


class _DiskState:
    def __init__(self, sink):
        self.sink = sink
        self.offset = 0
        self.last_counter = -1
        self.first_length = None
        self.pending = None  # (counter, data) awaiting its checksum file


def _split_name(name):
    disk_id, sep, leaf = name.rpartition("/")
    if not sep:
        raise DataplaneError("IMPORT_ERROR", "unexpected file in archive: %s" % name)
    stem, dot, ext = leaf.partition(".")
    if not stem.isdigit():
        raise DataplaneError("IMPORT_ERROR", "unexpected file in archive: %s" % name)
    return disk_id, int(stem), ext


class XvaReader:
    """Parses an uncompressed XVA from `stream`. on_metadata(ova_value) must return
    {disk_id: sink} where sink has write(offset, bytes) and size."""

    def __init__(self, stream, on_metadata, force=False):
        self.stream_ = stream
        self.on_metadata_ = on_metadata
        self.force_ = force
        self.disks_ = {}
        self.bad_checksums_ = []
        self.seen_ = set()

    def run(self):
        from . import ovaxml
        try:
            entries = tarfmt.iter_entries(self.stream_)
            first = next(entries, None)
            if first is None:
                raise DataplaneError("IMPORT_ERROR_PREMATURE_EOF")
            name, _, read_body = first
            if name != "ova.xml":
                raise DataplaneError("IMPORT_ERROR_UNEXPECTED_FILE", "ova.xml", name)
            try:
                value = ovaxml.loads(read_body())
            except ValueError as err:
                raise DataplaneError("IMPORT_ERROR", "cannot parse ova.xml: %s" % err)
            sinks = self.on_metadata_(value) or {}
            self.disks_ = {k: _DiskState(v) for k, v in sinks.items()}
            for name, size, read_body in entries:
                self._entry(name, read_body)
        except tarfmt.TarPrematureEof:
            raise DataplaneError("IMPORT_ERROR_PREMATURE_EOF")
        except tarfmt.TarFormatError as err:
            raise DataplaneError("IMPORT_ERROR", str(err))
        self._finish()

    def _entry(self, name, read_body):
        if "/" not in name:
            return  # e.g. the legacy checksum table of export_vsn < 2
        disk_id, counter, ext = _split_name(name)
        state = self.disks_.get(disk_id)
        if state is None:
            raise DataplaneError("IMPORT_ERROR_FAILED_TO_FIND_OBJECT", disk_id)
        data = read_body()
        if ext in ("xxhash", "checksum"):
            self._checksum(name, state, counter, ext, data)
        elif ext == "":
            self._chunk(name, state, counter, data)
        else:
            raise DataplaneError("IMPORT_ERROR", "unexpected file in archive: %s" % name)

    def _chunk(self, name, state, counter, data):
        if counter <= state.last_counter:
            raise DataplaneError("IMPORT_ERROR",
                                 "chunk counters not increasing: %s" % name)
        if state.first_length is None:
            state.first_length = len(data)
        skipped = counter - state.last_counter - 1
        state.offset += skipped * state.first_length
        room = max(0, state.sink.size - state.offset)
        if len(data) > room and not is_zero(data[room:]):
            raise DataplaneError("IMPORT_ERROR", "disk data beyond virtual size in %s" % name)
        if room and data:
            state.sink.write(state.offset, data[:room] if len(data) > room else data)
        state.offset += len(data)
        state.last_counter = counter
        state.pending = (counter, data)

    def _checksum(self, name, state, counter, ext, text):
        if state.pending is None or state.pending[0] != counter:
            raise DataplaneError("IMPORT_ERROR", "checksum without chunk: %s" % name)
        data = state.pending[1]
        state.pending = None
        if ext == "xxhash":
            expected = xxhash_text(data)
        else:
            expected = hashlib.sha1(data).hexdigest()
        if text.decode("ascii", "replace").strip().lower() != expected.lower():
            self.bad_checksums_.append(name)

    def _finish(self):
        if self.bad_checksums_ and not self.force_:
            raise DataplaneError("IMPORT_ERROR_SOME_CHECKSUMS_FAILED")
        for disk_id, state in self.disks_.items():
            if state.last_counter >= 0 and state.offset < state.sink.size:
                raise DataplaneError("IMPORT_ERROR_PREMATURE_EOF")


def read_xva(stream, on_metadata, force=False):
    XvaReader(stream, on_metadata, force).run()
