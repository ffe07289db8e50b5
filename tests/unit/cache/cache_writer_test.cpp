// Writer behaviour: order, updates, removals, compaction, full cache, restart, pools, log.
#include <boost/test/unit_test.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <limits>
#include <thread>

#include "cache/reader.h"
#include "cache/writer.h"
#include "sample_objects.h"
#include "test_support.h"

namespace xr::cache {
namespace {

using testing::to_json;

rapidjson::Value small(const std::string& id, int gen, rapidjson::Document::AllocatorType& a,
                       std::size_t pad = 32) {
  rapidjson::Value o(rapidjson::kObjectType);
  samples::add(o, "id", id, a);
  samples::add(o, "gen", rapidjson::Value(gen), a);
  samples::add(o, "pad", std::string(pad, 'p'), a);
  return o;
}

std::vector<std::string> ids_in_order(const Reader& r, std::string_view coll) {
  std::vector<std::string> ids;
  ScanCursor cur;
  std::string out;
  while (!cur.done) {
    BOOST_REQUIRE(r.scan(coll, cur, out, 1 << 20, [&](const ObjectView& v, std::string&) {
                     ids.emplace_back(v.id());
                     return true;
                   }).is_ok());
  }
  return ids;
}

struct Fixture {
  Segment seg = std::move(Segment::create({8u << 20, 64}).value());
  Writer writer{seg};
  Reader reader{seg};
  rapidjson::Document doc;
  rapidjson::Document::AllocatorType& a = doc.GetAllocator();
};

BOOST_FIXTURE_TEST_SUITE(cache_writer, Fixture)

BOOST_AUTO_TEST_CASE(iteration_is_insertion_order_and_updates_keep_their_place) {
  for (std::string id : {"c", "a", "b"}) BOOST_REQUIRE(writer.put("vms", id, small(id, 0, a)).is_ok());
  BOOST_REQUIRE(writer.put("vms", "a", small("a", 1, a)).is_ok());
  BOOST_TEST((ids_in_order(reader, "vms") == std::vector<std::string>{"c", "a", "b"}));
  std::string out;
  BOOST_REQUIRE(reader.get_json("vms", "a", out));
  BOOST_TEST(out == to_json(small("a", 1, a)));
  BOOST_TEST(reader.count("vms") == 3u);
}

BOOST_AUTO_TEST_CASE(current_gives_the_object_as_last_stored_until_it_is_removed) {
  std::string json;
  BOOST_TEST(!writer.current("vms", "a", &json));  // unknown collection
  BOOST_REQUIRE(writer.put("vms", "a", small("a\"q", 0, a)).is_ok());  // escaped text
  BOOST_REQUIRE(writer.put("vms", "a", small("a\"q", 1, a)).is_ok());
  BOOST_REQUIRE(writer.current("vms", "a", &json));
  BOOST_TEST(json == to_json(small("a\"q", 1, a)));
  BOOST_TEST(!writer.current("vms", "b", &json));
  BOOST_TEST(!writer.current("hosts", "a", &json));
  BOOST_REQUIRE(writer.compact().is_ok());  // found in the other half after a compaction
  BOOST_REQUIRE(writer.current("vms", "a", &json));
  BOOST_TEST(json == to_json(small("a\"q", 1, a)));
  BOOST_REQUIRE(writer.erase("vms", "a").is_ok());
  BOOST_TEST(!writer.current("vms", "a", &json));
}

BOOST_AUTO_TEST_CASE(a_prepared_upsert_stores_what_upsert_stores) {
  // prepare() may run on another thread (the model maps a first sync on two): the record it
  // encodes is stored byte for byte as upsert() would store the object, in the same order.
  Segment seg2 = std::move(Segment::create({8u << 20, 64}).value());
  Writer direct{seg2};
  Reader direct_reader{seg2};
  writer.begin_batch();
  direct.begin_batch();
  for (std::string id : {"c", "a\"q", "b"}) {
    xo::ObjectSink::Prepared p;
    writer.prepare(id, small(id, 0, a), &p);
    BOOST_REQUIRE(p.ok);
    writer.upsert_prepared(id == "b" ? "hosts" : "vms", id, p);
    direct.upsert(id == "b" ? "hosts" : "vms", id, small(id, 0, a));
  }
  writer.end_batch();
  direct.end_batch();
  BOOST_TEST(writer.last_error().is_ok());
  BOOST_TEST((ids_in_order(reader, "vms") == ids_in_order(direct_reader, "vms")));
  for (std::string id : {"c", "a\"q"}) {
    std::string got, want;
    BOOST_REQUIRE(writer.current("vms", id, &got));
    BOOST_REQUIRE(direct.current("vms", id, &want));
    BOOST_TEST(got == want);
  }
  std::string out;
  BOOST_TEST(reader.get_json("hosts", "b", out));
  BOOST_TEST(!reader.get_json("vms", "b", out));
  // An object the cache cannot hold is refused at storing time, as upsert() refuses it.
  rapidjson::Value bad(rapidjson::kObjectType);
  bad.AddMember("x", rapidjson::Value(std::numeric_limits<double>::quiet_NaN()), a);
  xo::ObjectSink::Prepared p;
  writer.prepare("n", bad, &p);
  BOOST_TEST(!p.ok);
  writer.upsert_prepared("vms", "n", p);
  BOOST_TEST(writer.last_error().kind() == ErrorKind::kInvalidArgument);
  BOOST_TEST(!reader.get_json("vms", "n", out));
}

BOOST_AUTO_TEST_CASE(removed_objects_disappear_and_reinsertion_goes_last) {
  for (std::string id : {"a", "b", "c"}) BOOST_REQUIRE(writer.put("vms", id, small(id, 0, a)).is_ok());
  BOOST_REQUIRE(writer.erase("vms", "a").is_ok());
  BOOST_REQUIRE(writer.erase("vms", "zz").is_ok());  // absent: fine
  std::string out;
  BOOST_TEST(!reader.get_json("vms", "a", out));
  BOOST_TEST(reader.count("vms") == 2u);
  BOOST_REQUIRE(writer.put("vms", "a", small("a", 2, a)).is_ok());
  BOOST_TEST((ids_in_order(reader, "vms") == std::vector<std::string>{"b", "c", "a"}));
}

BOOST_AUTO_TEST_CASE(move_between_collections_removes_from_the_old_one) {
  BOOST_REQUIRE(writer.put("vms", "v", small("v", 0, a)).is_ok());
  writer.begin_batch();
  writer.remove("vms", "v");
  writer.upsert("vm-templates", "v", small("v", 1, a));
  writer.end_batch();
  BOOST_TEST(reader.count("vms") == 0u);
  BOOST_TEST(reader.count("vm-templates") == 1u);
  BOOST_TEST(writer.last_error().is_ok());
}

BOOST_AUTO_TEST_CASE(scan_resumes_from_cursor_in_chunks_and_honours_limit) {
  for (int i = 0; i < 100; ++i) {
    std::string id = "o" + std::to_string(i);
    BOOST_REQUIRE(writer.put("vms", id, small(id, i, a)).is_ok());
  }
  ScanCursor cur;
  std::string out;
  int calls = 0;
  while (!cur.done) {
    ++calls;
    BOOST_REQUIRE(reader.scan("vms", cur, out, 500, [](const ObjectView& v, std::string& o) {
                     v.append_json(o);
                     o.push_back('\n');
                     return true;
                   }).is_ok());
    // A writer change between chunks must not disturb the scan's position.
    if (calls == 2) BOOST_REQUIRE(writer.put("vms", "o0", small("o0", 99, a)).is_ok());
  }
  BOOST_TEST(calls > 5);
  BOOST_TEST(cur.emitted == 100u);
  BOOST_TEST(std::count(out.begin(), out.end(), '\n') == 100);

  ScanCursor limited;
  limited.limit = 7;
  std::string o2;
  int seen = 0;
  BOOST_REQUIRE(reader.scan("vms", limited, o2, 1 << 20, [&](const ObjectView&, std::string&) {
                   ++seen;
                   return seen % 2 == 0;  // emit every second object
                 }).is_ok());
  BOOST_TEST(limited.done);
  BOOST_TEST(limited.emitted == 7u);
  BOOST_TEST(seen == 14);
  ScanCursor unknown;
  BOOST_REQUIRE(reader.scan("nope", unknown, o2, 1, [](const ObjectView&, std::string&) { return true; }).is_ok());
  BOOST_TEST(unknown.done);
}

BOOST_AUTO_TEST_CASE(compaction_keeps_every_object_and_the_order) {
  for (int i = 0; i < 200; ++i) {
    std::string id = "o" + std::to_string(i);
    BOOST_REQUIRE(writer.put("vms", id, small(id, 0, a, 200)).is_ok());
  }
  // Churn far past one half (about 3.9 MB) to force several compactions.
  for (int round = 1; round <= 150; ++round) {
    for (int i = 0; i < 200; i += 3) {
      std::string id = "o" + std::to_string(i);
      BOOST_REQUIRE(writer.put("vms", id, small(id, round, a, 1000)).is_ok());
    }
  }
  BOOST_TEST(writer.stats().compactions >= 2u);
  std::vector<std::string> ids = ids_in_order(reader, "vms");
  BOOST_REQUIRE(ids.size() == 200u);
  for (int i = 0; i < 200; ++i) BOOST_TEST(ids[i] == "o" + std::to_string(i));
  std::string out;
  BOOST_REQUIRE(reader.get_json("vms", "o3", out));
  BOOST_TEST(out == to_json(small("o3", 150, a, 1000)));
  BOOST_REQUIRE(reader.get_json("vms", "o4", out.erase()));
  BOOST_TEST(out == to_json(small("o4", 0, a, 200)));
}

BOOST_AUTO_TEST_CASE(full_cache_is_reported_as_resource_exhausted_and_keeps_old_data) {
  Status last;
  int stored = 0;
  for (int i = 0; i < 100000 && last.is_ok(); ++i) {
    std::string id = "big" + std::to_string(i);
    last = writer.put("vms", id, small(id, i, a, 4000));
    if (last.is_ok()) ++stored;
  }
  BOOST_TEST(last.kind() == ErrorKind::kResourceExhausted);
  BOOST_TEST(stored > 500);
  BOOST_TEST(reader.full_errors() >= 1u);
  BOOST_TEST(reader.stats().full_errors == reader.full_errors());
  BOOST_TEST(reader.stats().live_bytes > reader.stats().half_bytes / 2);
  std::string out;
  BOOST_TEST(reader.get_json("vms", "big0", out));
  BOOST_TEST(reader.count("vms") == static_cast<std::size_t>(stored));
  // Through the ObjectSink interface the error is kept, not thrown.
  writer.upsert("vms", "one-more", small("one-more", 0, a, 4000));
  BOOST_TEST(writer.last_error().kind() == ErrorKind::kResourceExhausted);
  // Freeing space makes it work again.
  for (int i = 0; i < 100; ++i) BOOST_REQUIRE(writer.erase("vms", "big" + std::to_string(i)).is_ok());
  BOOST_TEST(writer.put("vms", "one-more", small("one-more", 0, a, 4000)).is_ok());
}

BOOST_AUTO_TEST_CASE(a_restarted_writer_continues_on_the_same_segment) {
  for (std::string id : {"a", "b"}) BOOST_REQUIRE(writer.put("vms", id, small(id, 0, a)).is_ok());
  BOOST_REQUIRE(writer.put("hosts", "h", small("h", 0, a)).is_ok());
  uint64_t seq = reader.last_change_seq();
  Writer again(seg);
  BOOST_REQUIRE(again.put("vms", "c", small("c", 0, a)).is_ok());
  BOOST_REQUIRE(again.put("vms", "a", small("a", 5, a)).is_ok());
  BOOST_TEST((ids_in_order(reader, "vms") == std::vector<std::string>{"a", "b", "c"}));
  BOOST_TEST(reader.count("hosts") == 1u);
  BOOST_TEST(reader.last_change_seq() == seq + 2);
}

BOOST_AUTO_TEST_CASE(erase_unless_converges_a_collection_after_resync) {
  for (std::string id : {"a", "b", "c", "d"}) BOOST_REQUIRE(writer.put("vms", id, small(id, 0, a)).is_ok());
  std::size_t removed = writer.erase_unless("vms", [](std::string_view id) { return id == "b" || id == "d"; });
  BOOST_TEST(removed == 2u);
  BOOST_TEST((ids_in_order(reader, "vms") == std::vector<std::string>{"b", "d"}));
}

BOOST_AUTO_TEST_CASE(several_pools_have_their_own_status_records) {
  PoolStatus p1{"xcp1.example", "pool-1", layout::PoolState::kConnected, true, 1000, 1000, ""};
  PoolStatus p2{"xcp2.example", "", layout::PoolState::kConnecting, false, 0, 1000, ""};
  BOOST_REQUIRE(writer.set_pool_status(p1).is_ok());
  BOOST_REQUIRE(writer.set_pool_status(p2).is_ok());
  BOOST_REQUIRE(writer.put("vms", "v1", small("v1", 0, a)).is_ok());
  BOOST_REQUIRE(writer.put("vms", "v2", small("v2", 0, a)).is_ok());
  p1.state = layout::PoolState::kDisconnected;
  p1.last_error = "connection refused";
  BOOST_REQUIRE(writer.set_pool_status(p1).is_ok());
  std::vector<PoolStatus> all = reader.pool_statuses();
  BOOST_REQUIRE(all.size() == 2u);
  BOOST_TEST(all[0].key == "xcp1.example");
  BOOST_TEST(all[0].pool_id == "pool-1");
  BOOST_TEST((all[0].state == layout::PoolState::kDisconnected));
  BOOST_TEST(all[0].last_error == "connection refused");
  BOOST_TEST(all[0].last_sync_ms == 1000);
  BOOST_TEST(all[1].key == "xcp2.example");
  BOOST_TEST(!all[1].ever_synced);
  BOOST_TEST(reader.count("vms") == 2u);  // objects keep being served
}

BOOST_AUTO_TEST_CASE(change_log_is_ordered_and_detects_a_reader_that_fell_behind) {
  uint32_t word = reader.change_word();
  writer.begin_batch();
  BOOST_REQUIRE(writer.put("vms", "a", small("a", 0, a)).is_ok());
  BOOST_REQUIRE(writer.put("hosts", "h", small("h", 0, a)).is_ok());
  BOOST_REQUIRE(writer.erase("vms", "a").is_ok());
  BOOST_TEST(reader.change_word() == word);  // wake-up only at the end of the batch
  writer.end_batch();
  BOOST_TEST(reader.change_word() != word);
  std::vector<Change> ch;
  BOOST_REQUIRE(reader.read_changes(0, 100, &ch).is_ok());
  BOOST_REQUIRE(ch.size() == 3u);
  BOOST_TEST(ch[0].seq == 1u);
  BOOST_TEST(ch[2].seq == 3u);
  BOOST_TEST(reader.collection_name(ch[1].collection) == "hosts");
  BOOST_TEST(ch[0].id == "a");
  BOOST_TEST((ch[2].op == layout::ChangeOp::kRemove));
  for (int i = 0; i < 100; ++i) BOOST_REQUIRE(writer.put("vms", "x", small("x", i, a)).is_ok());
  ch.clear();
  BOOST_TEST(reader.read_changes(3, 10, &ch).kind() == ErrorKind::kResourceExhausted);  // 64-entry ring
  ch.clear();
  BOOST_REQUIRE(reader.read_changes(reader.last_change_seq() - 10, 100, &ch).is_ok());
  BOOST_TEST(ch.size() == 10u);
}

BOOST_AUTO_TEST_CASE(a_waiting_reader_is_woken_by_the_end_of_a_batch) {
  uint32_t word = reader.change_word();
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    writer.begin_batch();
    writer.upsert("vms", "w", small("w", 0, a));
    writer.end_batch();
  });
  auto start = std::chrono::steady_clock::now();
  uint32_t now = word;
  while (now == word && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    now = reader.wait_for_change(word, 5000);
  }
  t.join();
  BOOST_TEST(now != word);
  BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(4)));
}

BOOST_AUTO_TEST_CASE(a_segment_attached_by_fd_shows_the_same_objects) {
  BOOST_REQUIRE(writer.put("vms", "a", small("a", 7, a)).is_ok());
  auto other = Segment::attach(seg.fd());
  BOOST_REQUIRE(other.is_ok());
  Reader r2(other.value());
  std::string out;
  BOOST_REQUIRE(r2.get_json("vms", "a", out));
  BOOST_TEST(out == to_json(small("a", 7, a)));
  BOOST_TEST(other.value().resident_bytes() > 0u);
}

BOOST_AUTO_TEST_CASE(bad_segment_sizes_and_foreign_fds_are_rejected) {
  BOOST_TEST(Segment::create({1u << 20, 64}).status().kind() == ErrorKind::kInvalidArgument);
  BOOST_TEST(Segment::create({8u << 20, 0}).status().kind() == ErrorKind::kInvalidArgument);
  int fd = memfd_create("not-a-cache", 0);
  BOOST_REQUIRE(fd >= 0);
  BOOST_REQUIRE(ftruncate(fd, 1 << 20) == 0);
  BOOST_TEST(Segment::attach(fd).status().kind() == ErrorKind::kInvalidArgument);
  close(fd);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace xr::cache
