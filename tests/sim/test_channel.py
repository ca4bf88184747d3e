"""Channel models: Zimmermann-Dostert multipath, ns-3 cable formulas, installed runs, ABCD two-ports."""

from __future__ import annotations

import numpy as np
import pytest

from plcstack.sim import carriers, channel

F_MHZ = np.array([0.5, 1, 2, 5, 10, 15, 20, 25, 30])
REF_4PATH_DB = np.array([-1.57, -2.49, -4.75, -8.48, -28.11, -22.39, -28.50, -36.71, -49.61])
REF_15PATH_DB = np.array([-15.56, -12.74, -17.07, -45.00, -48.82, -52.55, -67.92, -72.74, -115.6])



def test_zimmermann_4path_response_from_table_i() -> None:
    h = channel.multipath_response_params(F_MHZ * 1e6, channel.ZIMMERMANN_4PATH)
    np.testing.assert_allclose(channel.magnitude_db(h), REF_4PATH_DB, atol=0.05)


def test_zimmermann_15path_response() -> None:
    """Parameters of Table II are recalled, unverified against the paper."""
    h = channel.multipath_response_params(F_MHZ * 1e6, channel.ZIMMERMANN_15PATH)
    np.testing.assert_allclose(channel.magnitude_db(h), REF_15PATH_DB, atol=0.051)


def test_multipath_function_signature_matches_params() -> None:
    p = channel.IEEE1901_17PATH
    f = np.linspace(2e6, 30e6, 7)
    h1 = channel.multipath_response(f, p.gains, p.path_lengths_m, p.a0_per_m, p.a1_s_per_m, p.k, eps_r=4.0)
    np.testing.assert_allclose(h1, channel.multipath_response_params(f, p))
    assert len(channel.IEEE1901_5PATH.gains) == 5 and len(p.gains) == 17
    # a single lossless path at d = 0 is unity
    assert channel.multipath_response(1e6, [1.0], [0.0], 0.0, 0.0, 1.0) == pytest.approx(1.0)


def test_zimmermann_a1_attenuation_per_100m() -> None:
    """The reference rounds 8.686 * alpha to 0.01 dB; we use 20/ln 10 = 8.68589 (0.001 % lower),
    hence the 0.006 dB tolerance."""
    a = channel.zimmermann_attenuation_db_per_m(np.array([2e6, 10e6, 20e6, 30e6]), 0.0, 7.8e-10, 1.0)
    np.testing.assert_allclose(a * 100, [1.36, 6.78, 13.55, 20.33], atol=0.006)
    b = channel.zimmermann_attenuation_db_per_m(np.array([10e6, 30e6]), 0.0, 2.5e-9, 1.0)
    np.testing.assert_allclose(b * 100, [21.7, 65.1], atol=0.05)


@pytest.mark.parametrize(
    ("params", "mean_pow", "mean_db", "lo", "hi"),
    [(channel.ZIMMERMANN_4PATH, -15.4, -25.6, -49.6, -4.1),
     (channel.ZIMMERMANN_15PATH, -32.5, -58.3, -115.7, -16.8)],
)
def test_multipath_band_statistics(params: channel.MultipathParams, mean_pow: float, mean_db: float,
                            lo: float, hi: float) -> None:
    f = np.linspace(1.8e6, 30e6, 4000)
    h = channel.multipath_response_params(f, params)
    db = channel.magnitude_db(h)
    assert 10 * np.log10(np.mean(np.abs(h) ** 2)) == pytest.approx(mean_pow, abs=0.5)
    assert db.mean() == pytest.approx(mean_db, abs=0.5)
    assert db.min() == pytest.approx(lo, abs=0.5)
    assert db.max() == pytest.approx(hi, abs=0.5)


def test_ns3_nayy150se_cable() -> None:
    cab = channel.get_cable("NAYY150SE")
    att = channel.cable_attenuation_db_per_m(cab, 10e6) * 100
    assert att == pytest.approx(4.29, rel=0.02)
    _, zc = channel.propagation_constant(cab, 10e6)
    assert abs(zc) == pytest.approx(28.0, rel=0.02)
    row = channel.cable_attenuation_db_per_m(cab, np.array([2e6, 5e6, 20e6, 30e6])) * 100
    np.testing.assert_allclose(row, [1.98, 3.24, 4.74, 4.05], rtol=0.02)


@pytest.mark.parametrize(
    ("name", "ref_db_100m", "zc"),
    [
        ("NAYY50SE", (1.14, 3.56, 8.47), 33.0),
        ("Cu-2.5mm2", (1.12, 3.52, 8.40), 75.0),
        ("Cu-2.5mm2-lossy", (2.58, 10.8, 30.2), 75.0),
        ("Cu-6mm2", (0.90, 3.03, 7.55), 68.0),
        ("Cu-10mm2", (0.83, 2.87, 7.28), 61.0),
        ("Cu-16mm2", (0.78, 2.75, 7.06), 55.0),
    ],
)
def test_cable_table(name: str, ref_db_100m: tuple[float, float, float], zc: float) -> None:
    cab = channel.get_cable(name)
    f = np.array([2e6, 10e6, 30e6])
    np.testing.assert_allclose(channel.cable_attenuation_db_per_m(cab, f) * 100, ref_db_100m, rtol=0.03)
    _, z = channel.propagation_constant(cab, 10e6)
    assert abs(z) == pytest.approx(zc, rel=0.03)


def test_cable_catalogue() -> None:
    for name in ["NAYY150SE", "NAYY50SE", "Cu-1.5mm2", "Cu-2.5mm2", "Cu-4mm2", "Cu-6mm2", "Cu-10mm2",
                 "Cu-16mm2", "Cu-25mm2", "Cu-35mm2", "Cu-2.5mm2-lossy"]:
        assert channel.get_cable(name).name == name
    with pytest.raises(KeyError) as exc:
        channel.get_cable("Cu-3mm2")
    assert isinstance(exc.value, channel.UnknownCableError)
    assert "Cu-2.5mm2" in str(exc.value)
    r, lind, g, c = channel.cable_rlgc(channel.get_cable("Cu-2.5mm2"), np.array([1e6, 4e6]))
    assert r[1] == pytest.approx(2 * r[0])  # skin effect: R ~ sqrt(f)
    assert lind.shape == c.shape == (2,) and g[1] == pytest.approx(4 * g[0])


def test_feeder_sizes_and_aluminium_lose_less_the_thicker_they_are() -> None:
    """Depot feeders: Cu up to 120 mm2 and Al two-wire 16-240 mm2; at every frequency a thicker
    conductor loses less, and aluminium (higher resistivity) loses more than copper of the same area."""
    f = np.array([2e6, 10e6, 30e6])
    for series in (["Cu-2.5mm2", "Cu-10mm2", "Cu-35mm2", "Cu-50mm2", "Cu-70mm2", "Cu-95mm2", "Cu-120mm2"],
                   ["Al-16mm2", "Al-35mm2", "Al-70mm2", "Al-120mm2", "Al-240mm2"]):
        loss = np.array([channel.cable_attenuation_db_per_m(channel.get_cable(n), f, 0.0) for n in series])
        assert (np.diff(loss, axis=0) < 0).all(), series
    for area in (16, 35, 70, 120):
        cu, al = (channel.cable_attenuation_db_per_m(channel.get_cable(f"{m}-{area}mm2"), f, 0.0) for m in ("Cu", "Al"))
        assert (al > cu).all()
    assert channel.get_cable("Al-95mm2").material == "Al"


def test_concentric_cable_formula() -> None:
    cab = channel.CableType("test-coax", "concentric", {"r_inner_m": 1e-3, "r_outer_m": 3.5e-3},
                            "Cu", 2.3, 0.0)
    _, zc = channel.propagation_constant(cab, 30e6)
    # lossless-coax limit: Zc = 60/sqrt(eps_r) ln(ra/ri)
    assert abs(zc) == pytest.approx(60 / np.sqrt(2.3) * np.log(3.5), rel=0.01)


def test_abcd_matched_line_and_helpers() -> None:
    f = carriers.av_carrier_frequencies_hz()
    cab = channel.get_cable("Cu-2.5mm2")
    gamma, zc = channel.propagation_constant(cab, f)
    line = channel.abcd_line(gamma, zc, 100.0)
    assert line.shape == (1155, 2, 2)
    h = channel.insertion_gain(line, zc, zc)  # matched both ends -> exp(-gamma l)
    np.testing.assert_allclose(-channel.magnitude_db(h), channel.cable_attenuation_db_per_m(cab, f) * 100,
                               rtol=1e-9)
    # V_L / E_S for a matched line is 1/2 exp(-gamma l)
    np.testing.assert_allclose(channel.voltage_transfer(line, zc, zc), 0.5 * np.exp(-gamma * 100))
    # input impedance: closed form == ABCD, also for the open end
    for zl in (np.full(f.shape, 10.0 + 0j), np.full(f.shape, np.inf + 0j)):
        np.testing.assert_allclose(channel.input_impedance(zc, gamma, 7.0, zl),
                                   channel.abcd_input_impedance(channel.abcd_line(gamma, zc, 7.0), zl),
                                   rtol=1e-9)
    # a branch folded as a shunt, cascaded with series elements; reciprocity det = 1
    branch = channel.abcd_shunt(channel.input_impedance(zc, gamma, 5.0, np.inf))
    chain = channel.abcd_cascade(line, branch, channel.abcd_series(1.0), line)
    np.testing.assert_allclose(np.linalg.det(chain), 1.0, atol=1e-6)
    assert np.allclose(channel.abcd_shunt(np.inf), np.eye(2))


@pytest.mark.parametrize("il_db", [0.0, 10.0, 20.0])
def test_series_element_insertion_loss(il_db: float) -> None:
    m = channel.series_element_abcd(il_db, 50.0)
    assert -channel.magnitude_db(channel.insertion_gain(m, 50.0, 50.0)) == pytest.approx(il_db, abs=1e-9)
    assert channel.insertion_loss_two_port_db(m) == pytest.approx(il_db, abs=1e-9)


def test_node_impedances() -> None:
    f = np.array([2e6, 10e6, 30e6])
    assert np.all(np.isinf(channel.node_impedance_ohm(f, "open")))
    zm = channel.node_impedance_ohm(f, "modem")
    assert np.all((np.abs(zm) > 50) & (np.abs(zm) < 100))
    idle = np.abs(channel.node_impedance_ohm(f, "charger_idle"))
    assert np.all(idle < 10)  # X-capacitor: a few ohm in band
    with pytest.raises(ValueError):
        channel.node_impedance_ohm(f, "toaster")


def test_installed_run_adds_the_measured_network_a1() -> None:
    """An installed run loses the clean line's loss plus Zimmermann-Dostert's measured a1 = 7.8e-10 s/m
    (20.33 dB/100 m at 30 MHz): Cu-10mm2 7.3 + 20.3 = 27.6 dB/100 m."""
    cab = channel.get_cable("Cu-10mm2")
    f = np.array([2e6, 10e6, 30e6])
    clean = channel.cable_attenuation_db_per_m(cab, f) * 100
    installed = channel.cable_attenuation_db_per_m(cab, f, channel.ZIMMERMANN_MEASURED_A1_S_PER_M) * 100
    np.testing.assert_allclose(installed - clean, [1.36, 6.78, 20.33], atol=0.01)
    assert installed[2] == pytest.approx(27.6, abs=0.3)
    _, zc_clean = channel.propagation_constant(cab, f)
    _, zc = channel.installed_propagation_constant(cab, f)
    np.testing.assert_allclose(zc, zc_clean)  # a loss, not a geometry change
