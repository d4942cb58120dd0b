"""pyiso8583's speed on the message posfault's criterion bench uses (proxies/benches/codec.rs).

Usage: python3 tools/bench_pyiso8583.py   (needs pyiso8583 4.x; prints messages per second)
It first checks that pyiso8583's bytes are the frame posfault's CLI test decodes
(PY_0200 in tests/wire_cli.rs), which posfault encodes byte for byte, so both time the same work.
"""
import timeit

import iso8583
import iso8583.specs

DOC = {
    "t": "0200",
    "2": "4761739001010010",
    "3": "000000",
    "4": "000000001234",
    "7": "0115080000",
    "11": "000001",
    "12": "080000",
    "13": "0115",
    "14": "2512",
    "22": "051",
    "25": "00",
    "35": "4761739001010010=25121010000000000",
    "37": "000000000001",
    "41": "TERM0001",
    "42": "MERCHANT0000001",
    "49": "840",
}


def rate(stmt, number):
    best = min(timeit.repeat(stmt, number=number, repeat=5))
    return number / best


def main():
    spec = iso8583.specs.default
    raw, _ = iso8583.encode(dict(DOC), spec)
    assert raw.hex().startswith("30323030723c048028c08000") and len(raw) == 157, raw.hex()
    enc = rate(lambda: iso8583.encode(dict(DOC), spec), 20000)
    dec = rate(lambda: iso8583.decode(raw, spec), 20000)
    print(f"pyiso8583 {iso8583.__version__} iso87 0200 ({len(raw)} bytes): "
          f"encode {enc:,.0f} msg/s, decode {dec:,.0f} msg/s")


if __name__ == "__main__":
    main()
