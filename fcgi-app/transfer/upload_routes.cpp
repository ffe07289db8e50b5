#include "transfer/upload_routes.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "base/log.h"
#include "transfer/transfer_common.h"

namespace xr::app {
namespace {

const log::Logger kLog("uploads");
constexpr std::string_view kTusVersion = "1.0.0";
constexpr uint64_t kMaxLength = uint64_t{1} << 50;  // 1 PiB: beyond any disk image
constexpr size_t kMaxMetadata = 4096;

// An fd closed on scope exit.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

struct Meta {
  uint64_t length = 0;
  std::string owner;
  int64_t expires = 0;  // unix seconds
  std::string sha256;   // 32 raw bytes, or empty
};

std::string dir_of(Context& ctx) { return ctx.svc.config.data_dir + "/uploads"; }
std::string part_path(Context& ctx, std::string_view id) { return dir_of(ctx) + "/" + std::string(id) + ".part"; }
std::string meta_path(Context& ctx, std::string_view id) { return dir_of(ctx) + "/" + std::string(id) + ".meta"; }

bool valid_id(std::string_view id) {
  return id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string to_hex(const unsigned char* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kHex[p[i] >> 4]);
    s.push_back(kHex[p[i] & 15]);
  }
  return s;
}

std::string http_date(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  return std::stoull(std::string(s));
}

Status write_meta(Context& ctx, std::string_view id, const Meta& m) {
  const std::string tmp = meta_path(ctx, id) + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) return Status(ErrorKind::kIo, std::string("upload metadata: ") + std::strerror(errno));
  std::fprintf(f, "length %llu\nowner %s\nexpires %lld\nsha256 %s\n", static_cast<unsigned long long>(m.length),
               m.owner.c_str(), static_cast<long long>(m.expires),
               to_hex(reinterpret_cast<const unsigned char*>(m.sha256.data()), m.sha256.size()).c_str());
  const bool ok = std::fclose(f) == 0;
  if (!ok || std::rename(tmp.c_str(), meta_path(ctx, id).c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status(ErrorKind::kIo, "upload metadata not written");
  }
  return Status::ok();
}

std::optional<Meta> read_meta(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return std::nullopt;
  Meta m;
  char key[32];
  char value[256];
  bool have_length = false;
  while (std::fscanf(f, "%31s %255[^\n]", key, value) >= 1) {
    std::string_view k(key);
    std::string v(value);
    if (k == "length") {
      auto n = parse_u64(v);
      if (n) m.length = *n, have_length = true;
    } else if (k == "owner") {
      m.owner = v;
    } else if (k == "expires") {
      m.expires = std::atoll(v.c_str());
    } else if (k == "sha256" && v.size() == 64) {
      for (size_t i = 0; i < 64; i += 2) m.sha256.push_back(static_cast<char>(std::stoi(v.substr(i, 2), nullptr, 16)));
    }
    value[0] = '\0';
  }
  std::fclose(f);
  if (!have_length || m.owner.empty()) return std::nullopt;
  return m;
}

void remove_upload(Context& ctx, std::string_view id) {
  ::unlink(part_path(ctx, id).c_str());
  ::unlink(meta_path(ctx, id).c_str());
}

// Removes expired uploads; returns how many are left.
size_t sweep(Context& ctx) {
  DIR* d = ::opendir(dir_of(ctx).c_str());
  if (d == nullptr) return 0;
  const int64_t now = std::time(nullptr);
  size_t left = 0;
  std::vector<std::string> expired;
  while (dirent* e = ::readdir(d)) {
    std::string_view name(e->d_name);
    if (name.size() != 37 || name.substr(32) != ".meta" || !valid_id(name.substr(0, 32))) continue;
    auto m = read_meta(dir_of(ctx) + "/" + std::string(name));
    if (!m || m->expires <= now)
      expired.emplace_back(name.substr(0, 32));
    else
      ++left;
  }
  ::closedir(d);
  for (const auto& id : expired) {
    remove_upload(ctx, id);
    kLog.info("upload " + id + " expired: removed");
  }
  return left;
}

void tus_headers(Context& ctx) { ctx.res.add_header("Tus-Resumable", std::string(kTusVersion)); }

Status require_tus(Context& ctx) {
  tus_headers(ctx);
  if (ctx.req.param("HTTP_TUS_RESUMABLE") != kTusVersion) {
    ctx.res.add_header("Tus-Version", std::string(kTusVersion));
    return Status(ErrorKind::kPreconditionFailed, "Tus-Resumable: 1.0.0 is required (the tus protocol version)");
  }
  return Status::ok();
}

// The caller's upload `id` (404 for unknown ids and others' uploads alike).
Result<Meta> load(Context& ctx, std::string_view id) {
  sweep(ctx);
  std::optional<Meta> m;
  if (valid_id(id)) m = read_meta(meta_path(ctx, id));
  if (!m || !ctx.user || m->owner != ctx.user->id) return Status(ErrorKind::kNotFound, "no such upload");
  return *m;
}

Result<uint64_t> offset_of(Context& ctx, std::string_view id) {
  struct stat st{};
  if (::stat(part_path(ctx, id).c_str(), &st) != 0) return Status(ErrorKind::kNotFound, "no such upload");
  return static_cast<uint64_t>(st.st_size);
}

void state_headers(Context& ctx, const Meta& m, uint64_t offset) {
  ctx.res.add_header("Upload-Offset", std::to_string(offset));
  ctx.res.add_header("Upload-Length", std::to_string(m.length));
  ctx.res.add_header("Upload-Expires", http_date(m.expires));
  ctx.res.add_header("Cache-Control", "no-store");
}

// Upload-Metadata: comma-separated "key base64value"; `sha256` is the digest of the whole
// upload (32 bytes); other keys (filename, ...) are accepted and not kept.
Result<std::string> digest_from(std::string_view metadata) {
  if (metadata.size() > kMaxMetadata) return Status(ErrorKind::kInvalidArgument, "Upload-Metadata is too long");
  std::string digest;
  while (!metadata.empty()) {
    size_t comma = metadata.find(',');
    std::string_view pair = metadata.substr(0, comma);
    metadata = comma == std::string_view::npos ? std::string_view() : metadata.substr(comma + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    size_t sp = pair.find(' ');
    std::string_view key = pair.substr(0, sp);
    std::string_view value = sp == std::string_view::npos ? std::string_view() : pair.substr(sp + 1);
    if (key.empty()) return Status(ErrorKind::kInvalidArgument, "Upload-Metadata has an empty key");
    if (key != "sha256") continue;
    unsigned char bin[64];
    size_t len = 0;
    if (sodium_base642bin(bin, sizeof bin, value.data(), value.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        len != crypto_hash_sha256_BYTES)
      return Status(ErrorKind::kInvalidArgument, "Upload-Metadata sha256 must be the base64 of a 32-byte SHA-256 digest");
    digest.assign(reinterpret_cast<const char*>(bin), len);
  }
  return digest;
}

// Appends `in` (size n) at `offset` of `out`; on failure the file is cut back to `offset`.
Status append(int in, uint64_t n, int out, uint64_t offset) {
  loff_t off_out = static_cast<loff_t>(offset);
  uint64_t left = n;
  bool plain = false;
  std::string buf;
  while (left > 0) {
    ssize_t w = -1;
    if (!plain) {
      w = ::copy_file_range(in, nullptr, out, &off_out, left, 0);
      if (w < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
        plain = true;
        continue;
      }
    } else {
      if (buf.empty()) buf.resize(1 << 20);
      ssize_t r = ::read(in, buf.data(), std::min<uint64_t>(left, buf.size()));
      if (r > 0) {
        ssize_t done = 0;
        while (done < r) {
          ssize_t x = ::pwrite(out, buf.data() + done, static_cast<size_t>(r - done), off_out);
          if (x < 0 && errno == EINTR) continue;
          if (x <= 0) break;
          done += x;
          off_out += x;
        }
        w = done == r ? r : -1;
      } else {
        w = r == 0 ? -1 : r;
        if (r == 0) errno = EIO;
      }
    }
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const std::string why = std::strerror(errno);
      if (::ftruncate(out, static_cast<off_t>(offset)) != 0) kLog.error("upload not cut back after a failed append");
      return Status(ErrorKind::kIo, "writing the upload failed: " + why);
    }
    left -= static_cast<uint64_t>(w);
  }
  return Status::ok();
}

Result<std::string> sha256_of(int fd) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  std::string buf(1 << 20, '\0');
  off_t off = 0;
  for (;;) {
    ssize_t r = ::pread(fd, buf.data(), buf.size(), off);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Status(ErrorKind::kIo, std::string("reading the upload: ") + std::strerror(errno));
    if (r == 0) break;
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(buf.data()), static_cast<unsigned long long>(r));
    off += r;
  }
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&st, out);
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

}  // namespace

Status post_upload(Context& ctx) {
  XR_RETURN_IF_ERROR(require_tus(ctx));
  if (!ctx.req.param("HTTP_UPLOAD_DEFER_LENGTH").empty())
    return Status(ErrorKind::kInvalidArgument, "Upload-Defer-Length is not supported: send Upload-Length");
  auto length = parse_u64(ctx.req.param("HTTP_UPLOAD_LENGTH"));
  if (!length || *length == 0 || *length > kMaxLength)
    return Status(ErrorKind::kInvalidArgument, "Upload-Length must be a byte count from 1 to 2^50");
  if (auto body = ctx.req.param("CONTENT_LENGTH"); !body.empty() && body != "0")
    return Status(ErrorKind::kInvalidArgument, "send the upload's bytes with PATCH, not with its creation");
  XR_ASSIGN_OR_RETURN(std::string digest, digest_from(ctx.req.param("HTTP_UPLOAD_METADATA")));
  const std::string dir = dir_of(ctx);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Status(ErrorKind::kIo, std::string("uploads folder: ") + std::strerror(errno));
  if (sweep(ctx) >= static_cast<size_t>(ctx.svc.config.transfer_uploads_max)) {
    ctx.res.add_header("Retry-After", "60");
    return Status(ErrorKind::kUnavailable, "too many open uploads (" +
                                               std::to_string(ctx.svc.config.transfer_uploads_max) +
                                               "); finish or delete one, or try again later");
  }
  struct statvfs vfs{};
  if (::statvfs(dir.c_str(), &vfs) == 0 && static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize < *length)
    return Status(ErrorKind::kResourceExhausted, "Upload-Length is more than the free space for uploads");
  unsigned char raw[16];
  randombytes_buf(raw, sizeof raw);
  const std::string id = to_hex(raw, sizeof raw);
  Meta m;
  m.length = *length;
  m.owner = ctx.user ? ctx.user->id : "";
  m.expires = std::time(nullptr) + ctx.svc.config.transfer_upload_expiry_s;
  m.sha256 = digest;
  Fd part(::open(part_path(ctx, id).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (part.fd < 0) return Status(ErrorKind::kIo, std::string("upload file: ") + std::strerror(errno));
  Status w = write_meta(ctx, id, m);
  if (!w.is_ok()) {
    remove_upload(ctx, id);
    return w;
  }
  kLog.info("upload " + id + " created: " + std::to_string(m.length) + " bytes");
  const std::string href = "/rest/v0/uploads/" + id;
  ctx.res.add_header("Location", href);
  state_headers(ctx, m, 0);
  ctx.res.send(201, "application/json; charset=utf-8",
               "{\"id\":\"" + id + "\",\"href\":\"" + href + "\",\"offset\":0,\"length\":" +
                   std::to_string(m.length) + "}");
  return Status::ok();
}

Status get_upload(Context& ctx) {
  tus_headers(ctx);
  XR_ASSIGN_OR_RETURN(Meta m, load(ctx, ctx.params[0]));
  XR_ASSIGN_OR_RETURN(uint64_t offset, offset_of(ctx, ctx.params[0]));
  state_headers(ctx, m, offset);
  ctx.res.send(200, "application/json; charset=utf-8",
               "{\"id\":\"" + ctx.params[0] + "\",\"offset\":" + std::to_string(offset) + ",\"length\":" +
                   std::to_string(m.length) + ",\"complete\":" + (offset == m.length ? "true" : "false") +
                   ",\"expires\":\"" + http_date(m.expires) + "\"}");
  return Status::ok();
}

Status patch_upload(Context& ctx) {
  XR_RETURN_IF_ERROR(require_tus(ctx));
  const std::string& id = ctx.params[0];
  XR_ASSIGN_OR_RETURN(Meta m, load(ctx, id));
  if (ctx.req.param("CONTENT_TYPE") != "application/offset+octet-stream") {
    ctx.res.send(415, "application/json; charset=utf-8",
                 "{\"error\":\"Content-Type must be application/offset+octet-stream\"}");
    return Status::ok();
  }
  auto claimed = parse_u64(ctx.req.param("HTTP_UPLOAD_OFFSET"));
  if (!claimed) return Status(ErrorKind::kInvalidArgument, "Upload-Offset must be a byte offset");
  Fd part(::open(part_path(ctx, id).c_str(), O_WRONLY | O_CLOEXEC));
  if (part.fd < 0) return Status(ErrorKind::kNotFound, "no such upload");
  if (::flock(part.fd, LOCK_EX | LOCK_NB) != 0)
    return Status(ErrorKind::kConflict, "another PATCH is writing this upload");
  struct stat st{};
  if (::fstat(part.fd, &st) != 0) return Status(ErrorKind::kIo, "upload file unreadable");
  const auto offset = static_cast<uint64_t>(st.st_size);
  if (*claimed != offset) {
    ctx.res.add_header("Upload-Offset", std::to_string(offset));
    return Status(ErrorKind::kConflict, "Upload-Offset " + std::to_string(*claimed) + " is not the upload's offset " +
                                            std::to_string(offset));
  }
  std::string_view path = ctx.req.param("XR_BODY_FILE");
  std::optional<transfer::SpooledBody> body;
  if (!path.empty()) {
    auto b = transfer::SpooledBody::open(path, ctx.svc.config.transfer_spool_dir);
    if (!b.is_ok()) {
      kLog.error("refused upload file: " + b.status().to_string());
      return b.status();
    }
    body.emplace(std::move(b).value());
  } else if (auto n = ctx.req.param("CONTENT_LENGTH"); !n.empty() && n != "0") {
    return Status(ErrorKind::kUnavailable, "this PATCH did not come through nginx's spooling location");
  }
  const uint64_t n = body ? body->size() : 0;
  if (n > m.length - offset)
    return Status(ErrorKind::kInvalidArgument, "the piece goes past Upload-Length (" + std::to_string(m.length) + ")");
  if (n > 0) XR_RETURN_IF_ERROR(append(body->fd(), n, part.fd, offset));
  const uint64_t now_at = offset + n;
  if (now_at == m.length && !m.sha256.empty()) {
    Fd check(::open(part_path(ctx, id).c_str(), O_RDONLY | O_CLOEXEC));
    XR_ASSIGN_OR_RETURN(std::string got, sha256_of(check.fd));
    if (got != m.sha256) {
      remove_upload(ctx, id);
      kLog.warn("upload " + id + ": SHA-256 mismatch; removed");
      ctx.res.send(460, "application/json; charset=utf-8",
                   "{\"error\":\"the upload's SHA-256 is not the one announced in Upload-Metadata; the upload "
                   "was removed\"}");
      return Status::ok();
    }
  }
  state_headers(ctx, m, now_at);
  ctx.res.send(204, "", "");
  return Status::ok();
}

Status delete_upload(Context& ctx) {
  XR_RETURN_IF_ERROR(require_tus(ctx));
  XR_ASSIGN_OR_RETURN(Meta m, load(ctx, ctx.params[0]));
  (void)m;
  remove_upload(ctx, ctx.params[0]);
  ctx.res.send(204, "", "");
  return Status::ok();
}

Result<transfer::SpooledBody> take_upload(Context& ctx, std::string_view id) {
  XR_ASSIGN_OR_RETURN(Meta m, load(ctx, id));
  Fd f(::open(part_path(ctx, id).c_str(), O_RDONLY | O_CLOEXEC));
  if (f.fd < 0) return Status(ErrorKind::kNotFound, "no such upload");
  if (::flock(f.fd, LOCK_EX | LOCK_NB) != 0) return Status(ErrorKind::kConflict, "a PATCH is writing this upload");
  struct stat st{};
  if (::fstat(f.fd, &st) != 0) return Status(ErrorKind::kIo, "upload file unreadable");
  if (static_cast<uint64_t>(st.st_size) != m.length)
    return Status(ErrorKind::kConflict, "upload " + std::string(id) + " is incomplete (" + std::to_string(st.st_size) +
                                            " of " + std::to_string(m.length) + " bytes)");
  remove_upload(ctx, id);  // consumed: the descriptor keeps the bytes readable
  const int fd = f.fd;
  f.fd = -1;
  return transfer::SpooledBody::adopt(fd, m.length);
}

}  // namespace xr::app
