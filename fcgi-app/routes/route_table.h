// The explicit route table of /rest/v0 and the dispatcher that matches a request to a
// route, authenticates it, runs the handler and turns errors into XO's error bodies.
// Worker request thread.
#pragma once

#include <span>
#include <string_view>

#include "routes/context.h"

namespace xr::app {

enum class Access {
  kPublic,  // no credentials needed (credentials given are still checked)
  kUser,    // any authenticated user (the handler checks ownership)
  kAdmin,   // admin users only
};

struct Route {
  std::string_view method;   // "GET" also answers HEAD
  std::string_view pattern;  // segments; "{}" captures one, a final "**" captures the rest
  Access access;
  Handler handler;
};

std::span<const Route> routes();
// Handles one request completely (response written and finished).
void dispatch(Request& req, Response& res, Services& svc);

}  // namespace xr::app
