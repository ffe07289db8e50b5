// Idempotency keys of POST requests (issue 10): the first answer to a (user, key) is kept for
// a day, a retry with the same request gets it again instead of acting twice. On lib/store
// (component `idempotency`, portable SQL). One store per thread, on that thread's
// connection; calls block on database I/O.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/db.h"

namespace xr::idempotency {

// How long an answer is kept (the 24 h), and how long a request still in flight
// holds its key when its process cannot be checked (another node): then a retry runs again.
inline constexpr int64_t kKeepMs = 24LL * 3600 * 1000;
inline constexpr int64_t kInFlightLeaseMs = 3600LL * 1000;
// A key is 1..255 printable ASCII characters (draft-ietf-httpapi-idempotency-key-header).
inline constexpr size_t kMaxKeyBytes = 255;

// The answer kept for a key: status, Content-Type, the other headers ("Name: value\r\n"
// lines, Content-Length excluded) and the body.
struct Answer {
  int status = 0;
  std::string content_type;
  std::string headers;
  std::string body;
};

enum class Outcome {
  kClaimed,   // first use (or taken over from a dead process): run the request
  kReplay,    // answered before: send `answer`
  kInFlight,  // the first request with this key is still running: 409
  kMismatch,  // the key was used for another request (method, path or body): 422
};

struct Claim {
  Outcome outcome = Outcome::kClaimed;
  Answer answer;  // kReplay only
};

// The request's fingerprint: BLAKE2b-256 of method, path with query and body, hex.
std::string fingerprint(std::string_view method, std::string_view path_and_query, std::string_view body);
// Whether `key` is a usable key (after the quotes of a structured-field string are removed).
bool valid_key(std::string_view key);

class IdempotencyStore {
 public:
  // Migrates the tables on `db` (which must outlive the store).
  static Result<std::unique_ptr<IdempotencyStore>> open(store::Db& db);

  // In one transaction: drops expired keys, then finds or claims (user, key) for `owner`.
  // `owner_alive(owner)` says whether the process holding a key in flight still runs
  // (false: the key is taken over).
  Result<Claim> claim(std::string_view user_id, std::string_view key, std::string_view fingerprint,
                      std::string_view owner, int64_t now_ms,
                      const std::function<bool(std::string_view)>& owner_alive);
  // Keeps the answer of a key this owner claimed.
  Status complete(std::string_view user_id, std::string_view key, std::string_view owner, const Answer& answer);
  // Forgets a key this owner claimed (nothing was done: a retry runs again).
  Status release(std::string_view user_id, std::string_view key, std::string_view owner);

 private:
  explicit IdempotencyStore(store::Db& db) : db_(db) {}
  store::Db& db_;
};

}  // namespace xr::idempotency
