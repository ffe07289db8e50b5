#include "worker/list_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>

#include "base/log.h"

namespace xr::app {

namespace {

const log::Logger kLog("list-files");

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Seconds since the file was last written (0 when it cannot tell).
double age_s(const struct stat& st) {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<double>(now.tv_sec - st.st_mtim.tv_sec) +
         static_cast<double>(now.tv_nsec - st.st_mtim.tv_nsec) / 1e9;
}

// "<instance>-<seq>-" of every file of one generation.
constexpr size_t kPrefixSize = 8 + 1 + 16 + 1;
std::string generation_prefix(uint32_t instance, uint64_t seq) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08" PRIx32 "-%016" PRIx64 "-", instance, seq);
  return buf;
}

}  // namespace

ListFiles::ListFiles(std::string dir, uint64_t budget_bytes, unsigned file_mode)
    : dir_(std::move(dir)), budget_(budget_bytes), file_mode_(0600 | (file_mode & 0044)) {}

std::string ListFiles::file_name(uint32_t instance, uint64_t seq, std::string_view request_uri) {
  // A cryptographic hash: two URIs sharing a file would get each other's answers.
  unsigned char h[16];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(request_uri.data()),
                     request_uri.size(), nullptr, 0);
  std::string name = generation_prefix(instance, seq);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : h) {
    name.push_back(kHex[c >> 4]);
    name.push_back(kHex[c & 15]);
  }
  return name + ".list";
}

bool ListFiles::ensure_dir() {
  // The folder is readable by whoever may read the files (nginx's workers).
  const unsigned dir_mode = 0700 | (file_mode_ & 0044) | ((file_mode_ & 0044) >> 2);
  if (mkdir(dir_.c_str(), dir_mode) == 0) {
    chmod(dir_.c_str(), dir_mode);  // whatever the umask
    return true;
  }
  if (errno == EEXIST) return true;
  kLog.warn("cannot create " + dir_ + ": " + std::strerror(errno) + "; lists are sent directly");
  return false;
}

bool ListFiles::clean_and_check_room(std::string_view current_prefix) {
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr) return false;
  uint64_t used = 0;
  while (dirent* e = readdir(d)) {
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = dir_ + "/" + e->d_name;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    const bool temp = name.front() == '.';
    const bool old = temp ? age_s(st) > static_cast<double>(kStaleTemp.count())
                          : name.substr(0, current_prefix.size()) != current_prefix &&
                                age_s(st) > static_cast<double>(kKeepOld.count());
    if (old && unlink(path.c_str()) == 0) continue;
    used += static_cast<uint64_t>(st.st_size);
  }
  closedir(d);
  return used < budget_;
}

std::optional<std::string> ListFiles::find_or_render(uint32_t instance, uint64_t seq,
                                                     std::string_view request_uri,
                                                     const Render& render) {
  std::string name = file_name(instance, seq, request_uri);
  if (exists(dir_ + "/" + name)) return name;
  if (!ensure_dir()) return std::nullopt;
  return render_as_owner(name, render);
}

// Renders into a private temporary file, locked, then linked as ".<name>.part": the link is
// the claim (only one process makes it). Others wait on its lock, then find the file or not.
std::optional<std::string> ListFiles::render_as_owner(const std::string& name, const Render& render) {
  const std::string final_path = dir_ + "/" + name;
  const std::string claim = dir_ + "/." + name + ".part";
  const std::string temp = dir_ + "/." + name + "." + std::to_string(getpid()) + "." +
                           std::to_string(syscall(SYS_gettid)) + ".tmp";
  Fd fd(open(temp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, file_mode_));
  if (fd.get() < 0) return std::nullopt;
  fchmod(fd.get(), file_mode_);  // whatever the umask
  flock(fd.get(), LOCK_EX);
  if (link(temp.c_str(), claim.c_str()) != 0) {  // another process renders it
    unlink(temp.c_str());
    Fd other(open(claim.c_str(), O_RDONLY | O_CLOEXEC));
    if (other.get() >= 0) flock(other.get(), LOCK_SH);  // until its renderer is done
    if (exists(final_path)) return name;
    return std::nullopt;
  }
  bool kept = exists(final_path);  // rendered by another between our look and our claim
  if (!kept && clean_and_check_room(std::string_view(name).substr(0, kPrefixSize))) {
    bool written = true;  // a short file (tmpfs full) must never be served as the list
    const Status s = render([&](std::string_view data) { return written = write_all(fd.get(), data); });
    kept = s.is_ok() && written && rename(temp.c_str(), final_path.c_str()) == 0;
    if (!written) kLog.warn(std::string("list not kept: ") + std::strerror(errno));
    if (!s.is_ok()) kLog.warn("list not kept: " + s.to_string());
  }
  unlink(temp.c_str());  // gone already when renamed
  unlink(claim.c_str());
  if (kept) return name;
  return std::nullopt;
}

}  // namespace xr::app
