// Users managed over REST as current XO (reference §a.7): POST /users, PATCH and DELETE
// /users/{id}; admins only (the route table says so). Passwords are argon2id (lib/auth); a
// change ends every cached login at once (credentials generation). Worker request thread;
// database I/O, ~0.1 s of argon2id when a password is set.
#pragma once

#include "routes/context.h"

namespace xr::app {

Status create_user(Context& ctx);  // {name, password, permission?} → 201 {"id"} + Location
Status update_user(Context& ctx);  // {name?, password?, permission?} → 204; own permission → 403
Status delete_user(Context& ctx);  // → 204, its tokens with it; oneself → 403

}  // namespace xr::app
