"""Tone maps of an emulated link: bits per carrier, consistent with the PHY rate the modem reports.

``plctone``/``amptone`` (VS_TONE_MAP_CHAR, MMV 1) and ``int6ktone`` (VS_RX_TONE_MAP_CHAR, MMV 0) print
the modulation of every carrier of every tone-map slot.  The emulator answers from the link model:

* a link model with a ``tone_maps(src, dst, t_s)`` method gives the bits per carrier itself --
  :class:`plcstack.emu.simlink.SimLinkModel` does, from the site simulator's per-carrier SNR, with the
  simulator's bit loading, so the maps are those its rates come from;
* otherwise (:class:`~plcstack.emu.link.ConstantLinkModel`) a map is made that carries the link's
  rate: a per-carrier SNR that falls with frequency as the link's SLAC attenuation rises, shifted
  until threshold bit loading gives the rate (``TMNUMACTCARRIERS`` carriers, coded rate
  ``sum(bits) x 16/21 / 46.52 us``, :func:`plcstack.sim.phy.phy_rate_mbps`).

A Green PHY link (a QCA7000/7005 at either end) is ROBO only: QPSK on every carrier and no
tone-map slots, as a real QCA7420 reports for a QCA7000 peer (``docs/modem-profiles.md``).

The 4-bit modulation codes are open-plc-utils ``mod2bits`` (``plc/SignalToNoise2.c``): 0 none,
1 BPSK, 2 QPSK, 3 8-QAM, 4 16-QAM, 5 64-QAM, 6 256-QAM, 7 1024-QAM, 8 4096-QAM.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from plcstack.sim import phy
from plcstack.sim.carriers import AV_CARRIERS, av_tone_mask, slac_group_index

BITS_TO_CODE = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 6: 5, 8: 6, 10: 7, 12: 8}
QPSK = 2


class ToneMaps(NamedTuple):
    """Bits per active carrier, one row per tone-map slot (no rows: ROBO only)."""

    slots: tuple[tuple[int, ...], ...]
    carriers: int  # active carriers (TMNUMACTCARRIERS)
    robo: bool = False

    def codes(self, slot: int) -> bytes:
        """Slot ``slot`` as open-plc-utils reads it: 4 bits per carrier, low nibble first.

        ROBO links report QPSK on every carrier (and no slots)."""
        if self.robo or not self.slots:
            values = [BITS_TO_CODE[QPSK]] * self.carriers
        else:
            values = [BITS_TO_CODE.get(b, 0) for b in self.slots[min(slot, len(self.slots) - 1)]]
        if len(values) % 2:
            values.append(0)
        return bytes(values[i] | (values[i + 1] << 4) for i in range(0, len(values), 2))

    def rate_mbps(self) -> float:
        """Coded PHY rate these maps carry (mean over slots), Mbit/s."""
        if not self.slots:
            return 0.0
        return float(np.mean([phy.phy_rate_mbps(np.array(s)) for s in self.slots]))


def _active_attenuation(attenuation_db: Sequence[int], mask: np.ndarray) -> np.ndarray:
    """Per active carrier (AV default tone mask), the SLAC group attenuation it belongs to (dB)."""
    groups = np.asarray(attenuation_db, dtype=float)
    per_carrier = groups[np.clip(slac_group_index(AV_CARRIERS), 0, groups.size - 1)]
    return per_carrier[mask]


def maps_for_rate(rate_mbps: float, attenuation_db: Sequence[int], ber: float = 1e-3) -> ToneMaps:
    """One tone-map slot whose coded rate is as close to ``rate_mbps`` as threshold bit loading allows.

    SNR_k = S - A_k (A: the SLAC group attenuation of carrier k); S is found by bisection, then carriers
    of the best-SNR groups are raised one constellation at a time until the rate is as close as it gets.
    """
    mask = av_tone_mask()
    atten = _active_attenuation(attenuation_db, mask)
    n = int(mask.sum())
    if rate_mbps <= 0:
        return ToneMaps(((0,) * n,), n)

    def bits_at(level: float) -> np.ndarray:
        return phy.bit_loading(level - atten, ber=ber)

    lo, hi = -20.0, 120.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if float(phy.phy_rate_mbps(bits_at(mid))) < rate_mbps:
            lo = mid
        else:
            hi = mid
    # between the two levels whole SLAC groups change; finish carrier by carrier, best SNR first
    bits, upper = bits_at(lo).astype(int), bits_at(hi).astype(int)
    per_bit = phy.FEC_AV / phy.AV_SYMBOL_S / 1e6
    rate = float(phy.phy_rate_mbps(bits))
    for k in np.argsort(atten, kind="stable"):
        if upper[k] <= bits[k]:
            continue
        gain = (upper[k] - bits[k]) * per_bit
        if abs(rate + gain - rate_mbps) >= abs(rate - rate_mbps):
            break
        bits[k], rate = upper[k], rate + gain
    return ToneMaps((tuple(int(b) for b in bits),), n)


def robo_maps() -> ToneMaps:
    return ToneMaps((), int(av_tone_mask().sum()), robo=True)
