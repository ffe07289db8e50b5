#include <boost/test/unit_test.hpp>

#include "console/upgrade_request.h"
#include "console/websocket.h"
#include "xapi/console_tunnel.h"

using namespace xr::app;

namespace {

// A client frame as a browser sends it: FIN, opcode, masked payload.
std::string client_frame(uint8_t opcode, const std::string& payload, bool fin = true) {
  const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xff));
  }
  f.append(reinterpret_cast<const char*>(mask), 4);
  for (size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return f;
}

UpgradeRequest head(const std::string& extra) {
  auto r = parse_upgrade_head(
      "GET /api/consoles/0f2c8a5e-1d3b-4c6a-9e7f-123456789abc HTTP/1.1\r\nHost: xo.example:8443\r\n"
      "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Forwarded-Proto: https\r\n" + extra);
  BOOST_REQUIRE(r.is_ok());
  return *r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(console)

BOOST_AUTO_TEST_CASE(accept_key_is_rfc6455s_example) {
  BOOST_TEST(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

BOOST_AUTO_TEST_CASE(sha1_of_abc_and_of_a_multi_block_input) {
  auto hex = [](const std::string& d) {
    std::string out;
    char b[3];
    for (unsigned char c : d) std::snprintf(b, sizeof b, "%02x", c), out += b;
    return out;
  };
  BOOST_TEST(hex(ws::sha1("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  BOOST_TEST(hex(ws::sha1(std::string(1000, 'a'))) == "291e9a6c66994949b57ba5e650361e98fc36b1ba");
}

BOOST_AUTO_TEST_CASE(decoder_unmasks_frames_split_anywhere) {
  const std::string payload(300, 'x');
  const std::string bytes = client_frame(ws::kBinary, "RFB") + client_frame(ws::kBinary, payload) +
                            client_frame(ws::kPing, "hi");
  ws::FrameDecoder d(1 << 20);
  std::vector<ws::Frame> frames;
  for (char c : bytes) {  // byte by byte
    d.feed(std::string_view(&c, 1));
    ws::Frame f;
    auto got = d.next(&f);
    BOOST_REQUIRE(got.is_ok());
    if (*got) frames.push_back(f);
  }
  BOOST_REQUIRE_EQUAL(frames.size(), 3u);
  BOOST_TEST(frames[0].payload == "RFB");
  BOOST_TEST(frames[1].payload == payload);
  BOOST_TEST(frames[2].opcode == ws::kPing);
  BOOST_TEST(d.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(decoder_refuses_what_a_client_may_not_send) {
  ws::FrameDecoder d(100);
  ws::Frame f;
  d.feed(std::string("\x82\x03RFB", 5));  // unmasked
  BOOST_TEST(d.next(&f).status().kind() == xr::ErrorKind::kProtocol);
  ws::FrameDecoder big(100);
  big.feed(client_frame(ws::kBinary, std::string(200, 'y')));
  BOOST_TEST(big.next(&f).status().kind() == xr::ErrorKind::kResourceExhausted);
  ws::FrameDecoder ping(1000);
  ping.feed(client_frame(ws::kPing, "x", false));  // fragmented control frame
  BOOST_TEST(ping.next(&f).status().kind() == xr::ErrorKind::kProtocol);
}

BOOST_AUTO_TEST_CASE(encoder_uses_the_shortest_length_form) {
  std::string out;
  ws::encode_frame(ws::kBinary, std::string(125, 'a'), &out);
  BOOST_TEST(out.size() == 2u + 125u);
  out.clear();
  ws::encode_frame(ws::kBinary, std::string(126, 'a'), &out);
  BOOST_TEST(out.size() == 4u + 126u);
  out.clear();
  ws::encode_frame(ws::kBinary, std::string(70000, 'a'), &out);
  BOOST_TEST(out.size() == 10u + 70000u);
  BOOST_TEST(static_cast<unsigned char>(out[0]) == 0x82u);
}

BOOST_AUTO_TEST_CASE(upgrade_request_path_headers_and_subprotocol) {
  UpgradeRequest r = head("Sec-WebSocket-Protocol: chat, binary\r\nCookie: authenticationToken=t\r\n");
  BOOST_TEST(*console_vm_id(r) == "0f2c8a5e-1d3b-4c6a-9e7f-123456789abc");
  BOOST_TEST(check_websocket_headers(r).is_ok());
  BOOST_TEST(pick_subprotocol(r) == "binary");
  BOOST_TEST(pick_subprotocol(head("")) == "");
  r.target = "/api/consoles/nope";
  BOOST_TEST(console_vm_id(r).status().kind() == xr::ErrorKind::kInvalidArgument);
  r.target = "/api/other/0f2c8a5e-1d3b-4c6a-9e7f-123456789abc";
  BOOST_TEST(console_vm_id(r).status().kind() == xr::ErrorKind::kNotFound);
  BOOST_TEST(!parse_upgrade_head("GET / HTTP/1.0\r\n").is_ok());
}

BOOST_AUTO_TEST_CASE(origin_must_be_this_site) {
  BOOST_TEST(check_same_origin(head("")).is_ok());  // no Origin: not a browser
  BOOST_TEST(check_same_origin(head("Origin: https://xo.example:8443\r\n")).is_ok());
  BOOST_TEST(check_same_origin(head("Origin: https://XO.example:8443\r\n")).is_ok());
  for (const char* bad : {"https://evil.example:8443", "http://xo.example:8443", "https://xo.example",
                          "null", "https://xo.example:8443/x", "https://xo.example:8443.evil"}) {
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST(check_same_origin(head(std::string("Origin: ") + bad + "\r\n")).kind() == xr::ErrorKind::kForbidden);
    }
  }
  // default ports are the same origin whether written or not
  auto r = parse_upgrade_head("GET /api/consoles/x HTTP/1.1\r\nHost: xo.example\r\nX-Forwarded-Proto: https\r\n"
                              "Origin: https://xo.example:443\r\n");
  BOOST_TEST(check_same_origin(*r).is_ok());
}

BOOST_AUTO_TEST_CASE(console_location_split) {
  std::string host, target;
  BOOST_TEST(xr::xapi::split_console_location("https://10.0.0.2/console?uuid=abc", &host, &target).is_ok());
  BOOST_TEST(host == "10.0.0.2");
  BOOST_TEST(target == "/console?uuid=abc");
  BOOST_TEST(xr::xapi::split_console_location("https://[fd00::2]/console?ref=OpaqueRef:1", &host, &target).is_ok());
  BOOST_TEST(host == "[fd00::2]");
  BOOST_TEST(!xr::xapi::split_console_location("ftp://h/console", &host, &target).is_ok());
  BOOST_TEST(!xr::xapi::split_console_location("https:///console", &host, &target).is_ok());
  BOOST_TEST(!xr::xapi::split_console_location("https://h/console?x=1 2", &host, &target).is_ok());
}

BOOST_AUTO_TEST_SUITE_END()
