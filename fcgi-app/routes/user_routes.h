// Users and their authentication tokens (reference §a.7): list and read users, /users/me
// redirects, list / create / delete one's own tokens. Worker request thread; SQLite I/O.
#pragma once

#include "routes/context.h"

namespace xr::app {

Status redirect_me(Context& ctx);
Status list_users(Context& ctx);
Status get_user(Context& ctx);
Status list_tokens(Context& ctx);
Status create_token(Context& ctx);
// XO's deprecated POST /users/authentication_tokens: a token for the caller.
Status create_own_token(Context& ctx);
Status delete_token(Context& ctx);

}  // namespace xr::app
