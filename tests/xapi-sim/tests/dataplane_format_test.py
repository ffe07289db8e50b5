"""Unit tests of the data plane's formats: V7 tar, ova.xml, XVA writer/reader
(checksums, zero-chunk gaps, keep-alive chunks, compression sniffing) and the VHD
writer/reader, checked against independent readers (tarfile, qemu-img)."""

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from xapisim.dataplane import compression, ovaxml, tarfmt, vhd, xva  # noqa: E402
from xapisim.dataplane.diskio import DiskFile  # noqa: E402
from xapisim.dataplane.errors import DataplaneError  # noqa: E402

MIB = 1 << 20


def make_disk(path, size, extents):
    """Sparse file of `size` bytes with pseudo-random data at the given offsets."""
    with open(path, "wb") as out:
        out.truncate(size)
        for offset, length in extents:
            out.seek(offset)
            out.write(os.urandom(length))


class MemorySink:
    def __init__(self, size):
        self.size = size
        self.data = bytearray(size)
        self.writes = []

    def write(self, offset, data):
        assert offset + len(data) <= self.size
        self.data[offset:offset + len(data)] = data
        self.writes.append((offset, len(data)))


class TempDirCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dataplane-test-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()


class TarTest(unittest.TestCase):
    def test_v7_header_is_read_by_tarfile_and_has_no_ustar_magic(self):
        raw = tarfmt.entry("ova.xml", b"<value/>", mtime=1234) + tarfmt.end_of_archive()
        self.assertEqual(raw[257:262], b"\0" * 5)
        self.assertEqual(raw[156], 0)
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            member = tar.getmembers()[0]
            self.assertEqual((member.name, member.size, member.mode, member.mtime),
                             ("ova.xml", 8, 0o400, 1234))
            self.assertEqual(tar.extractfile(member).read(), b"<value/>")

    def test_reader_rejects_corrupt_header_checksum(self):
        raw = bytearray(tarfmt.header("x", 0))
        raw[0] = ord("y")
        with self.assertRaises(tarfmt.TarFormatError):
            tarfmt.parse_header(bytes(raw))


class OvaXmlTest(unittest.TestCase):
    def test_untyped_strings_and_ints_typed_booleans_round_trip(self):
        value = {"version": {"xapi_major": 1, "hostname": "h&<"},
                 "objects": [{"class": "VM", "id": "Ref:3",
                              "snapshot": {"is_a_template": False, "VCPUs_at_startup": 2,
                                           "tags": [], "memory": 1.5}}]}
        text = ovaxml.dumps(value)
        self.assertIn("<value>1</value>", text)
        self.assertIn("<boolean>0</boolean>", text)
        self.assertIn("h&amp;&lt;", text)
        stamp = ovaxml.dumps({"t": ovaxml.DateText("19700101T00:00:00Z")})
        self.assertIn("<dateTime.iso8601>19700101T00:00:00Z</dateTime.iso8601>", stamp)
        self.assertIsInstance(ovaxml.loads(stamp)["t"], ovaxml.DateText)
        back = ovaxml.loads(text)
        self.assertEqual(back["version"]["xapi_major"], "1")  # untyped: a string
        self.assertIs(back["objects"][0]["snapshot"]["is_a_template"], False)
        self.assertEqual(back["objects"][0]["snapshot"]["tags"], [])


def xva_names(raw):
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        return [(m.name, m.size) for m in tar.getmembers()]


class XvaTest(TempDirCase):
    def export(self, disks, **kw):
        files = {k: DiskFile(v) for k, v in disks.items()}
        try:
            return b"".join(xva.write_xva(b"<value>x</value>", files, mtime=0, **kw))
        finally:
            for f in files.values():
                f.close()

    def import_(self, raw, sizes, force=False):
        sinks = {k: MemorySink(v) for k, v in sizes.items()}
        meta = []

        def on_metadata(value):
            meta.append(value)
            return sinks

        xva.read_xva(io.BytesIO(raw), on_metadata, force)
        return meta[0], sinks

    def test_empty_chunk_xxhash_matches_reference(self):
        self.assertEqual(xva.xxhash_text(b""), "EF46DB3751D8E999")

    def test_zero_chunks_are_skipped_by_counter_gaps_first_and_last_present(self):
        make_disk(self.path("d"), 10 * MIB, [(3 * MIB + 5, 100)])
        raw = self.export({"Ref:7": self.path("d")})
        names = [n for n, _ in xva_names(raw)]
        self.assertEqual(names, ["ova.xml", "Ref:7/00000000", "Ref:7/00000000.xxhash",
                                 "Ref:7/00000003", "Ref:7/00000003.xxhash",
                                 "Ref:7/00000009", "Ref:7/00000009.xxhash"])
        self.assertEqual(raw[-1024:], bytes(1024))
        self.assertNotEqual(raw[-1536:-1024], bytes(512))  # exactly two zero blocks
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            chunk = tar.extractfile("Ref:7/00000003").read()
            digest = tar.extractfile("Ref:7/00000003.xxhash").read()
        self.assertEqual(digest, xva.xxhash_text(chunk).encode())
        self.assertRegex(digest.decode(), "^[0-9A-F]{16}$")
        _, sinks = self.import_(raw, {"Ref:7": 10 * MIB})
        self.assertEqual(bytes(sinks["Ref:7"].data), self.read("d"))

    def test_disks_in_lexicographic_order_and_short_last_chunk(self):
        make_disk(self.path("a"), MIB + 4096, [(0, 10), (MIB, 4096)])
        make_disk(self.path("b"), 2 * MIB, [])
        raw = self.export({"Ref:2": self.path("a"), "Ref:10": self.path("b")})
        names = xva_names(raw)
        self.assertEqual([n for n, _ in names if not n.endswith("xxhash")],
                         ["ova.xml", "Ref:10/00000000", "Ref:10/00000001",
                          "Ref:2/00000000", "Ref:2/00000001"])
        self.assertIn(("Ref:2/00000001", 4096), names)
        _, sinks = self.import_(raw, {"Ref:2": MIB + 4096, "Ref:10": 2 * MIB})
        self.assertEqual(bytes(sinks["Ref:2"].data), self.read("a"))

    def test_keepalive_chunks_keep_offsets_right(self):
        make_disk(self.path("d"), 12 * MIB, [(0, 1), (5 * MIB, MIB), (11 * MIB, 7)])
        ticks = iter(range(0, 10000, 3))  # every clock() call advances 3 s
        raw = self.export({"Ref:1": self.path("d")}, keepalive_seconds=5,
                          clock=lambda: next(ticks))
        sizes = [s for n, s in xva_names(raw) if n.startswith("Ref:1/") and
                 not n.endswith("xxhash")]
        self.assertIn(0, sizes)  # keep-alives were written
        _, sinks = self.import_(raw, {"Ref:1": 12 * MIB})
        self.assertEqual(bytes(sinks["Ref:1"].data), self.read("d"))

    def test_handmade_keepalive_stream_from_reference(self):
        c0, c5 = b"\1" * MIB, b"\2" * MIB
        raw = b"".join([
            tarfmt.entry("ova.xml", b"<value></value>"),
            tarfmt.entry("Ref:1/00000000", c0),
            tarfmt.entry("Ref:1/00000000.xxhash", xva.xxhash_text(c0).encode()),
            tarfmt.entry("Ref:1/00000003", b""),  # 2 zero chunks then a keep-alive
            tarfmt.entry("Ref:1/00000003.xxhash", b"EF46DB3751D8E999"),
            tarfmt.entry("Ref:1/00000006", c5),  # 2 more zero chunks, then offset 5 MiB
            tarfmt.entry("Ref:1/00000006.xxhash", xva.xxhash_text(c5).encode()),
            tarfmt.end_of_archive()])
        _, sinks = self.import_(raw, {"Ref:1": 6 * MIB})
        expected = c0 + bytes(4 * MIB) + c5
        self.assertEqual(bytes(sinks["Ref:1"].data), expected)

    def test_bad_checksum_fails_unless_forced(self):
        make_disk(self.path("d"), MIB, [(0, 100)])
        raw = bytearray(self.export({"Ref:1": self.path("d")}))
        raw[512 * 3 + 10] ^= 0xFF  # inside the first chunk's data
        with self.assertRaises(DataplaneError) as ctx:
            self.import_(bytes(raw), {"Ref:1": MIB})
        self.assertEqual(ctx.exception.code, "IMPORT_ERROR_SOME_CHECKSUMS_FAILED")
        self.import_(bytes(raw), {"Ref:1": MIB}, force=True)

    def test_first_entry_must_be_ova_xml(self):
        raw = tarfmt.entry("Ref:1/00000000", b"x") + tarfmt.end_of_archive()
        with self.assertRaises(DataplaneError) as ctx:
            self.import_(raw, {})
        self.assertEqual(ctx.exception.error_info(),
                         ["IMPORT_ERROR_UNEXPECTED_FILE", "ova.xml", "Ref:1/00000000"])

    def test_truncated_archive_is_premature_eof(self):
        make_disk(self.path("d"), 4 * MIB, [(0, 100), (3 * MIB, 10)])
        raw = self.export({"Ref:1": self.path("d")})
        with self.assertRaises(DataplaneError) as ctx:
            self.import_(raw[:MIB], {"Ref:1": 4 * MIB})
        self.assertEqual(ctx.exception.code, "IMPORT_ERROR_PREMATURE_EOF")

    def test_counters_must_increase(self):
        c = b"\1" * 512
        raw = b"".join([tarfmt.entry("ova.xml", b"<value></value>"),
                        tarfmt.entry("Ref:1/00000001", c),
                        tarfmt.entry("Ref:1/00000001.xxhash", xva.xxhash_text(c).encode()),
                        tarfmt.entry("Ref:1/00000001", c), tarfmt.end_of_archive()])
        with self.assertRaises(DataplaneError) as ctx:
            self.import_(raw, {"Ref:1": MIB})
        self.assertEqual(ctx.exception.code, "IMPORT_ERROR")

    def test_gzip_and_zstd_are_sniffed_and_trailing_garbage_ignored(self):
        make_disk(self.path("d"), 3 * MIB, [(MIB, 3000)])
        plain = self.export({"Ref:1": self.path("d")})
        for method, magic in (("gzip", b"\x1f\x8b"), ("zstd", b"\x28\xb5\x2f\xfd")):
            packed = b"".join(compression.compress_pieces(iter([plain[:5000], plain[5000:]]),
                                                          method))
            self.assertTrue(packed.startswith(magic))
            self.assertLess(len(packed), len(plain) // 10)
            stream = compression.sniff_import_stream(io.BytesIO(packed))
            sinks = {"Ref:1": MemorySink(3 * MIB)}
            xva.read_xva(stream, lambda v: sinks)
            self.assertEqual(bytes(sinks["Ref:1"].data), self.read("d"))
        stream = compression.sniff_import_stream(io.BytesIO(plain + b"junk after the end"))
        xva.read_xva(stream, lambda v: {"Ref:1": MemorySink(3 * MIB)})

    def test_use_compression_values(self):
        self.assertEqual([compression.export_compression(v) for v in
                          ("true", "gzip", "zstd", "false", None, "xz")],
                         ["gzip", "gzip", "zstd", None, None, None])


class VhdTest(TempDirCase):
    def write_vhd(self, src, out_name="out.vhd", **kw):
        with DiskFile(self.path(src)) as disk, open(self.path(out_name), "wb") as out:
            for piece in vhd.write_vhd(disk, **kw):
                out.write(piece)
        return self.read(out_name)

    def qemu_compare(self, raw_name, vhd_name):
        opts = "driver=vpc,force_size_calc=current_size,file.filename=" + self.path(vhd_name)
        return subprocess.run(["qemu-img", "compare", "--image-opts",
                               "driver=raw,file.filename=" + self.path(raw_name), opts],
                              capture_output=True, text=True)

    def test_layout_checksums_and_qemu_reads_it_equal(self):
        make_disk(self.path("d"), 9 * MIB, [(0, 10), (4 * MIB + 3, 5000), (9 * MIB - 1, 1)])
        raw = self.write_vhd("d")
        blocks = 3  # blocks 0, 2 and 4 (the last, partial)
        self.assertEqual(len(raw), 2048 + 512 + blocks * (512 + 2 * MIB) + 512)
        self.assertEqual(raw[:512], raw[-512:])
        self.assertEqual(raw[0:8], b"conectix")
        self.assertEqual(raw[28:32], b"caml")
        self.assertEqual(raw[512:520], b"cxsparse")
        self.assertEqual(raw[1536:2048], bytes(512))
        self.assertEqual(vhd.checksum(raw[:512], 64), int.from_bytes(raw[64:68], "big"))
        self.assertEqual(vhd.checksum(raw[512:1536], 36),
                         int.from_bytes(raw[548:552], "big"))
        bat = [int.from_bytes(raw[2048 + 4 * i:2052 + 4 * i], "big") for i in range(5)]
        first = (2048 + 512) // 512
        step = 1 + 4096
        self.assertEqual(bat, [first, 0xFFFFFFFF, first + step, 0xFFFFFFFF, first + 2 * step])
        self.assertEqual(raw[2048 + 20:2560], b"\xff" * (512 - 20))
        self.assertEqual(raw[first * 512:first * 512 + 512], b"\xff" * 512)
        result = self.qemu_compare("d", "out.vhd")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_qemu_detects_a_difference(self):
        make_disk(self.path("d"), 4 * MIB, [(0, 10)])
        self.write_vhd("d")
        with open(self.path("d"), "r+b") as f:
            f.seek(3 * MIB)
            f.write(b"changed")
        self.assertEqual(self.qemu_compare("d", "out.vhd").returncode, 1)

    def test_reader_round_trip_and_reads_qemu_made_vhd(self):
        make_disk(self.path("d"), 6 * MIB, [(MIB, 3 * MIB)])
        self.write_vhd("d")
        sink = MemorySink(6 * MIB)
        vhd.read_vhd(io.BytesIO(self.read("out.vhd")), sink)
        self.assertEqual(bytes(sink.data), self.read("d"))
        subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o",
                        "subformat=dynamic,force_size=on", self.path("d"),
                        self.path("q.vhd")], check=True)
        sink = MemorySink(6 * MIB)
        vhd.read_vhd(io.BytesIO(self.read("q.vhd")), sink)
        self.assertEqual(bytes(sink.data), self.read("d"))

    def test_differencing_writes_only_marked_sectors(self):
        make_disk(self.path("d"), 4 * MIB, [(0, 4 * MIB)])
        raw = bytearray(self.write_vhd("d", blocks=[1], disk_type=vhd.DISK_DIFFERENCING))
        block_sector = int.from_bytes(raw[2052:2056], "big")
        bitmap = block_sector * 512
        raw[bitmap:bitmap + 512] = bytes(512)
        raw[bitmap] = 0x40  # only sector 1 of block 1
        sink = MemorySink(4 * MIB)
        sink.data[:] = b"\7" * (4 * MIB)
        vhd.read_vhd(io.BytesIO(bytes(raw)), sink)
        src = self.read("d")
        expected = bytearray(b"\7" * (4 * MIB))
        expected[2 * MIB + 512:2 * MIB + 1024] = src[2 * MIB + 512:2 * MIB + 1024]
        self.assertEqual(bytes(sink.data), bytes(expected))

    def test_bad_checksum_and_too_small_target_are_refused(self):
        make_disk(self.path("d"), 4 * MIB, [(0, 10)])
        raw = bytearray(self.write_vhd("d"))
        with self.assertRaises(DataplaneError):
            vhd.read_vhd(io.BytesIO(bytes(raw)), MemorySink(2 * MIB))
        raw[40] ^= 1
        with self.assertRaises(DataplaneError) as ctx:
            vhd.read_vhd(io.BytesIO(bytes(raw)), MemorySink(4 * MIB))
        self.assertIn("checksum", ctx.exception.params[0])

    def test_geometry_matches_spec_examples(self):
        self.assertEqual(vhd.geometry(10 << 30), (20805, 16, 63))
        self.assertEqual(vhd.geometry(64 * MIB), (963, 8, 17))


if __name__ == "__main__":
    unittest.main()
