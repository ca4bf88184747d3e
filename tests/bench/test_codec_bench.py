"""Codec throughput on the 200,000-frame realistic mix (pytest-benchmark).

`make bench` runs these with timing; in `make test` they run once as correctness checks.
Targets (issue 2): full decode >= 300k frames/s, header-only >= 1M frames/s, encode >= 300k
frames/s, all on one core; the numbers are reported, not asserted.
"""

from __future__ import annotations

from plcstack.capture import count_decoded
from plcstack.codec import decode_frame, encode_frame
from plcstack.codec.batch import read_headers
from plcstack.pcapio import open_capture

BENCH_FRAMES = 200_000


def test_full_decode_from_pcap(benchmark, mix_capture):
    n = benchmark.pedantic(count_decoded, args=(mix_capture,), rounds=3, iterations=1)
    assert n == BENCH_FRAMES
    benchmark.extra_info["frames"] = n


def test_header_only_decode_from_pcap(benchmark, mix_capture):
    table = benchmark.pedantic(read_headers, args=(mix_capture,), rounds=3, iterations=1)
    assert len(table) == BENCH_FRAMES and not table.error.any()


def test_encode(benchmark, mix_capture):
    frames = [decode_frame(buf, off, off + n) for _, _, buf, off, n, _ in open_capture(mix_capture)]
    originals = [bytes(buf[off:off + n]) for _, _, buf, off, n, _ in open_capture(mix_capture)]

    def encode_all():
        return [encode_frame(f) for f in frames]

    out = benchmark.pedantic(encode_all, rounds=3, iterations=1)
    assert out == originals


def test_encode_new_frames(benchmark, mix_capture):
    # frames built by a program (trailing None: the encoder pads to 60 bytes)
    frames = [decode_frame(buf, off, off + n)._replace(trailing=None)
              for _, _, buf, off, n, _ in open_capture(mix_capture)][:50_000]
    out = benchmark.pedantic(lambda: [encode_frame(f) for f in frames], rounds=3, iterations=1)
    assert all(len(b) >= 60 for b in out)
