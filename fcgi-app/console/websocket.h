// WebSocket (RFC 6455) framing for the console bridge: the handshake's accept key, a
// decoder of client frames (masked, any length, fragments, control frames) and the
// server's frame encoder. Pure functions and one small state machine; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace xr::app::ws {

enum Opcode : uint8_t { kContinuation = 0, kText = 1, kBinary = 2, kClose = 8, kPing = 9, kPong = 10 };

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key + GUID)).
std::string accept_key(std::string_view client_key);
// SHA-1 digest (20 bytes), for the accept key only (not a security primitive here).
std::string sha1(std::string_view data);

struct Frame {
  Opcode opcode = kBinary;
  bool fin = true;
  std::string payload;  // unmasked
};

// Feeds bytes from the client; next() yields whole frames. Refuses what RFC 6455 forbids a
// client to send (unmasked frames, reserved bits, control frames over 125 bytes or
// fragmented, unknown opcodes) and frames over `max_payload` (kProtocol / kResourceExhausted:
// close the connection with 1002 / 1009).
class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_payload) : max_payload_(max_payload) {}
  void feed(std::string_view bytes) { buf_.append(bytes); }
  // true with *out set when a whole frame is buffered; false when more bytes are needed.
  Result<bool> next(Frame* out);
  size_t buffered() const { return buf_.size(); }

 private:
  size_t max_payload_;
  std::string buf_;
};

// Appends one unmasked server frame (FIN set) to *out.
void encode_frame(Opcode opcode, std::string_view payload, std::string* out);
// A close frame's payload: the code, then a UTF-8 reason (≤ 123 bytes).
std::string close_payload(uint16_t code, std::string_view reason);

}  // namespace xr::app::ws
