#include "sim_process.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "xapi/http_client.h"

extern char** environ;

namespace xr::xapi::test {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

std::string sim_path() {
  const char* p = std::getenv("XAPI_SIM");
  return p ? p : XR_XAPI_SIM_DEFAULT;
}

// Spawns argv with stdout and stderr appended to `log_path`; waits (up to 30 s) for a
// line starting with `prefix` and returns the rest of it.
pid_t spawn_waiting_for_line(const std::vector<std::string>& args, const std::string& prefix,
                             const std::string& log_path, std::string* line) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  std::vector<char*> argv;
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("posix_spawn failed");
  for (int i = 0; i < 600; ++i) {
    std::ifstream in(log_path);
    std::string l;
    while (std::getline(in, l)) {
      if (l.rfind(prefix, 0) == 0) {
        *line = l.substr(prefix.size());
        return pid;
      }
    }
    if (waitpid(pid, nullptr, WNOHANG) == pid) break;
    usleep(50'000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  throw std::runtime_error("child did not print \"" + prefix + "\"");
}

void stop_child(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    usleep(100'000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

}  // namespace

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "xapi-it-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

SimProcess::SimProcess(std::vector<std::string> args) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "xapi-it-sim-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  state_dir_ = tmpl;  // removed in ~SimProcess
  std::vector<std::string> argv = {kPython, sim_path(),   "--port", "0",           "--user",
                                   "root",  "--password", "secret", "--state-dir", state_dir_};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = spawn_waiting_for_line(argv, "xapi-sim listening on ", state_dir_ + ".log", &url_);
}

SimProcess::~SimProcess() {
  stop_child(pid_);
  std::error_code ec;
  std::filesystem::remove_all(state_dir_, ec);
  std::filesystem::remove(state_dir_ + ".log", ec);
}

std::string SimProcess::control(const std::string& command, const std::string& json_body) const {
  EndpointOptions ep;
  ep.tls.mode = TlsOptions::Mode::kInsecure;
  HttpClient http(ep);
  HttpRequest rq;
  rq.url = url_ + "/_sim/" + command;
  rq.headers = {"Content-Type: application/json"};
  rq.body = json_body;
  rq.total_timeout_ms = 30'000;
  std::string out;
  rq.sink = [&](std::string_view c) {
    out.append(c);
    return Status::ok();
  };
  Result<HttpResponse> r = http.perform(rq);
  if (!r.is_ok() || r->status != 200)
    throw std::runtime_error("control " + command +
                             " failed: " + (r.is_ok() ? out : r.status().to_string()));
  return out;
}

PyServer::PyServer(const char* script, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kPython, "-c", script};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = spawn_waiting_for_line(argv, "listening on ", dir_.path() + "/log", &url_);
}

PyServer::~PyServer() { stop_child(pid_); }

namespace {
constexpr char kRedirectorScript[] = R"PY(
import http.server, sys
target = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def answer(self):
        self.send_response(302)
        self.send_header("Location", target + self.path)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
    do_GET = do_PUT = do_POST = answer
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("listening on http://127.0.0.1:%d" % s.server_address[1], flush=True)
s.serve_forever()
)PY";

constexpr char kXmlRpcOnlyScript[] = R"PY(
from xmlrpc.server import SimpleXMLRPCServer
s = SimpleXMLRPCServer(("127.0.0.1", 0), logRequests=False, allow_none=True)
ok = lambda v: {"Status": "Success", "Value": v}
def login(user, pw, *rest):
    if pw != "secret":
        return {"Status": "Failure", "ErrorDescription": ["SESSION_AUTHENTICATION_FAILED", user, "x"]}
    return ok("OpaqueRef:old-session")
s.register_function(login, "session.login_with_password")
s.register_function(lambda sess: ok(["OpaqueRef:pool"]), "pool.get_all")
s.register_function(lambda sess: ok({}), "host.get_all_records")
s.register_function(lambda sess: ok(""), "session.logout")
print("listening on http://127.0.0.1:%d" % s.server_address[1], flush=True)
s.serve_forever()
)PY";
constexpr char kFixedBodyScript[] = R"PY(
import http.server, sys
body = sys.argv[1].encode()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("listening on http://127.0.0.1:%d" % s.server_address[1], flush=True)
s.serve_forever()
)PY";
}  // namespace

FixedBodyServer::FixedBodyServer(const std::string& body) : PyServer(kFixedBodyScript, {body}) {}

Redirector::Redirector(const std::string& target) : PyServer(kRedirectorScript, {target}) {}

XmlRpcOnlyServer::XmlRpcOnlyServer() : PyServer(kXmlRpcOnlyScript, {}) {}

}  // namespace xr::xapi::test
