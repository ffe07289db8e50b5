#include "master/credential_watch.h"

#include "auth/auth_store.h"
#include "base/log.h"
#include "store/open.h"

namespace xr::app {

namespace {
const log::Logger kLog("master");
}  // namespace

void CredentialWatch::check(std::chrono::steady_clock::time_point now) {
  if (now < next_) return;
  next_ = now + kPeriod;
  // A connection per check, closed at once: the master forks children, and an SQLite
  // connection must never be carried across a fork.
  auto db = store::open(cfg_);
  auto gen = db.is_ok() ? auth::AuthStore::generation(**db) : Result<int64_t>(db.status());
  if (!gen.is_ok()) {
    if (!failing_) kLog.error("credentials generation: " + gen.status().to_string());
    failing_ = true;
    return;
  }
  failing_ = false;
  if (*gen != seen_) {
    // The first read bumps too: a change committed while the master was starting counts.
    seen_ = *gen;
    control_->credentials_gen.fetch_add(1, std::memory_order_acq_rel);
  }
}

}  // namespace xr::app
