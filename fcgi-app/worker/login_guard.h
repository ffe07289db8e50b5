// Defences of password logins (HTTP Basic) against guessing and hash exhaustion:
// - throttling as XO: after a failed login, the next attempt for the same user name, or
//   from the same client address, is refused for 2 s ("too fast authentication tries",
//   429 + Retry-After); refused attempts do not extend the window, so nobody can lock a
//   user out for longer than their own failures last;
// - a bound on concurrent argon2id checks (64 MiB each) shared by all worker processes
//   through the ControlBlock's login_hash_slots; beyond it 503 + Retry-After.
// The throttle is per worker process (a client reaches at most `workers` processes).
// Thread-safe; never blocks longer than the slot wait (50 ms in workers).
// Shared hash slots: kHashSlots of the ControlBlock's login_hash_slots.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/status.h"

namespace xr::app {

class LoginGuard {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr auto kThrottle = std::chrono::seconds(2);
  static constexpr size_t kMaxSlots = 4;
  static constexpr size_t kHashSlots = 1;  // concurrent argon2id checks (64 MiB, a core each)

  // `slots`: shared words (the ControlBlock's), of which `limit` are used; a login waits
  // up to `slot_wait` for one (an event loop passes zero: it must not block).
  LoginGuard(std::atomic<uint32_t>* slots, size_t limit,
             std::chrono::milliseconds slot_wait = std::chrono::milliseconds(50));
  LoginGuard(const LoginGuard&) = delete;
  LoginGuard& operator=(const LoginGuard&) = delete;

  // kTooManyRequests while `user` or `address` has a failure younger than kThrottle;
  // *retry_after_s is then the whole seconds to wait.
  Status admit(std::string_view user, std::string_view address, Clock::time_point now,
               int* retry_after_s);
  void failed(std::string_view user, std::string_view address, Clock::time_point now);
  void succeeded(std::string_view user);

  // One taken hash slot, given back on destruction.
  class Slot {
   public:
    Slot() = default;
    explicit Slot(std::atomic<uint32_t>* word) : word_(word) {}
    Slot(Slot&& o) noexcept : word_(o.word_) { o.word_ = nullptr; }
    Slot& operator=(Slot&& o) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { release(); }
    bool held() const { return word_ != nullptr; }

   private:
    void release();
    std::atomic<uint32_t>* word_ = nullptr;
  };
  // Takes a slot, waiting up to `wait` (default: slot_wait); kUnavailable when all stay busy.
  Result<Slot> take_slot();
  Result<Slot> take_slot(std::chrono::milliseconds wait);

 private:
  bool try_take(Slot* out);

  std::atomic<uint32_t>* slots_;
  size_t limit_;
  std::chrono::milliseconds slot_wait_;
  std::mutex mu_;
  std::unordered_map<std::string, Clock::time_point> users_;      // last failure per name
  std::unordered_map<std::string, Clock::time_point> addresses_;  // last failure per address
};

// `text` for a log line: bytes outside printable ASCII (and `"`, `\`) as \xNN.
std::string log_escape(std::string_view text);

}  // namespace xr::app
