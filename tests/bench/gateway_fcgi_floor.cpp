// The FastCGI floor for the gateway benchmark: a trivial libfcgi responder (N threads on
// FCGX_Accept_r) answering every request with a fixed JSON body of the given size, so that
// `GET /rest/v0/vms/<id>` can be compared to the cost of the FastCGI round trip alone.
// Usage: gateway_fcgi_floor SOCKET BODY_BYTES THREADS   (runs until killed)
#include <fcgiapp.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s SOCKET BODY_BYTES THREADS\n", argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const size_t bytes = std::strtoul(argv[2], nullptr, 10);
  std::string body = "{\"pad\":\"" + std::string(bytes > 12 ? bytes - 12 : 0, 'x') + "\"}";
  char head[160];
  std::snprintf(head, sizeof head,
                "Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
                "Content-Length: %llu\r\n\r\n", static_cast<unsigned long long>(body.size()));
  const std::string response = head + body;
  FCGX_Init();
  signal(SIGTERM, SIG_DFL);  // stop on SIGTERM whatever libfcgi installed
  const int fd = FCGX_OpenSocket(argv[1], 1024);
  if (fd < 0) return 1;
  chmod(argv[1], 0666);
  std::vector<std::thread> threads;
  for (int i = 0; i < std::atoi(argv[3]); ++i) {
    threads.emplace_back([&] {
      FCGX_Request req;
      FCGX_InitRequest(&req, fd, 0);
      while (FCGX_Accept_r(&req) >= 0) {
        FCGX_PutStr(response.data(), static_cast<int>(response.size()), req.out);
        FCGX_Finish_r(&req);
      }
    });
  }
  for (auto& t : threads) t.join();
  return 0;
}
