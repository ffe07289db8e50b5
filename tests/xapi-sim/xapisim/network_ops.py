"""Bonds and VLANs (xapi's xapi_bond.ml / xapi_vlan.ml / pool.create_VLAN*, reduced):
Bond.create/destroy, VLAN.create/destroy, pool.create_VLAN_from_PIF, pool.create_VLAN,
PIF.plug/unplug; the PIFs, Bond and VLAN records and both ends of their relations.
Handlers run on HTTP or Async worker threads."""
from . import coerce
from .db import new_ref
from .wire import XapiError

NULL = "OpaqueRef:NULL"
BOND_MODES = ("balance-slb", "active-backup", "lacp")


def _mac():
    u = new_ref()[-10:]
    return "02:%s:%s:%s:%s:%s" % (u[0:2], u[2:4], u[4:6], u[6:8], u[8:10])


def _new_pif(db, host, device, network, **kw):
    fields = dict(device=device, network=network, host=host, MAC=kw.pop("MAC", _mac()), MTU=1500,
                  VLAN=-1, physical=False, currently_attached=True, ip_configuration_mode="None",
                  ipv6_configuration_mode="None", primary_address_type="IPv4", managed=True,
                  igmp_snooping_status="disabled")
    fields.update(kw)
    return db.create("PIF", fields)


def register(sim):
    add, db = sim.api.add, sim.db

    # ---------------------------------------------------------------- Bond
    def bond_create(sim, s, network, members, mac, mode="balance-slb", properties=None):
        network = coerce.to_str(network)
        members = [coerce.to_str(m) for m in coerce.to_list(members)]
        mode = coerce.to_str(mode) or "balance-slb"
        with db.lock:
            db.get("network", network)
            if mode not in BOND_MODES:
                raise XapiError("INVALID_VALUE", "mode", mode)
            if len(members) < 2:
                raise XapiError("PIF_BOND_NEEDS_MORE_MEMBERS")
            recs = [db.get("PIF", m) for m in members]
            hosts = {r["host"] for r in recs}
            if len(hosts) != 1:
                raise XapiError("PIF_CANNOT_BOND_CROSS_HOST")
            host = hosts.pop()
            for m, r in zip(members, recs):
                if r["bond_slave_of"] != NULL and db.exists("Bond", r["bond_slave_of"]):
                    raise XapiError("PIF_ALREADY_BONDED", m)
                if r["VLAN"] != -1 or not r["physical"]:
                    raise XapiError("PIF_IS_VLAN", m) if r["VLAN"] != -1 else XapiError("PIF_ALREADY_BONDED", m)
            if any(db.exists("PIF", p) and db.get("PIF", p)["host"] == host
                   for p in db.get("network", network)["PIFs"]):
                raise XapiError("NETWORK_ALREADY_CONNECTED", network, host)
            used = {db.get("PIF", p)["device"] for p in db.get("host", host)["PIFs"] if db.exists("PIF", p)}
            n = next(i for i in range(64) if "bond%d" % i not in used)
            management = any(r["management"] for r in recs)
            primary = next((m for m, r in zip(members, recs) if r["management"]), members[0])
            prim = db.get("PIF", primary)
            master = _new_pif(db, host, "bond%d" % n, network,
                              MAC=coerce.to_str(mac) or prim["MAC"], management=management,
                              ip_configuration_mode=prim["ip_configuration_mode"] if management else "None",
                              IP=prim["IP"] if management else "", netmask=prim["netmask"] if management else "",
                              gateway=prim["gateway"] if management else "")
            bond = db.create("Bond", {"master": master, "primary_slave": primary, "mode": mode,
                                      "links_up": len(members), "auto_update_mac": True,
                                      "properties": dict(coerce.to_map(properties or {}), mode=mode)})
            for m in members:
                db.update("PIF", m, {"bond_slave_of": bond, "management": False,
                                     "ip_configuration_mode": "None", "IP": "", "netmask": "",
                                     "gateway": ""})
        return bond
    add("Bond.create", bond_create, 5, optional=2, asyncable=True)

    def bond_destroy(sim, s, bond):
        bond = coerce.to_str(bond)
        with db.lock:
            rec = db.get("Bond", bond)
            master = rec["master"]
            if db.exists("PIF", master) and db.get("PIF", master)["VLAN_slave_of"]:
                raise XapiError("PIF_VLAN_STILL_EXISTS", master)
            for m in rec["slaves"]:
                if db.exists("PIF", m):
                    db.set("PIF", m, "bond_slave_of", NULL)
            if db.exists("PIF", master):
                mrec = db.get("PIF", master)
                if mrec["management"] and db.exists("PIF", rec["primary_slave"]):
                    db.update("PIF", rec["primary_slave"], {
                        "management": True, "ip_configuration_mode": mrec["ip_configuration_mode"],
                        "IP": mrec["IP"], "netmask": mrec["netmask"], "gateway": mrec["gateway"]})
                db.destroy("Bond", bond)
                db.destroy("PIF", master)
            else:
                db.destroy("Bond", bond)
        return ""
    add("Bond.destroy", bond_destroy, 1, asyncable=True)

    # ---------------------------------------------------------------- VLAN
    def vlan_create(sim, s, tagged, tag, network):
        tagged, network = coerce.to_str(tagged), coerce.to_str(network)
        tag = coerce.to_int(tag)
        with db.lock:
            rec = db.get("PIF", tagged)
            db.get("network", network)
            if not 0 <= tag <= 4094:
                raise XapiError("VLAN_TAG_INVALID", tag)
            if rec["VLAN"] != -1:
                raise XapiError("PIF_IS_VLAN", tagged)
            if rec["bond_slave_of"] != NULL and db.exists("Bond", rec["bond_slave_of"]):
                raise XapiError("CANNOT_ADD_VLAN_TO_BOND_SLAVE", tagged)
            for v in rec["VLAN_slave_of"]:
                if db.exists("VLAN", v) and db.get("VLAN", v)["tag"] == tag:
                    raise XapiError("PIF_VLAN_EXISTS", db.get("VLAN", v)["untagged_PIF"])
            if any(db.exists("PIF", p) and db.get("PIF", p)["host"] == rec["host"]
                   for p in db.get("network", network)["PIFs"]):
                raise XapiError("NETWORK_ALREADY_CONNECTED", network, rec["host"])
            pif = _new_pif(db, rec["host"], rec["device"], network, VLAN=tag, MAC=rec["MAC"],
                           MTU=db.get("network", network)["MTU"] or 1500)
            vlan = db.create("VLAN", {"tagged_PIF": tagged, "untagged_PIF": pif, "tag": tag})
            db.set("PIF", pif, "VLAN_master_of", vlan)
        return vlan
    add("VLAN.create", vlan_create, 3, asyncable=True)

    def vlan_destroy(sim, s, vlan):
        vlan = coerce.to_str(vlan)
        with db.lock:
            rec = db.get("VLAN", vlan)
            pif = rec["untagged_PIF"]
            if db.exists("PIF", pif) and db.get("PIF", pif)["management"]:
                raise XapiError("PIF_IS_MANAGEMENT_INTERFACE", pif)
            db.destroy("VLAN", vlan)
            if db.exists("PIF", pif):
                db.destroy("PIF", pif)
        return ""
    add("VLAN.destroy", vlan_destroy, 1, asyncable=True)

    def create_vlan_from_pif(sim, s, pif, network, tag):
        """The same device on every host gets the VLAN; returns the new PIFs."""
        pif, network = coerce.to_str(pif), coerce.to_str(network)
        with db.lock:
            device = db.get("PIF", pif)["device"]
            if db.get("PIF", pif)["VLAN"] != -1:
                raise XapiError("PIF_IS_VLAN", pif)
            targets = []
            for host in sorted(db.refs("host")):
                match = [p for p in db.get("host", host)["PIFs"] if db.exists("PIF", p)
                         and db.get("PIF", p)["device"] == device and db.get("PIF", p)["VLAN"] == -1]
                targets += match[:1]
            vlans = [vlan_create(sim, s, t, tag, network) for t in targets]
            return [db.get("VLAN", v)["untagged_PIF"] for v in vlans]
    add("pool.create_VLAN_from_PIF", create_vlan_from_pif, 3, asyncable=True)

    def create_vlan(sim, s, device, network, tag):
        device = coerce.to_str(device)
        with db.lock:
            first = next((p for p in db.refs("PIF") if db.get("PIF", p)["device"] == device
                          and db.get("PIF", p)["VLAN"] == -1), None)
            if first is None:
                raise XapiError("INVALID_VALUE", "device", device)
            return create_vlan_from_pif(sim, s, first, network, tag)
    add("pool.create_VLAN", create_vlan, 3, asyncable=True)

    # ---------------------------------------------------------------- PIF
    def pif_plug(attached):
        def fn(sim, s, pif):
            pif = coerce.to_str(pif)
            with db.lock:
                rec = db.get("PIF", pif)
                if not attached and rec["management"]:
                    raise XapiError("PIF_IS_MANAGEMENT_INTERFACE", pif)
                if not attached and rec["disallow_unplug"]:
                    raise XapiError("PIF_DOES_NOT_ALLOW_UNPLUG", pif)
                if rec["currently_attached"] != attached:
                    db.set("PIF", pif, "currently_attached", attached)
            return ""
        return fn
    add("PIF.plug", pif_plug(True), 1, asyncable=True)
    add("PIF.unplug", pif_plug(False), 1, asyncable=True)
