"""Header-only decoding of whole captures, vectorised with NumPy.

For statistics over large captures (counts per type, per station, per MMV) the MMENTRY is not
needed.  This module gathers the header bytes of every record of a chunk with one fancy-indexing
operation per column, applying the same rules as :func:`plcstack.codec.frame.decode_header`
(802.1Q tag, MMV 0/1/2, FMI, OUI presence by MMTYPE range).  Columns are NumPy arrays; a row
whose header is invalid has ``error`` set to the name of the offending field's code:
1 length, 2 ethertype, 3 mmv, 4 oui.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from plcstack.codec.frame import _MS_OUIS, _VENDOR_OUIS
from plcstack.codec.names import ETHERTYPE_HOMEPLUG_AV, QCA_MS_BASES
from plcstack.pcapio import LINKTYPE_ETHERNET, open_capture

ERR_NONE, ERR_LENGTH, ERR_ETHERTYPE, ERR_MMV, ERR_OUI = 0, 1, 2, 3, 4
ERROR_FIELDS = {ERR_LENGTH: "length", ERR_ETHERTYPE: "ethertype", ERR_MMV: "mmv", ERR_OUI: "oui"}

_VENDOR_OUI_INTS = np.array(sorted(int.from_bytes(o, "big") for o in _VENDOR_OUIS), dtype=np.int64)
_MS_OUI_INTS = np.array(sorted(int.from_bytes(o, "big") for o in _MS_OUIS), dtype=np.int64)
_QCA_MS = np.array(sorted(QCA_MS_BASES), dtype=np.int64)


@dataclass
class HeaderTable:
    """Column-wise headers of the HomePlug AV frames of a capture."""

    index: np.ndarray  # 1-based frame number in the file
    length: np.ndarray
    vlan: np.ndarray  # bool
    mmv: np.ndarray
    mmtype: np.ndarray
    fmi: np.ndarray  # -1 for MMV 0
    oui: np.ndarray  # 24-bit int, -1 when absent
    error: np.ndarray  # ERR_* codes
    other_frames: int  # records that are not HomePlug AV

    def __len__(self) -> int:
        return int(self.index.size)


def _gather(arr: np.ndarray, offs: np.ndarray, lens: np.ndarray) -> dict[str, np.ndarray]:
    n = offs.size
    end = offs + lens
    safe = np.minimum(offs[:, None] + np.arange(30)[None, :], arr.size - 1)
    head = arr[safe].astype(np.int64)  # first 30 bytes of each record (clipped at the buffer end)
    avail = np.minimum(lens, 30)
    vlan = (head[:, 12] == 0x81) & (head[:, 13] == 0x00)
    base = np.where(vlan, 16, 12)
    rows = np.arange(n)

    def col(k: np.ndarray) -> np.ndarray:
        return head[rows, np.minimum(k, 29)]

    et = (col(base) << 8) | col(base + 1)
    p = base + 2
    mmv = col(p)
    mmtype = col(p + 1) | (col(p + 2) << 8)
    has_fmi = mmv > 0
    fmi = np.where(has_fmi, (col(p + 3) << 8) | col(p + 4), -1)
    q = p + np.where(has_fmi, 5, 3)
    oui_val = (col(q) << 16) | (col(q + 1) << 8) | col(q + 2)
    continuation = has_fmi & ((fmi & 0x0F00) != 0)
    vendor = (mmtype >= 0xA000) & (mmtype < 0xC000) & ~continuation
    manuf = (mmtype >= 0x8000) & (mmtype < 0xA000) & ~continuation
    ms_has_oui = manuf & (np.isin(oui_val, _MS_OUI_INTS) | ~np.isin(mmtype & ~3, _QCA_MS))
    oui = np.where(vendor | ms_has_oui, oui_val, -1)
    error = np.zeros(n, dtype=np.int8)
    error[(avail < q + np.where(vendor, 3, 0)) | (avail < 17)] = ERR_LENGTH
    error[(error == 0) & (mmv > 2)] = ERR_MMV
    error[(error == 0) & vendor & ~np.isin(oui_val, _VENDOR_OUI_INTS)] = ERR_OUI
    del end
    return {"vlan": vlan, "et": et, "mmv": mmv, "mmtype": mmtype, "fmi": fmi, "oui": oui, "error": error}


def read_headers(path: str | os.PathLike[str]) -> HeaderTable:
    """Decode the Ethernet + MME header of every HomePlug AV frame in a capture."""
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("index", "length", "vlan", "mmv", "mmtype", "fmi",
                                                          "oui", "error")}
    other = 0

    def flush(buf: bytes, idx: list[int], offs: list[int], lens: list[int]) -> int:
        if not offs:
            return 0
        arr = np.frombuffer(buf, dtype=np.uint8)
        o = np.asarray(offs, dtype=np.int64)
        ln = np.asarray(lens, dtype=np.int64)
        g = _gather(arr, o, ln)
        keep = g["et"] == ETHERTYPE_HOMEPLUG_AV
        cols["index"].append(np.asarray(idx, dtype=np.int64)[keep])
        cols["length"].append(ln[keep])
        for k in ("vlan", "mmv", "mmtype", "fmi", "oui", "error"):
            cols[k].append(g[k][keep])
        return int((~keep).sum())

    with open_capture(path) as reader:
        cur: bytes | None = None
        idx: list[int] = []
        offs: list[int] = []
        lens: list[int] = []
        for index, _ts, buf, off, length, linktype in reader:
            if buf is not cur:
                if cur is not None:
                    other += flush(cur, idx, offs, lens)
                cur, idx, offs, lens = buf, [], [], []
            if linktype != LINKTYPE_ETHERNET or length < 14:
                other += 1
                continue
            idx.append(index)
            offs.append(off)
            lens.append(length)
        if cur is not None:
            other += flush(cur, idx, offs, lens)

    def cat(k: str, dtype: type) -> np.ndarray:
        return np.concatenate(cols[k]) if cols[k] else np.zeros(0, dtype=dtype)

    return HeaderTable(cat("index", np.int64), cat("length", np.int64), cat("vlan", bool), cat("mmv", np.int64),
                       cat("mmtype", np.int64), cat("fmi", np.int64), cat("oui", np.int64), cat("error", np.int8),
                       other)
