#include "cli/commands.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <vector>

#include "auth/auth_store.h"
#include "auth/secrets.h"
#include "auth/token_validity.h"
#include "config/loader.h"
#include "master/database.h"
#include "routes/scope_check.h"
#include "store/open.h"

namespace xr::app {

namespace {

// Control bytes (escape sequences above all) as \xNN: a description cannot drive the terminal.
std::string terminal_safe(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '\\') {
      out.append("\\x").push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

namespace {

int fail(const std::string& message) {
  std::cerr << "xapi-rest: " << message << "\n";
  return 1;
}

// Run by root on a data folder another user owns (the packaged service's xapi-rest), the
// command becomes that user (with the groups initgroups gives it) before it opens the
// database: files it creates (the database, its WAL) stay the service's, never root's.
Status become_data_dir_owner(const std::string& dir) {
  struct stat st {};
  if (geteuid() != 0 || stat(dir.c_str(), &st) != 0 || st.st_uid == 0) return Status::ok();
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(st.st_uid, &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return Status(ErrorKind::kIo, dir + " belongs to uid " + std::to_string(st.st_uid) + ", who has no account");
  }
  if (initgroups(pw.pw_name, pw.pw_gid) != 0 || setgid(pw.pw_gid) != 0 || setuid(pw.pw_uid) != 0) {
    return Status(ErrorKind::kIo, std::string("cannot become ") + pw.pw_name + ", the owner of " + dir);
  }
  return Status::ok();
}

Result<std::unique_ptr<auth::AuthStore>> open_store(std::vector<std::string>& args,
                                                     config::Config* loaded = nullptr) {
  const std::string path = take_option(args, "--config", kDefaultConfigPath);
  XR_ASSIGN_OR_RETURN(config::Config cfg, config::load_config(path));
  if (loaded != nullptr) *loaded = cfg;
  XR_RETURN_IF_ERROR(ensure_data_dir(cfg));
  XR_RETURN_IF_ERROR(become_data_dir_owner(cfg.data_dir));
  XR_ASSIGN_OR_RETURN(std::unique_ptr<store::Db> db, store::open(cfg));
  return auth::AuthStore::open(std::move(db));
}

// From the terminal without echo, or the first line of stdin when it is not a terminal.
std::string read_password() {
  std::string pw;
  if (isatty(STDIN_FILENO)) {
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::cerr << "Password: " << std::flush;
    std::getline(std::cin, pw);
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  } else {
    std::getline(std::cin, pw);
  }
  if (!pw.empty() && pw.back() == '\r') pw.pop_back();
  return pw;
}

std::string iso_time(int64_t ms) {
  time_t t = static_cast<time_t>(ms / 1000);
  tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

int user_add(std::vector<std::string>& args) {
  const std::string permission = take_option(args, "--permission", "admin");
  auto store = open_store(args);
  if (!store.is_ok()) return fail(store.status().message());
  if (args.size() != 1) return fail("usage: xapi-rest user add NAME [--permission admin|none]");
  const std::string pw = read_password();
  auto u = (*store)->add_user(args[0], pw, permission);
  if (!u.is_ok()) return fail(u.status().message());
  std::cout << u->id << "\n";
  return 0;
}

int user_list(std::vector<std::string>& args) {
  auto store = open_store(args);
  if (!store.is_ok()) return fail(store.status().message());
  auto users = (*store)->list_users();
  if (!users.is_ok()) return fail(users.status().message());
  for (const auto& u : *users) std::cout << u.id << "  " << u.name << "  " << u.permission << "\n";
  return 0;
}

int user_delete(std::vector<std::string>& args) {
  auto store = open_store(args);
  if (!store.is_ok()) return fail(store.status().message());
  if (args.size() != 1) return fail("usage: xapi-rest user delete NAME");
  auto u = (*store)->find_user_by_name(args[0]);
  if (!u.is_ok()) return fail(u.status().message());
  // Its tokens go with it; a running server stops accepting its credentials within 200 ms.
  Status st = (*store)->delete_user(u->id);
  if (!st.is_ok()) return fail(st.message());
  return 0;
}

}  // namespace

std::string take_option(std::vector<std::string>& args, const std::string& name,
                        const std::string& fallback) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name && i + 1 < args.size()) {
      std::string v = args[i + 1];
      args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
      return v;
    }
    if (args[i].rfind(name + "=", 0) == 0) {
      std::string v = args[i].substr(name.size() + 1);
      args.erase(args.begin() + static_cast<long>(i));
      return v;
    }
  }
  return fallback;
}

int run_check_config(const std::vector<std::string>& in) {
  std::vector<std::string> args = in;
  const std::string path = take_option(args, "--config", kDefaultConfigPath);
  auto cfg = config::load_config(path);
  if (!cfg.is_ok()) return fail(cfg.status().message());
  std::cout << path << ": OK (" << cfg->pools.size() << " pool(s), " << cfg->workers
            << " workers x " << cfg->threads << " threads)\n";
  return 0;
}

int run_user_command(const std::vector<std::string>& in) {
  std::vector<std::string> args = in;
  if (args.empty()) return fail("usage: xapi-rest user add|list|delete ...");
  const std::string sub = args[0];
  args.erase(args.begin());
  if (sub == "add") return user_add(args);
  if (sub == "list") return user_list(args);
  if (sub == "delete") return user_delete(args);
  return fail("unknown user command: " + sub);
}

namespace {

// True (and removed) when the bare flag `name` is among the args.
bool take_flag(std::vector<std::string>& args, const std::string& name) {
  auto it = std::find(args.begin(), args.end(), name);
  if (it == args.end()) return false;
  args.erase(it);
  return true;
}

// --read-only, --pools UUID,..., --collections NAME,..., --actions [COLLECTION/]ACTION,...:
// the scope of `token create` (none of them: an unscoped token, the user's full rights).
Result<std::optional<auth::TokenScope>> scope_options(std::vector<std::string>& args) {
  const bool read_only = take_flag(args, "--read-only");
  const std::string lists[3] = {take_option(args, "--pools", "\x01"), take_option(args, "--collections", "\x01"),
                                take_option(args, "--actions", "\x01")};
  if (!read_only && lists[0] == "\x01" && lists[1] == "\x01" && lists[2] == "\x01") {
    return std::optional<auth::TokenScope>();
  }
  auth::TokenScope s;
  s.read_only = read_only;
  if (lists[0] != "\x01") {
    XR_ASSIGN_OR_RETURN(s.pools, auth::split_scope_list(lists[0], "pools"));
  }
  if (lists[1] != "\x01") {
    XR_ASSIGN_OR_RETURN(s.collections, auth::split_scope_list(lists[1], "collections"));
  }
  if (lists[2] != "\x01") {
    XR_ASSIGN_OR_RETURN(s.actions, auth::split_scope_list(lists[2], "actions"));
  }
  XR_RETURN_IF_ERROR(check_scope_names(s));
  return std::optional<auth::TokenScope>(std::move(s));
}

}  // namespace

int run_token_command(const std::vector<std::string>& in) {
  std::vector<std::string> args = in;
  if (args.empty()) return fail("usage: xapi-rest token create|list|revoke ...");
  const std::string sub = args[0];
  args.erase(args.begin());
  const std::string user_name = take_option(args, "--user", "");
  const std::string expires = take_option(args, "--expires", "");  // default: the config's
  const std::string description = take_option(args, "--description", "");
  auto scope = scope_options(args);
  if (!scope.is_ok()) return fail(scope.status().message());
  config::Config cfg;
  auto store = open_store(args, &cfg);
  if (!store.is_ok()) return fail(store.status().message());
  auth::AuthStore& s = **store;
  std::string user_id;
  if (!user_name.empty()) {
    auto u = s.find_user_by_name(user_name);
    if (!u.is_ok()) return fail(u.status().message());
    user_id = u->id;
  }
  if (sub == "create") {
    if (user_id.empty()) {
      return fail("usage: xapi-rest token create --user NAME [--expires 30d] [--description TEXT] [--read-only] "
                  "[--pools UUID,...] [--collections NAME,...] [--actions [COLLECTION/]ACTION,...]");
    }
    // The REST API's rule (auth/token_validity.h): XO's duration words, 1 minute to 183 days.
    auto ms = expires.empty() ? Result<int64_t>(cfg.token_validity_days * 86'400'000LL)
                              : auth::token_validity_ms(expires);
    if (!ms.is_ok()) return fail("--expires: " + ms.status().message());
    auto t = s.create_token(user_id, *ms, description, auth::now_ms(), {}, *scope);
    if (!t.is_ok()) return fail(t.status().message());
    std::cout << t->token << "\n";
    return 0;
  }
  if (sub == "list") {
    auto tokens = s.list_tokens(user_id);
    if (!tokens.is_ok()) return fail(tokens.status().message());
    for (const auto& t : *tokens) {
      std::cout << t.id << "  user " << t.user_id << "  expires " << iso_time(t.expiration)
                << "  last use " << (t.last_use ? iso_time(*t.last_use) : "never")
                << (t.scope ? "  scope " + auth::scope_to_json(*t.scope) : std::string()) << "  "
                << terminal_safe(t.description) << "\n";
    }
    return 0;
  }
  if (sub == "revoke") {
    if (args.size() != 1) return fail("usage: xapi-rest token revoke ID [--user NAME]");
    // The public id only (issue 17, defect 10): a secret given here would be in the shell's
    // history and process list; it is refused without being printed back.
    const std::string& id = args[0];
    if (id.size() == 43) {
      return fail("token revoke takes a token's public id (16 characters, see `xapi-rest token "
                  "list`), not the token itself");
    }
    Status st = s.revoke_token(id, user_id);
    if (!st.is_ok()) return fail(st.message());
    return 0;
  }
  return fail("unknown token command: " + sub);
}

}  // namespace xr::app
