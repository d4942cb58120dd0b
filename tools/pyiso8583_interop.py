"""pyiso8583's side of posfault's interop test (proxies/tests/pyiso8583_interop.rs).

Reads JSON lines {"spec": "default" | "default_ascii", "doc": {"t": MTI, "2": ..., ...},
"hex": posfault's encoding of that doc} on stdin and writes one JSON line per input:
{"encoded": pyiso8583's encoding of doc as upper hex, "decoded": pyiso8583's decoding of "hex"
as a doc (bitmap keys dropped)}, or {"error": "..."} naming which step failed. Values follow
pyiso8583: text fields as str, binary fields as upper hex str.
"""
import json
import sys

import iso8583
import iso8583.specs


def main():
    for line in sys.stdin:
        req = json.loads(line)
        spec = getattr(iso8583.specs, req["spec"])
        out = {}
        try:
            encoded, _ = iso8583.encode(dict(req["doc"]), spec)
            out["encoded"] = encoded.hex().upper()
        except Exception as e:  # report, do not stop: the Rust side names the seed
            out["error"] = f"pyiso8583 encode: {e}"
        try:
            decoded, _ = iso8583.decode(bytes.fromhex(req["hex"]), spec)
            out["decoded"] = {k: v for k, v in decoded.items() if k not in ("p", "1", "h")}
        except Exception as e:
            out["error"] = f"pyiso8583 decode: {e}"
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
