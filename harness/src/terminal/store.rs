//! The terminal's persistent store: a small key-value memory that lives outside the simulated
//! node, so it survives a power cycle the way a terminal's flash does. Any terminal can use it
//! (`get`/`put`/`delete`); the reference terminal keeps its STAN counter and reversal record here
//! through the typed helpers below.
//!
//! Outside the simulation (`posfault terminal`) a store opened with [`Store::open`] writes
//! through to a directory on every change, one file per key, each replaced atomically
//! (write a temporary file, fsync, rename), so a SIGKILL at any moment leaves every
//! acknowledged `put` or `delete` on disk and never a half-written value.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use posfault_proxies::wire::{ISO87, Message, decode, encode};

/// A stored reversal: the complete 0400, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReversalRecord {
    /// STAN of the original request.
    pub stan: String,
    /// Transaction id of the original.
    pub txn: String,
    /// The reversal message.
    pub message: Message,
}

/// Shared handle to one terminal's persistent memory. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct Store {
    map: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
    /// Where every change is written through, for a store opened on a directory.
    dir: Option<Arc<PathBuf>>,
}

const STAN_KEY: &str = "reference/last_stan";
const REVERSAL_KEY: &str = "reference/reversal";
const BATCH_KEY: &str = "reference/batch";

/// One approved transaction in the open batch, as settlement and batch upload need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchItem {
    /// Its STAN.
    pub stan: String,
    /// Its local date (field 13), which with the STAN identifies it at the host.
    pub date: String,
    /// Its amount in minor units.
    pub amount: i64,
    /// A refund: settled as a credit (fields 74 and 86), not a debit.
    pub credit: bool,
}

impl Store {
    /// A store kept in `dir` (which must exist): loads what an earlier boot left there and
    /// writes every later change through before returning. Keys map to file names with
    /// anything but `[A-Za-z0-9_.-]` escaped as `%XX`, so `reference/last_stan` is
    /// `reference%2Flast_stan`.
    pub fn open(dir: &Path) -> io::Result<Store> {
        let mut map = BTreeMap::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(key) = name.to_str().and_then(unescape) else {
                continue; // temporary files of an interrupted write, or foreign files
            };
            map.insert(key, std::fs::read(entry.path())?);
        }
        Ok(Store {
            map: Arc::new(Mutex::new(map)),
            dir: Some(Arc::new(dir.to_path_buf())),
        })
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes one key's new state to the directory, under the map's lock so writes of one key
    /// land in order. A failed write is reported on stderr: the terminal keeps running on its
    /// memory, as a real one with failing flash would, and the operator sees why.
    fn write_through(&self, key: &str, value: Option<&[u8]>) {
        let Some(dir) = &self.dir else { return };
        let path = dir.join(escape(key));
        let result = match value {
            Some(v) => write_atomically(&path, v),
            None => match std::fs::remove_file(&path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                other => other,
            },
        };
        if let Err(e) = result {
            eprintln!("store: cannot write {}: {e}", path.display());
        }
    }

    /// The value stored under `key`.
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.lock().get(key).cloned()
    }

    /// Stores `value` under `key`, durably: it survives power cycles.
    pub fn put(&self, key: &str, value: impl Into<Vec<u8>>) {
        let value = value.into();
        let mut map = self.lock();
        self.write_through(key, Some(&value));
        map.insert(key.to_string(), value);
    }

    /// Deletes `key`.
    pub fn delete(&self, key: &str) {
        let mut map = self.lock();
        self.write_through(key, None);
        map.remove(key);
    }

    /// The next STAN (000001 to 999999, then wrapping to 000001), persisted at once.
    pub fn next_stan(&self) -> String {
        let mut map = self.lock();
        let last: u32 = map
            .get(STAN_KEY)
            .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok())
            .unwrap_or(0);
        let next = last % 999_999 + 1;
        let value = next.to_string().into_bytes();
        self.write_through(STAN_KEY, Some(&value));
        map.insert(STAN_KEY.into(), value);
        format!("{next:06}")
    }

    /// Adds an approved sale or refund to the open batch.
    pub fn batch_add(&self, item: BatchItem) {
        let mut bytes = self.get(BATCH_KEY).unwrap_or_default();
        bytes.extend_from_slice(batch_line(&item).as_bytes());
        self.put(BATCH_KEY, bytes);
    }

    /// The open batch, oldest first.
    pub fn batch(&self) -> Vec<BatchItem> {
        let bytes = self.get(BATCH_KEY).unwrap_or_default();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter_map(|l| {
                let mut p = l.split(',');
                Some(BatchItem {
                    stan: p.next()?.to_string(),
                    date: p.next()?.to_string(),
                    amount: p.next()?.parse().ok()?,
                    credit: p.next() == Some("C"),
                })
            })
            .collect()
    }

    /// Takes the item for `stan` out of the open batch: the host refused it for good, so the
    /// terminal's totals must leave it out to agree with the host's.
    pub fn batch_remove(&self, stan: &str) {
        let text: String = self
            .batch()
            .iter()
            .filter(|i| i.stan != stan)
            .map(batch_line)
            .collect();
        if text.is_empty() {
            self.delete(BATCH_KEY);
        } else {
            self.put(BATCH_KEY, text);
        }
    }

    /// Closes the batch.
    pub fn batch_clear(&self) {
        self.delete(BATCH_KEY);
    }

    /// Stores a reversal record: replaces the one for the same STAN, else queues it behind the
    /// others. A terminal allowed to sell while a reversal is pending can owe several at once,
    /// and losing the older one to the newer leaves a cardholder charged.
    pub fn save_reversal(&self, rec: ReversalRecord) {
        let mut all = self.pending_reversals();
        match all.iter_mut().find(|r| r.stan == rec.stan) {
            Some(r) => *r = rec,
            None => all.push(rec),
        }
        self.put_reversals(&all);
    }

    /// The oldest pending reversal, if any: the one to send next.
    pub fn pending_reversal(&self) -> Option<ReversalRecord> {
        self.pending_reversals().into_iter().next()
    }

    /// Every pending reversal, oldest first.
    pub fn pending_reversals(&self) -> Vec<ReversalRecord> {
        self.messages(REVERSAL_KEY)
            .into_iter()
            .map(|(stan, message, txn)| ReversalRecord { stan, txn, message })
            .collect()
    }

    /// Deletes the reversal record for `stan` (only that one).
    pub fn clear_reversal(&self, stan: &str) {
        let mut all = self.pending_reversals();
        all.retain(|r| r.stan != stan);
        self.put_reversals(&all);
    }

    /// Updates the reason (field 39) of the stored reversal for `stan`.
    pub fn set_reversal_reason(&self, stan: &str, reason: &str) {
        let mut all = self.pending_reversals();
        if let Some(r) = all.iter_mut().find(|r| r.stan == stan) {
            r.message.set(39, reason);
            self.put_reversals(&all);
        }
    }

    fn put_reversals(&self, all: &[ReversalRecord]) {
        self.put_messages(
            REVERSAL_KEY,
            all.iter()
                .map(|r| (r.stan.as_str(), &r.message, r.txn.as_str())),
        );
    }

    /// A queue of messages kept under `key`, oldest first: one line per message with its
    /// STAN, the message encoded in iso87 as hex (values are dialect-independent, so any
    /// dialect's message round-trips) and the transaction id last, so a comma in it cannot
    /// shift the other two.
    pub(crate) fn messages(&self, key: &str) -> Vec<(String, Message, String)> {
        let bytes = self.get(key).unwrap_or_default();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter_map(|l| {
                let mut p = l.splitn(3, ',');
                let stan = p.next()?.to_string();
                let message = decode(&ISO87, &from_hex(p.next()?)?).ok()?;
                Some((stan, message, p.next()?.to_string()))
            })
            .collect()
    }

    /// Replaces the queue under `key` (deleting the key when it is empty).
    pub(crate) fn put_messages<'a>(
        &self,
        key: &str,
        all: impl Iterator<Item = (&'a str, &'a Message, &'a str)>,
    ) {
        let text: String = all
            .filter_map(|(stan, message, txn)| {
                let body = encode(&ISO87, message).ok()?;
                Some(format!("{stan},{},{txn}\n", to_hex(&body)))
            })
            .collect();
        if text.is_empty() {
            self.delete(key);
        } else {
            self.put(key, text);
        }
    }
}

/// A batch item as kept in the store: STAN, date, amount, then C for a credit or D for a debit.
fn batch_line(item: &BatchItem) -> String {
    let side = if item.credit { 'C' } else { 'D' };
    format!("{},{},{},{side}\n", item.stan, item.date, item.amount)
}

/// Bytes as upper-case hex, for records kept as text lines.
fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The bytes of a hex string; None if it is not hex.
fn from_hex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A key as a file name: `[A-Za-z0-9_.-]` as is (but not a leading `.`), the rest `%XX`.
fn escape(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for (i, b) in key.bytes().enumerate() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (b == b'.' && i > 0) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The key a file name stands for; `None` for names [`escape`] never makes (temporary files).
fn unescape(name: &str) -> Option<String> {
    if name.starts_with('.') {
        return None;
    }
    let mut out = Vec::with_capacity(name.len());
    let mut bytes = name.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

/// Replaces `path` with `value` so that a crash leaves either the old or the new content.
fn write_atomically(path: &Path, value: &[u8]) -> io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("key");
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(value)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_opened_on_a_directory_keeps_everything_for_the_next_boot() {
        let dir = std::env::temp_dir().join(format!("posfault-store-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let s = Store::open(&dir).unwrap();
        assert_eq!(s.next_stan(), "000001");
        s.put("a key/with:odd chars", "v1");
        s.put("gone", "x");
        s.delete("gone");
        s.batch_add(BatchItem {
            stan: "000001".into(),
            date: "0115".into(),
            amount: 1234,
            credit: false,
        });
        drop(s);
        let again = Store::open(&dir).unwrap();
        assert_eq!(again.next_stan(), "000002");
        assert_eq!(
            again.get("a key/with:odd chars").as_deref(),
            Some(&b"v1"[..])
        );
        assert_eq!(again.get("gone"), None);
        assert_eq!(again.batch().len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn escaped_keys_round_trip() {
        for key in ["reference/last_stan", ".hidden", "100%", "ok_key-1.x"] {
            assert_eq!(unescape(&escape(key)).as_deref(), Some(key));
        }
        assert_eq!(unescape(".x.tmp"), None);
    }

    #[test]
    fn stan_wraps_after_999999() {
        let s = Store::default();
        s.put(STAN_KEY, "999998");
        assert_eq!(s.next_stan(), "999999");
        assert_eq!(s.next_stan(), "000001");
    }

    #[test]
    fn batch_keeps_credits_apart_from_debits() {
        let s = Store::default();
        for (stan, credit) in [("000001", false), ("000002", true)] {
            s.batch_add(BatchItem {
                stan: stan.into(),
                date: "0115".into(),
                amount: 100,
                credit,
            });
        }
        let credits: Vec<bool> = s.batch().iter().map(|b| b.credit).collect();
        assert_eq!(credits, [false, true]);
        s.batch_remove("000001");
        let left: Vec<(String, bool)> = s.batch().into_iter().map(|b| (b.stan, b.credit)).collect();
        assert_eq!(left, [("000002".to_string(), true)]);
        s.batch_remove("000002");
        assert!(
            s.get(BATCH_KEY).is_none(),
            "an empty batch leaves no key behind"
        );
    }

    #[test]
    fn reversal_record_round_trips_through_bytes() {
        let s = Store::default();
        let mut m = Message::new("0400".parse().unwrap());
        m.set(11, "000042").set(39, "98");
        s.save_reversal(ReversalRecord {
            stan: "000042".into(),
            txn: "t1".into(),
            message: m.clone(),
        });
        s.set_reversal_reason("000042", "06");
        let back = s.pending_reversal().unwrap();
        assert_eq!((back.txn.as_str(), back.stan.as_str()), ("t1", "000042"));
        assert_eq!(back.message.text(39), Some("06"));
        s.clear_reversal("000001");
        assert!(s.pending_reversal().is_some());
        s.clear_reversal("000042");
        assert!(s.pending_reversal().is_none());
    }

    fn record(stan: &str, txn: &str) -> ReversalRecord {
        let mut m = Message::new("0400".parse().unwrap());
        m.set(11, stan).set(39, "98");
        ReversalRecord {
            stan: stan.into(),
            txn: txn.into(),
            message: m,
        }
    }

    #[test]
    fn a_second_reversal_queues_behind_the_first_instead_of_replacing_it() {
        let s = Store::default();
        s.save_reversal(record("000002", "t2"));
        s.save_reversal(record("000003", "t3, with a comma"));
        s.set_reversal_reason("000003", "A0");
        s.save_reversal(record("000002", "t2"));
        let all = s.pending_reversals();
        let stans: Vec<&str> = all.iter().map(|r| r.stan.as_str()).collect();
        assert_eq!(stans, ["000002", "000003"]);
        assert_eq!(all[1].txn, "t3, with a comma");
        assert_eq!(all[1].message.text(39), Some("A0"));
        s.clear_reversal("000002");
        assert_eq!(s.pending_reversal().map(|r| r.stan), Some("000003".into()));
    }
}
