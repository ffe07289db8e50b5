// A download from XAPI whose receiving overlaps sending: xapi::download runs on a helper
// thread and hands its bytes over in 1 MiB pieces through a queue of at most 4 to the
// sink, which runs on the calling (request) thread. Without it one thread alternates
// between reading XAPI's socket and writing nginx's, and each side waits for the other.
// Memory: at most 6 pieces per transfer. Request thread.
#pragma once

#include <string_view>

#include "xapi/http_transfer.h"

namespace xr::app {

// As xapi::download, but `sink` sees 1 MiB pieces (the last shorter) on the calling thread.
// A sink error stops the download (the XAPI side is cancelled) and is the result; else a
// download error is the result after every byte received before it went to the sink.
Result<xapi::TransferResult> piped_download(xapi::Session& session, std::string_view path,
                                            const xapi::Query& query, const xapi::BodySink& sink,
                                            xapi::TransferOptions options);

}  // namespace xr::app
