"""Site physics: what the calibrated defaults predict on sites built here, against the field rules."""

from __future__ import annotations

import numpy as np
from sim_sites import SITES, charger_row, feeder

from plcstack.sim.physics import SitePhysics
from plcstack.sim.site import load_site


def test_links_are_asymmetric_in_snr() -> None:
    """PLC channels are highly asymmetric (Vlachou et al., IMC 2015): SNR differs for most pairs."""
    site = load_site(SITES / "demo.toml")
    phys = SitePhysics(site, seed=1)
    n = len(site.nodes)
    asym = 0
    pairs = 0
    for i in range(n):
        for j in range(i + 1, n):
            pairs += 1
            d = np.abs(phys.snr_db(i, j)[0][phys.av_sel].mean() - phys.snr_db(j, i)[0][phys.av_sel].mean())
            asym += d > 0.5
    assert asym / pairs >= 0.5


def test_charging_raises_noise_and_lowers_rates() -> None:
    site = load_site(SITES / "module-middle.toml")
    phys = SitePhysics(site)
    m = site.node_index("M1")
    idle = [phys.link(i, m).rate_mbps for i in range(len(site.nodes)) if i != m]
    noise_idle = phys.noise_dbm_hz(m).copy()
    phys.set_charging(np.ones(len(site.nodes), bool))
    busy = [phys.link(i, m).rate_mbps for i in range(len(site.nodes)) if i != m]
    assert (phys.noise_dbm_hz(m) >= noise_idle - 1e-9).all()
    assert sum(busy) < sum(idle)
    phys.set_charging(np.zeros(len(site.nodes), bool))  # and back, exactly
    assert np.allclose(phys.noise_dbm_hz(m), noise_idle, atol=1e-6)
    assert [phys.link(i, m).rate_mbps for i in range(len(site.nodes)) if i != m] == idle


def test_vectorised_rates_match_the_phy_pipeline() -> None:
    from plcstack.sim import phy

    site = load_site(SITES / "module-start.toml")
    phys = SitePhysics(site)
    phys.set_charging(np.ones(len(site.nodes), bool))
    m = site.node_index("M1")
    _, slots, _ = phys.rates_into(m, np.arange(len(site.nodes) - 1))
    noise_db = 10 * np.log10(phys._noise[m][:, phys.av_sel])
    for i in range(len(site.nodes) - 1):
        loss = -phys.gain_db[i, m][phys.av_sel].astype(float)
        ref = phy.link_phy_rate_mbps(site.params.tx_psd_dbm_hz, loss[None, :], noise_db,
                                     mask=np.ones(loss.size, bool), snr_cap_db=site.params.snr_cap_db)
        assert np.allclose(slots[i], ref, atol=1e-6)


# -- field rules that must emerge from the calibrated defaults ------------------------------------------

def _link(phys: SitePhysics, a: int, b: int) -> float:
    """The rate that counts for a charger: the slower direction of its link."""
    return min(phys.link(a, b).rate_mbps, phys.link(b, a).rate_mbps)


def _feeder_rate(length_m: float, grid: str = "TN", charging: bool = False, seed: int = 0) -> float:
    site = feeder(length_m, grid=grid)
    phys = SitePhysics(site, seed)
    if charging:
        phys.set_charging(np.array([True, False]))
    return _link(phys, site.node_index("C"), site.node_index("M"))


def test_rate_falls_with_distance_as_the_field_rules_say() -> None:
    """devolo: per hop < 50 m good, 50-100 m may work, > 100 m not recommended; Zaptec: at most ~90 m;
    ALLNET: ~200 m maximum.  Clean Cu-10mm2 feeder, module at the board, charger at the far end."""
    # the median over noise realisations: one seed is one site, the rule is about sites in general
    rate = {d: float(np.median([_feeder_rate(d, seed=s) for s in range(5)])) for d in (30, 90, 250, 500)}
    assert rate[30] >= 100.0
    assert rate[90] >= 60.0  # usable
    assert rate[250] < 0.6 * rate[30]  # clearly degraded
    assert rate[500] < 30.0  # unusable
    assert rate[30] > rate[90] > rate[250] > rate[500]


def test_snr_leaves_the_cap_at_long_distance() -> None:
    cap = feeder(30).params.snr_cap_db
    for length, lo, hi in ((30, 0.7, 1.0), (600, 0.0, 0.1)):
        site = feeder(length)
        phys = SitePhysics(site, 0)
        snr = phys.snr_db(site.node_index("C"), site.node_index("M"))[:, phys.av_sel]
        assert lo <= np.mean(snr >= cap - 1e-6) <= hi


def test_it_runs_reach_less_far_than_tn() -> None:
    """Zaptec: compared to TN, an IT system requires a shorter distance."""
    for d in (90, 150, 250, 350):
        assert _feeder_rate(d, "IT") < _feeder_rate(d, "TN")
    reach = {g: next(d for d in range(50, 800, 10) if _feeder_rate(d, g) < 50.0) for g in ("TN", "IT")}
    assert reach["IT"] < reach["TN"]


def test_a_charging_vehicle_cuts_its_own_link_and_its_neighbours() -> None:
    idle, busy = _feeder_rate(90), _feeder_rate(90, charging=True)
    assert busy < 0.95 * idle
    row = charger_row(6, spacing_m=15.0)
    phys = SitePhysics(row, 0)
    m = row.node_index("M")
    before = [_link(phys, i, m) for i in range(6)]
    charging = np.zeros(len(row.nodes), bool)
    charging[0] = True
    phys.set_charging(charging)
    after = [_link(phys, i, m) for i in range(6)]
    assert after[0] < 0.97 * before[0]  # its own link
    assert after[1] < before[1] - 0.1  # its neighbour 15 m away
    assert all(a <= b + 1e-9 for a, b in zip(after, before, strict=True))


def test_about_thirty_chargers_behind_one_module_is_the_limit() -> None:
    """Zaptec: about 30 chargers per PLC module, more is unstable.  Chargers every 5 m on one run with
    the module in the middle: each tap loads the line and every station contends for the medium."""
    from plcstack.sim import mac

    worst, per_charger = {}, {}
    for n in (10, 20, 30, 40):
        row = charger_row(n, spacing_m=5.0)
        phys = SitePhysics(row, 0)
        m = row.node_index("M")
        worst[n] = min(_link(phys, i, m) for i in range(n))
        per_charger[n] = worst[n] * float(mac.goodput_mbps(1.0, n_flows=n))
    assert worst[10] > worst[20] > worst[30] > worst[40]
    assert per_charger[10] > per_charger[20] > per_charger[30] > per_charger[40]
    assert worst[20] >= 50.0 and mac.data_airtime_fraction(20)[1] < 0.5
    assert worst[40] < 10.0 and mac.data_airtime_fraction(40)[1] > 0.5


def test_noise_class_sets_the_background() -> None:
    quiet = SitePhysics(feeder(30, noise_class="residential"), 0)
    loud = SitePhysics(feeder(30, noise_class="industrial"), 0)
    k = int(np.argmin(np.abs(quiet.freq_hz - 10e6)))
    assert loud.base_lin[:, :, k].mean() > quiet.base_lin[:, :, k].mean()
    assert _feeder_rate(300) < SitePhysics(feeder(300, noise_class="residential"), 0).link(0, 1).rate_mbps


def test_the_realisation_depends_on_the_seed_not_on_the_file_name() -> None:
    """Variants of a site kept in two files and run with one seed see the same noise realisation."""
    from plcstack.sim.site import site_from_dict

    data = {"cable": [{"name": "f", "type": "Cu-10mm2", "length_m": 200}],
            "charger": [{"name": "C", "cable": "f", "at_m": 200, "network_password": "k"}],
            "plc_module": [{"name": "M", "cable": "f", "at_m": 0, "network_password": "k"}]}
    a, b = (SitePhysics(site_from_dict(data, name=n), 0) for n in ("depot-north", "depot-south"))
    assert np.array_equal(a.base_lin, b.base_lin)
    assert a.link(0, 1) == b.link(0, 1)
    assert not np.array_equal(a.base_lin, SitePhysics(site_from_dict(data, name="depot-north"), 1).base_lin)


# -- properties on random small sites (hypothesis) ---------------------------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sim_sites import PROPERTY, random_site_dict  # noqa: E402

from plcstack.sim.site import site_from_dict  # noqa: E402


@st.composite
def sites(draw):  # type: ignore[no-untyped-def]
    return random_site_dict(draw)


def _rates(site_data: dict, seed: int = 0, charging: np.ndarray | None = None) -> np.ndarray:
    phys = SitePhysics(site_from_dict(site_data), seed)
    if charging is not None:
        phys.set_charging(charging)
    return phys.rate_matrix()


@PROPERTY
@given(sites(), st.integers(0, 3))
def test_rates_are_finite_and_within_the_phy_maximum(data: dict, seed: int) -> None:
    phys = SitePhysics(site_from_dict(data), seed)
    rates = phys.rate_matrix()
    margins = phys.margin_matrix()
    off = ~np.eye(phys.n, dtype=bool)
    assert np.isfinite(rates).all() and (rates >= 0).all()
    assert rates.max() <= phys.max_rate_mbps("AV") + 1e-9
    assert np.isfinite(margins[off]).all() and np.isfinite(phys.base_lin).all() and (phys.base_lin > 0).all()


@PROPERTY
@given(sites(), st.data())
def test_a_charging_vehicle_never_improves_a_link(data: dict, pick) -> None:  # type: ignore[no-untyped-def]
    n = len(data["charger"]) + 1
    charging = np.array(pick.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    idle, busy = _rates(data), _rates(data, charging=charging)
    assert (busy <= idle + 1e-9).all()


@PROPERTY
@given(sites())
def test_more_noise_never_improves_a_link(data: dict) -> None:
    """The noisy Esmailian curve, a higher receiver floor or a louder charging vehicle: never faster."""
    import copy

    def variant(**site: object) -> dict:
        out = copy.deepcopy(data)
        out["site"].update(site)
        return out

    quiet = _rates(variant(background="quiet"))
    assert (_rates(variant(background="noisy")) <= quiet + 1e-9).all()
    assert (_rates(variant(background="quiet", receiver_floor_dbm_hz=-115.0)) <= quiet + 1e-9).all()
    all_on = np.ones(len(data["charger"]) + 1, bool)
    polite = _rates(variant(charger_emission_margin_db=20.0), charging=all_on)
    assert (_rates(variant(charger_emission_margin_db=5.0), charging=all_on) <= polite + 1e-9).all()


@PROPERTY
@given(sites(), st.integers(1, 30))
def test_a_breaker_never_improves_a_link_while_nothing_charges(data: dict, loss_db: int) -> None:
    import copy

    before = _rates(data)
    more = copy.deepcopy(data)
    more.setdefault("breaker", []).append({"cable": data["cable"][0]["name"],
                                           "at_m": data["cable"][0]["length_m"] / 2,
                                           "insertion_loss_db": float(loss_db)})
    assert (_rates(more) <= before + 1e-9).all()


def test_set_up_memory_is_the_pair_arrays_not_float64_temporaries() -> None:
    """The (N, N, K) pair arrays dominate a site's memory: the set-up allocates no float64 array of that
    size (a 200-node depot peaked at 1.26 GB with them, 0.66 GB without)."""
    import tracemalloc

    from plcstack.sim.generate import generate_site
    from plcstack.sim.topology import site_channel

    site = generate_site(n_chargers=60, n_runs=4, run_length_m=150.0, bridges=1, module_runs=2, seed=1)
    channel = site_channel(site)
    tracemalloc.start()
    phys = SitePhysics(site, 0, channel=channel)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    pair_array = phys.glin.nbytes  # float32 (N, N, K)
    assert peak < 2.6 * pair_array  # glin + its receiver-major copy + small change


def test_av2_transmits_its_extended_band_at_the_lower_psd() -> None:
    """AV2's 30-86 MHz carriers go out at ``av2_high_band_psd_dbm_hz`` (-80 dBm/Hz), 30 dB below the
    -50 dBm/Hz of 1.8-30 MHz: the EN 50561-3 limits above 30 MHz sit 25-30 dB below EN 50561-1's."""
    from plcstack.sim.site import site_from_dict

    def av2_feeder(**site: object) -> SitePhysics:
        return SitePhysics(site_from_dict({
            "site": site, "cable": [{"name": "f", "type": "Cu-10mm2", "length_m": 30}],
            "charger": [{"name": "C", "cable": "f", "at_m": 30, "network_password": "k", "technology": "AV2"}],
            "plc_module": [{"name": "M", "cable": "f", "at_m": 0, "network_password": "k", "technology": "AV2"}]}), 0)

    low, flat = av2_feeder(), av2_feeder(av2_high_band_psd_dbm_hz=-50.0)
    high = low.freq_hz > 30e6
    uncapped = flat.snr_db(0, 1) < flat.site.params.snr_cap_db - 31.0
    drop = flat.snr_db(0, 1) - low.snr_db(0, 1)
    assert np.allclose(drop[:, ~high], 0.0, atol=1e-4)
    assert np.allclose(drop[:, high & uncapped[0]], 30.0, atol=1e-3)
    assert low.link(0, 1).rate_mbps < 0.7 * flat.link(0, 1).rate_mbps
    assert low.link(0, 1).rate_mbps > 150.2  # still above what AV reaches
