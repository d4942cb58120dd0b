#!/usr/bin/env python3
"""A POS terminal in Python for posfault's external terminal adapter protocol, version 1.

It takes JSON-line commands on stdin (sale, refund, auth, settle, shutdown), speaks ISO 8583
to the host named by POSFAULT_HOST (pyiso8583 does the encoding) and answers each command with
one JSON-line outcome on stdout. Its policy is the one posfault's reference terminal follows
(harness/src/terminal/reference.rs): the reversal record is on disk before the request leaves
(or right after, with POSFAULT_REVERSAL_SAVE=after_send), a request without a valid reply in
time is reversed at once, the reversal is resent until the host acknowledges it, and it goes
out again before the next transaction, before settlement and after a restart.

Usage: terminal.py [--no-reversal]   (configured by POSFAULT_* environment variables; see README)
"""

import argparse
import json
import os
import socket
import sys
import time
import traceback

import wire
from state import State

VERSION = "1.0.0"
NAME = "posfault-python-terminal"
EXIT_USAGE = 2


class UsageError(Exception):
    """The environment does not configure a terminal this program can be."""


def _env_int(env, name, default):
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise UsageError(f"{name}={raw!r} is not an integer; expected e.g. {default}") from None
    if value < 0:
        raise UsageError(f"{name}={raw!r} is negative; expected 0 or more")
    return value


def _address(name, raw):
    host, sep, port = raw.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"{name}={raw!r} is not HOST:PORT; expected e.g. 127.0.0.1:8583")
    return (host.strip("[]"), int(port))


class Config:
    """The terminal's identity, wire and policy, from the POSFAULT_* environment.

    Defaults (when a variable is unset) are field practice and the reference terminal's:
    TERM0001 / MERCHANT0000001, iso87 in u16be frames, reply timeout 60 s, connect timeout
    30 s with 3 redials, reversal resent up to 3 times 10 s apart, saved before the send.
    """

    def __init__(self, env):
        version = env.get("POSFAULT_ADAPTER")
        if version != "1":
            raise UsageError(
                f"POSFAULT_ADAPTER={version!r}: this terminal speaks adapter protocol version 1 only; "
                "set POSFAULT_ADAPTER=1"
            )
        if not env.get("POSFAULT_HOST"):
            raise UsageError("POSFAULT_HOST is not set; expected HOST:PORT of the host (or the proxy before it)")
        self.hosts = [_address("POSFAULT_HOST", env["POSFAULT_HOST"])]
        if env.get("POSFAULT_BACKUP_HOST"):
            self.hosts.append(_address("POSFAULT_BACKUP_HOST", env["POSFAULT_BACKUP_HOST"]))
        self.state_dir = env.get("POSFAULT_STATE_DIR", "")
        if not self.state_dir or not os.path.isdir(self.state_dir):
            raise UsageError(
                f"POSFAULT_STATE_DIR={self.state_dir!r} is not an existing directory; "
                "the STAN counter, reversal and batch must survive restarts there"
            )
        self.dialect = env.get("POSFAULT_DIALECT") or "iso87"
        if self.dialect in wire.UNSUPPORTED_DIALECTS:
            raise UsageError(
                f"POSFAULT_DIALECT={self.dialect} is not supported: {wire.UNSUPPORTED_DIALECTS[self.dialect]}"
            )
        if self.dialect not in wire.DIALECTS:
            raise UsageError(f"POSFAULT_DIALECT={self.dialect!r} is unknown; expected iso87 or iso87-ascii")
        self.framing = env.get("POSFAULT_FRAMING") or "u16be"
        if self.framing not in wire.FRAMINGS:
            raise UsageError(f"POSFAULT_FRAMING={self.framing!r} is unknown; expected one of u16be, bcd2, ascii4")
        self.terminal_id = env.get("POSFAULT_TERMINAL_ID") or "TERM0001"
        self.merchant_id = env.get("POSFAULT_MERCHANT_ID") or "MERCHANT0000001"
        for name, value, size in (
            ("POSFAULT_TERMINAL_ID", self.terminal_id, 8),
            ("POSFAULT_MERCHANT_ID", self.merchant_id, 15),
        ):
            if len(value) != size or not value.isascii() or not value.isprintable():
                raise UsageError(f"{name}={value!r} must be {size} printable ASCII characters")
        self.response_timeout = _env_int(env, "POSFAULT_RESPONSE_TIMEOUT_MS", 60000) / 1000
        self.connect_timeout = _env_int(env, "POSFAULT_CONNECT_TIMEOUT_MS", 30000) / 1000
        self.connect_retries = _env_int(env, "POSFAULT_CONNECT_RETRIES", 3)
        self.reversal_retries = _env_int(env, "POSFAULT_REVERSAL_RETRIES", 3)
        self.reversal_interval = _env_int(env, "POSFAULT_REVERSAL_INTERVAL_MS", 10000) / 1000
        self.reversal_save = env.get("POSFAULT_REVERSAL_SAVE") or "before_send"
        if self.reversal_save not in ("before_send", "after_send"):
            raise UsageError(
                f"POSFAULT_REVERSAL_SAVE={self.reversal_save!r} is unknown; expected before_send or after_send"
            )


class Output:
    """stdout speaks the protocol (one JSON object per line); stderr is for people. Every line
    goes through wire.mask, so no full card number is ever printed, whatever a bug put in it."""

    def __init__(self, stdout, stderr):
        self.stdout = stdout
        self.stderr = stderr

    def event(self, obj):
        """Writes one protocol line and flushes it: the harness reads line by line."""
        self.stdout.write(wire.mask(json.dumps({"v": 1, **obj}, separators=(",", ":"))) + "\n")
        self.stdout.flush()

    def note(self, text):
        """A terminal note, recorded by the harness in the transcript."""
        self.event({"event": "note", "text": text})

    def log(self, text):
        """A line for people, on stderr."""
        self.stderr.write(wire.mask(f"{NAME}: {text}") + "\n")
        self.stderr.flush()


class ReversalNotDone(Exception):
    """One reversal send that did not end with an acknowledgement, and why."""


class Terminal:
    """The terminal. Its attributes are RAM (lost at a power cycle); State is its flash."""

    def __init__(self, cfg, out, no_reversal=False):
        self.cfg = cfg
        self.out = out
        self.state = State(cfg.state_dir)
        self.no_reversal = no_reversal
        self.ids = (cfg.terminal_id, cfg.merchant_id)
        # Index into cfg.hosts of the host that last took a connection: tried first next time.
        self.preferred = 0

    # ----- commands -------------------------------------------------------------------------

    def boot(self):
        """After a restart a reversal left pending is sent before anything else."""
        rec = self.state.pending_reversal()
        if rec:
            self.out.note(f"boot: reversal of STAN {rec['stan']} pending from before the restart")
            self.send_pending_reversal(None)

    def handle(self, raw):
        """Runs one stdin line; False when the terminal should exit."""
        try:
            cmd = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            self.reject(None, f"not a JSON object: {e}")
            return True
        if not isinstance(cmd, dict):
            self.reject(None, "not a JSON object")
            return True
        if cmd.get("v") != 1:
            self.reject(cmd.get("id"), f"\"v\" is {cmd.get('v')!r}; this terminal speaks version 1")
            return True
        op = cmd.get("op")
        if op == "shutdown":
            return False
        if op not in ("sale", "refund", "auth", "settle"):
            self.reject(cmd.get("id"), f"op {op!r} is not supported; expected sale, refund, auth, settle or shutdown")
            return True
        if not isinstance(cmd.get("id"), str) or not cmd["id"]:
            self.reject(None, f"{op} without an \"id\" string")
            return True
        if op == "settle":
            self.settle(cmd["id"])
            return True
        problem = check_transaction(cmd)
        if problem:
            self.reject(cmd["id"], problem)
            return True
        self.transact(cmd)
        return True

    def reject(self, txn, why):
        """A command this terminal cannot carry out: said on stderr and as a note, no outcome
        (the protocol has none for a command that never reached the host)."""
        text = f"command {txn or '(no id)'} rejected: {why}"
        self.out.log(text)
        self.out.note(text)

    def transact(self, cmd):
        """A sale, refund or pre-authorisation."""
        cfg, op, txn = self.cfg, cmd["op"], cmd["id"]
        self.send_pending_reversal(None)
        stan = self.state.next_stan()
        req = wire.financial(op, self.ids, stan, cmd["card"], cmd["amount"], cmd.get("currency"))
        self.out.note(
            f"{op} {txn}: STAN {stan}, {req['t']} amount {cmd['amount']}, card {wire.mask_pan(cmd['card']['pan'])}"
        )
        record = {"txn": txn, "stan": stan, "message": wire.reversal(req, "98")}
        if cfg.reversal_save == "before_send":
            self.state.save_reversal(record)
        try:
            link = self.open(f"STAN {stan}")
        except wire.ConnectFailed as e:
            # Nothing reached the host: nothing to reverse.
            self.out.note(f"STAN {stan}: {e}")
            self.state.clear_reversal(stan)
            return self.failed(txn, stan, "connect", "none")
        try:
            link.send(req)
        except wire.Lost as e:
            self.out.note(f"STAN {stan}: {e}")
            link.close()
            return self.fail(txn, req, None, "no_response", "98")
        if cfg.reversal_save == "after_send":
            self.state.save_reversal(record)
        try:
            rsp = link.receive(time.monotonic() + cfg.response_timeout)
        except wire.Timeout:
            self.out.note(f"timeout: no reply to STAN {stan} within {cfg.response_timeout * 1000:.0f}ms")
            if self.no_reversal:
                # The known bug, on purpose: forget the sale instead of reversing it.
                link.close()
                self.state.clear_reversal(stan)
                return self.failed(txn, stan, "no_response", "none")
            return self.fail(txn, req, link, "no_response", "98")
        except wire.Lost as e:
            self.out.note(f"STAN {stan}: {e}")
            link.close()
            return self.fail(txn, req, None, "no_response", "98")
        except wire.Invalid as e:
            self.out.note(f"invalid reply to STAN {stan}: {e}")
            link.close()
            return self.fail(txn, req, None, "invalid_reply", "06")
        try:
            rc = wire.check_reply(req, rsp)
        except wire.Invalid as e:
            self.out.note(f"invalid reply to STAN {stan}: {e}")
            return self.fail(txn, req, link, "invalid_reply", "06")
        link.close()
        self.state.clear_reversal(stan)
        if rc == "00" and op != "auth":
            # A pre-authorisation only holds funds; it is not part of the batch.
            self.state.batch_add(
                {"stan": stan, "date": req["13"], "amount": int(req["4"]), "processing": req["3"]}
            )
        return self.answered(txn, stan, rc)

    def settle(self, txn):
        """Settlement: a pending reversal first (it changes the totals), then the 0500 with the
        batch totals. 00 closes the batch; 95 (totals differ) uploads every transaction (0320)
        and closes it, as field terminals do."""
        self.send_pending_reversal(None)
        batch = self.state.batch()
        stan = self.state.next_stan()
        debits = [b for b in batch if not b["processing"].startswith("20")]
        credits = [b for b in batch if b["processing"].startswith("20")]
        totals = {
            "debits": len(debits),
            "debit_amount": sum(b["amount"] for b in debits),
            "credits": len(credits),
            "credit_amount": sum(b["amount"] for b in credits),
        }
        req = wire.settlement(self.ids, stan, totals)
        self.out.note(
            f"settle {txn}: STAN {stan}, debits {totals['debits']} / {money(totals['debit_amount'])}, "
            f"credits {totals['credits']} / {money(totals['credit_amount'])}"
        )
        try:
            link = self.open(f"STAN {stan}")
        except wire.ConnectFailed as e:
            self.out.note(f"STAN {stan}: {e}")
            return self.failed(txn, stan, "connect", "none")
        try:
            link.send(req)
            rc = wire.check_reply(req, link.receive(time.monotonic() + self.cfg.response_timeout))
        except (wire.Timeout, wire.Lost) as e:
            self.out.note(f"settlement STAN {stan}: {str(e) or 'no reply in time'}")
            return self.failed(txn, stan, "no_response", "none")
        except wire.Invalid as e:
            self.out.note(f"invalid reply to settlement STAN {stan}: {e}")
            return self.failed(txn, stan, "invalid_reply", "none")
        finally:
            link.close()
        display = None
        if rc == "00":
            self.state.batch_clear()
            display = f"SETTLED {len(batch)} TXNS"
        elif rc == "95":
            uploaded = self.upload(batch)
            self.state.batch_clear()
            display = f"TOTALS DIFFER (95): BATCH UPLOADED {uploaded}/{len(batch)}"
        return self.answered(txn, stan, rc, display)

    def upload(self, batch):
        """Batch upload, one 0320 per transaction on one connection; how many were acked."""
        try:
            link = self.open("batch upload")
        except wire.ConnectFailed as e:
            self.out.note(f"batch upload: {e}")
            return 0
        acked = 0
        try:
            for item in batch:
                msg = wire.upload(self.ids, item)
                link.send(msg)
                wire.check_reply(msg, link.receive(time.monotonic() + self.cfg.response_timeout))
                acked += 1
        except (wire.Timeout, wire.Lost, wire.Invalid) as e:
            self.out.note(f"batch upload stopped after {acked}: {str(e) or 'no reply in time'}")
        finally:
            link.close()
        return acked

    # ----- reversal -------------------------------------------------------------------------

    def fail(self, txn, req, link, reason, rc):
        """The outcome is unknown: make the stored reversal due with reason `rc`, send it
        (first on `link`, the request's own connection, when it is still usable, so a late
        reply is seen and ignored), and report."""
        stan = req["11"]
        rec = self.state.pending_reversal()
        if rec is None or rec["stan"] != stan:
            # after_send, and the send itself failed: the host may still have the request.
            self.state.save_reversal({"txn": txn, "stan": stan, "message": wire.reversal(req, rc)})
        self.state.set_reversal_reason(stan, rc)
        self.out.note(f"reversal of STAN {stan} queued, reason {rc}")
        if self.send_pending_reversal(link):
            state = "acknowledged"
        elif self.state.pending_reversal():
            state = "pending"
        else:
            state = "none"
        return self.failed(txn, stan, reason, state)

    def send_pending_reversal(self, link):
        """Sends the stored reversal until acknowledged or out of sends (1 + retries, the
        interval apart). True when none is pending afterwards because it was acknowledged (or
        there was none); the record is kept otherwise, for the next transaction."""
        rec = self.state.pending_reversal()
        if rec is None:
            if link is not None:
                link.close()
            return True
        attempts = 1 + self.cfg.reversal_retries
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                time.sleep(self.cfg.reversal_interval)
            self.out.note(f"reversal of STAN {rec['stan']} sent (attempt {attempt})")
            try:
                rc = self.reversal_exchange(rec, link)
            except ReversalNotDone as why:
                self.out.note(f"reversal of STAN {rec['stan']} attempt {attempt} not acknowledged: {why}")
                continue
            finally:
                link = None
            self.state.clear_reversal(rec["stan"])
            self.out.note(f"reversal of STAN {rec['stan']} acknowledged, RC {rc}")
            return True
        self.out.note(f"reversal of STAN {rec['stan']} still pending after {attempts} sends")
        return False

    def reversal_exchange(self, rec, link):
        """One 0400 send and the wait for its 0410; the RC when the host took it. A reply to
        the original arriving now is late: noted and ignored, the reversal stands."""
        stan = rec["stan"]
        if link is None:
            try:
                link = self.open(f"reversal of STAN {stan}")
            except wire.ConnectFailed as e:
                raise ReversalNotDone(str(e)) from e
        try:
            link.send(rec["message"])
            deadline = time.monotonic() + self.cfg.response_timeout
            while True:
                rsp = link.receive(deadline)
                mti, rsp_stan = rsp.get("t", ""), rsp.get("11", "")
                if mti == "0410" and rsp_stan == stan:
                    rc = rsp.get("39", "")
                    if rc in wire.REVERSAL_DONE:
                        return rc
                    raise ReversalNotDone(f"host answered RC {rc}: not reversed yet")
                if wire.is_request(mti) or rsp_stan != stan:
                    raise ReversalNotDone(f"reply {mti} STAN {rsp_stan} does not answer the reversal")
                self.out.note(
                    f"late reply {mti} to STAN {stan} (RC {rsp.get('39', 'none')}) after the timeout: ignored"
                )
        except wire.Timeout as e:
            raise ReversalNotDone(f"no reply within {self.cfg.response_timeout * 1000:.0f}ms") from e
        except (wire.Lost, wire.Invalid) as e:
            raise ReversalNotDone(str(e)) from e
        finally:
            link.close()

    # ----- connections ----------------------------------------------------------------------

    def open(self, what):
        """A connection to the host that last worked, else the other one (backup), each dial
        bounded by the connect timeout; after a round of failed dials, wait and redial up to
        connect_retries times. The wait starts at 1/30 of the connect timeout (1 s for 30 s),
        doubles each round and never exceeds the connect timeout, so it scales with it."""
        cfg = self.cfg
        order = [self.preferred] + [i for i in range(len(cfg.hosts)) if i != self.preferred]
        wait = cfg.connect_timeout / 30
        errors = []
        for attempt in range(1 + cfg.connect_retries):
            if attempt:
                self.out.note(f"{what}: redial {attempt} of {cfg.connect_retries} in {wait * 1000:.0f}ms")
                time.sleep(wait)
                wait = min(wait * 2, cfg.connect_timeout)
            for i in order:
                host, port = cfg.hosts[i]
                try:
                    sock = socket.create_connection((host, port), timeout=cfg.connect_timeout or None)
                except OSError as e:
                    errors.append(f"{host}:{port}: {e}")
                    self.out.note(f"{what}: connect to {host}:{port} failed: {e}")
                    continue
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if i != self.preferred:
                    self.out.note(f"{what}: now using {'backup' if i else 'primary'} host {host}:{port}")
                self.preferred = i
                return wire.Link(sock, cfg.dialect, cfg.framing)
        raise wire.ConnectFailed(f"could not connect ({'; '.join(errors[-len(order):])})")

    # ----- outcomes -------------------------------------------------------------------------

    def answered(self, txn, stan, rc, display=None):
        """A valid reply came: approved on 00, declined otherwise."""
        approved = rc == "00"
        self.out.event(
            {
                "event": "outcome",
                "id": txn,
                "result": "approved" if approved else "declined",
                "stan": stan,
                "rc": rc,
                "display": display or ("APPROVED" if approved else f"DECLINED ({rc})"),
            }
        )

    def failed(self, txn, stan, reason, reversal):
        """No valid reply: the outcome is unknown to the terminal."""
        what = {"no_response": "NO RESPONSE", "invalid_reply": "INVALID REPLY", "connect": "NO CONNECTION"}[reason]
        tail = {"acknowledged": ", REVERSED", "pending": ", REVERSAL PENDING", "none": ""}[reversal]
        self.out.event(
            {
                "event": "outcome",
                "id": txn,
                "result": "failed",
                "stan": stan,
                "reason": reason,
                "reversal": reversal,
                "display": f"FAILED: {what}{tail}",
            }
        )


def money(minor):
    """Minor units as a decimal string with two decimals."""
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"


def check_transaction(cmd):
    """What is wrong with a sale / refund / auth command, or None."""
    try:
        wire.amount_field(cmd.get("amount"))
    except ValueError as e:
        return str(e)
    currency = cmd.get("currency")
    if currency is not None and not (isinstance(currency, str) and len(currency) == 3 and currency.isdigit()):
        return f"currency {currency!r} is not a 3-digit ISO 4217 numeric code, e.g. \"156\""
    card = cmd.get("card")
    if not isinstance(card, dict):
        return "no \"card\" object"
    pan = card.get("pan")
    if not (isinstance(pan, str) and pan.isdigit() and 13 <= len(pan) <= 19):
        return "card.pan is not a string of 13 to 19 digits"
    entry = card.get("entry", "chip")
    if entry not in wire.ENTRY_MODES:
        return f"card.entry {entry!r} is unknown; expected one of {', '.join(wire.ENTRY_MODES)}"
    expiry = card.get("expiry")
    if expiry is not None and not (isinstance(expiry, str) and len(expiry) == 4 and expiry.isdigit()):
        return "card.expiry is not YYMM (4 digits)"
    pin = card.get("pin")
    if pin is not None and not (isinstance(pin, str) and pin.isdigit() and 4 <= len(pin) <= 12):
        return "card.pin is not 4 to 12 digits"
    return None


def main(argv=None, env=None, stdin=None, stdout=None, stderr=None):
    """Runs the terminal until shutdown or end of input; the exit code."""
    env = os.environ if env is None else env
    stdin = sys.stdin.buffer if stdin is None else stdin
    out = Output(stdout or sys.stdout, stderr or sys.stderr)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--no-reversal",
        action="store_true",
        help="the known bug 'no reversal on timeout': forget a sale whose reply timed out, so "
        "posfault's reversal check can be seen to catch it",
    )
    args = parser.parse_args(argv)
    try:
        cfg = Config(env)
    except UsageError as e:
        out.log(str(e))
        return EXIT_USAGE
    terminal = Terminal(cfg, out, no_reversal=args.no_reversal)
    import iso8583  # for its version in the ready line

    out.event({"event": "ready", "terminal": f"{NAME} {VERSION} (pyiso8583 {getattr(iso8583, '__version__', '4')})"})
    if args.no_reversal:
        out.note("started with --no-reversal: timed-out sales are NOT reversed (known-bug mode)")
    terminal.boot()
    for raw in stdin:
        if not raw.strip():
            continue
        try:
            if not terminal.handle(raw):
                break
        except (BrokenPipeError, KeyboardInterrupt):
            raise
        except Exception as e:  # a bug must not take the terminal down: its flash is consistent
            out.log("internal error, command abandoned:\n" + traceback.format_exc())
            out.note(f"internal error, command abandoned: {type(e).__name__}: {e}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (BrokenPipeError, KeyboardInterrupt):
        # The harness went away or the user pressed Ctrl-C: nothing left to tell anyone.
        sys.exit(0)
