// Browser sessions for XO 6's web UI (issue 20), outside /rest/v0: GET / (the UI's
// index.html through nginx's X-Accel-Redirect with a valid session, else a redirect to
// /signin), GET/POST /signin (our small form; a token for the session in the
// authenticationToken cookie) and GET /signout (revokes it). Worker request thread; POST
// /signin blocks on one argon2id verification.
#pragma once

#include <string>
#include <string_view>

#include "routes/context.h"

namespace xr::app {

Status get_ui_root(Context& ctx);
Status get_signin(Context& ctx);
Status post_signin(Context& ctx);
Status get_signout(Context& ctx);

// `redirect` when it is a path of this site ("/..." but not "//..." or "/\\...", printable
// ASCII only), else "/": never an absolute URL elsewhere.
std::string safe_redirect(std::string_view redirect);
// Text made safe inside HTML (& < > " ').
std::string html_escape(std::string_view text);

}  // namespace xr::app
