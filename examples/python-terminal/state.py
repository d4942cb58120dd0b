"""The terminal's flash: what survives a power cycle, kept in POSFAULT_STATE_DIR.

    stan           the last STAN used (text), written before the STAN goes out
    reversal.json  the pending reversal: {"txn", "stan", "message": the complete 0400}
    batch.json     the open batch: [{"stan", "date", "amount", "processing"}, ...]

Every write is a new file fsynced and renamed over the old one (then the directory fsynced),
so a kill at any instant leaves either the old or the new content, never a torn file.
The reversal holds the card number, as a terminal's reversal record does; it never leaves
this directory except in the 0400 itself.
"""

import json
import os


class State:
    """One terminal's persistent store."""

    def __init__(self, directory):
        self.dir = directory

    def _path(self, name):
        return os.path.join(self.dir, name)

    def _write(self, name, data):
        tmp = self._path(name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._path(name))
        self._sync_dir()

    def _delete(self, name):
        try:
            os.remove(self._path(name))
        except FileNotFoundError:
            return
        self._sync_dir()

    def _sync_dir(self):
        fd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _read_json(self, name, default):
        try:
            with open(self._path(name), "rb") as f:
                return json.loads(f.read())
        except FileNotFoundError:
            return default

    def next_stan(self):
        """The next STAN, 000001 to 999999 then 000001 again, persisted before it is returned
        so a restart can never hand it out a second time."""
        try:
            with open(self._path("stan"), "rb") as f:
                last = int(f.read().strip() or b"0")
        except FileNotFoundError:
            last = 0
        nxt = last % 999999 + 1
        self._write("stan", str(nxt).encode("ascii"))
        return format(nxt, "06d")

    def pending_reversal(self):
        """The stored reversal record, or None."""
        return self._read_json("reversal.json", None)

    def save_reversal(self, record):
        """Stores a reversal record, replacing any earlier one."""
        self._write("reversal.json", json.dumps(record, sort_keys=True).encode("utf-8"))

    def set_reversal_reason(self, stan, reason):
        """Changes field 39 of the stored reversal for `stan` (98 -> 06 after an invalid reply)."""
        rec = self.pending_reversal()
        if rec and rec["stan"] == stan:
            rec["message"]["39"] = reason
            self.save_reversal(rec)

    def clear_reversal(self, stan):
        """Deletes the reversal record, only if it is the one for `stan`."""
        rec = self.pending_reversal()
        if rec and rec["stan"] == stan:
            self._delete("reversal.json")

    def batch(self):
        """The open batch, oldest first."""
        return self._read_json("batch.json", [])

    def batch_add(self, item):
        """Adds an approved transaction to the open batch."""
        self._write("batch.json", json.dumps(self.batch() + [item], sort_keys=True).encode("utf-8"))

    def batch_clear(self):
        """Closes the batch."""
        self._delete("batch.json")
