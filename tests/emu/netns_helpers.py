"""Network namespaces, veth pairs and an emulator subprocess for the real-tool tests.

Layout (names carry a random suffix so parallel or leftover runs never collide)::

    netns <p>-emu : the emulator (plcstack emulate), modem ends m0, m1, ...
    netns <p>-h0  : host h0 (the tool under test)  <-- veth -->  m0 in <p>-emu
    netns <p>-h1  : host h1                         <-- veth -->  m1 in <p>-emu

Everything is torn down in ``finally`` blocks: the emulator (SIGTERM, then SIGKILL), child tools, the
namespaces (which takes their veth ends with them).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def need_root() -> None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root (network namespaces, veth pairs and AF_PACKET sockets)")
    if shutil.which("ip") is None:
        pytest.skip("needs iproute2 (`ip`)")


def need_tools(*names: str) -> None:
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (Debian plc-utils / plc-utils-extra)")


def sh(*args: str, check: bool = True, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=timeout)


@dataclass
class Bench:
    prefix: str
    hosts: list[str]  # host-side interface names, one per modem, in namespaces ns(h)
    emu_ns: str
    procs: list[subprocess.Popen[str]] = field(default_factory=list)

    def ns(self, i: int) -> str:
        return f"{self.prefix}-h{i}"

    def modem_if(self, i: int) -> str:
        return f"{self.prefix}m{i}"

    def run(self, i: int, *cmd: str, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
        """Run ``cmd`` in host namespace ``i``; stdout and stderr merged into ``.stdout``."""
        return subprocess.run(["ip", "netns", "exec", self.ns(i), *cmd], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout)

    def spawn(self, i: int, *cmd: str, cwd: str | None = None, env: dict[str, str] | None = None
              ) -> subprocess.Popen[str]:
        """Start ``cmd`` in host namespace ``i``; its output goes to a temporary file (read by :func:`stop`)."""
        log = tempfile.TemporaryFile("w+")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(i), *cmd], stdout=log, stderr=subprocess.STDOUT,
                             text=True, cwd=cwd, env=env, start_new_session=True)
        p.logfile = log  # type: ignore[attr-defined]
        self.procs.append(p)
        return p


def stop(p: subprocess.Popen[str], grace: float = 3.0) -> str:
    """Stop a child (its whole process group) and return its output."""
    if p.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(5)
    log = getattr(p, "logfile", None)
    if log is not None:
        log.seek(0)
        return log.read()
    out = p.stdout.read() if p.stdout else ""
    return out or ""


@contextlib.contextmanager
def bench(n_hosts: int) -> Iterator[Bench]:
    need_root()
    prefix = "pe" + secrets.token_hex(3)
    b = Bench(prefix, [f"{prefix}h{i}" for i in range(n_hosts)], f"{prefix}-emu")
    created: list[str] = []
    try:
        sh("ip", "netns", "add", b.emu_ns)
        created.append(b.emu_ns)
        sh("ip", "-n", b.emu_ns, "link", "set", "lo", "up")
        for i in range(n_hosts):
            sh("ip", "netns", "add", b.ns(i))
            created.append(b.ns(i))
            sh("ip", "link", "add", b.hosts[i], "netns", b.ns(i), "type", "veth", "peer", "name", b.modem_if(i),
               "netns", b.emu_ns)
            sh("ip", "-n", b.ns(i), "link", "set", b.hosts[i], "up")
            sh("ip", "-n", b.emu_ns, "link", "set", b.modem_if(i), "up")
        yield b
    finally:
        for p in b.procs:
            stop(p, grace=1.0)
        for ns in reversed(created):
            sh("ip", "netns", "del", ns, check=False)


@dataclass
class EmuHandle:
    proc: subprocess.Popen[str]
    logfile: Path

    def log(self) -> str:
        """Everything the emulator printed so far (stdout and stderr)."""
        return self.logfile.read_text(errors="replace")


@contextlib.contextmanager
def emulator(b: Bench, config_text: str | None, tmp: Path, extra: tuple[str, ...] = ()) -> Iterator[EmuHandle]:
    """``plcstack emulate --config`` in the emulator namespace; yields once it serves.

    With ``config_text=None`` the command line is ``plcstack emulate`` + ``extra`` only.  Output goes to a
    file (never a pipe nobody reads, which would block a verbose emulator).
    """
    args: tuple[str, ...] = extra
    if config_text is not None:
        cfg = tmp / f"{b.prefix}.toml"
        cfg.write_text(config_text)
        args = ("--config", str(cfg), *extra)
    logfile = tmp / f"{b.prefix}-emu.log"
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with open(logfile, "w") as out:
        p = subprocess.Popen(["ip", "netns", "exec", b.emu_ns, sys.executable, "-m", "plcstack", "emulate", *args],
                             stdout=out, stderr=subprocess.STDOUT, text=True,
                             env=env, start_new_session=True)
    h = EmuHandle(p, logfile)
    try:
        deadline = time.monotonic() + 20
        while "emulating" not in h.log():
            if p.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("emulator did not start:\n" + h.log())
            time.sleep(0.05)
        yield h
    finally:
        stop(p)


def modem_block(name: str, mac: str, iface: str, **kw: object) -> str:
    lines = ["[[modem]]", f'name = "{name}"', f'mac = "{mac}"', f'iface = "{iface}"']
    for k, v in kw.items():
        lines.append(f"{k} = {v!r}".replace("'", '"') if isinstance(v, str) else f"{k} = {str(v).lower()}")
    return "\n".join(lines) + "\n"


def wait_for(b: Bench, i: int, cmd: tuple[str, ...], needle: str, timeout: float = 8.0) -> str:
    """Re-run ``cmd`` in host ``i`` until its output contains ``needle``; return the last output."""
    deadline = time.monotonic() + timeout
    out = ""
    while time.monotonic() < deadline:
        out = b.run(i, *cmd).stdout
        if needle in out:
            return out
        time.sleep(0.2)
    raise AssertionError(f"{' '.join(cmd)} never printed {needle!r}; last output:\n{out}")


def openplc_pev_ini(charge_time_s: int) -> str:
    """open-plc-utils ``pev`` settings: its own NMK/NID, matches within 40 dB, "charges" for ``charge_time_s``."""
    return f"""[default]
vehicle identifier=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
network membership key=50D3E4933F855B7040784DF815AA8DB7
network identifier=B0F2E695666B03
attenuation threshold=40
msound pause=20
charge time={charge_time_s}
settle time=1
"""


def openplc_evse_ini(charge_time_s: int, nmk: str = "B59319D7E8157BA001B018669CCEE30D",
                     nid: str = "026BCBA5354E08") -> str:
    """open-plc-utils ``evse`` settings: 10 sounds, the AVLN it hands the EV (``nmk``, ``nid``)."""
    return f"""[default]
time to sound=6
number of sounds=10
response type=1
station identifier=BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB
network membership key={nmk}
network identifier={nid}
settle time=1
charge time={charge_time_s}
"""
