// Servers (pools) added over REST (issue 10; XO's /servers): kept in the store (component
// `servers`, portable SQL) with their password sealed by SecretBox, and merged by the master
// into the configuration's pools, so that every role sees them as [[pool]]s after a reload.
// One store per thread, on that thread's connection; calls block on database I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "servers/secret_box.h"
#include "store/db.h"

namespace xr::servers {

// The store notification channel (store::Db::notify) of server changes: every node's runner
// LISTENs on it and makes its master reload when the store's servers_revision is not the one
// its configuration was merged with (fcgi-app/runner/node_listener).
inline constexpr std::string_view kChangesChannel = "xr_servers";

struct StoredServer {
  std::string id;  // uuid: the pool's name in the merged configuration
  std::string label;
  std::string host;  // as given (a bare host name or https://host[:port])
  std::string username;
  std::string password_sealed;  // SecretBox::seal of the password
  bool allow_unauthorized = false;
  bool read_only = false;
  bool enabled = true;
  int64_t created_at = 0;
};

class ServerStore {
 public:
  static Result<std::unique_ptr<ServerStore>> open(store::Db& db);

  Result<std::vector<StoredServer>> list();  // oldest first
  Result<StoredServer> get(std::string_view id);  // kNotFound
  Status add(const StoredServer& s);              // kConflict: that host is already there
  Status update(const StoredServer& s);           // every field by id; kNotFound, kConflict
  Status remove(std::string_view id);             // kNotFound
  // Bumped by every add, update and remove (in their transaction, with a notification).
  Result<int64_t> revision();

 private:
  static Status changed(store::Db& db);
  explicit ServerStore(store::Db& db) : db_(db) {}
  store::Db& db_;
};

// The URL a server's host stands for ("xcp1" -> "https://xcp1"), as [[pool]] url reads it.
std::string url_of(std::string_view host);

// Appends the stored servers to cfg->pools and sets cfg->servers_revision (passwords opened with `box`): name = id, tls
// insecure when allowUnauthorized, else verify. A server whose password cannot be opened is
// left out (logged by the caller through the returned warning list).
Status merge_stored_servers(store::Db& db, const SecretBox& box, config::Config* cfg,
                            std::vector<std::string>* warnings);

}  // namespace xr::servers
