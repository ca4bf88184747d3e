"""What one flap costs a charger: outage seconds and extra bytes (docs/sim-network.md).

Each function returns plain numbers and names its source.  The engine charges these costs to the
node that flapped; ``summary.json`` reports them against the charger's ~3 MB/day budget.
"""

from __future__ import annotations

from dataclasses import dataclass

# the rule book's firmware timers (docs/avln.md), re-exported: flap costs are built from them
from ..avln.rules import (
    ASSOC_TIMEOUT_S,
    BACKUP_CCO_TICKS,
    BBT_S,
    BEACON_LOSS_TICK_S,
    DISCOVER_PERIOD_S,
    HANDOVER_BEACONS,
    KEY_TIMEOUT_S,
    REDISCOVERY_TICKS,
    TEI_LEASE_AUTH_S,
    USAI_S,
    beacon_loss_detection_s,
)
from .formation import MME_RTT_S
from .site import SiteParams

__all__ = [
    "ASSOC_TIMEOUT_S", "BACKUP_CCO_TICKS", "BBT_S", "BEACON_LOSS_TICK_S", "DISCOVER_PERIOD_S", "HANDOVER_BEACONS",
    "KEY_TIMEOUT_S", "MME_RTT_S", "REDISCOVERY_TICKS", "TEI_LEASE_AUTH_S", "USAI_S", "FlapCost",
    "beacon_loss_detection_s", "dhcp_retransmit_schedule", "flap_cost", "mqtt_dead_client_s", "reconnect_cost",
]

# -- Upper layers ----------------------------------------------------------------------------------
TCP_INITIAL_RTO_S = 1.0  # RFC 6298 [L]
ARP_STALE_S = 30.0  # Linux neighbour reachable time ~30 s [L]
WIFI_ASSOC_SCAN_S = 2.0  # [E] WPA2-PSK association with a full scan, 1-3 s
WIFI_ASSOC_NOSCAN_S = 0.05  # [E] tens of ms without a scan
TLS12_HANDSHAKE_BYTES = 5_500  # [E] certificates dominate: "a few kB"
TLS12_RTTS = 2  # [L]
MQTT_RECONNECT_BYTES = 600  # [E] CONNECT/CONNACK + re-SUBSCRIBE + small QoS1 replay
OCPP_RECONNECT_BYTES = 1_500  # [E] WebSocket upgrade + BootNotification + StatusNotification
DHCP_EXCHANGE_BYTES = 4 * 342  # DISCOVER/OFFER/REQUEST/ACK, minimum BOOTP frames [L]
ARP_BYTES = 2 * 60


def dhcp_retransmit_schedule(attempts: int = 5, first_s: float = 4.0, cap_s: float = 64.0) -> list[float]:
    """DHCPDISCOVER retransmission delays: 4, 8, 16, 32, 64 s (+-1 s randomisation), RFC 2131 §4.1 [L]."""
    out, delay = [], first_s
    for _ in range(attempts):
        out.append(min(delay, cap_s))
        delay *= 2.0
    return out


def mqtt_dead_client_s(keepalive_s: float) -> float:
    """A broker declares a silent client dead after 1.5 x keep-alive (MQTT 3.1.1 §3.1.2.10) [L]."""
    return 1.5 * keepalive_s


@dataclass(frozen=True)
class FlapCost:
    outage_s: float
    extra_bytes: int
    ghost_session_s: float = 0.0  # time the broker still believes the old session is alive


def reconnect_cost(params: SiteParams) -> FlapCost:
    """New IP address: DHCP (4 RTT), TCP (1 RTT), TLS 1.2 (2 RTT), MQTT CONNECT (1 RTT), OCPP boot."""
    rtts = 4 + 1 + TLS12_RTTS + 1 + 1
    return FlapCost(
        outage_s=rtts * params.rtt_s,
        extra_bytes=DHCP_EXCHANGE_BYTES + TLS12_HANDSHAKE_BYTES + MQTT_RECONNECT_BYTES + OCPP_RECONNECT_BYTES,
        ghost_session_s=mqtt_dead_client_s(params.mqtt_keepalive_s),
    )


def flap_cost(kind: str, params: SiteParams, rejoin_s: float = 0.0) -> FlapCost:
    """Cost of one flap of ``kind``:

    * ``"l2-path"`` -- the router's MAC table moved the charger to another bridge (bridging loop):
      the frames in flight on the stale path are lost and TCP recovers after one RTO [L];
    * ``"gateway"`` -- the charger's firmware picked another gateway on the same LAN: gratuitous
      ARP, one RTO for the in-flight segment;
    * ``"avln"`` -- the modem left its AVLN and re-associated with another one; the engine counts the
      time without association (beacon-loss detection, scan, CC_ASSOC, CM_GET_KEY) as downtime by
      itself, so it passes no ``rejoin_s``; the IP survives on the same LAN and TCP backs off once more;
    * ``"uplink"`` -- Wi-Fi <-> PLC: another interface and another address: Wi-Fi association (when
      moving to Wi-Fi) or PLC join, DHCP, TCP, TLS, MQTT and OCPP all start again.
    """
    if kind in ("l2-path", "gateway"):
        return FlapCost(TCP_INITIAL_RTO_S, ARP_BYTES + 1500)
    if kind == "avln":
        return FlapCost(rejoin_s + TCP_INITIAL_RTO_S, ARP_BYTES + 1500)
    if kind == "uplink-wifi":
        base = reconnect_cost(params)
        return FlapCost(WIFI_ASSOC_SCAN_S + base.outage_s, base.extra_bytes, base.ghost_session_s)
    if kind == "uplink-plc":
        base = reconnect_cost(params)
        return FlapCost(rejoin_s + base.outage_s, base.extra_bytes, base.ghost_session_s)
    raise ValueError(f"unknown flap kind {kind!r}")
