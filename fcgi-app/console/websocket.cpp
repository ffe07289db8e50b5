#include "console/websocket.h"

#include <sodium.h>

#include <array>
#include <cstring>

namespace xr::app::ws {

namespace {

uint32_t rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

void sha1_block(const unsigned char* p, std::array<uint32_t, 5>& h) {
  uint32_t w[80];
  for (int i = 0; i < 16; ++i) {
    w[i] = (uint32_t{p[4 * i]} << 24) | (uint32_t{p[4 * i + 1]} << 16) | (uint32_t{p[4 * i + 2]} << 8) | p[4 * i + 3];
  }
  for (int i = 16; i < 80; ++i) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  for (int i = 0; i < 80; ++i) {
    uint32_t f, k;
    if (i < 20) {
      f = (b & c) | (~b & d), k = 0x5A827999;
    } else if (i < 40) {
      f = b ^ c ^ d, k = 0x6ED9EBA1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
    } else {
      f = b ^ c ^ d, k = 0xCA62C1D6;
    }
    const uint32_t t = rotl(a, 5) + f + e + k + w[i];
    e = d, d = c, c = rotl(b, 30), b = a, a = t;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

}  // namespace

std::string sha1(std::string_view data) {
  std::array<uint32_t, 5> h = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::string msg(data);
  const uint64_t bits = static_cast<uint64_t>(data.size()) * 8;
  msg.push_back(static_cast<char>(0x80));
  while (msg.size() % 64 != 56) msg.push_back('\0');
  for (int i = 7; i >= 0; --i) msg.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  for (size_t off = 0; off < msg.size(); off += 64) {
    sha1_block(reinterpret_cast<const unsigned char*>(msg.data() + off), h);
  }
  std::string out(20, '\0');
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 4; ++j) out[4 * i + j] = static_cast<char>((h[i] >> (24 - 8 * j)) & 0xff);
  }
  return out;
}

std::string accept_key(std::string_view client_key) {
  const std::string digest = sha1(std::string(client_key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  char b64[64];
  sodium_bin2base64(b64, sizeof b64, reinterpret_cast<const unsigned char*>(digest.data()), digest.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  return b64;
}

Result<bool> FrameDecoder::next(Frame* out) {
  if (buf_.size() < 2) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(buf_.data());
  const bool fin = (p[0] & 0x80) != 0;
  const uint8_t opcode = p[0] & 0x0f;
  if ((p[0] & 0x70) != 0) return Status(ErrorKind::kProtocol, "reserved bits set");
  if ((p[1] & 0x80) == 0) return Status(ErrorKind::kProtocol, "client frames must be masked");
  const bool control = (opcode & 0x08) != 0;
  if (opcode != kContinuation && opcode != kText && opcode != kBinary && opcode != kClose && opcode != kPing &&
      opcode != kPong) {
    return Status(ErrorKind::kProtocol, "unknown opcode");
  }
  uint64_t len = p[1] & 0x7f;
  size_t header = 2;
  if (len == 126) {
    if (buf_.size() < 4) return false;
    len = (uint64_t{p[2]} << 8) | p[3];
    header = 4;
  } else if (len == 127) {
    if (buf_.size() < 10) return false;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
    header = 10;
  }
  if (control && (len > 125 || !fin)) return Status(ErrorKind::kProtocol, "bad control frame");
  if (len > max_payload_) return Status(ErrorKind::kResourceExhausted, "frame too large");
  if (buf_.size() < header + 4 + len) return false;
  const unsigned char* mask = p + header;
  out->opcode = static_cast<Opcode>(opcode);
  out->fin = fin;
  out->payload.assign(buf_, header + 4, static_cast<size_t>(len));
  for (size_t i = 0; i < out->payload.size(); ++i) out->payload[i] = static_cast<char>(out->payload[i] ^ mask[i % 4]);
  buf_.erase(0, header + 4 + static_cast<size_t>(len));
  return true;
}

void encode_frame(Opcode opcode, std::string_view payload, std::string* out) {
  out->push_back(static_cast<char>(0x80 | opcode));
  const uint64_t len = payload.size();
  if (len < 126) {
    out->push_back(static_cast<char>(len));
  } else if (len <= 0xffff) {
    out->push_back(static_cast<char>(126));
    out->push_back(static_cast<char>(len >> 8));
    out->push_back(static_cast<char>(len & 0xff));
  } else {
    out->push_back(static_cast<char>(127));
    for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  }
  out->append(payload);
}

std::string close_payload(uint16_t code, std::string_view reason) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xff));
  p.append(reason.substr(0, 123));
  return p;
}

}  // namespace xr::app::ws
