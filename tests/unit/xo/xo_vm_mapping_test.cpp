// VM-family mapping: running with tools, halted, without tools, templates, snapshots,
// control domains (reference xo-rest-api.md §c.1).
#include <boost/test/unit_test.hpp>

#include "xo_fixtures.h"

using namespace xotest;
using xr::xo::PoolModel;


BOOST_AUTO_TEST_SUITE(xo_vm_mapping)

BOOST_AUTO_TEST_CASE(running_vm_with_tools_uses_metrics) {
  Loaded l;
  auto vm = l.sink.get("vms", "u-vm1");
  BOOST_TEST(str(vm, "type") == "VM");
  BOOST_TEST(str(vm, "id") == "u-vm1");
  BOOST_TEST(str(vm, "uuid") == "u-vm1");
  BOOST_TEST(str(vm, "$pool") == "u-pool");
  BOOST_TEST(str(vm, "$poolId") == "u-pool");
  BOOST_TEST(str(vm, "_xapiRef") == "OpaqueRef:vm1");
  BOOST_TEST(str(vm, "power_state") == "Running");
  BOOST_TEST(str(vm, "$container") == "u-host1");
  BOOST_TEST(vm["CPUs"]["max"].GetInt64() == 4);
  BOOST_TEST(vm["CPUs"]["number"].GetInt64() == 3);  // VCPUs_number, tools present
  BOOST_TEST(vm["memory"]["size"].GetInt64() == 1073741824);
  BOOST_TEST(!vm["memory"].HasMember("usage"));
  BOOST_TEST(vm["memory"]["dynamic"][1].GetInt64() == 1073741824);
  BOOST_TEST(vm["memory"]["static"][0].GetInt64() == 268435456);
  BOOST_TEST(str(vm, "mainIpAddress") == "10.0.0.5");
  BOOST_TEST(str(vm["addresses"], "0/ipv4/0") == "10.0.0.5");
  BOOST_TEST(str(vm["addresses"], "0/ipv6/0") == "fe80::1");
  BOOST_TEST(vm["xenTools"]["major"].GetInt() == 9);
  BOOST_TEST(vm["xenTools"]["version"].GetDouble() == 9.1);
  BOOST_TEST(str(vm, "pvDriversVersion") == "9.1.2-100");
  BOOST_TEST(vm["pvDriversUpToDate"].GetBool());
  BOOST_TEST(vm["managementAgentDetected"].GetBool());
  BOOST_TEST(vm["startTime"].GetInt64() == 1742357784);
  BOOST_TEST(str(vm["os_version"], "distro") == "debian");
  BOOST_TEST(str(vm, "virtualizationMode") == "hvm");
  BOOST_TEST(str(vm, "vga") == "cirrus");
  BOOST_TEST(vm["videoram"].GetInt() == 4);
  BOOST_TEST(!vm.HasMember("PV_args"));
  BOOST_TEST(vm["coresPerSocket"].GetInt() == 2);
  BOOST_TEST(vm["viridian"].GetBool());
  BOOST_TEST(vm["$VBDs"][0].GetString() == std::string("u-vbd1"));
  BOOST_TEST(vm["VIFs"][0].GetString() == std::string("u-vif1"));
  BOOST_TEST(vm["vulnerabilities"]["xsa468"].IsFalse());
}

BOOST_AUTO_TEST_CASE(halted_vm_on_local_sr_is_contained_by_that_host) {
  Loaded l;
  auto vm = l.sink.get("vms", "u-vm2");
  BOOST_TEST(str(vm, "power_state") == "Halted");
  BOOST_TEST(str(vm, "$container") == "u-host1");             // VDI on the non-shared SR of host1
  BOOST_TEST(vm["memory"]["size"].GetInt64() == 1073741824);  // dynamic max
  BOOST_TEST(vm["CPUs"]["number"].GetInt64() == 2);           // VCPUs_at_startup
  BOOST_TEST(!vm.HasMember("xenTools"));
  BOOST_TEST(!vm.HasMember("pvDriversDetected"));
  BOOST_TEST(!vm.HasMember("mainIpAddress"));
  BOOST_TEST(!vm.HasMember("startTime"));
  BOOST_TEST(vm["os_version"].IsNull());
  BOOST_TEST(vm["addresses"].ObjectEmpty());
}

BOOST_AUTO_TEST_CASE(halted_vm_on_shared_sr_is_contained_by_the_pool) {
  Loaded l;
  set(l.w.rec("OpaqueRef:vbd2"), "VDI", S("OpaqueRef:vdi1"));
  l.reload();
  BOOST_TEST(str(l.sink.get("vms", "u-vm2"), "$container") == "u-pool");
}

BOOST_AUTO_TEST_CASE(running_vm_without_tools_reports_false_and_startup_cpus) {
  Loaded l;
  set(l.w.rec("OpaqueRef:vm1"), "guest_metrics", S("OpaqueRef:NULL"));
  l.reload();
  auto vm = l.sink.get("vms", "u-vm1");
  BOOST_TEST(vm["xenTools"].IsFalse());
  BOOST_TEST(vm["CPUs"]["number"].GetInt64() == 2);
  BOOST_TEST(vm["memory"]["size"].GetInt64() == 1073741824);  // metrics.memory_actual
  BOOST_TEST(!vm.HasMember("mainIpAddress"));
  BOOST_TEST(!vm.HasMember("managementAgentDetected"));
}

BOOST_AUTO_TEST_CASE(guest_memory_report_sets_usage) {
  Loaded l;
  set(l.w.rec("OpaqueRef:vm1g"), "memory", M({{"used", "300"}, {"total", "900"}}));
  l.reload();
  auto vm = l.sink.get("vms", "u-vm1");
  BOOST_TEST(vm["memory"]["usage"].GetInt() == 300);
  BOOST_TEST(vm["memory"]["size"].GetInt() == 900);
}

BOOST_AUTO_TEST_CASE(suspended_and_paused_vms) {
  Loaded l;
  set(l.w.rec("OpaqueRef:vm1"), "power_state", S("Paused"));
  set(l.w.rec("OpaqueRef:vm2"), "power_state", S("Suspended"));
  l.reload();
  auto paused = l.sink.get("vms", "u-vm1");
  BOOST_TEST(str(paused, "power_state") == "Paused");
  BOOST_TEST(paused["CPUs"]["number"].GetInt() == 3);  // paused counts as running
  auto susp = l.sink.get("vms", "u-vm2");
  BOOST_TEST(str(susp, "power_state") == "Suspended");
  BOOST_TEST(!susp.HasMember("xenTools"));
}

BOOST_AUTO_TEST_CASE(default_template_gets_pool_scoped_id) {
  Loaded l;
  Value t = vm_rec("u-tpl", "Debian Bookworm 12", "Halted");
  set(t, "is_a_template", B(true));
  set(t, "is_default_template", B(true));
  set(t, "VCPUs_at_startup", I(1));
  set(t, "other_config",
      M({{"install-methods", "cdrom,nfs"},
         {"disks",
          "<provision><disk device=\"0\" size=\"10737418240\" sr=\"\" bootable=\"true\" "
          "type=\"system\"/></provision>"}}));
  l.w.objs.push_back({"OpaqueRef:tpl", {"vm", std::move(t)}});
  l.reload();
  BOOST_TEST(l.sink.has("vm-templates", "u-pool-u-tpl"));
  BOOST_TEST(!l.sink.has("vms", "u-tpl"));
  auto tpl = l.sink.get("vm-templates", "u-pool-u-tpl");
  BOOST_TEST(str(tpl, "type") == "VM-template");
  BOOST_TEST(str(tpl, "uuid") == "u-tpl");
  BOOST_TEST(tpl["isDefaultTemplate"].GetBool());
  BOOST_TEST(tpl["CPUs"]["number"].GetInt() == 1);
  BOOST_TEST(tpl["template_info"]["install_methods"].Size() == 2u);
  BOOST_TEST(tpl["template_info"]["disks"][0]["size"].GetInt64() == 10737418240LL);
  BOOST_TEST(tpl["template_info"]["disks"][0]["bootable"].GetBool());
  BOOST_TEST(str(tpl["template_info"]["disks"][0], "SR") == "");
  BOOST_TEST(!tpl.HasMember("vulnerabilities"));
  auto r = l.model.resolve("u-pool-u-tpl");
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(r->id == "u-pool-u-tpl");
  BOOST_TEST(l.model.resolve("OpaqueRef:tpl")->id == "u-pool-u-tpl");
}

BOOST_AUTO_TEST_CASE(custom_template_keeps_uuid) {
  Loaded l;
  set(l.w.rec("OpaqueRef:vm2"), "is_a_template", B(true));
  l.reload();
  BOOST_TEST(l.sink.has("vm-templates", "u-vm2"));
  BOOST_TEST(!l.sink.get("vm-templates", "u-vm2")["isDefaultTemplate"].GetBool());
}

BOOST_AUTO_TEST_CASE(snapshot_has_snapshot_fields) {
  Loaded l;
  Value s = vm_rec("u-snap", "vm1 snap", "Halted");
  set(s, "is_a_snapshot", B(true));
  set(s, "is_a_template", B(true));  // XAPI snapshots are templates too
  set(s, "snapshot_of", S("OpaqueRef:vm1"));
  set(s, "snapshot_time", Value::datetime("20250101T00:00:00Z"));
  l.w.objs.push_back({"OpaqueRef:snap", {"vm", std::move(s)}});
  l.reload();
  auto snap = l.sink.get("vm-snapshots", "u-snap");
  BOOST_TEST(str(snap, "type") == "VM-snapshot");
  BOOST_TEST(str(snap, "$snapshot_of") == "u-vm1");
  BOOST_TEST(snap["snapshot_time"].GetInt64() == 1735689600);
  BOOST_TEST(!l.sink.has("vm-templates", "u-snap"));
}

BOOST_AUTO_TEST_CASE(control_domain_goes_to_vm_controllers) {
  Loaded l;
  BOOST_TEST(l.sink.has("vm-controllers", "u-dom0"));
  BOOST_TEST(!l.sink.has("vms", "u-dom0"));
  BOOST_TEST(str(l.sink.get("vm-controllers", "u-dom0"), "type") == "VM-controller");
  BOOST_TEST(l.sink.count("vms") == 2u);
}

BOOST_AUTO_TEST_CASE(pv_vm_has_pv_args_and_no_vga) {
  Loaded l;
  set(l.w.rec("OpaqueRef:vm2"), "domain_type", S("unspecified"));
  set(l.w.rec("OpaqueRef:vm2"), "HVM_boot_policy", S(""));
  set(l.w.rec("OpaqueRef:vm2"), "PV_args", S("console=hvc0"));
  l.reload();
  auto vm = l.sink.get("vms", "u-vm2");
  BOOST_TEST(str(vm, "virtualizationMode") == "pv");
  BOOST_TEST(str(vm, "PV_args") == "console=hvc0");
  BOOST_TEST(!vm.HasMember("vga"));
}

BOOST_AUTO_TEST_CASE(other_config_derived_fields) {
  Loaded l;
  set(l.w.rec("OpaqueRef:vm2"), "other_config",
      M({{"auto_poweron", "true"},
         {"xo:notes", "hello"},
         {"xo:resource_set", "\"rs1\""},
         {"xo:u-vm2", "{\"creation\":{\"user\":\"admin\",\"date\":\"2025\"}}"}}));
  set(l.w.rec("OpaqueRef:vm2"), "VCPUs_params", M({{"cap", "50"}, {"mask", "0,2"}}));
  l.reload();
  auto vm = l.sink.get("vms", "u-vm2");
  BOOST_TEST(vm["auto_poweron"].GetBool());
  BOOST_TEST(str(vm, "notes") == "hello");
  BOOST_TEST(str(vm, "resourceSet") == "rs1");
  BOOST_TEST(str(vm["creation"], "user") == "admin");
  BOOST_TEST(vm["cpuCap"].GetInt() == 50);
  BOOST_TEST(vm["cpuMask"][1].GetInt() == 2);
  BOOST_TEST(!vm.HasMember("cpuWeight"));
  BOOST_TEST(str(vm["other"], "xo:notes") == "hello");
}

BOOST_AUTO_TEST_CASE(firmware_restriction_from_recommendations) {
  Loaded l;
  set(l.w.rec("OpaqueRef:vm2"), "HVM_boot_params", M({{"firmware", "uefi"}}));
  set(l.w.rec("OpaqueRef:vm2"), "recommendations",
      S("<restrictions><restriction field=\"supports-uefi\" value=\"no\"/></restrictions>"));
  l.reload();
  BOOST_TEST(!l.sink.get("vms", "u-vm2")["isFirmwareSupported"].GetBool());
  BOOST_TEST(l.sink.get("vms", "u-vm1")["isFirmwareSupported"].GetBool());
}

BOOST_AUTO_TEST_SUITE_END()
