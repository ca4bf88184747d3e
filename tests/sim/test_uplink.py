"""Uplink choice: gateway rates, the fading pairs they sample, the firmware's policies."""

from __future__ import annotations

import numpy as np

from plcstack.sim.engine import Engine
from plcstack.sim.formation import AT_RISK_SIGMAS
from plcstack.sim.generate import generate_site
from plcstack.sim.uplink import GatewayRates


def _bridged_depot():
    """40 chargers on 4 runs, every one of them a Wi-Fi bridge, PLC modules on two runs."""
    return generate_site(n_chargers=40, n_runs=4, run_length_m=150.0, bridges=40, module_runs=2, seed=3)


def _count_sizes(obj: object, method: str, arg: int = 0) -> list[int]:
    """Wrap ``obj.method`` so every call records the size of its argument number ``arg``."""
    sizes: list[int] = []
    inner = getattr(obj, method)

    def counted(*args):  # type: ignore[no-untyped-def]
        sizes.append(int(np.size(args[arg])))
        return inner(*args)

    setattr(obj, method, counted)
    return sizes


def test_reselection_samples_few_fading_pairs_however_many_gateways() -> None:
    """With every charger a gateway, a reselection samples the fading of the pairs that can win or are
    in use (a handful per node here: the bridges near it), not of all N x G pairs."""
    eng = Engine(_bridged_depot(), hours=0.1)
    eng._start(0.0)
    sampled = _count_sizes(eng.fading, "at_index")
    eng._gateway_rates(30.0)
    n, g = eng.n, eng.gw_cols.size
    assert g >= 40 and sampled and sampled[-1] <= 6 * n < n * g / 5


def test_pruned_pairs_never_hold_the_best_gateway() -> None:
    """Whatever the fading within its reach, the best valid gateway of each node is among the candidates."""
    eng = Engine(_bridged_depot(), hours=0.1)
    eng._start(0.0)
    rates = eng.gw_rates
    rates.refresh()
    rng = np.random.default_rng(0)
    valid = rates.not_self & (rates.base > 0)
    none = np.full(eng.n, -1)
    cand = rates.candidates(valid, none)
    reach = AT_RISK_SIGMAS * eng.p.fading_sigma_db
    for _ in range(20):
        fade = np.clip(rng.normal(0.0, eng.p.fading_sigma_db, rates.base.size), -reach, reach)
        full = np.where(valid, rates.rates(0.0, fade), -1.0)
        best = full.argmax(axis=1)
        rows = np.flatnonzero(valid.any(axis=1))
        assert cand[rows, best[rows]].all()


def test_gateway_rates_refresh_only_what_the_noise_changed() -> None:
    eng = Engine(_bridged_depot(), hours=0.1)
    rates: GatewayRates = eng.gw_rates
    rates.refresh()
    before = rates.base.copy()
    charging = np.zeros(eng.n, bool)
    charging[0] = True
    eng.phys.set_charging(charging)
    rates.refresh()
    assert (rates.base <= before + 1e-9).all() and (rates.base < before - 1e-6).any()
    versions = np.broadcast_to(eng.phys.noise_version[rates.gws][None, :], rates.up_version.shape)
    assert (rates.up_version[rates.not_self] == versions[rates.not_self]).all()


def test_gateway_rates_are_computed_only_within_an_avln() -> None:
    """A gateway of another AVLN cannot carry a node's traffic: its rate is not worked out at all."""
    eng = Engine(_bridged_depot(), hours=0.1)
    rates: GatewayRates = eng.gw_rates
    calls = _count_sizes(eng.phys, "rates_into", arg=1)
    half = np.zeros(rates.not_self.shape, bool)
    half[: eng.n // 2, : rates.gws.size // 2] = True
    rates.need(half)
    rates.refresh()
    assert sum(calls) == int((half & rates.not_self).sum())
    rates.need(rates.not_self)  # more pairs needed: the missing ones are computed, nothing twice
    rates.refresh()
    assert sum(calls) == int(rates.not_self.sum())
