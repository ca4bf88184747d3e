"""Per ordered pair channel gain on the HomePlug carrier grid, from the site's cable tree.

The site is a tree: the distribution board is the root, each cable run a line from the board
(0 m) to its far end, and every node (charger modem, PLC module) a shunt tap at its position.
The bottom-up transmission-line method (docs/sim-channel.md; ns-3 PLC) gives the voltage at every
point of the tree for a source anywhere.  It is kept cheap with one observation:

    along a line section from point ``a`` to point ``b`` (the source behind ``a``), the voltage
    ratio ``V_b / V_a = 1 / (A + B / Z_b)`` depends only on the section's ABCD matrix and on the
    impedance ``Z_b`` seen at ``b`` looking *away* from the source -- not on where the source is.

So each section gets two ratios (towards and away from the board), computed once per run with two
impedance recursions (O(points x carriers)); their dB values are cumulated along the run, and the
gain of any pair is a sum of three terms: the source's own launch gain, the climb to the board
and the descent to the receiver.  All pairs together cost O(N^2 x K) additions on top of an
O(N x K) impedance solve, instead of one cascade per pair.

Conventions
-----------
``gain_db[i, j, k]`` is 20 log10 |2 V_j / E_i| on carrier ``k``: 0 dB for a source directly
connected to a matched load, negative for loss.  The node coupling loss (both ends) and the
cross-phase / cross-pair factor are included.  ``gain_db[i, i]`` is the self-coupling used for a
charger's own emission into its own modem.

Cross-phase and cross-pair coupling [E] (docs/sim-channel.md): a differential signal on the pair
(a, b) leaves the other conductors at a potential ``x`` times the mean of the driven pair.  On
TN/TT the modem couples phase-N and N is the earthed reference (V_N = 0, V_L = 1), so another phase
sees ``x / 2``; ``x`` is set so that this equals ``cross_phase_loss_db``.  On an IT grid the pair
is driven balanced (+1/2, -1/2, nothing earthed), so the undriven conductor sits at the mean, 0,
and a pair sharing one conductor sees exactly 1/2: -6.02 dB, the "half-shared path" of docs/sim-channel.md,
whatever the capacitive coupling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import channel as ch
from .carriers import av_carrier_frequencies_hz, av_tone_mask
from .channel import get_cable, input_impedance, installed_propagation_constant, node_impedance_ohm
from .site import Node, Site

#: Self coupling of a charger's power electronics into its own PLC modem [E]: the modem sits on
#: the same terminals behind the charger's input filter; 6 dB of isolation.
SELF_COUPLING_DB = -6.0


def charger_terminal_impedance_ohm(freq_hz: np.ndarray, charging: bool = False) -> np.ndarray:
    """HF impedance (ohm) a charger presents at its mains terminals, besides its modem [E].

    An AC wallbox's input EMI filter is an X-capacitor behind a differential-mode choke, so at
    2-30 MHz its impedance is dominated by the choke (5 uH, 10 ohm damping, 0.47 uF X-cap):
    about 60 ohm at 2 MHz rising to ~900 ohm at 30 MHz.  A bare X-capacitor (a few ohm, the
    "PLC sink" of :func:`plcstack.sim.channel.node_impedance_ohm` ``charger_idle``) would make
    PLC impossible along any run with chargers, which contradicts the vendor's deployments.
    While charging the vehicle's on-board charger input filter is connected in parallel behind
    the cable (30 ohm + 3 uH) [E].
    """
    w = 2.0 * np.pi * np.asarray(freq_hz, dtype=float)
    z = 10.0 + 1j * w * 5e-6 + 1.0 / (1j * w * 0.47e-6)
    if charging:
        obc = 30.0 + 1j * w * 3e-6
        z = z * obc / (z + obc)
    return z


def cross_pair_factor_db(tx_phase: str, rx_phase: str, grid: str, cross_phase_loss_db: float) -> float:
    """Gain (dB, <= 0) from a transmitter coupled on ``tx_phase`` to a receiver on ``rx_phase``.

    Conductor-potential model [E/D] described in the module docstring.  Phases are normalised
    pairs: ``"L1-N"`` (TN/TT) or ``"L1-L3"`` (IT).
    """
    if tx_phase == rx_phase:
        return 0.0
    tx = tx_phase.split("-")
    rx = rx_phase.split("-")
    x = 2.0 * 10.0 ** (-cross_phase_loss_db / 20.0)
    potentials: dict[str, float] = {}
    if grid == "IT":
        potentials[tx[0]], potentials[tx[1]] = 0.5, -0.5
    else:
        potentials[tx[0]], potentials[tx[1]] = 1.0, 0.0
    driven_mean = (potentials[tx[0]] + potentials[tx[1]]) / 2.0
    for c in ("L1", "L2", "L3", "N"):
        potentials.setdefault(c, x * driven_mean)
    v = abs(potentials[rx[0]] - potentials[rx[1]])
    return 20.0 * math.log10(max(v, 1e-6))


@dataclass
class _Run:
    name: str
    points: np.ndarray  # positions (m), ascending; points[0] == 0 is the board
    down_db: np.ndarray  # (P, K) cumulative gain board -> point
    up_db: np.ndarray  # (P, K) cumulative gain point -> board
    series_db: np.ndarray  # (P,) cumulative series-element loss from the board to each point
    z_up: list[np.ndarray]  # (P) x (K,) impedance at each point looking towards the board


@dataclass
class SiteChannel:
    """Channel of a whole site on the AV carrier grid.

    ``gain_db`` (N, N, K) float32 as described in the module docstring; ``freq_hz`` (K,),
    ``mask`` (K,) the default AV tone mask.  Node order is ``site.nodes``.
    """

    site: Site
    freq_hz: np.ndarray
    mask: np.ndarray
    gain_db: np.ndarray
    charging: tuple[bool, ...]

    def mean_attenuation_db(self) -> np.ndarray:
        """(N, N) mean attenuation over the unmasked carriers (positive dB), diagonal NaN."""
        att = -self.gain_db[:, :, self.mask].mean(axis=2)
        np.fill_diagonal(att, np.nan)
        return att


def _parallel(*zs: np.ndarray) -> np.ndarray:
    y = np.zeros_like(np.asarray(zs[0], dtype=complex))
    for z in zs:
        z = np.asarray(z, dtype=complex)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = y + np.where(np.isinf(z), 0.0, 1.0 / z)
    out = np.full(y.shape, np.inf + 0j)
    np.divide(1.0, y, out=out, where=y != 0)
    return out


def _ratio_db(gamma: np.ndarray, zc: np.ndarray, length_m: float, z_term: np.ndarray) -> np.ndarray:
    """20 log10 |V_b / V_a| across a section of ``length_m`` loaded at ``b`` by ``z_term``."""
    if length_m <= 0.0:
        return np.zeros(gamma.shape)
    gl = gamma * length_m
    a = np.cosh(gl)
    b = zc * np.sinh(gl)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = np.where(np.isinf(z_term), a, a + b / z_term)
    return -20.0 * np.log10(np.abs(denom))


@dataclass
class _Tree:
    """The site as an electrical tree on one carrier grid (inputs of the impedance recursions)."""

    site: Site
    f: np.ndarray
    charging: tuple[bool, ...]
    z_modem: np.ndarray
    z_charger: dict[bool, np.ndarray]
    props: dict[str, tuple[np.ndarray, np.ndarray]]  # cable -> (gamma, Zc)
    points: dict[str, list[float]]  # cable -> sorted positions (board 0 m, nodes, series elements, end)
    board_nodes: list[int]
    feeder: np.ndarray

    @property
    def k(self) -> int:
        return self.f.size

    def open_end(self) -> np.ndarray:
        return np.full(self.k, np.inf + 0j)

    def end_load(self, cable: str) -> np.ndarray:
        c = self.site.cable(cable)
        return self.open_end() if c.end_load_ohm is None else np.full(self.k, c.end_load_ohm + 0j)

    def node_shunt(self, idx: int, with_modem: bool = True) -> np.ndarray:
        node = self.site.nodes[idx]
        parts = [self.z_modem] if with_modem else []
        if node.kind == "charger":
            parts.append(self.z_charger[self.charging[idx]])
        return _parallel(*parts) if parts else self.open_end()

    def shunt_at(self, cable: str, x: float, exclude: int | None = None) -> np.ndarray:
        """Everything tapped at ``x`` on ``cable``; ``exclude``'s modem is left out (it transmits)."""
        parts = []
        for i, nd in enumerate(self.site.nodes):
            if nd.cable == cable and nd.at_m == x and x > 0.0:
                parts.append(self.node_shunt(i, with_modem=i != exclude))
        return _parallel(*parts) if parts else self.open_end()


def signal_pair_filter_factor(grid: str) -> float:
    """How a three-phase charger's input filter loads the modem's conductor pair (impedance factor).

    On TN/TT the modem couples phase-N and the filter's X-capacitors of the other phases do not sit
    across that pair: factor 1.  On an IT grid there is no N: the modem couples two line conductors
    and the filter's capacitors between all three lines (delta) load the pair directly and through
    the third line in series: Z || 2Z = 2Z/3 (docs/sim-channel.md).
    """
    return 2.0 / 3.0 if grid == "IT" else 1.0


def _build_tree(site: Site, charging: tuple[bool, ...], f: np.ndarray) -> _Tree:
    p = site.params
    factor = signal_pair_filter_factor(p.grid)
    z_charger = {c: factor * charger_terminal_impedance_ohm(f, c) for c in (False, True)}
    props = {c.name: installed_propagation_constant(get_cable(c.type), f, p.installation_a1_s_per_m)
             for c in site.cables}
    points = {}
    for c in site.cables:
        pts = {0.0, c.length_m}
        pts.update(nd.at_m for nd in site.nodes if nd.cable == c.name)
        pts.update(s.at_m for s in site.series if s.cable == c.name)
        points[c.name] = sorted(pts)
    board = [i for i, nd in enumerate(site.nodes) if nd.at_m == 0.0]
    return _Tree(site, f, charging, node_impedance_ohm(f, "modem"), z_charger, props, points, board,
                 np.full(f.size, p.feeder_impedance_ohm + 0j))


def _downstream(tree: _Tree) -> tuple[dict[str, list[np.ndarray]], dict[str, np.ndarray]]:
    """Per run, the impedance at each point looking away from the board, and the run's input impedance."""
    z_down: dict[str, list[np.ndarray]] = {}
    z_in: dict[str, np.ndarray] = {}
    for c in tree.site.cables:
        pts = tree.points[c.name]
        gamma, zc = tree.props[c.name]
        zd: list[np.ndarray] = [np.empty(0)] * len(pts)
        zd[-1] = _parallel(tree.shunt_at(c.name, pts[-1]), tree.end_load(c.name))
        for s in range(len(pts) - 2, 0, -1):
            beyond = input_impedance(zc, gamma, pts[s + 1] - pts[s], zd[s + 1])
            zd[s] = _parallel(tree.shunt_at(c.name, pts[s]), beyond)
        z_down[c.name] = zd
        z_in[c.name] = input_impedance(zc, gamma, pts[1] - pts[0], zd[1])
    return z_down, z_in


def _solve_run(tree: _Tree, name: str, z_down: list[np.ndarray], z_board: np.ndarray) -> _Run:
    """Cumulative voltage ratios along one run, towards and away from the board."""
    pts = tree.points[name]
    gamma, zc = tree.props[name]
    n_pts = len(pts)
    zu: list[np.ndarray] = [np.empty(0)] * n_pts  # impedance looking towards the board
    zu[0] = z_board
    for s in range(1, n_pts):
        towards = input_impedance(zc, gamma, pts[s] - pts[s - 1], zu[s - 1])
        zu[s] = _parallel(tree.shunt_at(name, pts[s]), towards)
    down = np.zeros((n_pts, tree.k))
    up = np.zeros((n_pts, tree.k))
    for s in range(n_pts - 1):
        length = pts[s + 1] - pts[s]
        down[s + 1] = down[s] + _ratio_db(gamma, zc, length, z_down[s + 1])
        up[s + 1] = up[s] + _ratio_db(gamma, zc, length, zu[s])
    series = np.zeros(n_pts)
    for el in tree.site.series:
        if el.cable == name:  # an element at x sits just on the board side of point x
            series += np.where(np.asarray(pts) >= el.at_m, el.insertion_loss_db, 0.0)
    return _Run(name, np.asarray(pts), down, up, series, zu)


def _launch_db(tree: _Tree, i: int, runs: dict[str, _Run], z_down: dict[str, list[np.ndarray]],
               z_in: dict[str, np.ndarray], point: int) -> np.ndarray:
    """20 log10 |launched voltage| of node ``i``'s modem relative to a matched load."""
    nd = tree.site.nodes[i]
    if nd.at_m == 0.0:
        others = [tree.node_shunt(j) for j in tree.board_nodes if j != i]
        z_line = _parallel(tree.feeder, *others, *z_in.values())
    else:
        run = runs[nd.cable]
        gamma, zc = tree.props[nd.cable]
        pts = run.points
        toward_board = input_impedance(zc, gamma, pts[point] - pts[point - 1], run.z_up[point - 1])
        if point + 1 < len(pts):
            away = input_impedance(zc, gamma, pts[point + 1] - pts[point], z_down[nd.cable][point + 1])
        else:
            away = tree.end_load(nd.cable)
        z_line = _parallel(tree.shunt_at(nd.cable, nd.at_m, exclude=i), toward_board, away)
    return 20.0 * np.log10(np.abs(_launch(z_line, tree.z_modem)))


def _pair_gains(site: Site, runs: dict[str, _Run], point_of: np.ndarray, launch_db: np.ndarray) -> np.ndarray:
    """(N, N, K) float32 gains from the per-node launch, climb and descent terms (one row at a time)."""
    nodes, p = site.nodes, site.params
    n, k = launch_db.shape
    on_board = np.array([nd.at_m == 0.0 for nd in nodes])
    up = np.zeros((n, k))  # node -> board, series elements included
    down = np.zeros((n, k))  # board -> node
    for i, nd in enumerate(nodes):
        if not on_board[i]:
            r, a = runs[nd.cable], point_of[i]
            up[i] = r.up_db[a] - r.series_db[a]
            down[i] = r.down_db[a] - r.series_db[a]
    cable = np.array([nd.cable for nd in nodes])
    xphase = np.array([[cross_pair_factor_db(a.phase, b.phase, p.grid, p.cross_phase_loss_db) for b in nodes]
                       for a in nodes])
    gain = np.empty((n, n, k), dtype=np.float32)
    for i in range(n):
        same = (cable == cable[i]) & ~on_board & ~on_board[i]
        further = point_of >= point_of[i]
        board_loss = np.where(~on_board & ~on_board[i], p.board_loss_db, 0.0)
        path = np.where((same & further)[:, None], down - down[i],
                        np.where(same[:, None], up[i] - up, up[i] + down - board_loss[:, None]))
        row = launch_db[i] + path + (xphase[i] - 2.0 * p.coupling_loss_db)[:, None]
        row[i] = SELF_COUPLING_DB
        gain[i] = row
    return gain


def site_channel(site: Site, charging: tuple[bool, ...] | None = None,
                 freq_hz: np.ndarray | None = None) -> SiteChannel:
    """Compute :class:`SiteChannel` for the site (``charging[i]``: node ``i``'s charger is charging,
    which changes its terminal impedance)."""
    n = len(site.nodes)
    charging = tuple(charging) if charging is not None else (False,) * n
    f = av_carrier_frequencies_hz() if freq_hz is None else np.asarray(freq_hz, dtype=float)
    tree = _build_tree(site, charging, f)
    z_down, z_in = _downstream(tree)
    board_shunts = [tree.node_shunt(i) for i in tree.board_nodes]
    runs = {}
    for c in site.cables:
        z_board = _parallel(tree.feeder, *board_shunts, *[z for name, z in z_in.items() if name != c.name])
        runs[c.name] = _solve_run(tree, c.name, z_down[c.name], z_board)
    point_of = np.array([int(np.searchsorted(runs[nd.cable].points, nd.at_m)) for nd in site.nodes], dtype=int)
    launch = np.array([_launch_db(tree, i, runs, z_down, z_in, int(point_of[i])) for i in range(n)])
    gain = _pair_gains(site, runs, point_of, launch.reshape(n, f.size))
    _apply_link_overrides(site, f, gain)
    return SiteChannel(site=site, freq_hz=f, mask=av_tone_mask() if freq_hz is None else np.ones(f.size, bool),
                       gain_db=gain, charging=charging)


_MULTIPATH = {"4path": ch.ZIMMERMANN_4PATH, "15path": ch.ZIMMERMANN_15PATH, "5path": ch.IEEE1901_5PATH,
              "17path": ch.IEEE1901_17PATH}


def _apply_link_overrides(site: Site, freq_hz: np.ndarray, gain: np.ndarray) -> None:
    """Per-pair calibration (``[[link]]``): a multipath model replaces the path, extra loss is added."""
    for lk in site.links:
        i, j = site.node_index(lk.a), site.node_index(lk.b)
        pairs = [(i, j)] if lk.directed else [(i, j), (j, i)]
        for a, b in pairs:
            if lk.multipath:
                h = ch.multipath_response_params(freq_hz, _MULTIPATH[lk.multipath])
                gain[a, b] = (ch.magnitude_db(h) - 2.0 * site.params.coupling_loss_db).astype(np.float32)
            gain[a, b] -= np.float32(lk.extra_loss_db)


def _launch(z_line: np.ndarray, z_source: np.ndarray) -> np.ndarray:
    """2 Z_line / (Z_s + Z_line): launched voltage relative to a matched load (1 when matched)."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(z_line), 2.0, 2.0 * z_line / (z_source + z_line))


def node_label(node: Node) -> str:
    return f"{node.name} ({node.cable}@{node.at_m:g} m, {node.phase})"
