#include "idempotency/idempotency_store.h"

#include <sodium.h>

namespace xr::idempotency {

namespace {

// status 0 = in flight (owner set); otherwise the kept answer (owner '').
constexpr std::string_view kV1 = R"sql(
CREATE TABLE idempotency_keys(
  user_id TEXT NOT NULL,
  idem_key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  owner TEXT NOT NULL,
  status INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  headers TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY(user_id, idem_key));
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
)sql";

constexpr store::Migration kMigrations[] = {{1, kV1}};

std::string hex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

void hash_part(crypto_generichash_state* st, std::string_view part) {
  // Length-prefixed, so ("a","bc") and ("ab","c") differ.
  const uint64_t n = part.size();
  crypto_generichash_update(st, reinterpret_cast<const unsigned char*>(&n), sizeof n);
  crypto_generichash_update(st, reinterpret_cast<const unsigned char*>(part.data()), part.size());
}

}  // namespace

std::string fingerprint(std::string_view method, std::string_view path_and_query, std::string_view body) {
  crypto_generichash_state st;
  unsigned char out[32];
  crypto_generichash_init(&st, nullptr, 0, sizeof out);
  hash_part(&st, method);
  hash_part(&st, path_and_query);
  hash_part(&st, body);
  crypto_generichash_final(&st, out, sizeof out);
  return hex(out, sizeof out);
}

bool valid_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes) return false;
  for (char c : key) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

Result<std::unique_ptr<IdempotencyStore>> IdempotencyStore::open(store::Db& db) {
  XR_RETURN_IF_ERROR(db.migrate("idempotency", kMigrations));
  return std::unique_ptr<IdempotencyStore>(new IdempotencyStore(db));
}

Result<Claim> IdempotencyStore::claim(std::string_view user_id, std::string_view key,
                                      std::string_view fp, std::string_view owner, int64_t now_ms,
                                      const std::function<bool(std::string_view)>& owner_alive) {
  XR_ASSIGN_OR_RETURN(store::Transaction tx, db_.begin());
  XR_RETURN_IF_ERROR(db_.exec("DELETE FROM idempotency_keys WHERE created_at < $1", {now_ms - kKeepMs}).status());
  XR_ASSIGN_OR_RETURN(
      store::Rows rows,
      db_.query("SELECT fingerprint, status, owner, created_at, content_type, headers, body "
                "FROM idempotency_keys WHERE user_id=$1 AND idem_key=$2",
                {user_id, key}));
  Claim c;
  if (rows.empty()) {
    XR_RETURN_IF_ERROR(db_.exec("INSERT INTO idempotency_keys(user_id, idem_key, fingerprint, created_at, owner, "
                                "status, content_type, headers, body) VALUES($1,$2,$3,$4,$5,0,'','','')",
                                {user_id, key, fp, now_ms, owner})
                           .status());
    XR_RETURN_IF_ERROR(tx.commit());
    return c;
  }
  const store::Row& r = rows[0];
  if (r.text(0) != fp) {
    c.outcome = Outcome::kMismatch;
  } else if (r.integer(1) != 0) {
    c.outcome = Outcome::kReplay;
    c.answer = Answer{static_cast<int>(r.integer(1)), r.text(4), r.text(5), r.text(6)};
  } else if (owner_alive(r.text(2)) && r.integer(3) >= now_ms - kInFlightLeaseMs) {
    c.outcome = Outcome::kInFlight;
  } else {
    // Its process died (or the lease ran out) before answering: this request takes over.
    XR_RETURN_IF_ERROR(db_.exec("UPDATE idempotency_keys SET owner=$3, created_at=$4 WHERE user_id=$1 AND idem_key=$2",
                                {user_id, key, owner, now_ms})
                           .status());
  }
  XR_RETURN_IF_ERROR(tx.commit());
  return c;
}

Status IdempotencyStore::complete(std::string_view user_id, std::string_view key, std::string_view owner,
                                  const Answer& a) {
  return db_
      .exec("UPDATE idempotency_keys SET status=$4, content_type=$5, headers=$6, body=$7, owner='' "
            "WHERE user_id=$1 AND idem_key=$2 AND owner=$3",
            {user_id, key, owner, a.status, a.content_type, a.headers, a.body})
      .status();
}

Status IdempotencyStore::release(std::string_view user_id, std::string_view key, std::string_view owner) {
  return db_.exec("DELETE FROM idempotency_keys WHERE user_id=$1 AND idem_key=$2 AND owner=$3", {user_id, key, owner})
      .status();
}

}  // namespace xr::idempotency
