#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <memory>

#include "it_helpers.h"

using namespace xr;
using namespace xr::xapi;
using namespace xr::xapi::test;

BOOST_AUTO_TEST_SUITE(xapi_session)

BOOST_AUTO_TEST_CASE(login_then_calls_over_xmlrpc_and_jsonrpc) {
  SimProcess sim;
  for (WireFormat f : {WireFormat::kXmlRpc, WireFormat::kJsonRpc}) {
    SessionOptions o = options_for(sim);
    o.format = f;
    Session s(o);
    BOOST_REQUIRE_MESSAGE(s.login().is_ok(), "login");
    Result<Value> vms = s.call("VM.get_all", {});
    BOOST_REQUIRE_MESSAGE(vms.is_ok(), vms.status().to_string());
    BOOST_CHECK_GE((*vms->as_array())->size(), 4u);
    Result<Value> methods = s.call_unauthenticated("system.listMethods", {});
    BOOST_REQUIRE_MESSAGE(methods.is_ok(), methods.status().to_string());
    BOOST_CHECK_GT((*methods->as_array())->size(), 50u);
    BOOST_CHECK(s.logout().is_ok());
  }
}

BOOST_AUTO_TEST_CASE(wrong_password_is_session_authentication_failed) {
  SimProcess sim;
  SessionOptions o = options_for(sim);
  o.password = "wrong";
  Session s(o);
  Status st = s.login();
  BOOST_CHECK(st.kind() == ErrorKind::kXapi);
  BOOST_CHECK_EQUAL(st.code(), "SESSION_AUTHENTICATION_FAILED");
  Result<Value> r = s.call("VM.get_all", {});
  BOOST_CHECK_EQUAL(r.status().code(), "SESSION_AUTHENTICATION_FAILED");
}

BOOST_AUTO_TEST_CASE(relogin_is_transparent_after_a_simulator_restart) {
  SimProcess sim;
  Session s(options_for(sim));
  BOOST_REQUIRE(s.call("pool.get_all", {}).is_ok());
  uint64_t gen = s.generation();
  sim.control("restart", R"({"booting_seconds": 0})");
  Result<Value> r = s.call("pool.get_all", {});
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_CHECK_EQUAL(s.generation(), gen + 1);
}

BOOST_AUTO_TEST_CASE(host_is_slave_is_followed_to_the_master) {
  SimProcess master;
  std::string address = master.url().substr(master.url().find("://") + 3);  // 127.0.0.1:port
  SimProcess supporter({"--vms", "1", "--supporter-of", address});
  SessionOptions o = options_for(master);
  o.hosts = {supporter.url()};
  Session s(o);
  BOOST_REQUIRE_MESSAGE(s.login().is_ok(), "login through the supporter");
  Result<Session::Credentials> c = s.credentials();
  BOOST_REQUIRE(c.is_ok());
  BOOST_CHECK_EQUAL(c->base_url, master.url());
  BOOST_CHECK(s.call("VM.get_all", {}).is_ok());
}

BOOST_AUTO_TEST_CASE(fails_over_to_the_next_host_when_the_master_is_unreachable) {
  SimProcess sim;
  SessionOptions o = options_for(sim);
  o.hosts = {"http://127.0.0.1:1", sim.url()};  // port 1: connection refused
  o.endpoint.connect_timeout_ms = 2000;
  Session s(o);
  Result<Value> r = s.call("pool.get_all", {});
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_CHECK_EQUAL(s.credentials()->base_url, sim.url());
}

BOOST_AUTO_TEST_CASE(fails_over_to_a_pool_member_learned_from_host_records) {
  auto master =
      std::make_unique<SimProcess>(std::vector<std::string>{"--vms", "2", "--hosts", "2"});
  SimProcess other({"--vms", "2"});  // stands in for the second pool member
  std::string other_address = other.url().substr(other.url().find("://") + 3);
  Session s(options_for(*master));  // configured with the master only
  Result<Value> hosts = s.call("host.get_all", {});
  BOOST_REQUIRE(hosts.is_ok());
  std::string second = std::string(*(**hosts->as_array()).back().as_string());
  master->control("set", R"({"class": "host", "ref": ")" + second +
                             R"(", "field": "address", "value": ")" + other_address + R"("})");
  BOOST_REQUIRE(s.login().is_ok());  // learns the member's address from host records
  master.reset();                    // the master goes away
  Result<Value> r = s.call("pool.get_all", {});
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_CHECK_EQUAL(s.credentials()->base_url, other.url());
}

BOOST_AUTO_TEST_CASE(falls_back_to_xmlrpc_when_jsonrpc_is_not_served) {
  XmlRpcOnlyServer old;
  SessionOptions o;
  o.hosts = {old.url()};
  o.user = "root";
  o.password = "secret";
  o.format = WireFormat::kJsonRpc;
  Session s(o);
  Result<Value> pools = s.call("pool.get_all", {});
  BOOST_REQUIRE_MESSAGE(pools.is_ok(), pools.status().to_string());
  BOOST_CHECK_EQUAL(*(**pools->as_array())[0].as_string(), "OpaqueRef:pool");
  BOOST_CHECK(s.format() == WireFormat::kXmlRpc);
}

BOOST_AUTO_TEST_CASE(unreachable_pool_is_a_transport_error) {
  SessionOptions o;
  o.hosts = {"http://127.0.0.1:1"};
  o.user = "root";
  o.password = "x";
  Session s(o);
  Status st = s.login();
  BOOST_CHECK(st.kind() == ErrorKind::kTransport);
}

BOOST_AUTO_TEST_CASE(tls_modes_verify_ca_pin_and_insecure) {
  SimProcess sim({"--vms", "1", "--tls"});
  BOOST_REQUIRE(sim.url().rfind("https://", 0) == 0);
  std::string cert = sim.state_dir() + "/xapi-sim.pem";
  auto try_login = [&](TlsOptions tls) {
    SessionOptions o = options_for(sim);
    o.endpoint.tls = tls;
    Session s(o);
    return s.login();
  };
  TlsOptions insecure;
  insecure.mode = TlsOptions::Mode::kInsecure;
  BOOST_CHECK(try_login(insecure).is_ok());
  TlsOptions ca;
  ca.ca_file = cert;
  BOOST_CHECK_MESSAGE(try_login(ca).is_ok(), "verify with the sim's certificate as CA");
  TlsOptions system_store;  // the self-signed cert is not in the system store
  BOOST_CHECK(try_login(system_store).kind() == ErrorKind::kTransport);
  // Pin: sha256 of the certificate's public key, computed with openssl.
  std::string cmd =
      "openssl x509 -in " + cert +
      " -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  char buf[128] = {0};
  BOOST_REQUIRE(p && fgets(buf, sizeof buf, p.get()));
  std::string b64(buf);
  while (!b64.empty() && (b64.back() == '\n' || b64.back() == '\r')) b64.pop_back();
  TlsOptions pin;
  pin.mode = TlsOptions::Mode::kPinPublicKey;
  pin.pin = "sha256//" + b64;
  BOOST_CHECK_MESSAGE(try_login(pin).is_ok(), "right pin");
  pin.pin = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  BOOST_CHECK(try_login(pin).kind() == ErrorKind::kTransport);
}

BOOST_AUTO_TEST_SUITE_END()
