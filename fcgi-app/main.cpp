// xapi-rest: the REST gateway (serve) and its administration commands.

#include <iostream>
#include <string>
#include <vector>

#include "base/log.h"
#include "cli/commands.h"
#include "config/loader.h"
#include "master/database.h"
#include "master/supervisor.h"
#include "metrics/metrics.h"
#include "xapi/session.h"
#include "openapi/document.h"

namespace {

constexpr const char* kUsage =
    "usage: xapi-rest COMMAND [options]\n"
    "  serve --config FILE                 run the gateway (master, poller, workers)\n"
    "  check-config --config FILE          validate a config file\n"
    "  openapi                             print the OpenAPI document of /rest/v0\n"
    "  user add NAME [--permission admin|none] [--config FILE]   password from stdin or prompt\n"
    "  user list [--config FILE]\n"
    "  user delete NAME [--config FILE]      the user and its tokens, refused at once\n"
    "  token create --user NAME [--expires 30d|\"2 hours\"] [--description TEXT] [--config FILE]\n"
    "               [--read-only] [--pools UUID,...] [--collections NAME,...] [--actions [COLL/]ACTION,...]\n"
    "  token list [--user NAME] [--config FILE]\n"
    "  token revoke ID [--user NAME] [--config FILE]   by public id (see token list)\n"
    "  pool-fingerprint HOST[:PORT] [--timeout S]   the [[pool]] lines pinning a master's TLS key\n"
    "  help, --help, -h                    this text\n"
    "  version, --version, -V              the version\n";

int serve(std::vector<std::string> args) {
  const std::string path = xr::app::take_option(args, "--config", xr::app::kDefaultConfigPath);
  xr::log::set_role("master");
  auto cfg = xr::config::load_config(path);
  if (!cfg.is_ok()) {
    std::cerr << "xapi-rest: " << cfg.status().message() << "\n";
    return 1;
  }
  xr::log::Level level;
  if (xr::log::parse_level(cfg->log_level, &level)) xr::log::set_level(level);
  // The database must open before any fork: a worker without it could not authenticate.
  if (xr::Status st = xr::app::prepare_database(*cfg); !st.is_ok()) {
    std::cerr << "xapi-rest: " << st.message() << "\n";
    return 1;
  }
  if (xr::Status st = xr::app::add_stored_servers(&*cfg); !st.is_ok()) {
    std::cerr << "xapi-rest: " << st.message() << "\n";
    return 1;
  }
  // Metrics shared by every child (mapped before the first fork), XAPI failures counted.
  xr::app::metrics::init();
  xr::xapi::set_rpc_error_observer([](const xr::Status& s) {
    xr::app::metrics::record_xapi_error(s.kind() == xr::ErrorKind::kXapi ? s.code() : xr::error_kind_name(s.kind()));
  });
  xr::app::Supervisor supervisor(path, std::move(cfg).value());
  return supervisor.run();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "-V" || args[0] == "version") {
    std::cout << "xapi-rest " << XR_VERSION << "\n";
    return 0;
  }
  const std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "serve") return serve(args);
  if (cmd == "openapi") {
    std::cout << xr::app::openapi::document_json() << "\n";
    return 0;
  }
  if (cmd == "check-config") return xr::app::run_check_config(args);
  if (cmd == "user") return xr::app::run_user_command(args);
  if (cmd == "token") return xr::app::run_token_command(args);
  if (cmd == "pool-fingerprint") return xr::app::run_pool_fingerprint(args);
  std::cerr << "xapi-rest: unknown command " << cmd << "\n" << kUsage;
  return 2;
}
