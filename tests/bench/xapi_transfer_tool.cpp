// Transfer through lib/xapi, for the transfer benchmark (xapi_transfer_bench.sh):
//   xapi_transfer_tool URL USER PASSWORD get PATH QUERY OUT_FILE
//   xapi_transfer_tool URL USER PASSWORD put PATH QUERY IN_FILE
// QUERY is "k=v&k=v" (no session_id/task_id: the library adds them). Prints
// "<bytes> <seconds> <peak RSS KiB> <body seconds>" (body: first to last chunk) and the
// task result on stderr.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "xapi/http_transfer.h"

using namespace xr;
using namespace xr::xapi;

namespace {
// First to last body chunk: the transfer itself, without login and task RPCs.
struct BodySpan {
  std::chrono::steady_clock::time_point first, last;
  bool started = false;
  void mark() {
    last = std::chrono::steady_clock::now();
    if (!started) first = last, started = true;
  }
  double seconds() const { return std::chrono::duration<double>(last - first).count(); }
};

Query parse_query(const std::string& q) {
  Query out;
  size_t pos = 0;
  while (pos < q.size()) {
    size_t amp = q.find('&', pos);
    std::string kv = q.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    size_t eq = kv.find('=');
    if (!kv.empty())
      out.emplace_back(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::cerr << "usage: xapi_transfer_tool URL USER PASSWORD get|put PATH QUERY FILE\n";
    return 2;
  }
  SessionOptions so;
  so.hosts = {argv[1]};
  so.user = argv[2];
  so.password = argv[3];
  so.endpoint.tls.mode = TlsOptions::Mode::kInsecure;
  Session session(so);
  std::string op = argv[4];
  BodySpan span;
  auto t0 = std::chrono::steady_clock::now();
  Result<TransferResult> r = Status(ErrorKind::kInternal, "unset");
  if (op == "get") {
    int fd = ::open(argv[7], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return 1;
    r = download(session, argv[5], parse_query(argv[6]), [fd, &span](std::string_view chunk) {
      span.mark();
      while (!chunk.empty()) {
        ssize_t n = ::write(fd, chunk.data(), chunk.size());
        if (n < 0) return Status(ErrorKind::kIo, "write");
        chunk.remove_prefix(static_cast<size_t>(n));
      }
      return Status::ok();
    });
    ::close(fd);
  } else {
    int fd = ::open(argv[7], O_RDONLY);
    struct stat st {};
    if (fd < 0 || fstat(fd, &st) != 0) return 1;
    UploadSource src = UploadSource::from_fd(fd, st.st_size);
    src.read = [inner = src.read, &span](char* buf, size_t n) {
      span.mark();
      return inner(buf, n);
    };
    r = upload(session, argv[5], parse_query(argv[6]), std::move(src));
    ::close(fd);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!r.is_ok()) {
    std::cerr << "transfer failed: " << r.status().to_string() << "\n";
    return 1;
  }
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("%llu %.6f %ld %.6f\n", static_cast<unsigned long long>(r->bytes), secs, ru.ru_maxrss,
              span.seconds());
  auto s = r->task_result.as_string();
  std::cerr << "task result: " << (s.is_ok() ? std::string(*s) : std::string("(structured)"))
            << "\n";
  return 0;
}
