// Mapping of pool, host, storage, network, message and alarm objects (reference §c.2–c.9).
#include <boost/test/unit_test.hpp>

#include "xo/vm_networks.h"
#include "xo_fixtures.h"

using namespace xotest;
using xr::xo::PoolModel;


BOOST_AUTO_TEST_SUITE(xo_other_types)

BOOST_AUTO_TEST_CASE(pool_name_falls_back_to_master) {
  Loaded l;
  auto p = l.sink.get("pools", "u-pool");
  BOOST_TEST(str(p, "name_label") == "host1");
  BOOST_TEST(str(p, "master") == "u-host1");
  BOOST_TEST(str(p, "$pool") == "u-pool");
  BOOST_TEST(str(p, "default_SR") == "u-srs");
  BOOST_TEST(!p.HasMember("suspendSr"));
  BOOST_TEST(str(p, "platform_version") == "3.4.0");
  BOOST_TEST(p["auto_poweron"].GetBool());
  BOOST_TEST(p["zstdSupported"].GetBool());
  BOOST_TEST(!p["vtpmSupported"].GetBool());
  BOOST_TEST(p["cpus"]["cores"].GetInt() == 8);
  BOOST_TEST(p["haRebootVmOnInternalShutdown"].GetBool());
}

BOOST_AUTO_TEST_CASE(host_fields) {
  Loaded l;
  auto h = l.sink.get("hosts", "u-host1");
  BOOST_TEST(str(h, "type") == "host");
  BOOST_TEST(str(h["CPUs"], "cpu_count") == "4");  // raw cpu_info strings
  BOOST_TEST(h["cpus"]["cores"].GetInt() == 4);
  BOOST_TEST(h["startTime"].GetInt() == 1700000000);
  BOOST_TEST(h["agentStartTime"].IsNull());
  BOOST_TEST(h["hvmCapable"].GetBool());
  BOOST_TEST(h["chipset_info"]["iommu"].GetBool());
  BOOST_TEST(str(h, "iscsiIqn") == "iqn.host");
  BOOST_TEST(str(h, "version") == "8.3.0");
  BOOST_TEST(str(h, "productBrand") == "XCP-ng");
  BOOST_TEST(h["supplementalPacks"].Size() == 1u);
  BOOST_TEST(str(h["supplementalPacks"][0], "author") == "xcp-ng");
  BOOST_TEST(str(h["supplementalPacks"][0], "version") == "1.2.3");
  BOOST_TEST(!h["rebootRequired"].GetBool());
  BOOST_TEST(h["license_expiry"].IsNull());
}

BOOST_AUTO_TEST_CASE(sr_and_pbd) {
  Loaded l;
  auto sr = l.sink.get("srs", "u-srs");
  BOOST_TEST(str(sr, "SR_type") == "nfs");
  BOOST_TEST(str(sr, "allocationStrategy") == "thin");
  BOOST_TEST(sr["size"].GetInt() == 100000);
  BOOST_TEST(sr["physical_usage"].GetInt() == 500);
  BOOST_TEST(sr["usage"].GetInt() == 1000);
  BOOST_TEST(str(sr, "$container") == "u-pool");
  BOOST_TEST(sr["VDIs"][0].GetString() == std::string("u-vdi1"));
  auto pbd = l.sink.get("pbds", "u-pbdl");
  BOOST_TEST(str(pbd, "host") == "u-host1");
  BOOST_TEST(str(pbd, "SR") == "u-srl");
  BOOST_TEST(str(pbd["device_config"], "password") == "* obfuscated *");
  BOOST_TEST(str(pbd["device_config"], "device") == "/dev/sdb");
}

BOOST_AUTO_TEST_CASE(vdi_and_vbd) {
  Loaded l;
  auto vdi = l.sink.get("vdis", "u-vdi1");
  BOOST_TEST(str(vdi, "$SR") == "u-srs");
  BOOST_TEST(str(vdi, "VDI_type") == "user");
  BOOST_TEST(vdi["size"].GetInt64() == 10737418240LL);
  BOOST_TEST(vdi["usage"].GetInt() == 100);
  BOOST_TEST(vdi["chainPhysicalUsage"].GetInt() == 100);
  BOOST_TEST(!vdi.HasMember("parent"));
  auto vbd = l.sink.get("vbds", "u-vbd1");
  BOOST_TEST(str(vbd, "VDI") == "u-vdi1");
  BOOST_TEST(str(vbd, "VM") == "u-vm1");
  BOOST_TEST(str(vbd, "position") == "0");
  BOOST_TEST(!vbd["read_only"].GetBool());
  BOOST_TEST(!vbd["is_cd_drive"].GetBool());
}

BOOST_AUTO_TEST_CASE(empty_cd_drive_has_no_vdi_and_null_device) {
  Loaded l;
  Value cd = vbd_rec("u-cd", "OpaqueRef:vm2", "OpaqueRef:NULL");
  set(cd, "type", S("CD"));
  set(cd, "mode", S("RO"));
  set(cd, "device", S(""));
  l.w.objs.push_back({"OpaqueRef:cd", {"vbd", std::move(cd)}});
  l.reload();
  auto vbd = l.sink.get("vbds", "u-cd");
  BOOST_TEST(!vbd.HasMember("VDI"));
  BOOST_TEST(vbd["device"].IsNull());
  BOOST_TEST(vbd["is_cd_drive"].GetBool());
  BOOST_TEST(vbd["read_only"].GetBool());
}

BOOST_AUTO_TEST_CASE(vif_network_pif) {
  Loaded l;
  auto vif = l.sink.get("vifs", "u-vif1");
  BOOST_TEST(str(vif, "$VM") == "u-vm1");
  BOOST_TEST(str(vif, "$network") == "u-net1");
  BOOST_TEST(vif["MTU"].GetInt() == 1500);
  BOOST_TEST(vif["rateLimit"].GetInt() == 1024);
  BOOST_TEST(vif["txChecksumming"].GetBool());
  auto net = l.sink.get("networks", "u-net1");
  BOOST_TEST(net["automatic"].GetBool());
  BOOST_TEST(net["nbd"].GetBool());
  BOOST_TEST(!net["insecureNbd"].GetBool());
  BOOST_TEST(!net["isBonded"].GetBool());
  auto pif = l.sink.get("pifs", "u-pif1");
  BOOST_TEST(str(pif, "mac") == "aa:bb:cc:dd:ee:ff");
  BOOST_TEST(pif["vlan"].GetInt() == -1);
  BOOST_TEST(pif["mtu"].GetInt() == 1500);
  BOOST_TEST(!pif["carrier"].GetBool());
  BOOST_TEST(!pif.HasMember("speed"));
  BOOST_TEST(str(pif, "$host") == "u-host1");
}

BOOST_AUTO_TEST_CASE(bonded_pifs_and_metrics) {
  Loaded l;
  Value master = pif_rec("u-bondm", "OpaqueRef:host1", "OpaqueRef:net1", "OpaqueRef:pm");
  set(master, "bond_master_of", A({"OpaqueRef:bond"}));
  set(master, "physical", B(false));
  Value slave = pif_rec("u-slave", "OpaqueRef:host1", "OpaqueRef:net2", "OpaqueRef:NULL");
  set(slave, "bond_slave_of", S("OpaqueRef:bond"));
  l.w.objs.push_back({"OpaqueRef:bondm", {"pif", std::move(master)}});
  l.w.objs.push_back({"OpaqueRef:slave", {"pif", std::move(slave)}});
  l.w.objs.push_back({"OpaqueRef:bond",
                      {"bond", R({{"uuid", S("u-bond")},
                                  {"master", S("OpaqueRef:bondm")},
                                  {"slaves", A({"OpaqueRef:slave"})}})}});
  l.w.objs.push_back({"OpaqueRef:pm",
                      {"pif_metrics", R({{"uuid", S("u-pm")},
                                         {"device_name", S("Intel X710")},
                                         {"carrier", B(true)},
                                         {"speed", I(10000)}})}});
  set(l.w.rec("OpaqueRef:net1"), "PIFs", A({"OpaqueRef:pif1", "OpaqueRef:bondm"}));
  l.reload();
  auto m = l.sink.get("pifs", "u-bondm");
  BOOST_TEST(m["isBondMaster"].GetBool());
  BOOST_TEST(m["bondSlaves"][0].GetString() == std::string("u-slave"));
  BOOST_TEST(str(m, "deviceName") == "Intel X710");
  BOOST_TEST(m["carrier"].GetBool());
  BOOST_TEST(m["speed"].GetInt() == 10000);
  auto s = l.sink.get("pifs", "u-slave");
  BOOST_TEST(s["isBondSlave"].GetBool());
  BOOST_TEST(str(s, "bondMaster") == "u-bondm");
  BOOST_TEST(l.sink.get("networks", "u-net1")["isBonded"].GetBool());
}

BOOST_AUTO_TEST_CASE(messages_and_alarms_split) {
  Loaded l;
  l.w.objs.push_back({"OpaqueRef:m1", {"message", message_rec("u-m1", "VM_STARTED", "u-vm1", "")}});
  l.w.objs.push_back(
      {"OpaqueRef:a1",
       {"message",
        message_rec(
            "u-a1", "ALARM", "u-vm1",
            "value: 0.732\nconfig:\n<variable>\n<name value=\"cpu_usage\"/>\n</variable>")}});
  l.w.objs.push_back({"OpaqueRef:a2",
                      {"message", message_rec("u-a2", "BOND_STATUS_CHANGED", "u-gone",
                                              "The status of the eth0+eth1 bond is: 1/2 up")}});
  l.reload();
  auto m = l.sink.get("messages", "u-m1");
  BOOST_TEST(str(m, "type") == "message");
  BOOST_TEST(m["time"].GetInt() == 1735689610);
  BOOST_TEST(str(m, "$object") == "u-vm1");
  BOOST_TEST(!l.sink.has("messages", "u-a1"));
  auto a = l.sink.get("alarms", "u-a1");
  BOOST_TEST(a["time"].GetInt64() == 1735689610000LL);  // ms in alarms
  BOOST_TEST(str(a["body"], "value") == "73.2");
  BOOST_TEST(str(a["body"], "name") == "cpu_usage");
  BOOST_TEST(str(a["object"], "type") == "VM");
  BOOST_TEST(str(a["object"], "href") == "/rest/v0/vms/u-vm1");
  BOOST_TEST(!a.HasMember("$object"));
  auto b = l.sink.get("alarms", "u-a2");
  BOOST_TEST(str(b["body"], "name") == "The status of the eth0+eth1 bond is: 1/2 up");
  BOOST_TEST(!b["body"].HasMember("value"));
  BOOST_TEST(str(b["object"], "type") == "unknown");
  BOOST_TEST(!b["object"].HasMember("href"));
}

BOOST_AUTO_TEST_CASE(int_fields_accept_json_rpc_numbers) {
  Loaded l;
  set(l.w.rec("OpaqueRef:vm2"), "VCPUs_max", xr::xapi::Value::integer(16));
  l.reload();
  BOOST_TEST(l.sink.get("vms", "u-vm2")["CPUs"]["max"].GetInt() == 16);
}

BOOST_AUTO_TEST_CASE(vm_networks_normalisation) {
  using xr::xo::StringPairs;
  StringPairs in = {{"1/ip", "10.0.0.1 10.0.0.2"},
                    {"1/ipv4/0", "10.0.0.1"},
                    {"0/ipv6/1", "fe80::2"},
                    {"0/ipv6/0", " "},
                    {"junk", "x"}};
  StringPairs out = xr::xo::normalize_vm_networks(in);
  StringPairs want = {{"0/ipv6/0", "fe80::2"}, {"1/ipv4/0", "10.0.0.1"}, {"1/ipv4/1", "10.0.0.2"}};
  BOOST_TEST((out == want));
  BOOST_TEST(xr::xo::main_ip_address(in) == "10.0.0.1 10.0.0.2");  // XO returns the raw value
  BOOST_TEST(xr::xo::main_ip_address({{"0/ipv6/0", "fe80::1"}}) == "fe80::1");
  BOOST_TEST(xr::xo::main_ip_address({}) == "");
}

BOOST_AUTO_TEST_SUITE_END()
