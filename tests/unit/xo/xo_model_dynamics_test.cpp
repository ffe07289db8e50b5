// Derived fields across related changes, collection moves, deletions and full-resync
// convergence of PoolModel.
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "xapi/event_spool.h"
#include "xo_fixtures.h"

using namespace xotest;
using xr::xapi::EventBatch;
using xr::xo::PoolModel;


BOOST_AUTO_TEST_SUITE(xo_model_dynamics)

BOOST_AUTO_TEST_CASE(guest_metrics_update_changes_main_ip_address) {
  Loaded l;
  BOOST_TEST(str(l.sink.get("vms", "u-vm1"), "mainIpAddress") == "10.0.0.5");
  l.apply(
      {ev("vm_guest_metrics", "mod", "OpaqueRef:vm1g",
          guest_metrics_rec("u-vm1g", {{"1/ipv4/0", "192.168.1.9"}, {"0/ipv6/0", "fe80::2"}}))});
  auto vm = l.sink.get("vms", "u-vm1");
  BOOST_TEST(str(vm, "mainIpAddress") == "192.168.1.9");
  BOOST_TEST(str(vm["addresses"], "1/ipv4/0") == "192.168.1.9");
  BOOST_TEST(!vm["addresses"].HasMember("0/ipv4/0"));
  BOOST_TEST(str(vm, "name_label") == "vm1");  // base kept across derived-only re-emission
  BOOST_TEST(l.logged("upsert vms/u-vm1"));
  BOOST_TEST(l.sink.log.size() == 1u);  // only the owner VM is re-emitted
}

BOOST_AUTO_TEST_CASE(unchanged_metrics_do_not_re_emit_the_vm) {
  Loaded l;
  l.apply({ev("vm_metrics", "mod", "OpaqueRef:vm1m", vm_metrics_rec("u-vm1m", 3, 1073741824))});
  BOOST_TEST(l.sink.log.empty());
}

BOOST_AUTO_TEST_CASE(vm_metrics_update_changes_cpus_and_memory) {
  Loaded l;
  set(l.w.rec("OpaqueRef:vm1g"), "memory", M({}));
  l.apply({ev("vm_metrics", "mod", "OpaqueRef:vm1m", vm_metrics_rec("u-vm1m", 4, 2147483648))});
  auto vm = l.sink.get("vms", "u-vm1");
  BOOST_TEST(vm["CPUs"]["number"].GetInt() == 4);
  BOOST_TEST(vm["memory"]["size"].GetInt64() == 2147483648LL);
}

BOOST_AUTO_TEST_CASE(host_metrics_drive_power_state_and_memory) {
  Loaded l;
  auto h1 = l.sink.get("hosts", "u-host1");
  BOOST_TEST(str(h1, "power_state") == "Running");
  BOOST_TEST(h1["memory"]["size"].GetInt64() == 16LL << 30);  // rounded up to a GiB
  BOOST_TEST(h1["memory"]["usage"].GetInt64() == 12LL << 30);
  auto h2 = l.sink.get("hosts", "u-host2");
  BOOST_TEST(str(h2, "power_state") == "Unknown");
  BOOST_TEST(h2["memory"]["total"].GetInt() == 0);
  l.apply({ev("host_metrics", "mod", "OpaqueRef:hm1",
              host_metrics_rec("u-hm1", 16LL << 30, 1LL << 30, false))});
  h1 = l.sink.get("hosts", "u-host1");
  BOOST_TEST(str(h1, "power_state") == "Halted");
  BOOST_TEST(h1["memory"]["usage"].GetInt64() == 15LL << 30);
}

BOOST_AUTO_TEST_CASE(vm_migration_moves_container) {
  Loaded l;
  Value vm1 = l.w.rec("OpaqueRef:vm1");
  set(vm1, "resident_on", S("OpaqueRef:host2"));
  l.apply({ev("vm", "mod", "OpaqueRef:vm1", vm1)});
  BOOST_TEST(str(l.sink.get("vms", "u-vm1"), "$container") == "u-host2");
}

BOOST_AUTO_TEST_CASE(sr_becoming_shared_re_derives_halted_vm_container) {
  Loaded l;
  BOOST_TEST(str(l.sink.get("vms", "u-vm2"), "$container") == "u-host1");
  BOOST_TEST(str(l.sink.get("srs", "u-srl"), "$container") == "u-host1");
  l.apply({ev("sr", "mod", "OpaqueRef:srl",
              sr_rec("u-srl", true, {"OpaqueRef:pbdl"}, {"OpaqueRef:vdi2"}))});
  BOOST_TEST(str(l.sink.get("vms", "u-vm2"), "$container") == "u-pool");
  BOOST_TEST(str(l.sink.get("srs", "u-srl"), "$container") == "u-pool");
}

BOOST_AUTO_TEST_CASE(vm_becoming_template_moves_collection) {
  Loaded l;
  Value vm2 = l.w.rec("OpaqueRef:vm2");
  set(vm2, "is_a_template", B(true));
  l.apply({ev("vm", "mod", "OpaqueRef:vm2", vm2)});
  BOOST_TEST(!l.sink.has("vms", "u-vm2"));
  BOOST_TEST(l.sink.has("vm-templates", "u-vm2"));
  BOOST_TEST(l.logged("remove vms/u-vm2"));
  BOOST_TEST(xr::xo::coll_name(l.model.resolve("u-vm2")->coll) == "vm-templates");
}

BOOST_AUTO_TEST_CASE(vdi_becoming_snapshot_moves_collection) {
  Loaded l;
  Value vdi = l.w.rec("OpaqueRef:vdi2");
  set(vdi, "is_a_snapshot", B(true));
  l.apply({ev("vdi", "mod", "OpaqueRef:vdi2", vdi)});
  BOOST_TEST(!l.sink.has("vdis", "u-vdi2"));
  BOOST_TEST(l.sink.has("vdi-snapshots", "u-vdi2"));
  BOOST_TEST(str(l.sink.get("vdi-snapshots", "u-vdi2"), "type") == "VDI-snapshot");
}

BOOST_AUTO_TEST_CASE(vdi_chain_usage_follows_parent_changes) {
  Loaded l;
  Value base = vdi_rec("u-base", "OpaqueRef:srs", {}, 1000);
  Value mid = vdi_rec("u-mid", "OpaqueRef:srs", {}, 50, "u-base");
  set(l.w.rec("OpaqueRef:vdi1"), "sm_config", M({{"vhd-parent", "u-mid"}}));
  // Child first: the chain must resolve within the batch whatever the order.
  l.apply({ev("vdi", "mod", "OpaqueRef:vdi1", l.w.rec("OpaqueRef:vdi1")),
           ev("vdi", "add", "OpaqueRef:mid", mid), ev("vdi", "add", "OpaqueRef:base", base)});
  BOOST_TEST(l.sink.get("vdis", "u-vdi1")["chainPhysicalUsage"].GetInt() == 1150);
  BOOST_TEST(str(l.sink.get("vdis", "u-vdi1"), "parent") == "u-mid");
  set(base, "physical_utilisation", I(2000));
  l.apply({ev("vdi", "mod", "OpaqueRef:base", base)});
  BOOST_TEST(l.sink.get("vdis", "u-vdi1")["chainPhysicalUsage"].GetInt() == 2150);
  BOOST_TEST(l.sink.get("vdis", "u-mid")["chainPhysicalUsage"].GetInt() == 2050);
  BOOST_TEST(l.logged("upsert vdis/u-vdi1"));
}

BOOST_AUTO_TEST_CASE(current_operations_rekeyed_by_task_uuid) {
  Loaded l;
  Value vm1 = l.w.rec("OpaqueRef:vm1");
  set(vm1, "current_operations", M({{"OpaqueRef:task1", "clean_shutdown"}}));
  l.apply({ev("vm", "mod", "OpaqueRef:vm1", vm1)});
  BOOST_TEST(l.sink.get("vms", "u-vm1")["current_operations"].ObjectEmpty());  // unknown task
  l.apply({ev("task", "add", "OpaqueRef:task1", R({{"uuid", S("u-task1")}}))});
  auto vm = l.sink.get("vms", "u-vm1");
  BOOST_TEST(str(vm["current_operations"], "u-task1") == "clean_shutdown");
}

BOOST_AUTO_TEST_CASE(delete_removes_object_and_rederives_owner) {
  Loaded l;
  l.apply({ev("vm_guest_metrics", "del", "OpaqueRef:vm1g")});
  auto vm = l.sink.get("vms", "u-vm1");
  BOOST_TEST(!vm.HasMember("mainIpAddress"));
  BOOST_TEST(vm["xenTools"].IsFalse());
  l.apply({ev("vif", "del", "OpaqueRef:vif1")});
  BOOST_TEST(!l.sink.has("vifs", "u-vif1"));
  BOOST_TEST(!l.model.resolve("OpaqueRef:vif1").has_value());
}

BOOST_AUTO_TEST_CASE(full_resync_removes_vanished_objects) {
  Loaded l;
  World w2;
  std::erase_if(w2.objs, [](const auto& o) {
    return o.first == "OpaqueRef:vm2" || o.first == "OpaqueRef:vbd2";
  });
  set(w2.rec("OpaqueRef:vm1"), "name_label", S("renamed"));
  l.sink.log.clear();
  l.model.apply(w2.full(), l.sink);
  BOOST_TEST(!l.sink.has("vms", "u-vm2"));
  BOOST_TEST(!l.sink.has("vbds", "u-vbd2"));
  BOOST_TEST(l.logged("remove vms/u-vm2"));
  BOOST_TEST(str(l.sink.get("vms", "u-vm1"), "name_label") == "renamed");
  // The sink now holds exactly what a fresh model would produce.
  RecordingSink fresh;
  PoolModel m2;
  m2.apply(w2.full(), fresh);
  BOOST_TEST(fresh.objects == l.sink.objects);
}

namespace {
// The batch as the poller's event loop hands a full resync over (xapi::EventSpool).
EventBatch spooled(EventBatch b) {
  b.spool = std::make_shared<xr::xapi::EventSpool>();
  for (xr::xapi::Event& e : b.events) b.spool->add(std::move(e));
  b.events.clear();
  return b;
}
}  // namespace

BOOST_AUTO_TEST_CASE(spooled_full_resync_maps_like_the_decoded_batch_in_any_order) {
  World w;
  RecordingSink plain;
  PoolModel m1;
  m1.apply(w.full(), plain);
  BOOST_REQUIRE(plain.count("vms") > 0);
  for (bool reversed : {false, true}) {
    EventBatch b = w.full();
    if (reversed) std::reverse(b.events.begin(), b.events.end());  // every reference forward
    RecordingSink sink;
    PoolModel m2;
    m2.apply(spooled(std::move(b)), sink);
    BOOST_TEST(sink.batches == 1);
    BOOST_TEST(sink.objects == plain.objects);
    BOOST_TEST(m2.object_count() == m1.object_count());
  }
}

BOOST_AUTO_TEST_CASE(full_resync_mapped_on_two_threads_gives_the_same_objects_and_calls) {
  // A big pool's first sync is mapped on two threads (one object per chunk here, so that the
  // worker maps every other one): the same objects and the same sink calls, in order.
  World w;
  RecordingSink plain;
  PoolModel m1;
  m1.apply(w.full(), plain);
  for (bool spool : {false, true}) {
    for (bool reversed : {false, true}) {
      EventBatch b = w.full();
      if (reversed) std::reverse(b.events.begin(), b.events.end());
      RecordingSink one, two;
      PoolModel serial, parallel;
      parallel.set_parallel_min(0, 1);
      serial.apply(spool ? spooled(b) : b, one);
      parallel.apply(spool ? spooled(std::move(b)) : std::move(b), two);
      BOOST_TEST(parallel.last_phases().emit_threads == 2);
      BOOST_TEST(serial.last_phases().emit_threads == 1);
      BOOST_TEST(two.objects == one.objects);
      BOOST_TEST(two.log == one.log);
      BOOST_TEST(two.objects == plain.objects);
    }
  }
  // A later full resync of the same model, mapped on two threads, converges as well.
  World w2;
  std::erase_if(w2.objs, [](const auto& o) { return o.first == "OpaqueRef:vm2"; });
  set(w2.rec("OpaqueRef:vm1"), "name_label", S("renamed"));
  m1.set_parallel_min(0, 1);
  m1.apply(spooled(w2.full()), plain);
  RecordingSink fresh;
  PoolModel m2;
  m2.apply(w2.full(), fresh);
  BOOST_TEST(fresh.objects == plain.objects);
}

BOOST_AUTO_TEST_CASE(spooled_full_resync_removes_vanished_objects) {
  Loaded l;
  World w2;
  std::erase_if(w2.objs, [](const auto& o) { return o.first == "OpaqueRef:vm2"; });
  set(w2.rec("OpaqueRef:vm1"), "name_label", S("renamed"));
  l.model.apply(spooled(w2.full()), l.sink);
  BOOST_TEST(!l.sink.has("vms", "u-vm2"));
  BOOST_TEST(str(l.sink.get("vms", "u-vm1"), "name_label") == "renamed");
  RecordingSink fresh;
  PoolModel m2;
  m2.apply(w2.full(), fresh);
  BOOST_TEST(fresh.objects == l.sink.objects);
}

BOOST_AUTO_TEST_CASE(every_batch_is_one_sink_batch) {
  Loaded l;
  BOOST_TEST(l.sink.batches == 1);
  l.apply({});
  BOOST_TEST(l.sink.batches == 2);
}

BOOST_AUTO_TEST_CASE(resolve_by_uuid_and_opaque_ref) {
  Loaded l;
  auto a = l.model.resolve("u-srl");
  BOOST_REQUIRE(a.has_value());
  BOOST_TEST(a->id == "u-srl");
  BOOST_TEST(xr::xo::coll_name(a->coll) == "srs");
  BOOST_TEST(l.model.resolve("OpaqueRef:vm1")->id == "u-vm1");
  BOOST_TEST(!l.model.resolve("OpaqueRef:hm1").has_value());  // metrics are not served
  BOOST_TEST(!l.model.resolve("nope").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
