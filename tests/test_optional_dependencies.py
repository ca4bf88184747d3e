"""The core works without the optional dependencies; the CLI names the extra a command needs.

A subprocess blocks ``scapy``, ``matplotlib``, ``rich``, ``construct`` and ``dask`` (an import finder that
refuses them, as if they were not installed), imports every module of the package except the two
interop layers, runs the core (codec, keys, capture, emulator, simulator without plots) and the
CLI, and reports back as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from plcstack.cli import EXTRAS

REPO = Path(__file__).resolve().parents[1]
BLOCKED = ["scapy", "matplotlib", "rich", "construct", "dask", "distributed", "pyarrow", "pandas"]

SCRIPT = r'''
import contextlib, importlib, importlib.abc, io, json, pkgutil, random, sys, tempfile
from pathlib import Path

BLOCKED = set(sys.argv[1].split(","))


class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Refuse())
out = {}
import plcstack

failed = {}
for info in pkgutil.walk_packages(plcstack.__path__, "plcstack."):
    if info.name in ("plcstack.scapy_layers", "plcstack.construct_layers") or info.name.endswith("__main__"):
        continue
    try:
        importlib.import_module(info.name)
    except Exception as exc:
        failed[info.name] = repr(exc)
out["import_failures"] = failed
for layer in ("plcstack.scapy_layers", "plcstack.construct_layers"):
    try:
        importlib.import_module(layer)
        out[layer] = "imported"
    except ModuleNotFoundError as exc:
        out[layer] = exc.name

from plcstack.codec import decode_frame, encode_frame, make_frame, messages
from plcstack.keys import nmk_from_password, open_payload, random_bytes, seal

frame = make_frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", messages.CM_SLAC_PARM_REQ(run_id=bytes(8)))
out["codec"] = decode_frame(encode_frame(frame)).name
nmk = nmk_from_password("HomePlugAV0123")
out["keys"] = open_payload(seal(b"inner", nmk, pid=0, prn=1, pmn=1, random_bytes=random_bytes), nmk).decode()

from plcstack.capture import iter_decoded

out["capture_frames"] = sum(1 for _ in iter_decoded(sys.argv[2] + "/captures/demo-slac-and-polling.pcap"))

from plcstack.emu import ModemConfig, PowerLine

line = PowerLine()
for last in (1, 2):
    line.add(ModemConfig(mac=bytes([0, 0xB0, 0x52, 0, 0, last])), seed=last)
line.run_for(2.0)
neks = {m.nek for m in line.modems.values()}  # the NEK travels in CM_ENCRYPTED_PAYLOAD (plcstack.keys)
out["emu_one_nek"] = len(line.modems) == 2 and len(neks) == 1 and None not in neks

from plcstack.sim import report
from plcstack.sim.engine import simulate
from plcstack.sim.site import load_site

result = simulate(load_site(sys.argv[2] + "/sites/one-bridge.toml"), hours=0.02, seed=0)
out["sim_summary"] = "flaps_total" in report.summary(result, [])

from plcstack.cli import main


def cli(*argv):
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code
    return [code, o.getvalue(), e.getvalue()]


with tempfile.TemporaryDirectory() as tmp:
    out["cli"] = {
        "keys": cli("keys", "nmk", "HomePlugAV0123"),
        "decode": cli("decode", sys.argv[2] + "/captures/demo-slac-and-polling.pcap", "--no-progress"),
        "messages": cli("messages"),
        "simulate_json": cli("simulate", sys.argv[2] + "/sites/one-bridge.toml", "--hours", "0.02", "--no-advice",
                             "--json", "--no-plots", "--out", tmp + "/a"),
        "simulate_plots": cli("simulate", sys.argv[2] + "/sites/one-bridge.toml", "--hours", "0.02", "--no-advice",
                              "--json", "--out", tmp + "/b"),
    }
print(json.dumps(out))
'''


def run_without_extras() -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT, ",".join(BLOCKED), str(REPO)], capture_output=True,
                          text=True, timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_core_and_cli_work_without_extras() -> None:
    out = run_without_extras()
    assert out["import_failures"] == {}  # no module of the package needs an extra at import time
    assert out["plcstack.scapy_layers"] == "scapy" and out["plcstack.construct_layers"] == "construct"
    assert out["codec"] == "CM_SLAC_PARM.REQ" and out["keys"] == "inner" and out["capture_frames"] > 20
    assert out["emu_one_nek"] is True and out["sim_summary"] is True
    cli = out["cli"]
    assert cli["keys"] == [0, "B59319D7E8157BA001B018669CCEE30D\n", ""]
    assert cli["decode"][0] == 0 and "CM_SLAC_MATCH.CNF" in cli["decode"][1]
    assert cli["messages"][0] == 0 and "CM_SET_KEY.REQ" in cli["messages"][1]
    assert cli["simulate_json"][0] == 0 and json.loads(cli["simulate_json"][1])["site"]
    code, _, err = cli["simulate_plots"]  # the plots need matplotlib: say which extra, exit 2
    assert code == 2 and "pip install 'plcstack[plot]'" in err and "Traceback" not in err


def test_extras_are_declared_for_every_optional_module() -> None:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for module, extra in EXTRAS.items():
        assert extra in extras, module
    core = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not any(name in dep for dep in core for name in BLOCKED)
    assert set(extras["all"][0].split("[")[1].rstrip("]").split(",")) == {"scapy", "construct", "plot", "rich",
                                                                             "dask", "arrow"}
