#include "worker/login_guard.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace xr::app {

namespace {

// Entries beyond these are dropped once expired ones are pruned: a spray of names can
// not grow the memo without bound (the address entry is what stops such a spray).
constexpr size_t kMaxUsers = 4096;
constexpr size_t kMaxAddresses = 65536;

uint32_t this_thread_id() { return static_cast<uint32_t>(syscall(SYS_gettid)); }

bool thread_gone(uint32_t tid) { return kill(static_cast<pid_t>(tid), 0) != 0 && errno == ESRCH; }

void prune(std::unordered_map<std::string, LoginGuard::Clock::time_point>& m,
           LoginGuard::Clock::time_point now) {
  std::erase_if(m, [&](const auto& e) { return now - e.second >= LoginGuard::kThrottle; });
}

// Remaining wait of a failure at `at`, or zero.
LoginGuard::Clock::duration remaining(
    const std::unordered_map<std::string, LoginGuard::Clock::time_point>& m, const std::string& key,
    LoginGuard::Clock::time_point now) {
  auto it = m.find(key);
  if (it == m.end() || now - it->second >= LoginGuard::kThrottle) return {};
  return LoginGuard::kThrottle - (now - it->second);
}

}  // namespace

LoginGuard::LoginGuard(std::atomic<uint32_t>* slots, size_t limit,
                       std::chrono::milliseconds slot_wait)
    : slots_(slots), limit_(std::min(limit, kMaxSlots)), slot_wait_(slot_wait) {}

Status LoginGuard::admit(std::string_view user, std::string_view address, Clock::time_point now,
                         int* retry_after_s) {
  std::lock_guard lock(mu_);
  const auto wait = std::max(remaining(users_, std::string(user), now),
                             remaining(addresses_, std::string(address), now));
  if (wait == Clock::duration::zero()) return Status::ok();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wait).count();
  *retry_after_s = static_cast<int>((ms + 999) / 1000);
  return Status(ErrorKind::kTooManyRequests, "too fast authentication tries");
}

void LoginGuard::failed(std::string_view user, std::string_view address, Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (users_.size() >= kMaxUsers) prune(users_, now);
  if (users_.size() < kMaxUsers) users_[std::string(user)] = now;
  if (addresses_.size() >= kMaxAddresses) prune(addresses_, now);
  if (addresses_.size() >= kMaxAddresses) addresses_.clear();
  addresses_[std::string(address)] = now;
}

void LoginGuard::succeeded(std::string_view user) {
  std::lock_guard lock(mu_);
  users_.erase(std::string(user));
}

LoginGuard::Slot& LoginGuard::Slot::operator=(Slot&& o) noexcept {
  if (this != &o) {
    release();
    word_ = o.word_;
    o.word_ = nullptr;
  }
  return *this;
}

void LoginGuard::Slot::release() {
  if (word_ != nullptr) word_->store(0, std::memory_order_release);
  word_ = nullptr;
}

bool LoginGuard::try_take(Slot* out) {
  const uint32_t me = this_thread_id();
  for (size_t i = 0; i < limit_; ++i) {
    uint32_t holder = slots_[i].load(std::memory_order_acquire);
    // A holder that no longer exists (its worker was killed mid-check) gives its slot back.
    if (holder != 0 && thread_gone(holder)) {
      slots_[i].compare_exchange_strong(holder, 0, std::memory_order_acq_rel);
      holder = slots_[i].load(std::memory_order_acquire);
    }
    if (holder == 0 && slots_[i].compare_exchange_strong(holder, me, std::memory_order_acq_rel)) {
      *out = Slot(&slots_[i]);
      return true;
    }
  }
  return false;
}

Result<LoginGuard::Slot> LoginGuard::take_slot() { return take_slot(slot_wait_); }

Result<LoginGuard::Slot> LoginGuard::take_slot(std::chrono::milliseconds wait) {
  const auto deadline = Clock::now() + wait;
  Slot slot;
  for (;;) {
    if (try_take(&slot)) return Result<Slot>(std::move(slot));
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return Status(ErrorKind::kUnavailable, "too many logins being checked, try again later");
}

std::string log_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      out.append("\\x").push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace xr::app
