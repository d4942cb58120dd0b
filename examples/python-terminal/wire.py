"""Everything on the wire: dialects, framings, the messages this terminal builds, reply checks.

Messages are pyiso8583 documents (dicts of field number -> str, "t" = MTI). Binary fields
(the iso87 bitmap, field 52) are hex strings, as pyiso8583 4.x represents them; the same
document encodes in either dialect.

Frame headers (the length never counts the header itself):

    u16be   2 bytes, big-endian binary      00 A5     + 165 message bytes
    bcd2    2 bytes, packed BCD, 0000-9999  01 65     + 165 message bytes
    ascii4  4 ASCII digits, 0000-9999       "0165"    + 165 message bytes
"""

import re
import socket
import time

import iso8583
import iso8583.specs

# pyiso8583 specs, matching posfault's generated iso87 / iso87-ascii field tables
# (tools/gen_iso87_table.py): ASCII fields, binary or hex-character bitmap.
DIALECTS = {
    "iso87": iso8583.specs.default,
    "iso87-ascii": iso8583.specs.default_ascii,
}

# Named here so the error for it can say why, instead of "unknown dialect".
UNSUPPORTED_DIALECTS = {
    "cup": "the UnionPay BCD dialect with a TPDU has no pyiso8583 spec; use iso87 or iso87-ascii",
}

FRAMINGS = ("u16be", "bcd2", "ascii4")

# Field 22, POS entry mode, as posfault's reference terminal and host spell it; fallback
# (chip unreadable, stripe read instead) is ISO 8583:1987 code 80.
ENTRY_MODES = {
    "chip": "051",
    "swipe": "021",
    "contactless": "071",
    "manual": "012",
    "fallback": "801",
}

# Operation -> (MTI, processing code).
OPERATIONS = {
    "sale": ("0200", "000000"),
    "refund": ("0200", "200000"),
    "auth": ("0100", "000000"),
}

# 0410 codes after which the host holds no money for the original: reversed (00), no such
# transaction (12, 25). 91 / 96 mean the host could not act yet: the reversal stays due.
REVERSAL_DONE = ("00", "12", "25")


class Timeout(Exception):
    """No complete reply before the deadline."""


class Lost(Exception):
    """The connection closed or broke."""


class Invalid(Exception):
    """Bytes arrived that are not a message of this dialect and framing."""


class ConnectFailed(Exception):
    """No connection to any host within the policy's timeout and retries."""


_PAN_RUN = re.compile(r"(?<!\d)(\d{6})\d{3,9}(\d{4})(?!\d)")


def mask(text):
    """Masks every run of 13 to 19 digits as first 6 + last 4, so no printed line can carry a
    full card number, whatever put it there."""
    return _PAN_RUN.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - 10) + m.group(2), text)


def mask_pan(pan):
    """A PAN as it may be shown: first 6, stars, last 4."""
    if len(pan) < 11:
        return "*" * len(pan)
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]


def luhn_ok(pan):
    """Whether a digit string passes the Luhn check."""
    if not pan.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(pan)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def pin_block(pin, pan):
    """ISO 9564 format-0 PIN block as 16 upper hex digits (field 52), the way posfault's host
    decodes it (harness/src/host/pin.rs): PIN field 0 | len | digits | F padding, XOR
    0000 | the 12 rightmost PAN digits without the check digit."""
    if not (4 <= len(pin) <= 12 and pin.isdigit()):
        raise ValueError("PIN must be 4 to 12 digits")
    if len(pan) < 13 or not pan.isdigit():
        raise ValueError("PAN must be at least 13 digits")
    pin_field = ("0" + format(len(pin), "X") + pin).ljust(16, "F")
    pan_field = "0000" + pan[-13:-1]
    return format(int(pin_field, 16) ^ int(pan_field, 16), "016X")


def amount_field(amount):
    """Field 4 from a decimal string with two decimals ("12.34" -> "000000001234")."""
    if not isinstance(amount, str) or not re.fullmatch(r"\d{1,10}\.\d{2}", amount):
        raise ValueError(f"amount {amount!r} is not a decimal string with 2 decimals, e.g. \"12.34\"")
    return amount.replace(".", "").rjust(12, "0")


def stamp(now=None):
    """Fields 7 (MMDDhhmmss), 12 (hhmmss) and 13 (MMDD) from one instant, UTC, so the date in
    field 90 (taken from field 7) always equals field 13: the host finds the original of a
    reversal by terminal, STAN and that date."""
    t = time.gmtime(time.time() if now is None else now)
    return {
        "7": time.strftime("%m%d%H%M%S", t),
        "12": time.strftime("%H%M%S", t),
        "13": time.strftime("%m%d", t),
    }


def financial(op, ids, stan, card, amount, currency, now=None):
    """A sale or refund (0200) or pre-authorisation (0100): the fields posfault's reference
    terminal sends (harness/src/terminal/messages.rs), plus the currency (49)."""
    mti, processing = OPERATIONS[op]
    pan = card["pan"]
    doc = {
        "t": mti,
        "2": pan,  # PAN
        "3": processing,  # processing code
        "4": amount_field(amount),  # amount
        "11": stan,  # STAN
        "22": ENTRY_MODES[card.get("entry", "chip")],  # POS entry mode
        "41": ids[0],  # terminal id
        "42": ids[1],  # merchant id
    }
    doc.update(stamp(now))  # 7, 12, 13
    if card.get("expiry"):
        doc["14"] = card["expiry"]  # expiry YYMM
    if currency:
        doc["49"] = currency  # currency code, numeric
    if card.get("pin"):
        doc["52"] = pin_block(card["pin"], pan)  # PIN block
    return doc


def reversal(original, reason):
    """The 0400 for `original`: a copy with the same STAN, the reason in field 39 (98 no
    reply, 06 invalid reply), field 90 = original MTI, STAN, transmission date-time and two
    zero institution ids (n11 each); track data and the PIN block are never resent."""
    doc = {k: v for k, v in original.items() if k not in ("p", "1", "35", "52")}
    doc["t"] = "0400"
    doc["39"] = reason
    doc["90"] = original["t"] + original["11"].rjust(6, "0") + original["7"].rjust(10, "0") + "0" * 22
    return doc


def settlement(ids, stan, totals, now=None):
    """The 0500 with the batch totals: 74/76 credit/debit counts (n10), 86/88 credit/debit
    amounts in minor units (n16)."""
    doc = {
        "t": "0500",
        "3": "920000",  # processing code: settlement
        "11": stan,
        "41": ids[0],
        "42": ids[1],
        "74": format(totals["credits"], "010d"),
        "76": format(totals["debits"], "010d"),
        "86": format(totals["credit_amount"], "016d"),
        "88": format(totals["debit_amount"], "016d"),
    }
    doc.update(stamp(now))
    return doc


def upload(ids, item):
    """One 0320 batch-upload message for a batch item (after a 95 to the 0500)."""
    return {
        "t": "0320",
        "3": item["processing"],
        "4": format(item["amount"], "012d"),
        "11": item["stan"],
        "13": item["date"],
        "41": ids[0],
        "42": ids[1],
    }


def check_reply(req, rsp):
    """The RC of a reply that answers `req`, or raises Invalid naming what does not match:
    MTI must be request + 10, STAN and terminal id the same, a response code present, the
    amount echoed (except RC 10, partial approval, which carries the approved amount)."""
    want = req["t"][:2] + format(int(req["t"][2:]) + 10, "02d")
    if rsp.get("t") != want:
        raise Invalid(f"MTI {rsp.get('t')} does not answer {req['t']} (expected {want})")
    for n, name in (("11", "STAN"), ("41", "terminal id")):
        if rsp.get(n) != req.get(n):
            raise Invalid(f"{name} (field {n}) is {rsp.get(n)!r}, expected {req.get(n)!r}")
    rc = rsp.get("39")
    if rc is None:
        raise Invalid("no response code (field 39)")
    if rc != "10" and "4" in rsp and rsp["4"] != req.get("4"):
        raise Invalid(f"amount (field 4) is {rsp['4']!r}, expected {req.get('4')!r}")
    return rc


def is_request(mti):
    """Whether an MTI is a request (third digit even: 0200, 0400), not a response."""
    return len(mti) == 4 and mti[2] in "02468"


class Link:
    """One TCP connection to the host carrying framed messages of one dialect."""

    def __init__(self, sock, dialect, framing):
        self.sock = sock
        self.spec = DIALECTS[dialect]
        self.framing = framing
        self.buf = bytearray()

    def close(self):
        """Closes the connection; errors are irrelevant by then."""
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, doc):
        """Encodes and sends one message; Lost if the connection is gone."""
        body, _ = iso8583.encode(dict(doc), self.spec)
        try:
            self.sock.sendall(frame(self.framing, bytes(body)))
        except OSError as e:
            raise Lost(f"send failed: {e}") from e

    def receive(self, deadline):
        """The next message before `deadline` (time.monotonic()); Timeout, Lost or Invalid.
        Empty frames are skipped: some hosts send them as keep-alives."""
        body = self._frame(deadline)
        while not body:
            body = self._frame(deadline)
        try:
            doc, _ = iso8583.decode(body, self.spec)
        except Exception as e:  # pyiso8583 raises DecodeError, but any failure is "unreadable"
            raise Invalid(f"unreadable reply: {e}") from e
        return doc

    def _frame(self, deadline):
        head = 4 if self.framing == "ascii4" else 2
        while True:
            if len(self.buf) >= head:
                length = frame_length(self.framing, bytes(self.buf[:head]))
                if len(self.buf) >= head + length:
                    body = bytes(self.buf[head:head + length])
                    del self.buf[:head + length]
                    return body
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout()
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout as e:
                raise Timeout() from e
            except OSError as e:
                raise Lost(f"connection lost: {e}") from e
            if not chunk:
                raise Lost("closed by peer")
            self.buf += chunk


def frame(framing, body):
    """`body` with its length header."""
    n = len(body)
    if framing == "u16be":
        if n > 0xFFFF:
            raise ValueError(f"message of {n} bytes does not fit a u16be header")
        return n.to_bytes(2, "big") + body
    if n > 9999:
        raise ValueError(f"message of {n} bytes does not fit a 4-digit {framing} header")
    digits = format(n, "04d")
    if framing == "bcd2":
        return bytes.fromhex(digits) + body
    return digits.encode("ascii") + body


def frame_length(framing, head):
    """The length a header announces; Invalid for a header that is not one."""
    if framing == "u16be":
        return int.from_bytes(head, "big")
    text = head.hex() if framing == "bcd2" else head.decode("ascii", "replace")
    if not text.isdigit():
        raise Invalid(f"{framing} length header {head.hex().upper()} is not 4 decimal digits")
    return int(text)
