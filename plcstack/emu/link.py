"""Link quality between two emulated modems: the only physics the emulator needs.

A :class:`LinkModel` answers, for a transmitter MAC, a receiver MAC and a time, how fast and how well
the two modems hear each other.  The emulator uses it for three observable things:

* reachability -- the emulated power line delivers a frame only when ``reachable`` is true;
* ``VS_NW_INFO`` -- the average PHY rates a modem reports for each station (``tx_rate_mbps`` from
  the reporting modem to the station, ``rx_rate_mbps`` from the station to it); the rate of one
  direction is the same whichever end reports it (A's TX to B is B's RX from A);
* SLAC -- the 58 per-group attenuations (dB) a modem puts into ``CM_ATTEN_PROFILE.IND`` for each
  ``CM_MNBC_SOUND.IND`` it hears (ISO 15118-3 / HomePlug Green PHY: 58 groups of carriers);
* tone maps -- a model may also offer ``tone_maps(src_mac, dst_mac, t_s)`` (bits per carrier per
  slot, :class:`plcstack.emu.tonemap.ToneMaps`); otherwise the modem derives them from the rate.

The default :class:`ConstantLinkModel` gives every pair the same numbers.  ``plcstack.emu.simlink``
adapts the site simulator (``plcstack.sim``) to this protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol, runtime_checkable

#: Number of carrier groups in a SLAC attenuation profile (Green PHY, ISO 15118-3 Annex A).
SLAC_GROUPS = 58


class LinkQuality(NamedTuple):
    """What one modem sees of another at one instant."""

    tx_rate_mbps: float  # average PHY rate from the asking modem to the peer, Mbit/s
    rx_rate_mbps: float  # average PHY rate from the peer to the asking modem, Mbit/s
    attenuation_db: tuple[int, ...]  # SLAC_GROUPS values, dB (0..255), peer -> asking modem
    reachable: bool


@runtime_checkable
class LinkModel(Protocol):
    """``link(src_mac, dst_mac, t_s) -> LinkQuality`` (MACs are 6-byte strings, time in seconds)."""

    def link(self, src_mac: bytes, dst_mac: bytes, t_s: float) -> LinkQuality: ...


#: Rise of a real profile from the lowest to the highest group, dB (a QCA7005 EVSE modem's sounds in the
#: pyPLC SuperCharger capture, frames 400-436: 15 -> 24 dB over groups 0..56; docs/modem-profiles.md).
PROFILE_RISE_DB = 9.0


def default_attenuation(mean_db: float = 21.0, rise_db: float = PROFILE_RISE_DB) -> tuple[int, ...]:
    """A smooth 58-group profile with mean ``mean_db`` that rises by ``rise_db`` with frequency.

    Cable attenuation grows with frequency (roughly with its square root), so real profiles climb
    from the lowest to the highest carrier group; this one follows ``sqrt(f)`` over the groups.
    """
    shape = [((k + 0.5) / SLAC_GROUPS) ** 0.5 for k in range(SLAC_GROUPS)]
    centre = sum(shape) / len(shape)
    lo = min(shape)
    span = max(shape) - lo
    values = [mean_db + rise_db * ((v - lo) / span - (centre - lo) / span) for v in shape]
    return tuple(max(0, min(255, int(round(v)))) for v in values)


@dataclass
class ConstantLinkModel:
    """Every pair of modems hears every other with the same rates and attenuation.

    Rates are directional: ``tx_rate_mbps`` is the rate from the lower MAC of a pair to the higher
    one, ``rx_rate_mbps`` the rate back, so both ends report the same number for each direction.
    ``overrides`` maps an unordered MAC pair ``frozenset({a, b})`` to its own :class:`LinkQuality`,
    given as seen from ``a`` (its ``tx``/``rx`` are swapped when asked from ``b``).
    """

    tx_rate_mbps: float = 120.0
    rx_rate_mbps: float = 110.0
    attenuation_db: tuple[int, ...] = field(default_factory=default_attenuation)
    reachable: bool = True
    overrides: dict[frozenset[bytes], tuple[bytes, LinkQuality]] = field(default_factory=dict)

    def set_pair(self, a: bytes, b: bytes, quality: LinkQuality) -> None:
        """Give the pair (a, b) its own quality, expressed as seen from ``a``."""
        self.overrides[frozenset((a, b))] = (a, quality)

    def link(self, src_mac: bytes, dst_mac: bytes, t_s: float) -> LinkQuality:
        hit = self.overrides.get(frozenset((src_mac, dst_mac)))
        if hit is not None:
            owner, q = hit
            if owner == src_mac:
                return q
            return LinkQuality(q.rx_rate_mbps, q.tx_rate_mbps, q.attenuation_db, q.reachable)
        if src_mac <= dst_mac:
            return LinkQuality(self.tx_rate_mbps, self.rx_rate_mbps, self.attenuation_db, self.reachable)
        return LinkQuality(self.rx_rate_mbps, self.tx_rate_mbps, self.attenuation_db, self.reachable)


def link_model_from_config(cfg: Mapping[str, object] | None) -> ConstantLinkModel:
    """Build a :class:`ConstantLinkModel` from the ``[link]`` table of a network TOML file.

    Keys: ``tx_rate_mbps``, ``rx_rate_mbps``, ``attenuation_db`` (a number: mean dB, or a list of
    58 numbers), and ``[[link.pair]]`` entries with ``a``, ``b`` (MACs) and the same keys plus
    ``reachable``.
    """
    from plcstack.codec.mac import parse_mac as mac_bytes

    cfg = dict(cfg or {})
    model = ConstantLinkModel(
        tx_rate_mbps=float(cfg.get("tx_rate_mbps", 120.0)),  # type: ignore[arg-type]
        rx_rate_mbps=float(cfg.get("rx_rate_mbps", 110.0)),  # type: ignore[arg-type]
        attenuation_db=_atten(cfg.get("attenuation_db")),
    )
    pairs = cfg.get("pair", []) or []
    if not isinstance(pairs, list):
        raise ValueError("link.pair must be an array of tables ([[link.pair]])")
    for pair in pairs:
        p = dict(pair)
        a, b = mac_bytes(str(p["a"])), mac_bytes(str(p["b"]))
        model.set_pair(a, b, LinkQuality(
            float(p.get("tx_rate_mbps", model.tx_rate_mbps)), float(p.get("rx_rate_mbps", model.rx_rate_mbps)),
            _atten(p.get("attenuation_db", list(model.attenuation_db))), bool(p.get("reachable", True))))
    return model


def _atten(value: object) -> tuple[int, ...]:
    if value is None:
        return default_attenuation()
    if isinstance(value, (int, float)):
        return default_attenuation(float(value))
    if not isinstance(value, list):
        raise ValueError(f"attenuation_db is a number or a list of {SLAC_GROUPS} numbers, got {value!r}")
    vals = [int(v) for v in value]
    if len(vals) != SLAC_GROUPS:
        raise ValueError(f"attenuation_db needs {SLAC_GROUPS} values, got {len(vals)}")
    return tuple(max(0, min(255, v)) for v in vals)
