// Resumable uploads (issue 12), tus 1.0.0 core with the creation, expiration and
// termination extensions, plus a whole-upload digest: an image is sent in PATCH pieces at
// the server's offset, resumed after a dropped connection from HEAD's Upload-Offset, and
// then named by an import (`?upload=<id>` on PUT /vdis/{id}.{format}, POST /srs/{id}/vdis,
// POST /pools/{id}/vms), which consumes it.
//   POST   /rest/v0/uploads        Tus-Resumable: 1.0.0, Upload-Length, Upload-Metadata
//                                  (optional `sha256 <base64 digest>`) → 201 + Location
//   HEAD   /rest/v0/uploads/{id}   Upload-Offset, Upload-Length, Upload-Expires (GET: JSON too)
//   PATCH  /rest/v0/uploads/{id}   Content-Type: application/offset+octet-stream, Upload-Offset
//                                  = the server's → 204 + the new Upload-Offset; the last
//                                  piece checks the digest (460 and the upload dropped if wrong)
//   DELETE /rest/v0/uploads/{id}   → 204
// PATCH bodies are spooled by nginx like every upload (no byte through the FastCGI
// socket): a PATCH cut by the network is dropped whole and the offset stays at the end of
// the last complete one, so clients send pieces (tus clients' chunk size). Storage:
// <data_dir>/uploads/<id>.part + <id>.meta; at most [transfer] uploads_max open uploads,
// each no larger than the free space there, removed [transfer] upload_expiry_s after
// creation (swept on every uploads request). Only the creating user sees an upload.
// Transfer role request thread.
#pragma once

#include <string_view>

#include "routes/context.h"
#include "transfer/spooled_body.h"

namespace xr::app {

Status post_upload(Context& ctx);
Status get_upload(Context& ctx);
Status patch_upload(Context& ctx);
Status delete_upload(Context& ctx);

// The complete upload `id` of the caller as an import body: opened and removed at once
// (an upload is consumed by the import that names it, whatever the outcome). 404 unknown
// or not the caller's, 409 incomplete.
Result<transfer::SpooledBody> take_upload(Context& ctx, std::string_view id);

}  // namespace xr::app
