"""Link quality between two emulated modems: the only physics the emulator needs.

A :class:`LinkModel` answers, for a transmitter MAC, a receiver MAC and a time, how fast and how well
the two modems hear each other.  The emulator uses it for three observable things:

* reachability -- the emulated power line delivers a frame only when ``reachable`` is true;
* ``VS_NW_INFO`` -- the average PHY rates a modem reports for each station (``tx_rate_mbps`` from
  the reporting modem to the station, ``rx_rate_mbps`` from the station to it);
* SLAC -- the 58 per-group attenuations (dB) a modem puts into ``CM_ATTEN_PROFILE.IND`` for each
  ``CM_MNBC_SOUND.IND`` it hears (ISO 15118-3 / HomePlug Green PHY: 58 groups of carriers).

The default :class:`ConstantLinkModel` gives every pair the same numbers.  ``plcstack.emu.simlink``
adapts the site simulator (``plcstack.sim``) to this protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


def default_attenuation(mean_db: float = 21.0, ripple_db: int = 3) -> tuple[int, ...]:
    """A plausible 58-group profile: ``mean_db`` with a small repeating ripple (+-``ripple_db``)."""
    pattern = [int(round(mean_db)) + ((i % 7) - 3) * ripple_db // 3 for i in range(SLAC_GROUPS)]
    return tuple(max(0, min(255, v)) for v in pattern)


@dataclass
class ConstantLinkModel:
    """Every pair of modems hears every other with the same rates and attenuation.

    ``overrides`` maps an unordered MAC pair ``frozenset({a, b})`` to its own :class:`LinkQuality`
    (its ``tx``/``rx`` are swapped automatically when asked from the other side).
    """

    tx_rate_mbps: float = 180.0
    rx_rate_mbps: float = 170.0
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
        return LinkQuality(self.tx_rate_mbps, self.rx_rate_mbps, self.attenuation_db, self.reachable)


@dataclass
class FunctionLinkModel:
    """Wrap a plain function ``f(src_mac, dst_mac, t_s) -> LinkQuality``."""

    func: Callable[[bytes, bytes, float], LinkQuality]

    def link(self, src_mac: bytes, dst_mac: bytes, t_s: float) -> LinkQuality:
        return self.func(src_mac, dst_mac, t_s)


def link_model_from_config(cfg: Mapping[str, object] | None) -> ConstantLinkModel:
    """Build a :class:`ConstantLinkModel` from the ``[link]`` table of a network TOML file.

    Keys: ``tx_rate_mbps``, ``rx_rate_mbps``, ``attenuation_db`` (a number: mean dB, or a list of
    58 numbers), and ``[[link.pair]]`` entries with ``a``, ``b`` (MACs) and the same keys plus
    ``reachable``.
    """
    from plcstack.codec import mac_bytes

    cfg = dict(cfg or {})
    model = ConstantLinkModel(
        tx_rate_mbps=float(cfg.get("tx_rate_mbps", 180.0)),  # type: ignore[arg-type]
        rx_rate_mbps=float(cfg.get("rx_rate_mbps", 170.0)),  # type: ignore[arg-type]
        attenuation_db=_atten(cfg.get("attenuation_db")),
    )
    for pair in cfg.get("pair", []) or []:  # type: ignore[union-attr]
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
    vals = [int(v) for v in value]  # type: ignore[union-attr]
    if len(vals) != SLAC_GROUPS:
        raise ValueError(f"attenuation_db needs {SLAC_GROUPS} values, got {len(vals)}")
    return tuple(max(0, min(255, v)) for v in vals)
