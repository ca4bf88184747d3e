"""Power-line channel models: multipath (top-down) and transmission-line ABCD (bottom-up).

* Multipath echo model: M. Zimmermann, K. Dostert, "A Multipath Model for the Powerline
  Channel", IEEE Trans. Commun. 50(4):553-559, 2002.
* Cable RLGC formulas: ns-3 PLC module (``ns3-plc-module/plc``, ``model/plc-cable.cc``) [V],
  plus a two-wire copper approximation for building cables [D].
* ABCD (chain) matrices: standard two-port theory; every helper is vectorised over
  frequency and returns arrays of shape ``(..., 2, 2)`` (last two axes = [[A, B], [C, D]]).

Conventions: frequencies in Hz, lengths in m, impedances in ohm, attenuation constants
in neper per metre unless the name says dB.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

C0_M_PER_S: float = 299_792_458.0
MU0_H_PER_M: float = 4e-7 * math.pi
EPS0_F_PER_M: float = 8.854187817e-12
SIGMA_CU_S_PER_M: float = 5.8e7  # annealed copper [L]
RHO_AL_OHM_M: float = 2.82e-8  # aluminium, as in ns-3 NAYY cables [V]
NP_TO_DB: float = 20.0 / math.log(10.0)  # 8.686 dB per neper


# ---------------------------------------------------------------------------
# Multipath model (Zimmermann & Dostert 2002)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MultipathParams:
    """Parameters of one Zimmermann-Dostert multipath channel.

    gains: weighting factors g_i (dimensionless); path_lengths_m: d_i in m;
    a0_per_m: a0 in Np/m; a1_s_per_m: a1 in s/m (k = 1) or s^k/m; k: exponent;
    eps_r: relative permittivity setting v_p = c0/sqrt(eps_r); source: provenance text.
    """

    name: str
    gains: tuple[float, ...]
    path_lengths_m: tuple[float, ...]
    a0_per_m: float
    a1_s_per_m: float
    k: float
    eps_r: float = 4.0
    source: str = ""


#: 4-path reference model, Table I of Zimmermann & Dostert 2002 [L]; same values in a
#: public Matlab implementation quoting IEEE 1901.1.1-2020 Annex A.1.1 [V] (which uses a0=3e-5).
ZIMMERMANN_4PATH = MultipathParams(
    name="zimmermann-4path",
    gains=(0.64, 0.38, -0.15, 0.05),
    path_lengths_m=(200.0, 222.4, 244.8, 267.5),
    a0_per_m=0.0,
    a1_s_per_m=7.8e-10,
    k=1.0,
    source="Zimmermann & Dostert 2002 Table I [L]",
)

#: 15-path reference model, Table II of Zimmermann & Dostert 2002, recalled [L] (unverified).
ZIMMERMANN_15PATH = MultipathParams(
    name="zimmermann-15path",
    gains=(0.029, 0.043, 0.103, -0.058, -0.045, -0.040, 0.038, -0.038, 0.071, -0.035,
           0.065, -0.055, 0.042, -0.059, 0.049),
    path_lengths_m=(90.0, 102.0, 113.0, 143.0, 148.0, 200.0, 260.0, 322.0, 411.0, 490.0,
                    567.0, 740.0, 960.0, 1130.0, 1250.0),
    a0_per_m=0.0,
    a1_s_per_m=2.5e-9,
    k=1.0,
    source="Zimmermann & Dostert 2002 Table II [L, unverified]",
)

#: 5-path set from a Matlab implementation quoting IEEE Std 1901.1.1-2020 Annex A.1.1 [V as code].
IEEE1901_5PATH = MultipathParams(
    name="ieee1901.1.1-5path",
    gains=(0.09, -0.012, 0.012, -0.012, 0.022),
    path_lengths_m=(100.0, 130.0, 160.0, 190.0, 300.0),
    a0_per_m=0.0,
    a1_s_per_m=1.65e-9,
    k=1.0,
    source="IEEE 1901.1.1-2020 Annex A.1.1 via public Matlab code [V code; standard not read]",
)

#: 17-path set from the same source [V as code].
IEEE1901_17PATH = MultipathParams(
    name="ieee1901.1.1-17path",
    gains=(-0.15, 0.165, 0.032, -0.014, -0.035, -0.035, -0.03, 0.015, 0.022, 0.04, 0.02,
           -0.015, 0.0865, -0.062, -0.083, 0.05, -0.035),
    path_lengths_m=(150.8, 152.3, 172.0, 210.4, 230.0, 258.0, 294.0, 370.0, 400.0, 435.0,
                    468.0, 494.0, 534.0, 581.0, 632.0, 1070.0, 1224.0),
    a0_per_m=0.0,
    a1_s_per_m=2.8e-9,
    k=1.0,
    source="IEEE 1901.1.1-2020 Annex A.1.1 via public Matlab code [V code; standard not read]",
)


def zimmermann_attenuation_db_per_m(
    freq_hz: np.ndarray | float, a0_per_m: float, a1_s_per_m: float, k: float
) -> np.ndarray:
    """Cable attenuation of the multipath model, alpha(f) = a0 + a1 f^k, in dB/m.

    alpha is an amplitude (neper) constant, so dB/m = 8.686 * (a0 + a1 * f^k).
    Source: Zimmermann & Dostert 2002, eq. (4) [L]; values for a1 = 7.8e-10 s/m [D]:
    6.78 dB/100 m at 10 MHz, 20.33 dB/100 m at 30 MHz.
    """
    f = np.asarray(freq_hz, dtype=float)
    return NP_TO_DB * (a0_per_m + a1_s_per_m * np.abs(f) ** k)


def multipath_response(
    freq_hz: np.ndarray | float,
    gains: Sequence[float],
    path_lengths_m: Sequence[float],
    a0_per_m: float,
    a1_s_per_m: float,
    k: float,
    eps_r: float = 4.0,
) -> np.ndarray:
    """Complex transfer function H(f) of the Zimmermann-Dostert multipath model.

    H(f) = sum_i g_i exp(-(a0 + a1 f^k) d_i) exp(-j 2 pi f d_i / v_p), v_p = c0/sqrt(eps_r).

    Parameters
    ----------
    freq_hz : array_like, any shape, in Hz.
    gains, path_lengths_m : path weights g_i (-) and lengths d_i (m), same length N.
    a0_per_m (Np/m), a1_s_per_m (s^k/m), k (-): attenuation parameters.
    eps_r : relative permittivity of the cable insulation (default 4 -> v_p ~ 1.5e8 m/s).

    Returns
    -------
    complex ndarray with the shape of ``freq_hz``.

    Source: Zimmermann & Dostert, IEEE Trans. Commun. 50(4), 2002, eq. (8) [L]; regression
    values in docs/sim-channel.md [D].
    """
    f = np.asarray(freq_hz, dtype=float)
    g = np.asarray(gains, dtype=float)
    d = np.asarray(path_lengths_m, dtype=float)
    if g.shape != d.shape:
        raise ValueError("gains and path_lengths_m must have the same length")
    vp = C0_M_PER_S / math.sqrt(eps_r)
    fe = f[..., None]  # broadcast frequencies against paths
    alpha = a0_per_m + a1_s_per_m * np.abs(fe) ** k
    terms = g * np.exp(-alpha * d) * np.exp(-2j * np.pi * fe * d / vp)
    return terms.sum(axis=-1)


def multipath_response_params(freq_hz: np.ndarray | float, params: MultipathParams) -> np.ndarray:
    """:func:`multipath_response` evaluated with a :class:`MultipathParams` set."""
    return multipath_response(
        freq_hz, params.gains, params.path_lengths_m, params.a0_per_m, params.a1_s_per_m,
        params.k, params.eps_r,
    )


def magnitude_db(h: np.ndarray) -> np.ndarray:
    """20 log10 |h| in dB (gain; negative = loss)."""
    return 20.0 * np.log10(np.abs(h))


# ---------------------------------------------------------------------------
# Cables (per-unit-length RLGC)
# ---------------------------------------------------------------------------


class UnknownCableError(KeyError):
    """Raised by :func:`get_cable` for a cable name not in :data:`CABLES`."""


@dataclass(frozen=True)
class CableType:
    """Geometry and material of a two-conductor cable model.

    kind: "four_sector" (ns-3 NAYY), "concentric" (ns-3 three-core concentric),
          "two_wire" (building wiring: two round copper conductors touching insulation)
          or "constant" (constant RLGC, geometry holds R, L, G, C in SI per m).
    geometry: kind-specific lengths in m
        four_sector: {"r_m": sector radius, "theta_m": insulation distance}
        concentric : {"r_inner_m": ..., "r_outer_m": ...}
        two_wire   : {"r_m": conductor radius, "insulation_m": PVC thickness}
    material: "Al" or "Cu" (resistivity / conductivity used for the skin-effect R).
    eps_r, tan_delta: insulation permittivity and loss tangent.  NaN means the
        frequency-dependent ns-3 NAYY150SE laws are used.
    """

    name: str
    kind: str
    geometry: dict[str, float]
    material: str
    eps_r: float
    tan_delta: float
    description: str = ""


def _nayy150_eps_r(freq_hz: np.ndarray) -> np.ndarray:
    # ns-3 plc-cable.cc NAYY150SE: eps_r(f) = 7.95 - (0.9/log10 20) log10 f   [V]
    return 7.95 - (0.9 / math.log10(20.0)) * np.log10(freq_hz)


def _nayy150_tan_delta(freq_hz: np.ndarray) -> np.ndarray:
    # ns-3 plc-cable.cc NAYY150SE: tan d(f) = 0.2345 - (0.04/log10 20) log10 f   [V]
    return 0.2345 - (0.04 / math.log10(20.0)) * np.log10(freq_hz)


def _copper_two_wire(area_mm2: float, insulation_mm: float, tan_delta: float = 0.01,
                     suffix: str = "", material: str = "Cu") -> CableType:
    r = math.sqrt(area_mm2 * 1e-6 / math.pi)
    return CableType(
        name=f"{material}-{area_mm2:g}mm2{suffix}",
        kind="two_wire",
        geometry={"r_m": r, "insulation_m": insulation_mm * 1e-3},
        material=material,
        eps_r=4.0,
        tan_delta=tan_delta,
        description=(f"two single-core {area_mm2:g} mm2 {material} conductors, {insulation_mm} mm PVC, "
                     f"tan d {tan_delta} [D two-wire approximation; insulation IEC 60227/60502-1 [L], tan d [E]]"),
    )


# PVC insulation thickness per cross-section (mm), IEC 60227 / 60502 style values [L];
# 2.5 -> 0.8 and 6 -> 1.0 are the docs/sim-channel.md table values [D]; 50-240 mm2 are the nominal
# PVC thicknesses of IEC 60502-1 (0.6/1 kV) [L]: the feeder sizes of depots and car parks.
_CU_INSULATION_MM: dict[float, float] = {
    1.5: 0.7, 2.5: 0.8, 4: 0.8, 6: 1.0, 10: 1.0, 16: 1.0, 25: 1.2, 35: 1.2, 50: 1.4, 70: 1.4, 95: 1.6,
    120: 1.6,
}
#: Aluminium conductors (NAYY-J / NA2XY feeders) as two-wire lines, 16-240 mm2 [L thicknesses as above].
_AL_INSULATION_MM: dict[float, float] = {
    16: 1.0, 25: 1.2, 35: 1.2, 50: 1.4, 70: 1.4, 95: 1.6, 120: 1.6, 150: 1.8, 185: 2.0, 240: 2.2,
}


def _build_cables() -> dict[str, CableType]:
    cables: dict[str, CableType] = {
        "NAYY150SE": CableType(
            name="NAYY150SE", kind="four_sector",
            geometry={"r_m": 13.82e-3, "theta_m": 3.6e-3}, material="Al",
            eps_r=float("nan"), tan_delta=float("nan"),
            description="ns-3 PLC four-sector NAYY 150 mm2, frequency-dependent eps_r/tan d [V]",
        ),
        "NAYY50SE": CableType(
            name="NAYY50SE", kind="four_sector",
            geometry={"r_m": 7.98e-3, "theta_m": 2.8e-3}, material="Al",
            eps_r=4.0, tan_delta=0.01,
            description="ns-3 PLC four-sector NAYY 50 mm2 [V]",
        ),
        "MV-overhead": CableType(
            name="MV-overhead", kind="constant",
            geometry={"R": 3e-2, "L": 1.9e-6, "G": 1.5e-6, "C": 8e-12}, material="Al",
            eps_r=1.0, tan_delta=0.0,
            description="ns-3 PLC MV overhead line, constant RLGC [V]",
        ),
    }
    for area, ins in _CU_INSULATION_MM.items():
        c = _copper_two_wire(area, ins)
        cables[c.name] = c
        lossy = _copper_two_wire(area, ins, tan_delta=0.05, suffix="-lossy")
        cables[lossy.name] = lossy
    for area, ins in _AL_INSULATION_MM.items():
        al = _copper_two_wire(area, ins, material="Al")
        cables[al.name] = al
    return cables


#: Known cable types by name.
CABLES: dict[str, CableType] = _build_cables()


def get_cable(name: str) -> CableType:
    """Look up a cable type by name; raises :class:`UnknownCableError` listing the known names."""
    try:
        return CABLES[name]
    except KeyError:
        raise UnknownCableError(f"unknown cable {name!r}; known: {', '.join(sorted(CABLES))}") from None


def cable_rlgc(
    cable: CableType, freq_hz: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-unit-length R (ohm/m), L (H/m), G (S/m), C (F/m) of a cable at ``freq_hz``.

    Formulas (ns-3 PLC ``plc-cable.cc`` [V] unless noted):

    * four_sector (NAYY): C = 2 eps0 eps_r r/theta; L = mu0 theta/(2r);
      R = sqrt(rho pi f mu0 / r^2); G = 2 pi f C tan d.
    * concentric: C = 2 pi eps0 eps_r / ln(ra/ri); L = mu0/(2 pi) ln(ra/ri);
      R = 1/2 sqrt(f mu0/(kappa pi)) (1/ra + 1/ri); G = 2 pi f C tan d.
    * two_wire [D]: D = 2 (r + t_ins), x = acosh(D / 2r); L = mu0/pi x; C = pi eps0 eps_r / x;
      R = 2 R_s / (2 pi r) with R_s = sqrt(pi f mu0 / sigma) (skin effect, no proximity);
      G = 2 pi f C tan d.
    * constant: R, L, G, C from the geometry dict.

    Frequencies must be > 0 Hz.  All outputs broadcast to the shape of ``freq_hz``.
    """
    f = np.asarray(freq_hz, dtype=float)
    g = cable.geometry
    if cable.kind == "four_sector":
        r, theta = g["r_m"], g["theta_m"]
        if math.isnan(cable.eps_r):
            eps_r = _nayy150_eps_r(f)
            tan_d = _nayy150_tan_delta(f)
        else:
            eps_r = np.full_like(f, cable.eps_r)
            tan_d = np.full_like(f, cable.tan_delta)
        rho = RHO_AL_OHM_M if cable.material == "Al" else 1.0 / SIGMA_CU_S_PER_M
        c = 2.0 * EPS0_F_PER_M * eps_r * r / theta
        lind = np.full_like(f, MU0_H_PER_M * theta / (2.0 * r))
        res = np.sqrt(rho * np.pi * f * MU0_H_PER_M / r**2)
    elif cable.kind == "concentric":
        ri, ra = g["r_inner_m"], g["r_outer_m"]
        kappa = SIGMA_CU_S_PER_M if cable.material == "Cu" else 1.0 / RHO_AL_OHM_M
        lnr = math.log(ra / ri)
        c = np.full_like(f, 2.0 * math.pi * EPS0_F_PER_M * cable.eps_r / lnr)
        lind = np.full_like(f, MU0_H_PER_M / (2.0 * math.pi) * lnr)
        res = 0.5 * np.sqrt(f * MU0_H_PER_M / (kappa * math.pi)) * (1.0 / ra + 1.0 / ri)
        tan_d = np.full_like(f, cable.tan_delta)
    elif cable.kind == "two_wire":
        r, t = g["r_m"], g["insulation_m"]
        sigma = SIGMA_CU_S_PER_M if cable.material == "Cu" else 1.0 / RHO_AL_OHM_M
        x = math.acosh((2.0 * (r + t)) / (2.0 * r))
        c = np.full_like(f, math.pi * EPS0_F_PER_M * cable.eps_r / x)
        lind = np.full_like(f, MU0_H_PER_M / math.pi * x)
        rs = np.sqrt(np.pi * f * MU0_H_PER_M / sigma)
        res = 2.0 * rs / (2.0 * math.pi * r)  # two conductors in series
        tan_d = np.full_like(f, cable.tan_delta)
    elif cable.kind == "constant":
        return (np.full_like(f, g["R"]), np.full_like(f, g["L"]),
                np.full_like(f, g["G"]), np.full_like(f, g["C"]))
    else:
        raise ValueError(f"unknown cable kind {cable.kind!r}")
    gcond = 2.0 * np.pi * f * c * tan_d
    return res, lind, gcond, c


def propagation_constant(cable: CableType, freq_hz: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Propagation constant gamma (1/m, complex: alpha Np/m + j beta rad/m) and Zc (ohm).

    gamma = sqrt((R + jwL)(G + jwC)), Zc = sqrt((R + jwL)/(G + jwC))  [standard TL theory;
    as in ns-3 PLC, V].
    """
    r, lind, g, c = cable_rlgc(cable, freq_hz)
    w = 2.0 * np.pi * np.asarray(freq_hz, dtype=float)
    z = r + 1j * w * lind
    y = g + 1j * w * c
    return np.sqrt(z * y), np.sqrt(z / y)


def cable_attenuation_db_per_m(cable: CableType, freq_hz: np.ndarray | float,
                               installation_a1_s_per_m: float = 0.0) -> np.ndarray:
    """Matched-line attenuation 8.686 Re(gamma) in dB/m (ns-3 formulas), plus an installation excess.

    NAYY150SE at 10 MHz: 4.29 dB/100 m; with ``installation_a1_s_per_m`` see
    :func:`installed_propagation_constant`.
    """
    gamma, _ = installed_propagation_constant(cable, freq_hz, installation_a1_s_per_m)
    return NP_TO_DB * gamma.real


#: Installation excess attenuation per metre (s/m, alpha = a1 f in Np/m): the a1 of the measured
#: in-building networks of Zimmermann & Dostert 2002 (4-path reference model): 1.36 / 6.78 / 20.33
#: dB/100 m at 2 / 10 / 30 MHz.
ZIMMERMANN_MEASURED_A1_S_PER_M: float = 7.8e-10


def installed_propagation_constant(cable: CableType, freq_hz: np.ndarray | float,
                                   installation_a1_s_per_m: float = ZIMMERMANN_MEASURED_A1_S_PER_M,
                                   ) -> tuple[np.ndarray, np.ndarray]:
    """(gamma 1/m, Zc ohm) of an *installed* run: the clean line plus a distributed excess loss.

    The RLGC formulas describe a clean, uniform two-conductor line.  An installed run also loses
    energy along its length to what a site file does not list: terminals and joints, unlisted
    loads and short branches, bundling with other cables, ageing insulation.  That excess is
    modelled as alpha_x(f) = a1 f (Np/m) added to Re(gamma), with the a1 Zimmermann & Dostert fitted
    to measured networks by default.  Zc is the clean line's (the excess is a loss, not a geometry).
    ``installation_a1_s_per_m = 0`` gives the clean line.
    """
    gamma, zc = propagation_constant(cable, freq_hz)
    f = np.asarray(freq_hz, dtype=float)
    return gamma + installation_a1_s_per_m * np.abs(f), zc


# ---------------------------------------------------------------------------
# ABCD two-ports, shape (..., 2, 2)
# ---------------------------------------------------------------------------


def _abcd(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    a, b, c, d = np.broadcast_arrays(*(np.asarray(v, dtype=complex) for v in (a, b, c, d)))
    out = np.empty(a.shape + (2, 2), dtype=complex)
    out[..., 0, 0], out[..., 0, 1], out[..., 1, 0], out[..., 1, 1] = a, b, c, d
    return out


def abcd_line(gamma_per_m: np.ndarray, zc_ohm: np.ndarray, length_m: float) -> np.ndarray:
    """ABCD of a uniform line: [[cosh gl, Zc sinh gl], [sinh gl / Zc, cosh gl]], shape (..., 2, 2)."""
    gl = np.asarray(gamma_per_m, dtype=complex) * length_m
    zc = np.asarray(zc_ohm, dtype=complex)
    ch, sh = np.cosh(gl), np.sinh(gl)
    return _abcd(ch, zc * sh, sh / zc, ch)


def abcd_series(z_ohm: np.ndarray | complex) -> np.ndarray:
    """ABCD of a series impedance: [[1, Z], [0, 1]], shape (..., 2, 2)."""
    z = np.asarray(z_ohm, dtype=complex)
    return _abcd(np.ones_like(z), z, np.zeros_like(z), np.ones_like(z))


def abcd_shunt(z_ohm: np.ndarray | complex) -> np.ndarray:
    """ABCD of a shunt impedance to the return conductor: [[1, 0], [1/Z, 1]] (Z = inf -> identity)."""
    z = np.asarray(z_ohm, dtype=complex)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(np.isinf(z), 0.0, 1.0 / z)
    return _abcd(np.ones_like(z), np.zeros_like(z), y, np.ones_like(z))


def abcd_identity(shape: tuple[int, ...] = ()) -> np.ndarray:
    """Identity two-port of the given leading shape."""
    out = np.zeros(shape + (2, 2), dtype=complex)
    out[..., 0, 0] = out[..., 1, 1] = 1.0
    return out


def abcd_cascade(*mats: np.ndarray) -> np.ndarray:
    """Chain two-ports left (source side) to right (load side): M = M1 @ M2 @ ... (broadcast)."""
    if not mats:
        return abcd_identity()
    out = np.asarray(mats[0], dtype=complex)
    for m in mats[1:]:
        out = out @ np.asarray(m, dtype=complex)
    return out


def input_impedance(
    zc_ohm: np.ndarray, gamma_per_m: np.ndarray, length_m: float, z_load_ohm: np.ndarray | complex
) -> np.ndarray:
    """Input impedance (ohm) of a line of ``length_m`` terminated in ``z_load_ohm``.

    Z_in = Zc (Z_L + Zc tanh gl) / (Zc + Z_L tanh gl); for an open end (Z_L = inf)
    Z_in = Zc / tanh gl.  Used to fold branches into shunt impedances [standard TL theory].
    """
    zc = np.asarray(zc_ohm, dtype=complex)
    t = np.tanh(np.asarray(gamma_per_m, dtype=complex) * length_m)
    zl = np.asarray(z_load_ohm, dtype=complex)
    open_end = np.isinf(zl)
    zl_f = np.where(open_end, 0.0, zl)
    with np.errstate(divide="ignore", invalid="ignore"):
        finite = zc * (zl_f + zc * t) / (zc + zl_f * t)
        opened = zc / t
    return np.where(open_end, opened, finite)


def abcd_input_impedance(abcd: np.ndarray, z_load_ohm: np.ndarray | complex) -> np.ndarray:
    """Input impedance (ohm) of a two-port loaded by ``z_load_ohm``: (A Z_L + B)/(C Z_L + D)."""
    m = np.asarray(abcd, dtype=complex)
    zl = np.asarray(z_load_ohm, dtype=complex)
    a, b, c, d = m[..., 0, 0], m[..., 0, 1], m[..., 1, 0], m[..., 1, 1]
    open_end = np.isinf(zl)
    zl_f = np.where(open_end, 0.0, zl)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(open_end, a / c, (a * zl_f + b) / (c * zl_f + d))


def voltage_transfer(
    abcd: np.ndarray, z_source_ohm: np.ndarray | complex, z_load_ohm: np.ndarray | complex
) -> np.ndarray:
    """Voltage transfer H = V_L / E_S relative to the source EMF (complex, shape (...)).

    E_S drives the two-port through Z_S; the output is loaded by Z_L:
    H = Z_L / (A Z_L + B + C Z_S Z_L + D Z_S).
    For a transparent two-port (identity) H = Z_L / (Z_S + Z_L), e.g. 0.5 (-6 dB) when
    matched; use :func:`insertion_gain` for the ratio relative to the direct connection.
    """
    m = np.asarray(abcd, dtype=complex)
    zs = np.asarray(z_source_ohm, dtype=complex)
    zl = np.asarray(z_load_ohm, dtype=complex)
    a, b, c, d = m[..., 0, 0], m[..., 0, 1], m[..., 1, 0], m[..., 1, 1]
    return zl / (a * zl + b + c * zs * zl + d * zs)


def insertion_gain(
    abcd: np.ndarray, z_source_ohm: np.ndarray | complex, z_load_ohm: np.ndarray | complex
) -> np.ndarray:
    """Insertion gain: V_L with the two-port / V_L with source and load connected directly.

    G_ins = (Z_S + Z_L) / (A Z_L + B + C Z_S Z_L + D Z_S); |G_ins| = 1 for no network.
    """
    zs = np.asarray(z_source_ohm, dtype=complex)
    zl = np.asarray(z_load_ohm, dtype=complex)
    return voltage_transfer(abcd, zs, zl) * (zs + zl) / zl


def series_element_abcd(insertion_loss_db: np.ndarray | float, z_ref_ohm: float = 50.0) -> np.ndarray:
    """Frequency-flat lossy two-port (breaker, RCD, AFCI, meter) as a matched attenuator.

    A symmetric resistive pad with image impedance ``z_ref_ohm`` and loss IL dB:
    K = 10^(IL/20); ABCD = [[ (K+1/K)/2, z (K-1/K)/2 ], [ (K-1/K)/(2z), (K+1/K)/2 ]].
    Between z_ref terminations its insertion loss is exactly IL.  Values [E] 0-20 dB
    (SmallNetBuilder AFCI test ~50 -> ~15 Mbps, docs/sim-channel.md [V page]).
    """
    il = np.asarray(insertion_loss_db, dtype=float)
    kk = 10.0 ** (il / 20.0)
    ch = (kk + 1.0 / kk) / 2.0
    sh = (kk - 1.0 / kk) / 2.0
    return _abcd(ch, z_ref_ohm * sh, sh / z_ref_ohm, ch)


def insertion_loss_two_port_db(
    abcd: np.ndarray, z_source_ohm: np.ndarray | complex = 50.0, z_load_ohm: np.ndarray | complex = 50.0
) -> np.ndarray:
    """Insertion loss (dB, positive = loss) of a two-port between the given terminations:
    -20 log10 |insertion_gain|.  ``series_element_abcd(IL, z)`` gives IL back for z terminations.
    """
    return -20.0 * np.log10(np.abs(insertion_gain(abcd, z_source_ohm, z_load_ohm)))


def node_impedance_ohm(freq_hz: np.ndarray | float, kind: str) -> np.ndarray:
    """Simple terminal impedance models (ohm, complex) seen at a node, all [E].

    kind:
      * "modem": 80 ohm AFE/transformer resistance in series with a 47 nF coupling
        capacitor (dominantly resistive in 2-30 MHz: |1/(wC)| < 2 ohm above 2 MHz).
      * "charger_idle": EMI-filter X-capacitor, 0.47 uF with 0.1 ohm ESR and 20 nH ESL
        (low impedance, a few ohm in the band) - a classic PLC "sink".
      * "charger_charging": X-capacitor in parallel with the converter input (~50 ohm +
        2 uH), lower than idle.
      * "appliance": 50 ohm + 1 uH (generic load).
      * "open": infinite impedance (unterminated end).
    """
    f = np.asarray(freq_hz, dtype=float)
    w = 2.0 * np.pi * f
    if kind == "open":
        return np.full(f.shape, np.inf + 0j)
    if kind == "modem":
        return 80.0 + 1.0 / (1j * w * 47e-9)
    x_cap = 0.1 + 1j * w * 20e-9 + 1.0 / (1j * w * 0.47e-6)
    if kind == "charger_idle":
        return x_cap
    if kind == "charger_charging":
        conv = 50.0 + 1j * w * 2e-6
        return x_cap * conv / (x_cap + conv)
    if kind == "appliance":
        return 50.0 + 1j * w * 1e-6
    raise ValueError(f"unknown node kind {kind!r}; known: modem, charger_idle, charger_charging, appliance, open")
