#include "stream/fcgi_wire.h"

namespace xr::app::fcgi {

namespace {

// A pair length: one byte below 128, else four bytes with the high bit set.
bool read_length(std::string_view data, size_t* pos, size_t* len) {
  if (*pos >= data.size()) return false;
  const auto b0 = static_cast<uint8_t>(data[*pos]);
  if ((b0 & 0x80) == 0) {
    *len = b0;
    *pos += 1;
    return true;
  }
  if (*pos + 4 > data.size()) return false;
  *len = (static_cast<size_t>(b0 & 0x7f) << 24) | (static_cast<size_t>(static_cast<uint8_t>(data[*pos + 1])) << 16) |
         (static_cast<size_t>(static_cast<uint8_t>(data[*pos + 2])) << 8) |
         static_cast<size_t>(static_cast<uint8_t>(data[*pos + 3]));
  *pos += 4;
  return true;
}

void write_length(std::string* out, size_t len) {
  if (len < 128) {
    out->push_back(static_cast<char>(len));
    return;
  }
  out->push_back(static_cast<char>(0x80 | ((len >> 24) & 0x7f)));
  out->push_back(static_cast<char>((len >> 16) & 0xff));
  out->push_back(static_cast<char>((len >> 8) & 0xff));
  out->push_back(static_cast<char>(len & 0xff));
}

}  // namespace

long parse_record(std::string_view in, Record* out) {
  if (in.size() < kHeaderSize) return 0;
  const auto* b = reinterpret_cast<const uint8_t*>(in.data());
  if (b[0] != 1) return -1;
  const size_t content = (static_cast<size_t>(b[4]) << 8) | b[5];
  const size_t total = kHeaderSize + content + b[6];
  if (in.size() < total) return 0;
  out->type = b[1];
  out->request_id = static_cast<uint16_t>((b[2] << 8) | b[3]);
  out->content = in.substr(kHeaderSize, content);
  return static_cast<long>(total);
}

bool parse_pairs(std::string_view data, std::vector<std::pair<std::string, std::string>>* out) {
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nlen = 0, vlen = 0;
    if (!read_length(data, &pos, &nlen) || !read_length(data, &pos, &vlen)) return false;
    if (nlen > data.size() - pos || vlen > data.size() - pos - nlen) return false;
    out->emplace_back(std::string(data.substr(pos, nlen)), std::string(data.substr(pos + nlen, vlen)));
    pos += nlen + vlen;
  }
  return true;
}

std::string encode_pairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out;
  for (const auto& [name, value] : pairs) {
    write_length(&out, name.size());
    write_length(&out, value.size());
    out.append(name).append(value);
  }
  return out;
}

void append_record(std::string* out, uint8_t type, uint16_t request_id, std::string_view content) {
  // No padding (optional in the protocol): nginx 1.22 reading an unbuffered response holds
  // the HTTP head back until body bytes come when padding follows the head's record.
  const size_t padding = 0;
  const char header[kHeaderSize] = {
      1,
      static_cast<char>(type),
      static_cast<char>(request_id >> 8),
      static_cast<char>(request_id & 0xff),
      static_cast<char>(content.size() >> 8),
      static_cast<char>(content.size() & 0xff),
      static_cast<char>(padding),
      0};
  out->append(header, kHeaderSize);
  out->append(content);
  out->append(padding, '\0');
}

void append_stdout(std::string* out, uint16_t request_id, std::string_view data) {
  while (!data.empty()) {
    const size_t n = data.size() < kMaxContent ? data.size() : kMaxContent;
    append_record(out, kStdout, request_id, data.substr(0, n));
    data.remove_prefix(n);
  }
}

void append_end(std::string* out, uint16_t request_id, uint32_t app_status, uint8_t protocol_status) {
  append_record(out, kStdout, request_id, {});
  const char body[8] = {static_cast<char>(app_status >> 24), static_cast<char>((app_status >> 16) & 0xff),
                        static_cast<char>((app_status >> 8) & 0xff), static_cast<char>(app_status & 0xff),
                        static_cast<char>(protocol_status), 0, 0, 0};
  append_record(out, kEndRequest, request_id, std::string_view(body, 8));
}

std::string begin_body(uint16_t role, uint8_t flags) {
  const char body[8] = {static_cast<char>(role >> 8), static_cast<char>(role & 0xff),
                        static_cast<char>(flags), 0, 0, 0, 0, 0};
  return std::string(body, 8);
}

}  // namespace xr::app::fcgi
