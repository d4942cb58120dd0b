"""Tests of terminal.py through the adapter protocol only: the terminal runs as a child process
(as posfault runs it), a fake host listens on 127.0.0.1 on an ephemeral port, and every test
reads what the terminal printed and what the host received.

Run: python -m unittest discover -s examples/python-terminal   (needs pyiso8583 4.x)
"""

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import iso8583
import iso8583.specs

HERE = os.path.dirname(os.path.abspath(__file__))
TERMINAL = os.path.join(HERE, "terminal.py")
PAN = "4761739001010010"  # Luhn-valid test card, as in posfault's scenarios
SPECS = {"iso87": iso8583.specs.default, "iso87-ascii": iso8583.specs.default_ascii}
WAIT = 10  # seconds any single expected thing may take before a test fails


def reply(req, rc="00", **fields):
    """A host's answer to `req`: MTI + 10, identifying fields echoed, RC in field 39."""
    mti = req["t"][:2] + format(int(req["t"][2:]) + 10, "02d")
    doc = {"t": mti, "39": rc}
    for n in ("3", "4", "11", "12", "13", "41", "42"):
        if n in req:
            doc[n] = req[n]
    if rc == "00" and req["t"] in ("0100", "0200"):
        doc["38"] = "A1B2C3"
    doc.update(fields)
    return doc


def approve_all(req):
    """A host that approves every request and acknowledges every reversal."""
    return [reply(req)]


class FakeHost:
    """A host on 127.0.0.1 that records every message it reads and answers with whatever
    `respond(doc)` returns (a list of messages, possibly empty = silence). Its framing code is
    its own, not the terminal's, so a framing bug in the terminal cannot hide."""

    def __init__(self, respond=approve_all, dialect="iso87", framing="u16be"):
        self.respond = respond
        self.spec = SPECS[dialect]
        self.framing = framing
        self.received = []
        self.times = []  # time.monotonic() at which each message was read
        self.connections = 0
        self.cond = threading.Condition()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.addr = "127.0.0.1:%d" % self.server.getsockname()[1]
        self.conns = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with self.cond:
                self.connections += 1
                self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _read(self, conn, n):
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _serve(self, conn):
        head_len = 4 if self.framing == "ascii4" else 2
        try:
            while True:
                head = self._read(conn, head_len)
                if head is None:
                    return
                if self.framing == "u16be":
                    length = int.from_bytes(head, "big")
                elif self.framing == "bcd2":
                    length = int(head.hex())
                else:
                    length = int(head.decode("ascii"))
                body = self._read(conn, length)
                if body is None:
                    return
                doc, _ = iso8583.decode(body, self.spec)
                with self.cond:
                    self.received.append(doc)
                    self.times.append(time.monotonic())
                    self.cond.notify_all()
                for out in self.respond(doc):
                    if isinstance(out, bytes):
                        conn.sendall(out)
                        continue
                    raw, _ = iso8583.encode(dict(out), self.spec)
                    raw = bytes(raw)
                    n = len(raw)
                    if self.framing == "u16be":
                        head = n.to_bytes(2, "big")
                    elif self.framing == "bcd2":
                        head = bytes.fromhex(format(n, "04d"))
                    else:
                        head = format(n, "04d").encode("ascii")
                    conn.sendall(head + raw)
        except OSError:
            return
        finally:
            conn.close()

    def wait_for(self, count):
        """The first `count` messages received, waiting for them if need be."""
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.received) >= count, timeout=WAIT):
                raise AssertionError(f"host got {len(self.received)} messages, expected {count}: {self.mtis()}")
            return list(self.received[:count])

    def mtis(self):
        """(MTI, STAN) of everything received so far."""
        with self.cond:
            return [(d["t"], d.get("11")) for d in self.received]

    def close(self):
        self.server.close()
        with self.cond:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()


class Terminal:
    """terminal.py as a child process in its own process group, as the harness runs it."""

    def __init__(self, host_addr, state_dir, *args, **env):
        self.env = dict(os.environ)
        self.env.update(
            {
                "POSFAULT_ADAPTER": "1",
                "POSFAULT_HOST": host_addr,
                "POSFAULT_STATE_DIR": state_dir,
                "POSFAULT_DIALECT": "iso87",
                "POSFAULT_FRAMING": "u16be",
                "POSFAULT_TERMINAL_ID": "TERM0001",
                "POSFAULT_MERCHANT_ID": "MERCHANT0000001",
                "POSFAULT_RESPONSE_TIMEOUT_MS": "400",
                "POSFAULT_CONNECT_TIMEOUT_MS": "500",
                "POSFAULT_CONNECT_RETRIES": "1",
                "POSFAULT_REVERSAL_RETRIES": "2",
                "POSFAULT_REVERSAL_INTERVAL_MS": "100",
                "POSFAULT_REVERSAL_SAVE": "before_send",
            }
        )
        self.env.update({k: v for k, v in env.items() if v is not None})
        for k, v in env.items():
            if v is None:
                self.env.pop(k, None)
        self.proc = subprocess.Popen(
            [sys.executable, TERMINAL, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.env,
            cwd=HERE,
            start_new_session=True,
        )
        self.lines = queue.Queue()
        self.stdout = []
        self.stderr = []
        self.pumps = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.stdout, True), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr, False), daemon=True),
        ]
        for pump in self.pumps:
            pump.start()

    def _pump(self, stream, keep, parse):
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            keep.append(line)
            if parse:
                self.lines.put(line)
        stream.close()

    def next_event(self, kind):
        """The next stdout object with "event": kind, skipping others (notes)."""
        deadline = time.monotonic() + WAIT
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                raise AssertionError(f"no {kind} event within {WAIT}s; stdout so far: {self.stdout}") from None
            obj = json.loads(line)
            if obj.get("event") == kind:
                return obj

    def send(self, obj):
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())
        self.proc.stdin.flush()

    def sale(self, txn, amount="12.34", op="sale", **card):
        card = {"pan": PAN, "expiry": "2812", "entry": "chip", "pin": "1234", **card}
        self.send({"v": 1, "id": txn, "op": op, "amount": amount, "currency": "156", "card": card})
        return self.next_event("outcome")

    def notes(self):
        return [json.loads(line)["text"] for line in self.stdout if '"event":"note"' in line]

    def kill9(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(WAIT)

    def shutdown(self):
        """Asks the terminal to stop (kills it if it does not), closes its pipes; exit code."""
        if self.proc.poll() is None:
            try:
                self.send({"v": 1, "op": "shutdown"})
            except (OSError, ValueError):  # the pipe is broken or already closed
                pass
            try:
                self.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.kill9()
        if not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        for pump in self.pumps:
            pump.join(WAIT)
        return self.proc.returncode


class TerminalTest(unittest.TestCase):
    """Common setup: a fresh state dir; everything started is stopped at the end."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.state = self.tmp.name
        self.terminals = []
        self.hosts = []

    def tearDown(self):
        for t in self.terminals:
            t.shutdown()
            # Whatever happened, no line the terminal printed carries the full card number.
            for line in t.stdout + t.stderr:
                self.assertNotIn(PAN, line)
                self.assertNotIn('"1234"', line)
        for h in self.hosts:
            h.close()
        self.tmp.cleanup()

    def host(self, respond=approve_all, **kw):
        h = FakeHost(respond, **kw)
        self.hosts.append(h)
        return h

    def terminal(self, host, *args, **env):
        t = Terminal(host.addr if host else "127.0.0.1:9", self.state, *args, **env)
        self.terminals.append(t)
        ready = t.next_event("ready")
        self.assertIn("posfault-python-terminal", ready["terminal"])
        return t

    def pending_reversal(self):
        path = os.path.join(self.state, "reversal.json")
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return json.load(f)


def pin_from_block(block_hex, pan):
    """Decodes an ISO format-0 PIN block the way posfault's host does (host/pin.rs)."""
    pan_field = int("0000" + pan[-13:-1], 16)
    clear = format(int(block_hex, 16) ^ pan_field, "016X")
    n = int(clear[1], 16)
    assert clear[0] == "0" and clear[2 + n:] == "F" * (14 - n), clear
    return clear[2:2 + n]


class Sale(TerminalTest):
    def test_approved_sale_sends_the_reference_fields_and_is_reported_approved(self):
        host = self.host()
        t = self.terminal(host)
        out = t.sale("t1")
        self.assertEqual(
            (out["id"], out["result"], out["stan"], out["rc"]), ("t1", "approved", "000001", "00")
        )
        (req,) = host.wait_for(1)
        self.assertEqual(req["t"], "0200")
        for n in ("2", "3", "4", "7", "11", "12", "13", "14", "22", "41", "42", "49", "52"):
            self.assertIn(n, req, f"field {n}")
        self.assertEqual(
            (req["2"], req["3"], req["4"], req["11"], req["14"], req["22"], req["41"], req["42"]),
            (PAN, "000000", "000000001234", "000001", "2812", "051", "TERM0001", "MERCHANT0000001"),
        )
        self.assertEqual(req["7"][:4], req["13"], "field 7's date is field 13")
        self.assertEqual(req["7"][4:], req["12"])
        self.assertEqual(pin_from_block(req["52"], PAN), "1234")
        self.assertIsNone(self.pending_reversal(), "a valid reply deletes the reversal record")
        with open(os.path.join(self.state, "batch.json")) as f:
            self.assertEqual([(b["stan"], b["amount"]) for b in json.load(f)], [("000001", 1234)])

    def test_refund_and_auth_carry_their_processing_code_and_mti_and_stans_increase(self):
        host = self.host()
        t = self.terminal(host)
        self.assertEqual(t.sale("r1", op="refund", entry="swipe", pin=None)["result"], "approved")
        self.assertEqual(t.sale("a1", op="auth", entry="contactless")["stan"], "000002")
        refund, auth = host.wait_for(2)
        self.assertEqual((refund["t"], refund["3"], refund["22"]), ("0200", "200000", "021"))
        self.assertNotIn("52", refund)
        self.assertEqual((auth["t"], auth["3"], auth["11"], auth["22"]), ("0100", "000000", "000002", "071"))

    def test_an_empty_keep_alive_frame_before_the_reply_is_skipped(self):
        host = self.host(lambda req: [b"\x00\x00", reply(req)])
        t = self.terminal(host)
        self.assertEqual(t.sale("t1")["result"], "approved")

    def test_a_decline_is_reported_with_its_code_and_needs_no_reversal(self):
        host = self.host(lambda req: [reply(req, "51")])
        t = self.terminal(host)
        out = t.sale("t1")
        self.assertEqual((out["result"], out["rc"]), ("declined", "51"))
        self.assertIsNone(self.pending_reversal())
        t.sale("t2")
        host.wait_for(2)
        self.assertEqual(host.mtis(), [("0200", "000001"), ("0200", "000002")], "no reversal of a decline")

    def test_ascii_dialect_in_ascii4_frames_and_bcd2_frames_work_end_to_end(self):
        for dialect, framing in (("iso87-ascii", "ascii4"), ("iso87", "bcd2"), ("iso87-ascii", "u16be")):
            with self.subTest(dialect=dialect, framing=framing):
                host = self.host(dialect=dialect, framing=framing)
                t = self.terminal(host, POSFAULT_DIALECT=dialect, POSFAULT_FRAMING=framing)
                out = t.sale("t1")
                self.assertEqual(out["result"], "approved")
                (req,) = host.wait_for(1)
                self.assertEqual(pin_from_block(req["52"], PAN), "1234")
                t.shutdown()


class Reversal(TerminalTest):
    def test_timeout_sends_the_reversal_at_once_and_reports_it_acknowledged(self):
        host = self.host(lambda req: [] if req["t"] == "0200" else [reply(req)])
        t = self.terminal(host)
        out = t.sale("t1")
        self.assertEqual(
            (out["result"], out["reason"], out["reversal"]), ("failed", "no_response", "acknowledged")
        )
        sale, rev = host.wait_for(2)
        self.assertEqual((rev["t"], rev["11"], rev["39"]), ("0400", "000001", "98"))
        self.assertEqual(rev["90"], "0200" + "000001" + sale["7"] + "0" * 22)
        self.assertEqual((rev["2"], rev["4"], rev["41"]), (sale["2"], sale["4"], sale["41"]))
        self.assertNotIn("52", rev, "the PIN block is never resent")
        self.assertEqual(host.connections, 1, "the first reversal goes on the sale's own connection")
        self.assertIsNone(self.pending_reversal())

    def test_a_reply_after_the_timeout_is_ignored_and_noted(self):
        # The approval arrives only after the terminal gave up and sent its reversal.
        def late(req):
            if req["t"] == "0400":
                return [reply(dict(req, t="0200")), reply(req)]
            return []

        host = self.host(late)
        t = self.terminal(host)
        out = t.sale("t1")
        self.assertEqual((out["result"], out["reversal"]), ("failed", "acknowledged"))
        self.assertTrue(any(n.startswith("late reply 0210 to STAN 000001") for n in t.notes()), t.notes())

    def test_invalid_reply_is_reversed_with_reason_06(self):
        for name, bad in (("STAN", {"11": "999999"}), ("amount", {"4": "000000009999"}), ("MTI", {"t": "0110"})):
            with self.subTest(name):
                host = self.host(lambda req, bad=bad: [reply(req, **bad)] if req["t"] == "0200" else [reply(req)])
                t = self.terminal(host)
                out = t.sale("t1")
                self.assertEqual(
                    (out["result"], out["reason"], out["reversal"]), ("failed", "invalid_reply", "acknowledged")
                )
                rev = host.wait_for(2)[1]
                self.assertEqual((rev["t"], rev["39"]), ("0400", "06"))
                t.shutdown()

    def test_garbage_reply_is_reversed_with_reason_06_on_a_new_connection(self):
        host = self.host(lambda req: [b"\x00\x04junk"] if req["t"] == "0200" else [reply(req)])
        t = self.terminal(host)
        out = t.sale("t1")
        self.assertEqual((out["reason"], out["reversal"]), ("invalid_reply", "acknowledged"))
        self.assertEqual(host.wait_for(2)[1]["39"], "06")
        self.assertEqual(host.connections, 2)

    def test_connection_closed_after_the_send_is_reversed_with_reason_98(self):
        def hang_up(req):
            if req["t"] == "0200":
                raise ConnectionAbortedError("the fake host closes the connection")
            return [reply(req)]

        host = self.host(hang_up)
        t = self.terminal(host)
        out = t.sale("t1")
        self.assertEqual((out["reason"], out["reversal"]), ("no_response", "acknowledged"))
        rev = host.wait_for(2)[1]
        self.assertEqual((rev["t"], rev["39"]), ("0400", "98"))

    def test_unacknowledged_reversal_is_retried_then_pending_then_sent_before_the_next_sale(self):
        busy = {"on": True}

        def respond(req):
            if req["t"] == "0400":
                return [reply(req, "96" if busy["on"] else "00")]
            return [] if req["11"] == "000001" else [reply(req)]

        host = self.host(respond)
        t = self.terminal(host)
        out = t.sale("t1")
        self.assertEqual((out["reason"], out["reversal"]), ("no_response", "pending"))
        # One send plus POSFAULT_REVERSAL_RETRIES=2 resends, every one answered 96.
        self.assertEqual(host.mtis(), [("0200", "000001")] + [("0400", "000001")] * 3)
        gaps = [b - a for a, b in zip(host.times[1:], host.times[2:4])]
        self.assertTrue(all(g >= 0.1 for g in gaps), f"resends {gaps} s apart; the interval is 100 ms")
        self.assertEqual(self.pending_reversal()["stan"], "000001")
        busy["on"] = False
        self.assertEqual(t.sale("t2")["result"], "approved")
        self.assertEqual(host.mtis()[4:], [("0400", "000001"), ("0200", "000002")])
        self.assertIsNone(self.pending_reversal())

    def test_after_send_policy_still_reverses_a_timeout(self):
        host = self.host(lambda req: [] if req["t"] == "0200" else [reply(req)])
        t = self.terminal(host, POSFAULT_REVERSAL_SAVE="after_send")
        out = t.sale("t1")
        self.assertEqual((out["reason"], out["reversal"]), ("no_response", "acknowledged"))
        self.assertEqual(host.wait_for(2)[1]["t"], "0400")

    def test_no_reversal_flag_forgets_a_timed_out_sale(self):
        host = self.host(lambda req: [] if req["11"] == "000001" else [reply(req)])
        t = self.terminal(host, "--no-reversal")
        out = t.sale("t1")
        self.assertEqual(
            (out["result"], out["reason"], out["reversal"]), ("failed", "no_response", "none")
        )
        self.assertEqual(t.sale("t2")["result"], "approved")
        self.assertEqual(host.mtis(), [("0200", "000001"), ("0200", "000002")], "no 0400 was ever sent")
        self.assertIsNone(self.pending_reversal())


class PowerCycle(TerminalTest):
    def test_pending_reversal_survives_kill_9_and_goes_before_the_next_sale(self):
        up = {"reversals": False}

        def respond(req):
            if req["t"] == "0400":
                return [reply(req)] if up["reversals"] else []
            return [] if req["11"] == "000001" else [reply(req)]

        host = self.host(respond)
        t = self.terminal(host, POSFAULT_REVERSAL_RETRIES="0")
        out = t.sale("t1")
        self.assertEqual(out["reversal"], "pending")
        t.kill9()
        self.assertEqual(self.pending_reversal()["stan"], "000001")
        up["reversals"] = True
        t2 = self.terminal(host)
        out = t2.sale("t2")
        self.assertEqual((out["result"], out["stan"]), ("approved", "000002"))
        self.assertEqual(
            host.mtis(), [("0200", "000001"), ("0400", "000001"), ("0400", "000001"), ("0200", "000002")]
        )
        self.assertIsNone(self.pending_reversal())

    def test_kill_9_while_waiting_for_the_reply_leaves_the_reversal_due_and_the_stan_used(self):
        host = self.host(lambda req: [] if req["11"] == "000001" and req["t"] == "0200" else [reply(req)])
        t = self.terminal(host, POSFAULT_RESPONSE_TIMEOUT_MS="60000")
        t.send({"v": 1, "id": "t1", "op": "sale", "amount": "5.00", "card": {"pan": PAN, "entry": "chip"}})
        host.wait_for(1)
        t.kill9()  # mid-wait: no outcome, as after a power cut
        rec = self.pending_reversal()
        self.assertEqual((rec["stan"], rec["message"]["39"]), ("000001", "98"))
        t2 = self.terminal(host)
        rev = host.wait_for(2)[1]
        self.assertEqual((rev["t"], rev["11"]), ("0400", "000001"), "the reversal is the first thing after reboot")
        self.assertEqual(t2.sale("t2")["stan"], "000002", "a STAN is never reused across restarts")


class Settlement(TerminalTest):
    def test_settlement_sends_batch_totals_and_closes_the_batch(self):
        host = self.host()
        t = self.terminal(host)
        t.sale("t1", amount="12.34")
        t.sale("t2", amount="1.00")
        t.sale("r1", op="refund", amount="2.50")
        t.sale("a1", op="auth", amount="99.00")
        t.send({"v": 1, "id": "s1", "op": "settle"})
        out = t.next_event("outcome")
        self.assertEqual((out["id"], out["result"], out["rc"], out["stan"]), ("s1", "approved", "00", "000005"))
        settle = host.wait_for(5)[4]
        self.assertEqual(
            (settle["t"], settle["3"], settle["74"], settle["76"], settle["86"], settle["88"]),
            ("0500", "920000", "0000000001", "0000000002", "0000000000000250", "0000000000001334"),
        )
        self.assertFalse(os.path.exists(os.path.join(self.state, "batch.json")))

    def test_totals_mismatch_uploads_the_batch(self):
        host = self.host(lambda req: [reply(req, "95" if req["t"] == "0500" else "00")])
        t = self.terminal(host)
        t.sale("t1")
        t.send({"v": 1, "id": "s1", "op": "settle"})
        out = t.next_event("outcome")
        self.assertEqual((out["result"], out["rc"]), ("declined", "95"))
        self.assertEqual(host.mtis()[-1], ("0320", "000001"))


class Connections(TerminalTest):
    def test_connect_failure_is_reported_with_nothing_to_reverse(self):
        t = self.terminal(None, POSFAULT_HOST=free_port_addr())
        out = t.sale("t1")
        self.assertEqual((out["result"], out["reason"], out["reversal"]), ("failed", "connect", "none"))
        self.assertIsNone(self.pending_reversal())
        self.assertEqual(sum("connect to" in n for n in t.notes()), 2, "one dial plus one redial")

    def test_backup_host_takes_over_when_the_primary_refuses(self):
        backup = self.host()
        t = self.terminal(None, POSFAULT_HOST=free_port_addr(), POSFAULT_BACKUP_HOST=backup.addr)
        self.assertEqual(t.sale("t1")["result"], "approved")
        self.assertEqual(t.sale("t2")["result"], "approved")
        self.assertEqual(len(backup.wait_for(2)), 2)
        self.assertEqual(sum("connect to" in n for n in t.notes()), 1, "the working host is remembered")


class Protocol(TerminalTest):
    def test_malformed_lines_get_a_note_and_the_terminal_carries_on(self):
        host = self.host()
        t = self.terminal(host)
        for bad in (b"not json\n", b"[1,2]\n", b'{"v":2,"op":"sale"}\n', b'{"v":1,"id":"x","op":"void"}\n',
                    b'{"v":1,"id":"x","op":"sale","amount":"12.3","card":{"pan":"' + PAN.encode() + b'"}}\n'):
            t.proc.stdin.write(bad)
            t.proc.stdin.flush()
        self.assertEqual(t.sale("t1")["result"], "approved")
        rejected = [n for n in t.notes() if "rejected" in n]
        self.assertEqual(len(rejected), 5, rejected)
        self.assertEqual(host.mtis(), [("0200", "000001")], "nothing bad reached the host, no STAN was spent")

    def test_an_internal_error_is_noted_and_the_terminal_stays_up(self):
        with open(os.path.join(self.state, "stan"), "w") as f:
            f.write("garbage")  # flash corrupted behind the terminal's back
        t = self.terminal(self.host())
        t.send({"v": 1, "id": "t1", "op": "sale", "amount": "1.00", "card": {"pan": PAN}})
        note = t.next_event("note")
        while "internal error" not in note["text"]:
            note = t.next_event("note")
        self.assertIn("ValueError", note["text"])
        self.assertEqual(t.shutdown(), 0)

    def test_end_of_input_is_a_shutdown(self):
        t = self.terminal(self.host())
        t.proc.stdin.close()
        self.assertEqual(t.proc.wait(WAIT), 0)

    def test_unsupported_protocol_version_and_cup_dialect_exit_2(self):
        for env, says in (({"POSFAULT_ADAPTER": "2"}, "version 1"), ({"POSFAULT_DIALECT": "cup"}, "cup")):
            with self.subTest(env):
                t = Terminal("127.0.0.1:9", self.state, **env)
                self.assertEqual(t.shutdown(), 2)
                self.assertIn(says, "\n".join(t.stderr))
                self.assertEqual(t.stdout, [], "no ready line")


def free_port_addr():
    """An address on which nothing listens (a port just freed)."""
    s = socket.create_server(("127.0.0.1", 0))
    addr = "127.0.0.1:%d" % s.getsockname()[1]
    s.close()
    return addr


if __name__ == "__main__":
    unittest.main()
