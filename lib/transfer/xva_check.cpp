#include "transfer/xva_check.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <memory>

#include "transfer/tar.h"

namespace xr::transfer {
namespace {

constexpr size_t kPiece = 64 * 1024;

Status bad(std::string what) { return Status(ErrorKind::kInvalidArgument, "XVA " + std::move(what)); }

XvaCompression sniff(std::string_view magic) {
  if (magic.size() >= 4 && magic.substr(0, 4) == std::string_view("\x28\xB5\x2F\xFD", 4))
    return XvaCompression::kZstd;
  if (magic.size() >= 2 && magic.substr(0, 2) == "\x1F\x8B") return XvaCompression::kGzip;
  return XvaCompression::kNone;
}

Status check_first_entry(std::string_view head) {
  if (head.size() < kTarBlock) return bad("is shorter than one tar header (truncated upload?)");
  Result<TarHeader> h = parse_tar_header(head.substr(0, kTarBlock));
  if (!h.is_ok()) return bad("is not a tar archive: " + h.status().message());
  if (h->name != "ova.xml") return bad("first entry is '" + h->name + "', expected ova.xml");
  if (h->size == 0) return bad("ova.xml is empty");
  return Status::ok();
}

// Walks every header of an uncompressed archive.
Result<uint64_t> walk_tar(const RandomAccess& file) {
  uint64_t at = 0, entries = 0;
  std::string block;
  for (;;) {
    if (file.size() - at < kTarBlock)
      return bad("ends at byte " + std::to_string(file.size()) +
                 " without the end-of-archive blocks (truncated upload?)");
    XR_ASSIGN_OR_RETURN(block, file.read_string(at, kTarBlock));
    if (is_zero_block(block)) {
      if (entries == 0) return bad("is an empty tar archive");
      // xapi writes two zero blocks; a missing second one is a cut upload.
      if (file.size() - at < 2 * kTarBlock)
        return bad("ends inside its end-of-archive blocks (truncated upload?)");
      XR_ASSIGN_OR_RETURN(block, file.read_string(at + kTarBlock, kTarBlock));
      if (!is_zero_block(block)) return bad("has data after an end-of-archive block");
      return entries;
    }
    Result<TarHeader> h = parse_tar_header(block);
    if (!h.is_ok()) return bad("entry at byte " + std::to_string(at) + ": " + h.status().message());
    at += kTarBlock;
    if (h->size > file.size() - at)
      return bad("entry '" + h->name + "' needs " + std::to_string(h->size) + " bytes, the upload ends after " +
                 std::to_string(file.size() - at) + " (truncated upload?)");
    at += std::min(tar_padded(h->size), file.size() - at);
    ++entries;
  }
}

Result<std::string> zstd_head(const RandomAccess& file, size_t want) {
  std::unique_ptr<ZSTD_DStream, size_t (*)(ZSTD_DStream*)> ds(ZSTD_createDStream(), ZSTD_freeDStream);
  std::string out(want, '\0'), in;
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  for (uint64_t at = 0; at < file.size() && ob.pos < ob.size; at += in.size()) {
    XR_ASSIGN_OR_RETURN(in, file.read_string(at, std::min<uint64_t>(kPiece, file.size() - at)));
    ZSTD_inBuffer ib{in.data(), in.size(), 0};
    while (ib.pos < ib.size && ob.pos < ob.size) {
      size_t r = ZSTD_decompressStream(ds.get(), &ob, &ib);
      if (ZSTD_isError(r)) return bad(std::string("zstd data is corrupt: ") + ZSTD_getErrorName(r));
      if (r == 0) break;
    }
  }
  out.resize(ob.pos);
  return out;
}

Result<std::string> gzip_head(const RandomAccess& file, size_t want) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Status(ErrorKind::kInternal, "inflateInit2");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  std::string out(want, '\0'), in;
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  for (uint64_t at = 0; at < file.size() && zs.avail_out > 0; at += in.size()) {
    XR_ASSIGN_OR_RETURN(in, file.read_string(at, std::min<uint64_t>(kPiece, file.size() - at)));
    zs.next_in = reinterpret_cast<Bytef*>(in.data());
    zs.avail_in = static_cast<uInt>(in.size());
    while (zs.avail_in > 0 && zs.avail_out > 0) {
      int r = inflate(&zs, Z_NO_FLUSH);
      if (r == Z_STREAM_END) break;
      if (r != Z_OK) return bad(std::string("gzip data is corrupt: ") + (zs.msg ? zs.msg : "inflate failed"));
    }
  }
  out.resize(out.size() - zs.avail_out);
  return out;
}

}  // namespace

Result<std::string> decompress_head(const RandomAccess& file, XvaCompression c, size_t want) {
  if (c == XvaCompression::kZstd) return zstd_head(file, want);
  if (c == XvaCompression::kGzip) return gzip_head(file, want);
  return file.read_string(0, static_cast<size_t>(std::min<uint64_t>(want, file.size())));
}

Result<XvaInfo> check_xva(const RandomAccess& file) {
  XvaInfo info;
  XR_ASSIGN_OR_RETURN(std::string magic, file.read_string(0, std::min<uint64_t>(4, file.size())));
  info.compression = sniff(magic);
  if (info.compression == XvaCompression::kNone) {
    XR_ASSIGN_OR_RETURN(std::string head, decompress_head(file, info.compression, kTarBlock));
    XR_RETURN_IF_ERROR(check_first_entry(head));
    XR_ASSIGN_OR_RETURN(info.entries, walk_tar(file));
    return info;
  }
  XR_ASSIGN_OR_RETURN(std::string head, decompress_head(file, info.compression, kTarBlock));
  XR_RETURN_IF_ERROR(check_first_entry(head));
  info.entries = 1;
  return info;
}

}  // namespace xr::transfer
