// Test helper: runs tests/xapi-sim as a child process on a free loopback port, with its
// own temp state dir; stops it and removes the dir on destruction. Test thread only.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "xapi/value.h"

namespace xr::xapi::test {

class SimProcess {
 public:
  // Extra CLI args after the defaults (--port 0 --user root --password secret).
  explicit SimProcess(std::vector<std::string> args = {"--vms", "4"});
  ~SimProcess();
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  const std::string& url() const { return url_; }
  const std::string& state_dir() const { return state_dir_; }
  std::string user() const { return "root"; }
  std::string password() const { return "secret"; }
  // POST /_sim/<command> with a JSON body; returns the JSON answer text.
  std::string control(const std::string& command, const std::string& json_body = "{}") const;

 private:
  pid_t pid_ = -1;
  std::string url_;
  std::string state_dir_;
};

// Creates a temp dir (mkdtemp) and removes it recursively on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A throw-away loopback server: a Python script (run by Debian's python3 with `args`)
// that binds 127.0.0.1:0 and prints "listening on <url>".
class PyServer {
 public:
  PyServer(const char* script, const std::vector<std::string>& args);
  ~PyServer();
  PyServer(const PyServer&) = delete;
  PyServer& operator=(const PyServer&) = delete;
  const std::string& url() const { return url_; }

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  std::string url_;
};

// Answers every request with "302 Found, Location: <target><same path and query>".
class Redirector : public PyServer {
 public:
  explicit Redirector(const std::string& target);
};

// Answers GET with "200 OK" and `body` (then closes), like a misbehaving export handler.
class FixedBodyServer : public PyServer {
 public:
  explicit FixedBodyServer(const std::string& body);
};

// An "old xapi": XML-RPC only (POST /jsonrpc is 404), session.login_with_password and
// pool.get_all.
class XmlRpcOnlyServer : public PyServer {
 public:
  XmlRpcOnlyServer();
};

}  // namespace xr::xapi::test
