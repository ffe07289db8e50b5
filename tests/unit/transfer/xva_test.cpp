#include <boost/test/unit_test.hpp>

#include "transfer/xva_check.h"
#include "transfer_test_util.h"

using namespace xr;
using namespace xr::transfer;
using namespace xr::transfer::test;

BOOST_AUTO_TEST_SUITE(xva)

BOOST_AUTO_TEST_CASE(an_xva_with_ova_xml_first_passes_and_every_entry_is_walked) {
  std::string x = small_xva();
  Result<XvaInfo> info = check_xva(MemoryFile(x));
  BOOST_REQUIRE_MESSAGE(info.is_ok(), info.status().to_string());
  BOOST_CHECK(info->compression == XvaCompression::kNone);
  BOOST_CHECK_EQUAL(info->entries, 3u);
}

BOOST_AUTO_TEST_CASE(an_archive_not_starting_with_ova_xml_is_refused_by_name) {
  std::string x = tar_entry("Ref:1/00000000", "abc") + tar_entry("ova.xml", "<value/>") +
                  std::string(1024, '\0');
  Result<XvaInfo> r = check_xva(MemoryFile(x));
  BOOST_CHECK(r.status().kind() == ErrorKind::kInvalidArgument);
  BOOST_CHECK_NE(r.status().message().find("first entry is 'Ref:1/00000000', expected ova.xml"),
                 std::string::npos);
}

BOOST_AUTO_TEST_CASE(truncated_archives_are_refused_wherever_they_stop) {
  std::string x = small_xva();
  for (size_t cut : {size_t{100}, size_t{600}, size_t{1600}, x.size() - 1024, x.size() - 1})
    BOOST_CHECK_MESSAGE(!check_xva(MemoryFile(std::string_view(x).substr(0, cut))).is_ok(),
                        "cut at " << cut);
  Result<XvaInfo> r = check_xva(MemoryFile(std::string_view(x).substr(0, x.size() - 1024)));
  BOOST_CHECK_NE(r.status().message().find("truncated"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_corrupt_header_checksum_and_non_tar_input_are_refused) {
  std::string x = small_xva();
  x[1024 + 3] ^= 1;  // the name of the second entry's header
  BOOST_CHECK_NE(check_xva(MemoryFile(x)).status().message().find("checksum mismatch"),
                 std::string::npos);
  BOOST_CHECK_NE(check_xva(MemoryFile(std::string(4096, 'z'))).status().message().find("not a tar"),
                 std::string::npos);
}

BOOST_AUTO_TEST_CASE(zstd_and_gzip_archives_are_sniffed_and_their_first_entry_checked) {
  TempDir dir;
  std::string good = dir.file("good.xva", small_xva());
  std::string bad = dir.file("bad.xva", tar_entry("nope", "x") + std::string(1024, '\0'));
  BOOST_REQUIRE_EQUAL(run("zstd -q -k " + good + " " + bad), 0);
  BOOST_REQUIRE_EQUAL(run("gzip -k " + good), 0);
  std::string zs = read_file(good + ".zst"), gz = read_file(good + ".gz"),
              zbad = read_file(bad + ".zst");
  Result<XvaInfo> z = check_xva(MemoryFile(zs));
  BOOST_REQUIRE_MESSAGE(z.is_ok(), z.status().to_string());
  BOOST_CHECK(z->compression == XvaCompression::kZstd);
  Result<XvaInfo> g = check_xva(MemoryFile(gz));
  BOOST_REQUIRE_MESSAGE(g.is_ok(), g.status().to_string());
  BOOST_CHECK(g->compression == XvaCompression::kGzip);
  BOOST_CHECK_NE(check_xva(MemoryFile(zbad)).status().message().find("expected ova.xml"),
                 std::string::npos);
  std::string zcorrupt = zs;
  for (size_t i = 8; i < zcorrupt.size(); ++i) zcorrupt[i] = static_cast<char>(0xA5 ^ i);
  BOOST_CHECK(!check_xva(MemoryFile(zcorrupt)).is_ok());
}

BOOST_AUTO_TEST_SUITE_END()
