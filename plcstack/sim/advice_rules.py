"""The installation rules advice can act on, as candidate changes to a site.

Each rule is a small function ``(RuleContext) -> list[Candidate]``; a candidate knows how to apply
itself to any site of the plan (``apply``), what to tell the installer and why.  Whether it is worth
doing is not decided here: :mod:`plcstack.sim.advice` simulates every candidate and keeps those that
help.  The rules and their sources (the charger vendor's manual, devolo, Zaptec, ALLNET) are
tabulated in ``docs/sim-advice.md``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .site import Node, Site, mac_for

# Field rules of thumb (docs/sim-advice.md, "Field limits").
HOP_GOOD_M = 50.0  # devolo MultiNode: per hop up to 50 m good
HOP_LIMIT_M = 90.0  # Zaptec: never over ~90 m; devolo: > 100 m not recommended
RUN_MAX_M = 200.0  # ALLNET: about 200 m maximum
CHARGERS_PER_MODULE = 30  # Zaptec: about 30 chargers per PLC module, more is unstable
POOR_AVAILABILITY = 0.99  # a charger offline more than ~15 min a day is worth a site visit
BORDERLINE_WIFI_DB = 3.0  # within the firmware's hysteresis band around the -75 dBm rule
MAX_BRIDGE_CANDIDATES = 4


@dataclass(frozen=True)
class Candidate:
    """One change an installer can make.  Candidates sharing a group exclude each other (two places
    for the same module, two choices of the single bridge); ``also`` lists further groups a
    site-wide candidate occupies."""

    cid: str  # stable identity across rounds
    action: str
    group: str
    rule: str
    instruction: str  # what to do, imperative
    why: str  # the rule and what the base run showed
    apply: Callable[[Site], Site] = field(compare=False, repr=False)
    effort: int = 1  # 0 configuration, 1 firmware setting, 2 install a device, 3 rewire
    details: dict[str, Any] = field(default_factory=dict, compare=False)
    also: tuple[str, ...] = ()

    @property
    def groups(self) -> tuple[str, ...]:
        return (self.group, *self.also)


def combined(parts: list[Candidate], cid: str, action: str, instruction: str, why: str) -> Candidate:
    """One site-wide action made of several candidates of the same rule (one visit, one line)."""
    def apply(s: Site) -> Site:
        for part in parts:
            s = part.apply(s)
        return s

    return Candidate(cid=cid, action=action, group=parts[0].group, rule=parts[0].rule, instruction=instruction,
                     why=why, apply=apply, effort=max(p.effort for p in parts),
                     details={"parts": [p.details for p in parts]},
                     also=tuple(g for p in parts for g in p.groups if g != parts[0].group))


@dataclass(frozen=True)
class RuleContext:
    """What the rules look at: the plan's current site and the base run's per-node results."""

    site: Site
    base_nodes: dict[str, dict[str, Any]]

    def chargers_on(self, cable: str) -> list[Node]:
        return _chargers_on(self.site, cable)

    def modules(self) -> list[Node]:
        return [n for n in self.site.nodes if n.kind == "plc_module"]

    def poor(self, node: Node) -> bool:
        """Badly served in the base run: low availability, no route at the end, or flapping."""
        ns = self.base_nodes.get(node.name)
        if ns is None:
            return False
        return ns["availability"] < POOR_AVAILABILITY or ns["gateway"] == "none" or ns["flaps"] > 0


def majority(values: Iterable[Any]) -> Any:
    """The most common value (first seen wins ties)."""
    return Counter(values).most_common(1)[0][0]


def cable_distance_m(a: Node, b: Node) -> float:
    """Metres of cable between two nodes: along one run, or out to the board and back in."""
    return abs(a.at_m - b.at_m) if a.cable == b.cable else a.at_m + b.at_m


def middle_of(nodes: list[Node]) -> float:
    """Where a module goes to sit in the middle of these chargers (the median position, 1 m)."""
    return round(float(np.median([n.at_m for n in nodes])), 0)


def _names(nodes: Iterable[Node], limit: int = 6) -> str:
    names = [n.name for n in nodes]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _chargers_on(site: Site, cable: str) -> list[Node]:
    return [n for n in site.chargers if n.cable == cable]


def _with_module(site: Site, name: str, cable: str, at_m: float, like: list[Node]) -> Site:
    """``site`` plus a PLC module coupled like the chargers ``like`` (phase, key, technology)."""
    node = Node(name=name, kind="plc_module", cable=cable, at_m=at_m, phase=majority(n.phase for n in like),
                network_password=majority(n.network_password for n in like),
                technology=majority(n.technology for n in like), cco_capability=2, mac=mac_for(name, "plc_module"))
    return replace(site, nodes=site.nodes + (node,))


def _nearest(nodes: list[Node], to: Node) -> Node:
    return min(nodes, key=lambda x: cable_distance_m(x, to))


def _set_node(name: str, **changes: Any) -> Callable[[Site], Site]:
    return _set_nodes((name,), **changes)


def _set_nodes(names: tuple[str, ...], **changes: Any) -> Callable[[Site], Site]:
    """The site with the same ``changes`` made to every node in ``names``."""
    def apply(s: Site) -> Site:
        for name in names:
            s = s.with_node(name, **changes)
        return s
    return apply


def _add_module(name: str, cable: str, at_m: float) -> Callable[[Site], Site]:
    def apply(s: Site) -> Site:
        return _with_module(s, name, cable, at_m, _chargers_on(s, cable))
    return apply


def _module_name(site: Site, cable: str, k: int = 1) -> str:
    names = {n.name for n in site.nodes}
    base = f"M-{cable}" if k == 1 else f"M-{cable}-{k}"
    i = 2
    name = base
    while name in names:
        name = f"{base}-{i}"
        i += 1
    return name


# -- rule: one Wi-Fi-to-PLC bridge per PLC network, none where a module is wired ----------------------

def _bridge_choices(ctx: RuleContext, chargers: list[Node], bridges: list[Node], wired: bool) -> list[Node]:
    """Which charger could be the single bridge: each of several bridges and the strongest-Wi-Fi
    chargers; the strongest alone where chargers lack a gateway or the bridge's Wi-Fi is 6 dB weaker."""
    strong = sorted((n for n in chargers if n.wifi_rssi_dbm is not None
                     and n.wifi_rssi_dbm >= ctx.site.params.wifi_threshold_dbm),
                    key=lambda n: -(n.wifi_rssi_dbm or -999.0))
    if len(bridges) >= 2:
        return bridges + [n for n in strong if n not in bridges][:max(0, MAX_BRIDGE_CANDIDATES - len(bridges))]
    if wired or not strong:
        return []
    if not bridges:
        return strong[:1] if any(ctx.poor(n) for n in chargers) else []
    rssi = bridges[0].wifi_rssi_dbm
    return strong[:1] if rssi is not None and (strong[0].wifi_rssi_dbm or -999.0) >= rssi + 6.0 else []


def bridge_rules(ctx: RuleContext) -> list[Candidate]:
    """One Wi-Fi-to-PLC bridge per PLC network, none where a PLC module is wired into it."""
    site = ctx.site
    out = []
    for password in sorted({n.network_password for n in site.nodes}):
        group = [n for n in site.nodes if n.network_password == password]
        chargers = [n for n in group if n.kind == "charger"]
        bridges = [n for n in chargers if n.bridge]
        modules = [n for n in group if n.kind == "plc_module"]
        gkey = f"bridge:{password}"
        names = tuple(n.name for n in chargers)

        def only(keep: str | None, names: tuple[str, ...] = names) -> Callable[[Site], Site]:
            def apply(s: Site) -> Site:
                for name in names:
                    if s.nodes[s.node_index(name)].bridge != (name == keep):
                        s = s.with_node(name, bridge=(name == keep))
                return s
            return apply

        if modules and bridges:
            out.append(Candidate(
                cid=f"no-bridge:{password}", action="no-bridge", group=gkey, rule="single-bridge",
                instruction=f"Disable Wi-Fi-to-PLC bridging on {_names(bridges)}",
                why=(f"the PLC module{'s' if len(modules) > 1 else ''} {_names(modules)} already "
                     f"wire{'' if len(modules) > 1 else 's'} this PLC "
                     f"network to the router; every bridge in it closes an Ethernet loop and makes chargers swap "
                     f"gateways (manual: ideally a single bridge, none when a PLC module is wired)"),
                apply=only(None), effort=0, details={"disable_bridging_on": [b.name for b in bridges]}))
        for keep in _bridge_choices(ctx, chargers, bridges, bool(modules)):
            others = [b.name for b in bridges if b.name != keep.name]
            text = f"Make {keep.name} (Wi-Fi {keep.wifi_rssi_dbm:g} dBm) the only Wi-Fi-to-PLC bridge"
            if others:
                text += f"; disable bridging on {', '.join(others)}"
            why = ("several bridges in one PLC network close an Ethernet loop and make chargers swap between "
                   "gateways" if len(bridges) >= 2 else
                   "chargers without Wi-Fi need a PLC gateway, ideally the charger with the strongest Wi-Fi")
            out.append(Candidate(
                cid=f"single-bridge:{keep.name}", action="single-bridge", group=gkey, rule="single-bridge",
                instruction=text, why=why + " (manual: ideally one charger is the bridge)",
                apply=only(keep.name), effort=0,
                details={"bridge": keep.name, "disable_bridging_on": others}))
    return out


# -- rules: a PLC module on every circuit, in the middle of its chargers, <= 30 chargers each -------------

def _run_facts(ctx: RuleContext, cable: str, chargers: list[Node]) -> str:
    length = ctx.site.cable(cable).length_m
    lo, hi = min(n.at_m for n in chargers), max(n.at_m for n in chargers)
    grid = " on an IT grid, which needs shorter runs than TN (Zaptec)" if ctx.site.params.grid == "IT" else ""
    return f"{cable} is {length:g} m with {len(chargers)} chargers at {lo:g}-{hi:g} m{grid}"


def module_rules(ctx: RuleContext) -> list[Candidate]:
    """A module on every circuit, in the middle of its chargers; two on runs too long for one."""
    site = ctx.site
    out: list[Candidate] = []
    modules = ctx.modules()
    served = Counter(ns["gateway"] for ns in ctx.base_nodes.values() if ns["kind"] == "charger")
    for cable in site.cables:
        chargers = ctx.chargers_on(cable.name)
        if not chargers:
            continue
        here = [m for m in modules if m.cable == cable.name]
        poor = [n for n in chargers if ctx.poor(n)]
        facts = _run_facts(ctx, cable.name, chargers)
        span = max(n.at_m for n in chargers) - min(n.at_m for n in chargers)
        if not here:
            crowded = [g for g, k in served.items() if k > CHARGERS_PER_MODULE and g not in ("wifi", "none")
                       and any(ctx.base_nodes[n.name]["gateway"] == g for n in chargers)]
            if not poor and not crowded:
                continue
            at = middle_of(chargers)
            name = _module_name(site, cable.name)
            why = [f"{facts} and no PLC module (Zaptec: at least one PLC module per circuit; manual: in the "
                   f"middle of the charging circuit)"]
            if poor:
                why.append(f"{len(poor)} of its chargers were badly served ({_names(poor, 4)})")
            if crowded:
                why.append(f"{', '.join(crowded)} serves {max(served[g] for g in crowded)} chargers "
                           f"(Zaptec: about {CHARGERS_PER_MODULE} per module)")
            out.append(Candidate(
                cid=f"add:{cable.name}:{at:g}", action="add-plc-module", group=f"run:{cable.name}",
                rule="module-per-circuit", effort=2,
                instruction=f"Add a PLC module (wired to the router) on {cable.name} at {at:g} m, in the middle "
                            f"of its chargers",
                why="; ".join(why),
                apply=_add_module(name, cable.name, at),
                details={"module": name, "cable": cable.name, "at_m": at, "badly_served": len(poor)}))
        if span > 2 * HOP_LIMIT_M:
            out.append(_two_modules(ctx, cable.name, chargers, facts, here))
        for m in here:
            out += _move_module(ctx, m, chargers, facts)
    return out + _site_wide_modules(out)


def _site_wide_modules(cands: list[Candidate]) -> list[Candidate]:
    out = []
    adds = [c for c in cands if c.action == "add-plc-module"]
    if len(adds) >= 2:
        where = ", ".join(f"{c.details['cable']} at {c.details['at_m']:g} m" for c in adds)
        poor = sum(int(c.details.get("badly_served", 0)) for c in adds)
        out.append(combined(
            adds, "add-all:" + ",".join(c.details["cable"] for c in adds), "add-plc-modules",
            f"Add a PLC module (wired to the router) in the middle of the chargers of each circuit without one: "
            f"{where}",
            f"{len(adds)} circuits have no PLC module and {poor} of their chargers were badly served (Zaptec: at "
            "least one PLC module per circuit, close to the chargers; manual: in the middle of the charging circuit)"))
    moves = [c for c in cands if c.action == "move-plc-module"]
    if len(moves) >= 2:
        where = ", ".join(f"{c.details['module']} to {c.details['at_m']:g} m on {c.details['cable']}" for c in moves)
        out.append(combined(
            moves, "move-all:" + ",".join(c.details["module"] for c in moves), "move-plc-modules",
            f"Move each PLC module to the middle of its chargers: {where}",
            "the modules sit far from the chargers of their circuits (manual: in the middle of the charging "
            "circuit; Zaptec: close to the charging stations, never over ~90 m)"))
    return out


def _two_modules(ctx: RuleContext, cable: str, chargers: list[Node], facts: str, here: list[Node]) -> Candidate:
    """A run whose chargers span more than two hop limits: one module per half."""
    ordered = sorted(chargers, key=lambda n: n.at_m)
    near, far = ordered[: len(ordered) // 2], ordered[len(ordered) // 2:]
    spots = (middle_of(near), middle_of(far))
    names = [m.name for m in here[:2]]
    while len(names) < 2:
        names.append(_module_name(ctx.site, cable, len(names) + 1))

    def apply(s: Site) -> Site:
        for name, at in zip(names, spots, strict=True):
            if any(n.name == name for n in s.nodes):
                s = s.with_node(name, at_m=at)
            else:
                s = _with_module(s, name, cable, at, _chargers_on(s, cable))
        return s

    return Candidate(
        cid=f"two:{cable}", action="split-run", group=f"run:{cable}", rule="run-too-long", effort=2,
        instruction=f"Put two PLC modules on {cable}, at {spots[0]:g} m and {spots[1]:g} m (one in the middle of "
                    f"each half of its chargers)",
        why=(f"{facts}: one module cannot be within {HOP_LIMIT_M:g} m of all of them (Zaptec: never over "
             f"~{HOP_LIMIT_M:g} m; devolo: > 100 m per hop not recommended; ALLNET: ~{RUN_MAX_M:g} m maximum)"),
        apply=apply, details={"cable": cable, "at_m": list(spots), "modules": names})


def _move_module(ctx: RuleContext, m: Node, chargers: list[Node], facts: str) -> list[Candidate]:
    length = ctx.site.cable(m.cable).length_m
    target = middle_of(chargers)
    far = max(cable_distance_m(m, n) for n in chargers)
    out = []
    if abs(target - m.at_m) > max(10.0, 0.1 * length):
        why = f"{facts}; {m.name} at {m.at_m:g} m is {far:g} m of cable from the farthest of them"
        if far > HOP_LIMIT_M:
            why += f" (Zaptec: never over ~{HOP_LIMIT_M:g} m; devolo: > 100 m per hop not recommended)"
        out.append(Candidate(
            cid=f"move:{m.name}:{target:g}", action="move-plc-module", group=f"module:{m.name}",
            rule="module-placement", effort=2,
            instruction=f"Move {m.name} from {m.at_m:g} m to {target:g} m on {m.cable}, in the middle of its chargers",
            why=why + " (manual: in the middle of the charging circuit; near the chargers on long runs)",
            apply=_set_node(m.name, at_m=target),
            details={"module": m.name, "cable": m.cable, "from_m": m.at_m, "at_m": target}))
    return out


def crowded_module_rules(ctx: RuleContext) -> list[Candidate]:
    """A module with more than ~30 PLC chargers behind it (those it served, and those on its run that
    are not on Wi-Fi): add a second module on its run, in the middle of the half farther from it."""
    out = []
    for m in ctx.modules():
        own = ctx.chargers_on(m.cable)
        crowd = {n.name for n in ctx.site.chargers if ctx.base_nodes.get(n.name, {}).get("gateway") == m.name}
        crowd |= {n.name for n in own if ctx.base_nodes.get(n.name, {}).get("uplink") != "wifi"}
        if len(crowd) <= CHARGERS_PER_MODULE or len(own) < 2:
            continue
        far = sorted(own, key=lambda n: -abs(n.at_m - m.at_m))[: len(own) // 2]
        at = middle_of(far)
        name = _module_name(ctx.site, m.cable, 2)
        out.append(Candidate(
            cid=f"add:{m.cable}:{at:g}", action="add-plc-module", group=f"run:{m.cable}",
            rule="chargers-per-module", effort=2,
            instruction=f"Add a second PLC module on {m.cable} at {at:g} m (the far half of its chargers)",
            why=(f"{len(crowd)} chargers depend on {m.name} over PLC (Zaptec: about {CHARGERS_PER_MODULE} "
                 "chargers per module, more is unstable)"),
            apply=_add_module(name, m.cable, at), details={"module": name, "cable": m.cable, "at_m": at}))
    return out


# -- rules: network key and coupling conductors --------------------------------------------------------

def key_rules(ctx: RuleContext) -> list[Candidate]:
    """A network key nobody else uses isolates its node: a gateway whose key no charger has, or
    chargers whose key no gateway has (manual: encrypted PLC modules need the network key)."""
    out = []
    site = ctx.site
    charger_keys = {n.network_password for n in site.chargers if not n.bridge}
    gateway_keys = {n.network_password for n in site.nodes if n.is_gateway}
    for g in [n for n in site.nodes if n.is_gateway and n.network_password not in charger_keys]:
        near = [n for n in (ctx.chargers_on(g.cable) or list(site.chargers)) if not n.bridge]
        if not near:
            continue
        want = majority(n.network_password for n in near)
        out.append(Candidate(
            cid=f"key:{g.name}", action="set-network-key", group=f"key:{g.name}", rule="network-key", effort=0,
            instruction=f"Set {g.name}'s network key (NMK password) to the one the chargers on {g.cable} use",
            why=f"no charger shares {g.name}'s network key, so it serves none of them (manual: encrypted PLC "
                "modules need the network key)",
            apply=_set_node(g.name, network_password=want), details={"node": g.name}))
    for key in sorted(charger_keys - gateway_keys):
        lost = [n for n in site.chargers if n.network_password == key and not n.bridge]
        peers = [g for g in site.nodes if g.is_gateway and any(g.cable == n.cable for n in lost)] or \
            [g for g in site.nodes if g.is_gateway]
        if not peers:
            continue
        want = majority(g.network_password for g in peers)
        names = tuple(n.name for n in lost)

        out.append(Candidate(
            cid=f"key:{','.join(names)}", action="set-network-key", group=f"key:{key}", rule="network-key",
            effort=0, instruction=f"Set the network key of {_names(lost)} to the one of {_names(peers, 2)}",
            why="no gateway shares their network key, so they have no PLC route (manual: encrypted PLC modules "
                "need the network key)",
            apply=_set_nodes(names, network_password=want), details={"chargers": list(names)}))
    parts = [c for c in out if c.cid.startswith("key:") and "chargers" in c.details]
    if len(parts) >= 2:
        lost_all = [name for c in parts for name in c.details["chargers"]]
        out.append(combined(
            parts, "key-all:" + ",".join(lost_all), "set-network-keys",
            f"Set the network key of every charger no gateway shares a key with ({len(lost_all)}: "
            f"{', '.join(lost_all[:6])}{' and more' if len(lost_all) > 6 else ''}) to its gateway's",
            "no gateway shares their network keys, so they have no PLC route (manual: encrypted PLC modules "
            "need the network key)"))
    return out


def separate_network_rules(ctx: RuleContext) -> list[Candidate]:
    """Two wired PLC modules in one PLC network close an Ethernet loop through the router: give each
    further module and the chargers of its circuit their own network key (one gateway per PLC
    network, as for bridges)."""
    out = []
    site = ctx.site
    for password in sorted({n.network_password for n in site.nodes}):
        gateways = [n for n in site.nodes if n.is_gateway and n.network_password == password]
        modules = [n for n in gateways if n.kind == "plc_module"]
        if len(gateways) < 2 or not modules:
            continue
        parts: list[Candidate] = []
        for m in modules[1:]:
            rivals = [x for x in modules if x.cable == m.cable]
            circuit = [n for n in ctx.chargers_on(m.cable) if n.network_password == password and not n.bridge
                       and _nearest(rivals, n) is m]
            if not circuit:
                continue
            key = f"{password}-{m.name}"[:64]
            names = (m.name, *(n.name for n in circuit))

            parts.append(Candidate(
                cid=f"network:{m.name}", action="separate-network", group=f"network:{m.name}",
                rule="one-gateway-per-network", effort=0,
                instruction=f"Give {m.name} and the {len(circuit)} chargers of its circuit ({_names(circuit, 4)}) "
                            f"their own network key",
                why=(f"{_names(gateways)} are all gateways of one PLC network; two wired gateways in one PLC "
                     "network close an Ethernet loop through the router (one gateway per PLC network)"),
                apply=_set_nodes(names, network_password=key), details={"module": m.name, "chargers": [n.name for n in circuit]}))
        out += parts
        if len(parts) >= 2:
            where = "; ".join(f"{p.details['module']} with its {len(p.details['chargers'])} chargers" for p in parts)
            out.append(combined(
                parts, "network-all:" + ",".join(p.details["module"] for p in parts), "separate-networks",
                f"Give each PLC module after {modules[0].name} and the chargers of its circuit their own network "
                f"key: {where}",
                f"{_names(gateways)} are all gateways of one PLC network; wired gateways in one PLC network close "
                "Ethernet loops through the router (Zaptec: isolate each circuit's PLC network with its own key)"))
    return out


def coupling_rules(ctx: RuleContext) -> list[Candidate]:
    """Couple every PLC node on the same conductors: L1-N on TN/TT, the charger's two conductors on
    IT (manual; Zaptec: same phase order everywhere)."""
    out: list[Candidate] = []
    site = ctx.site
    chargers = list(site.chargers)
    if not chargers:
        return out
    for m in ctx.modules():
        near = ctx.chargers_on(m.cable) or chargers
        want = majority(n.phase for n in near)
        if want != m.phase:
            out.append(Candidate(
                cid=f"couple:{m.name}:{want}", action="module-coupling", group=f"module-phase:{m.name}",
                rule="coupling", effort=3,
                instruction=f"Couple {m.name} on {want} like the chargers on {m.cable} (it is on {m.phase})",
                why="a PLC signal crossing to another phase or conductor pair loses tens of dB (manual: PLC "
                    "couples on L1 and N, on IT grids on the two conductors feeding the charger)",
                apply=_set_node(m.name, phase=want),
                details={"module": m.name, "phase": want}))
    phases = Counter(n.phase for n in chargers)
    if len(phases) > 1:
        want = phases.most_common(1)[0][0]
        odd = [n for n in chargers if n.phase != want]
        names = tuple(n.name for n in odd)

        out.append(Candidate(
            cid=f"phase-order:{want}", action="same-phase-order", group="phase-order", rule="coupling", effort=3,
            instruction=f"Wire the chargers with the same phase order so every PLC modem couples on {want} "
                        f"({len(odd)} chargers to change: {_names(odd, 4)})",
            why="chargers' PLC modems on different phases reach each other and the gateway only across phases "
                "(Zaptec: same phase order everywhere)",
            apply=_set_nodes(names, phase=want), details={"phase": want, "chargers": list(names)}))
    return out


# -- rules: Wi-Fi or PLC per charger, firmware policy ----------------------------------------------------

def uplink_rules(ctx: RuleContext) -> list[Candidate]:
    """Chargers on the edge of the -75 dBm rule that switched between Wi-Fi and PLC: pin them to PLC
    (disable Wi-Fi in their configuration) -- proposed only for chargers that have a PLC route."""
    site = ctx.site
    thr = site.params.wifi_threshold_dbm
    pins = []
    for n in site.chargers:
        ns = ctx.base_nodes.get(n.name)
        if n.bridge or n.wifi_rssi_dbm is None or ns is None:
            continue
        switched = ns["flap_kinds"].get("uplink-wifi", 0) + ns["flap_kinds"].get("uplink-plc", 0)
        plc_route = any(g not in ("wifi", "none", "wired") for g in ns["time_by_gateway_s"])
        if abs(n.wifi_rssi_dbm - thr) <= BORDERLINE_WIFI_DB and switched and plc_route:
            pins.append(n)
    if not pins:
        return []
    names = tuple(n.name for n in pins)

    return [Candidate(
        cid="pin-plc:" + ",".join(names), action="uplink", group="uplink-pin", rule="wifi-or-plc", effort=0,
        instruction=f"Configure {_names(pins)} to use PLC only (Wi-Fi off)",
        why=(f"their Wi-Fi is within {BORDERLINE_WIFI_DB:g} dB of the {thr:g} dBm rule and they switched between "
             "Wi-Fi and PLC in the simulation (manual: Wi-Fi where RSSI >= -75 dBm, else PLC)"),
        apply=_set_nodes(names, wifi_rssi_dbm=None), details={"chargers": list(names), "use": "plc"})]


def _hysteresis(s: Site) -> Site:
    return s.with_params(gateway_policy="hysteresis")


def policy_rules(ctx: RuleContext) -> list[Candidate]:
    site = ctx.site
    if site.params.gateway_policy != "none":
        return []
    if not any(ns["flaps"] for ns in ctx.base_nodes.values()):
        return []
    return [Candidate(
        cid="policy:hysteresis", action="policy", group="policy", rule="firmware-hysteresis", effort=1,
        instruction="Enable RSSI hysteresis and a 60 s dwell in the charger firmware",
        why="without hysteresis a charger switches uplink on every RSSI dip around -75 dBm",
        apply=_hysteresis, details={"policy": "hysteresis"})]


RULES: tuple[Callable[[RuleContext], list[Candidate]], ...] = (
    module_rules, crowded_module_rules, bridge_rules, separate_network_rules, key_rules, coupling_rules,
    uplink_rules, policy_rules)


def candidates(ctx: RuleContext) -> list[Candidate]:
    """Every rule's candidates for the current site, one per identity (first rule wins)."""
    seen: dict[str, Candidate] = {}
    for rule in RULES:
        for c in rule(ctx):
            seen.setdefault(c.cid, c)
    return list(seen.values())


__all__ = ["CHARGERS_PER_MODULE", "Candidate", "HOP_LIMIT_M", "RULES", "RuleContext", "cable_distance_m",
           "candidates", "majority", "middle_of"]
