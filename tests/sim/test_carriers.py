"""HomePlug AV / AV2 carrier grid, tone masks, SLAC groups (open-plc-utils, gr-plc, ISO 15118-3)."""

from __future__ import annotations

import numpy as np
import pytest

from plcstack.sim import carriers


def test_carrier_grid_and_default_mask() -> None:
    f = carriers.av_carrier_frequencies_hz()
    assert f.shape == (1155,)
    assert carriers.CARRIER_SPACING_HZ == pytest.approx(24414.0625)
    assert f[0] == pytest.approx(1.8066e6, rel=1e-4)  # 74 * spacing, 1.8 MHz band edge
    assert f[-1] == pytest.approx(29.98e6, rel=1e-3)  # 1228 * spacing, < 30 MHz
    m = carriers.av_tone_mask()
    assert m.dtype == bool and m.shape == (1155,)
    assert int(m.sum()) == 917
    runs = np.flatnonzero(np.diff(np.concatenate(([0], m.astype(int), [0]))) != 0).reshape(-1, 2)
    assert len(runs) == 9
    assert 2.0e6 < f[m][0] < 2.11e6 and 27.8e6 < f[m][-1] < 27.95e6
    # amateur bands must be masked
    for lo, hi in [(3.5, 4.0), (7.0, 7.3), (10.1, 10.15), (14.0, 14.35), (18.068, 18.168),
                   (21.0, 21.45), (24.89, 24.99), (28.0, 29.7)]:
        inside = (f >= lo * 1e6) & (f <= hi * 1e6)
        assert not m[inside].any(), (lo, hi)


def test_av2_grid_and_mask() -> None:
    f = carriers.av2_carrier_frequencies_hz()
    assert f.shape == (3455,)
    assert f[-1] == pytest.approx(86.13e6, rel=1e-3)
    m = carriers.av2_tone_mask()
    assert int(m.sum()) == 2880  # open-plc-utils AMP_CARRIERS; band plan
    assert np.array_equal(m[:1155], carriers.av_tone_mask())


def test_slac_groups_average() -> None:
    idx = carriers.slac_group_index()
    assert idx.min() == 0 and idx.max() == 57
    counts = np.bincount(idx)
    assert set(counts.tolist()) <= {19, 20} and counts.sum() == 1155
    vals = np.arange(1155, dtype=float)
    g = carriers.slac_groups(vals)
    assert g.shape == (58,)
    assert g[0] == pytest.approx(np.mean(vals[idx == 0]))
    vals[idx == 3] = np.nan
    assert np.isnan(carriers.slac_groups(vals)[3])
    batch = carriers.slac_groups(np.ones((4, 1155)))
    assert batch.shape == (4, 58) and np.allclose(batch, 1.0)
