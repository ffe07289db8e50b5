#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "stream/connection.h"
#include "stream/fcgi_wire.h"

using namespace xr::app;

namespace {

// What nginx sends for one GET: BEGIN_REQUEST, PARAMS, empty PARAMS, empty STDIN.
std::string nginx_request(uint16_t id, const std::vector<std::pair<std::string, std::string>>& params,
                          uint8_t flags = 0) {
  std::string out;
  fcgi::append_record(&out, fcgi::kBeginRequest, id, fcgi::begin_body(fcgi::kResponder, flags));
  fcgi::append_record(&out, fcgi::kParams, id, fcgi::encode_pairs(params));
  fcgi::append_record(&out, fcgi::kParams, id, {});
  fcgi::append_record(&out, fcgi::kStdin, id, {});
  return out;
}

std::string read_all(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fcgi_wire)

BOOST_AUTO_TEST_CASE(records_round_trip_with_padding_and_partial_input) {
  std::string out;
  fcgi::append_record(&out, fcgi::kStdout, 7, "hello");
  BOOST_TEST(out.size() == 8u + 5u);
  fcgi::Record r;
  BOOST_TEST(fcgi::parse_record(std::string_view(out).substr(0, 12), &r) == 0);
  BOOST_TEST(fcgi::parse_record(out, &r) == static_cast<long>(out.size()));
  BOOST_TEST(r.type == fcgi::kStdout);
  BOOST_TEST(r.request_id == 7);
  BOOST_TEST(r.content == "hello");
  std::string padded = out;  // nginx and libfcgi pad to 8 bytes: skipped
  padded[6] = 3;
  padded.append(3, '\0');
  BOOST_TEST(fcgi::parse_record(padded, &r) == static_cast<long>(padded.size()));
  BOOST_TEST(r.content == "hello");
  out[0] = 2;
  BOOST_TEST(fcgi::parse_record(out, &r) == -1);
}

BOOST_AUTO_TEST_CASE(long_names_and_values_use_four_byte_lengths) {
  const std::string big(300, 'x');
  std::vector<std::pair<std::string, std::string>> in{{"A", "b"}, {"HTTP_COOKIE", big}, {big, ""}};
  std::vector<std::pair<std::string, std::string>> back;
  BOOST_TEST(fcgi::parse_pairs(fcgi::encode_pairs(in), &back));
  BOOST_TEST((back == in));
  std::string bad = fcgi::encode_pairs(in);
  bad.pop_back();
  back.clear();
  BOOST_TEST(!fcgi::parse_pairs(bad, &back));
}

BOOST_AUTO_TEST_CASE(large_stdout_is_cut_into_64k_records_and_end_closes_the_stream) {
  std::string out;
  fcgi::append_stdout(&out, 1, std::string(150000, 'a'));
  fcgi::append_end(&out, 1);
  std::string_view in(out);
  std::vector<std::pair<uint8_t, size_t>> seen;
  fcgi::Record r;
  long n;
  while ((n = fcgi::parse_record(in, &r)) > 0) {
    seen.emplace_back(r.type, r.content.size());
    in.remove_prefix(static_cast<size_t>(n));
  }
  BOOST_TEST(in.empty());
  BOOST_REQUIRE(seen.size() == 5u);
  BOOST_TEST(seen[0].second == 65535u);
  BOOST_TEST(seen[2].second == 150000u - 2 * 65535u);
  BOOST_TEST(seen[3].first == fcgi::kStdout);
  BOOST_TEST(seen[3].second == 0u);
  BOOST_TEST(seen[4].first == fcgi::kEndRequest);
}

BOOST_AUTO_TEST_CASE(connection_assembles_a_request_fed_byte_by_byte) {
  int sv[2];
  BOOST_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
  Connection conn(sv[0]);
  const std::string req = nginx_request(1, {{"REQUEST_METHOD", "GET"}, {"REQUEST_URI", "/rest/v0/vms?ndjson&watch"}});
  for (size_t i = 0; i + 1 < req.size(); ++i) {
    BOOST_REQUIRE(write(sv[1], &req[i], 1) == 1);
    BOOST_TEST(conn.read_some());
    BOOST_TEST((conn.process_input() == Connection::Event::kNone));
  }
  BOOST_REQUIRE(write(sv[1], &req.back(), 1) == 1);
  BOOST_TEST(conn.read_some());
  BOOST_TEST((conn.process_input() == Connection::Event::kRequestReady));
  const auto env = conn.take_env();
  BOOST_REQUIRE(env.size() == 2u);
  BOOST_TEST(env[1] == "REQUEST_URI=/rest/v0/vms?ndjson&watch");
  conn.send("Status: 200 OK\r\n\r\nline\n");
  conn.end();
  BOOST_TEST(conn.closing());
  BOOST_TEST(conn.write_some());
  BOOST_TEST(conn.pending() == 0u);
  const std::string got = read_all(sv[1]);
  std::string expected;
  fcgi::append_stdout(&expected, 1, "Status: 200 OK\r\n\r\nline\n");
  fcgi::append_end(&expected, 1);
  BOOST_TEST(got == expected);
  close(sv[1]);
}

BOOST_AUTO_TEST_CASE(connection_refuses_a_second_request_and_answers_management_records) {
  int sv[2];
  BOOST_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
  Connection conn(sv[0]);
  std::string in;
  fcgi::append_record(&in, fcgi::kGetValues, 0, fcgi::encode_pairs({{"FCGI_MPXS_CONNS", ""}}));
  fcgi::append_record(&in, fcgi::kBeginRequest, 1, fcgi::begin_body(fcgi::kResponder, fcgi::kKeepConn));
  fcgi::append_record(&in, fcgi::kBeginRequest, 2, fcgi::begin_body(fcgi::kResponder, 0));
  fcgi::append_record(&in, fcgi::kAbortRequest, 1, {});
  BOOST_REQUIRE(write(sv[1], in.data(), in.size()) == static_cast<ssize_t>(in.size()));
  BOOST_TEST(conn.read_some());
  BOOST_TEST((conn.process_input() == Connection::Event::kAborted));
  BOOST_TEST(conn.write_some());
  const std::string got = read_all(sv[1]);
  std::string_view view(got);
  fcgi::Record r;
  long n = fcgi::parse_record(view, &r);
  BOOST_REQUIRE(n > 0);
  BOOST_TEST(r.type == fcgi::kGetValuesResult);
  std::vector<std::pair<std::string, std::string>> values;
  BOOST_TEST(fcgi::parse_pairs(r.content, &values));
  BOOST_REQUIRE(values.size() == 1u);
  BOOST_TEST(values[0].second == "0");
  view.remove_prefix(static_cast<size_t>(n));
  n = fcgi::parse_record(view, &r);  // empty STDOUT of request 2
  BOOST_REQUIRE(n > 0);
  view.remove_prefix(static_cast<size_t>(n));
  n = fcgi::parse_record(view, &r);
  BOOST_REQUIRE(n > 0);
  BOOST_TEST(r.type == fcgi::kEndRequest);
  BOOST_TEST(r.request_id == 2);
  BOOST_TEST(static_cast<int>(r.content[4]) == fcgi::kCantMpxConn);
  close(sv[1]);
}

BOOST_AUTO_TEST_SUITE_END()
