#include <boost/test/unit_test.hpp>

#include "transfer/vhd_check.h"
#include "transfer/vhd_layout.h"
#include "transfer_test_util.h"

using namespace xr;
using namespace xr::transfer;
using namespace xr::transfer::test;

BOOST_AUTO_TEST_SUITE(vhd)

BOOST_AUTO_TEST_CASE(footer_round_trips_and_a_flipped_byte_fails_the_checksum) {
  VhdUid uid{};
  std::string f = make_vhd_footer(64ull << 20, uid);
  Result<VhdFooter> p = parse_vhd_footer(f);
  BOOST_REQUIRE_MESSAGE(p.is_ok(), p.status().to_string());
  BOOST_CHECK_EQUAL(p->current_size, 64ull << 20);
  BOOST_CHECK(p->type == VhdType::kDynamic);
  BOOST_CHECK_EQUAL(p->data_offset, 512u);
  f[100] ^= 1;
  Result<VhdFooter> bad = parse_vhd_footer(f);
  BOOST_CHECK(bad.status().kind() == ErrorKind::kInvalidArgument);
  BOOST_CHECK_NE(bad.status().message().find("checksum"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(layout_size_is_known_before_the_first_byte) {
  std::string img = make_vhd(10ull << 20, {0, 3});
  VhdLayout layout(10ull << 20, {0, 3}, VhdUid{});
  BOOST_CHECK_EQUAL(layout.size(), img.size());
  // footer + header + zero sector + BAT(5 entries -> one sector) + 2 blocks + footer
  BOOST_CHECK_EQUAL(layout.size(), 512u + 1024 + 512 + 512 + 2 * (512 + (2u << 20)) + 512);
  BOOST_CHECK_EQUAL(layout.block_offset(1), 2560u + 512 + (2u << 20));
}

BOOST_AUTO_TEST_CASE(a_well_formed_dynamic_vhd_passes_with_its_size_and_blocks) {
  std::string img = make_vhd(10ull << 20, {0, 2, 4});
  Result<VhdInfo> info = check_vhd(MemoryFile(img));
  BOOST_REQUIRE_MESSAGE(info.is_ok(), info.status().to_string());
  BOOST_CHECK_EQUAL(info->virtual_size, 10ull << 20);
  BOOST_CHECK_EQUAL(info->allocated_blocks, 3u);
}

BOOST_AUTO_TEST_CASE(a_truncated_vhd_is_refused_naming_the_truncation) {
  std::string img = make_vhd(10ull << 20, {0, 2, 4});
  std::string cut = img.substr(0, img.size() - (1u << 20));
  Result<VhdInfo> r = check_vhd(MemoryFile(cut));
  BOOST_CHECK(r.status().kind() == ErrorKind::kInvalidArgument);
  BOOST_CHECK_NE(r.status().message().find("truncated"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_block_past_the_end_is_refused_even_with_a_valid_footer) {
  std::string img = make_vhd(10ull << 20, {0, 2, 4});
  // Drop the last block but keep the footer: the BAT now points past the data.
  std::string cut = img.substr(0, img.size() - 512 - (512 + (2u << 20))) + img.substr(img.size() - 512);
  Result<VhdInfo> r = check_vhd(MemoryFile(cut));
  BOOST_CHECK_NE(r.status().message().find("block 4 lies beyond"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(corrupt_header_and_wrong_formats_are_refused) {
  std::string img = make_vhd(4ull << 20, {1});
  std::string bad_header = img;
  bad_header[512 + 40] ^= 0x55;  // inside the dynamic header
  BOOST_CHECK_NE(check_vhd(MemoryFile(bad_header)).status().message().find("dynamic header: checksum"),
                 std::string::npos);
  std::string raw(1 << 20, 'r');
  BOOST_CHECK_NE(check_vhd(MemoryFile(raw)).status().message().find("conectix"), std::string::npos);
  BOOST_CHECK_NE(check_vhd(MemoryFile("abc")).status().message().find("shorter than a footer"),
                 std::string::npos);
  std::string copy_differs = img;
  copy_differs[68] ^= 1;  // uid of the copy at the start
  BOOST_CHECK(!check_vhd(MemoryFile(copy_differs)).is_ok());
}

BOOST_AUTO_TEST_CASE(a_fixed_vhd_must_hold_exactly_its_size) {
  std::string footer = make_vhd_footer(1 << 20, VhdUid{});
  // Turn it into a fixed disk footer: type 2, data offset all ones.
  store_be32(footer.data() + 60, 2);
  store_be64(footer.data() + 16, ~uint64_t{0});
  store_be32(footer.data() + 64, vhd_checksum(footer, 64));
  std::string img = std::string(1 << 20, 'd') + footer;
  Result<VhdInfo> ok = check_vhd(MemoryFile(img));
  BOOST_REQUIRE_MESSAGE(ok.is_ok(), ok.status().to_string());
  BOOST_CHECK(ok->type == VhdType::kFixed);
  std::string cut = img.substr(4096);
  BOOST_CHECK(!check_vhd(MemoryFile(cut)).is_ok());
}

BOOST_AUTO_TEST_CASE(head_parser_reads_the_block_map_fed_byte_by_byte_or_at_once) {
  std::string img = make_vhd(9ull << 20, {1, 4});
  VhdHeadParser whole;
  Result<size_t> used = whole.feed(img);
  BOOST_REQUIRE(used.is_ok());
  BOOST_CHECK(whole.done());
  BOOST_CHECK_EQUAL(*used, 2048u + 5 * 4);  // up to the last BAT entry
  BOOST_CHECK_EQUAL(whole.virtual_size(), 9ull << 20);
  BOOST_CHECK((whole.blocks() == std::vector<uint32_t>{1, 4}));
  BOOST_CHECK_EQUAL(whole.stream_size(), img.size());
  VhdHeadParser pieces;
  size_t at = 0;
  while (!pieces.done()) {
    Result<size_t> n = pieces.feed(std::string_view(img).substr(at, 7));
    BOOST_REQUIRE(n.is_ok());
    at += *n;
  }
  BOOST_CHECK_EQUAL(at, 2068u);
  BOOST_CHECK((pieces.blocks() == std::vector<uint32_t>{1, 4}));
  std::string empty = make_vhd(3ull << 20, {});
  VhdHeadParser none;
  BOOST_REQUIRE(none.feed(empty).is_ok());
  BOOST_CHECK_EQUAL(none.stream_size(), empty.size());
  VhdHeadParser garbage;
  BOOST_CHECK(garbage.feed(std::string(2000, 'x')).status().kind() == ErrorKind::kProtocol);
}

// Interoperability with qemu: its VHDs pass our check, ours read back as the same bytes.
BOOST_AUTO_TEST_CASE(qemu_img_reads_our_layout_and_its_vhds_pass_our_check) {
  TempDir dir;
  std::string raw(6 << 20, '\0');
  std::fill(raw.begin() + (2 << 20), raw.begin() + (4 << 20), '\x02');  // block 1 holds 1 + 1
  std::string raw_path = dir.file("disk.raw", raw);
  std::string ours = dir.file("ours.vhd", make_vhd(6 << 20, {1}));
  BOOST_CHECK_EQUAL(run("qemu-img compare -f raw -F vpc " + raw_path + " " + ours), 0);
  std::string theirs = dir.path + "/qemu.vhd";
  BOOST_REQUIRE_EQUAL(run("qemu-img convert -f raw -O vpc -o subformat=dynamic,force_size=on " +
                          raw_path + " " + theirs), 0);
  std::string bytes = read_file(theirs);
  Result<VhdInfo> info = check_vhd(MemoryFile(bytes));
  BOOST_REQUIRE_MESSAGE(info.is_ok(), info.status().to_string());
  BOOST_CHECK_EQUAL(info->virtual_size, 6u << 20);
}

BOOST_AUTO_TEST_SUITE_END()
