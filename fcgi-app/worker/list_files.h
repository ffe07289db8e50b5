// Collection lists rendered once per cache generation into files that nginx sends itself
// (X-Accel-Redirect to the internal location /_xr_list/, sendfile), issue 14: a list answer
// only changes when the cache's generation (instance, last change sequence) does, so every
// request of one generation for the same URI gets the same bytes.
//
// Files: "<instance 8 hex>-<seq 16 hex>-<BLAKE2b-128 of the request URI, 32 hex>.list" in
// `dir` (a tmpfs: /run/xapi-rest/lists by default). One render per name at a time across
// every worker process: the renderer holds an exclusive flock on a hidden ".<name>.part"
// link of its temporary file, the others wait on it (a crashed renderer's lock is released
// by the kernel). Before each render the folder is cleaned: files of another generation
// older than kKeepOld, leftovers of dead renders older than kStaleTemp; when what remains
// reaches the byte budget the list is not kept (the caller streams it).
// One object per worker process, used by its request threads; blocks on file I/O and while
// another process renders the same list.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace xr::app {

class ListFiles {
 public:
  static constexpr auto kKeepOld = std::chrono::seconds(1);     // in flight to nginx meanwhile
  static constexpr auto kStaleTemp = std::chrono::seconds(60);  // a render never takes this long

  // The files are 0600 plus the group/other read bits of `file_mode` (the socket's mode: who
  // may connect may read them), the folder the same with x.
  ListFiles(std::string dir, uint64_t budget_bytes, unsigned file_mode);

  // Appends body bytes to the file being rendered; false on a write error.
  using Write = std::function<bool(std::string_view)>;
  using Render = std::function<Status(const Write&)>;

  // The file name (inside dir) holding the answer to `request_uri` at generation
  // (instance, seq): there already, or rendered now by `render`, or by another process
  // meanwhile. nullopt: not kept (over budget, render or I/O error): answer directly.
  std::optional<std::string> find_or_render(uint32_t instance, uint64_t seq,
                                            std::string_view request_uri, const Render& render);

  // "<instance>-<seq>-<hash>.list".
  static std::string file_name(uint32_t instance, uint64_t seq, std::string_view request_uri);

 private:
  bool ensure_dir();
  // Removes what is no longer served; true when the rest leaves room for one more list.
  bool clean_and_check_room(std::string_view current_prefix);
  std::optional<std::string> render_as_owner(const std::string& name, const Render& render);

  std::string dir_;
  uint64_t budget_;
  unsigned file_mode_;
};

}  // namespace xr::app
