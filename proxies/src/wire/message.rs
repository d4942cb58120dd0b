//! An ISO 8583 message as values, independent of any dialect's byte layout.

use std::fmt;
use std::str::FromStr;

use crate::wire::envelope::Envelope;

/// A message type indicator: four ASCII digits such as `0200`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mti([u8; 4]);

impl Mti {
    /// Builds an MTI from four ASCII digits.
    pub fn new(digits: [u8; 4]) -> Result<Self, String> {
        if digits.iter().all(u8::is_ascii_digit) {
            Ok(Mti(digits))
        } else {
            Err(format!(
                "expected an MTI of 4 digits such as \"0200\", found {:?}",
                String::from_utf8_lossy(&digits)
            ))
        }
    }

    /// The MTI's digits.
    pub fn digits(&self) -> [u8; 4] {
        self.0
    }

    /// The MTI as text.
    pub fn as_str(&self) -> &str {
        // Invariant: all four bytes are ASCII digits.
        std::str::from_utf8(&self.0).unwrap_or("????")
    }

    /// The MTI of the response to this request (`0200` -> `0210`), or `None` when this is
    /// already a response (third digit odd).
    pub fn response(&self) -> Option<Mti> {
        let function = self.0[2] - b'0';
        if !function.is_multiple_of(2) || function == 9 {
            return None;
        }
        // A repeat is answered as its first send (0401 -> 0410, 0221 -> 0230): the answer
        // does not depend on which copy arrived.
        let mut d = self.first_send().0;
        d[2] += 1;
        Some(Mti(d))
    }

    /// The MTI this one repeats (`0401` -> `0400`, `0221` -> `0220`), or itself when it is
    /// not a repeat (origin digit 1, 3 or 5): a repeat means what its first send means.
    pub fn first_send(&self) -> Mti {
        let mut d = self.0;
        if matches!(d[3], b'1' | b'3' | b'5') {
            d[3] -= 1;
        }
        Mti(d)
    }

    /// True for requests and advices (third digit even), false for their responses.
    pub fn is_request(&self) -> bool {
        (self.0[2] - b'0').is_multiple_of(2)
    }
}

impl FromStr for Mti {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes: [u8; 4] = s
            .as_bytes()
            .try_into()
            .map_err(|_| format!("expected an MTI of 4 digits such as \"0200\", found {s:?}"))?;
        Mti::new(bytes)
    }
}

impl fmt::Display for Mti {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Mti {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mti({})", self.as_str())
    }
}

impl serde::Serialize for Mti {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Mti {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Described as the string scenarios write, four digits, not as the byte array inside.
impl schemars::JsonSchema for Mti {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Mti".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]{4}$",
            "description": "A message type indicator: four digits, quoted so the leading zero survives (\"0200\").",
            "examples": ["0200", "0210", "0400"],
        })
    }
}

/// A decoded message: MTI plus field values by number.
///
/// Values are what the field means, not how a dialect packs it: ASCII fields hold their text,
/// binary fields their raw bytes. Field 1 (secondary bitmap) is never stored; codecs derive it.
/// Storage is one byte buffer plus a sorted index, so decoding costs two allocations however many
/// fields a message has. In BCD dialects numeric fields still hold their ASCII digit text, so
/// code above the codec never knows which dialect a message came from; the one exception is the
/// routing [`Envelope`] (TPDU) that such dialects carry, kept beside the fields.
#[derive(Clone)]
pub struct Message {
    mti: Mti,
    envelope: Option<Envelope>,
    /// (field number, start, end) into `data`, sorted by field number, numbers unique.
    index: Vec<(u8, u32, u32)>,
    data: Vec<u8>,
}

impl Message {
    /// An empty message of the given type.
    pub fn new(mti: Mti) -> Self {
        Message {
            mti,
            envelope: None,
            index: Vec::new(),
            data: Vec::new(),
        }
    }

    /// An empty message with room for `fields` fields and `bytes` value bytes.
    pub fn with_capacity(mti: Mti, fields: usize, bytes: usize) -> Self {
        Message {
            mti,
            envelope: None,
            index: Vec::with_capacity(fields),
            data: Vec::with_capacity(bytes),
        }
    }

    /// The message type.
    pub fn mti(&self) -> Mti {
        self.mti
    }

    /// Changes the message type.
    pub fn set_mti(&mut self, mti: Mti) {
        self.mti = mti;
    }

    /// The TPDU and header the message travelled in, for dialects that carry one.
    pub fn envelope(&self) -> Option<&Envelope> {
        self.envelope.as_ref()
    }

    /// Sets (or clears) the envelope; encoding in a TPDU dialect requires one.
    pub fn set_envelope(&mut self, envelope: Option<Envelope>) -> &mut Self {
        self.envelope = envelope;
        self
    }

    /// The value of field `n`, if present.
    pub fn field(&self, n: u8) -> Option<&[u8]> {
        let i = self.index.binary_search_by_key(&n, |e| e.0).ok()?;
        let (_, start, end) = self.index[i];
        Some(&self.data[start as usize..end as usize])
    }

    /// The value of field `n` as text, if present and valid UTF-8.
    pub fn text(&self, n: u8) -> Option<&str> {
        std::str::from_utf8(self.field(n)?).ok()
    }

    /// True when field `n` is present.
    pub fn has(&self, n: u8) -> bool {
        self.index.binary_search_by_key(&n, |e| e.0).is_ok()
    }

    /// Sets field `n` (2 to 128) to `value`, replacing any earlier value.
    ///
    /// # Panics
    /// When `n` is 0, 1 or above 128: those are programming errors, not data errors (field 1 is
    /// the secondary bitmap, which codecs manage).
    pub fn set(&mut self, n: u8, value: impl AsRef<[u8]>) -> &mut Self {
        assert!((2..=128).contains(&n), "field {n} cannot be set");
        let value = value.as_ref();
        let start = self.data.len() as u32;
        self.data.extend_from_slice(value);
        let entry = (n, start, self.data.len() as u32);
        match self.index.binary_search_by_key(&n, |e| e.0) {
            Ok(i) => self.index[i] = entry,
            Err(i) => self.index.insert(i, entry),
        }
        self
    }

    /// Appends field `n` when fields arrive in ascending order, as a decoder reads them; `write`
    /// appends the value to the message's buffer, so a decoder can unpack BCD without a
    /// temporary. On error the message holds a partial value and must be discarded.
    pub(crate) fn push_sorted_with<E>(
        &mut self,
        n: u8,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<(), E> {
        debug_assert!(self.index.last().is_none_or(|e| e.0 < n));
        let start = self.data.len() as u32;
        write(&mut self.data)?;
        self.index.push((n, start, self.data.len() as u32));
        Ok(())
    }

    /// Removes field `n`; returns whether it was present.
    pub fn remove(&mut self, n: u8) -> bool {
        match self.index.binary_search_by_key(&n, |e| e.0) {
            Ok(i) => {
                self.index.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// Present fields in ascending number order.
    pub fn fields(&self) -> impl Iterator<Item = (u8, &[u8])> + '_ {
        self.index
            .iter()
            .map(|&(n, s, e)| (n, &self.data[s as usize..e as usize]))
    }

    /// The numbers of the present fields, ascending.
    pub fn numbers(&self) -> impl Iterator<Item = u8> + '_ {
        self.index.iter().map(|e| e.0)
    }
}

/// Equal when type, envelope and field values are equal, however the values were stored.
impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        self.mti == other.mti
            && self.envelope == other.envelope
            && self.index.len() == other.index.len()
            && self.fields().eq(other.fields())
    }
}

impl Eq for Message {}

/// Debug output goes through masking: a `{:?}` in a log line must never leak a PAN.
impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_struct("Message");
        m.field("mti", &self.mti.as_str());
        if let Some(e) = &self.envelope {
            m.field("envelope", e);
        }
        let masked = crate::wire::mask::masked_fields(&crate::wire::dialect::ISO87, self);
        m.field("fields", &masked);
        m.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mti(s: &str) -> Mti {
        s.parse().unwrap()
    }

    #[test]
    fn response_mti_adds_ten_to_requests_only() {
        assert_eq!(mti("0200").response(), Some(mti("0210")));
        assert_eq!(mti("0400").response(), Some(mti("0410")));
        assert_eq!(mti("0420").response(), Some(mti("0430")));
        assert_eq!(mti("0210").response(), None);
        assert_eq!(mti("0401").response(), Some(mti("0410")));
        assert_eq!(mti("0221").response(), Some(mti("0230")));
        assert_eq!(mti("0423").response(), Some(mti("0432")));
        assert_eq!(mti("0802").response(), Some(mti("0812")));
        assert_eq!(mti("0421").first_send(), mti("0420"));
        assert_eq!(mti("0200").first_send(), mti("0200"));
        assert!(mti("0800").is_request() && !mti("0810").is_request());
    }

    #[test]
    fn bad_mtis_are_rejected_with_the_expected_shape() {
        assert!("020".parse::<Mti>().unwrap_err().contains("4 digits"));
        assert!("02A0".parse::<Mti>().is_err());
    }

    #[test]
    fn fields_stay_sorted_and_replace_in_place() {
        let mut m = Message::new(mti("0200"));
        m.set(11, "000001").set(4, "000000001234").set(11, "000002");
        let got: Vec<_> = m.fields().map(|(n, v)| (n, v.to_vec())).collect();
        assert_eq!(
            got,
            vec![(4, b"000000001234".to_vec()), (11, b"000002".to_vec())]
        );
        assert!(m.remove(4) && !m.remove(4));
        let mut same = Message::new(mti("0200"));
        same.set(11, "000002");
        assert_eq!(m, same, "equality compares values, not storage");
        assert_eq!(m.text(11), Some("000002"));
    }

    #[test]
    fn debug_output_masks_the_pan() {
        let mut m = Message::new(mti("0200"));
        m.set(2, "4761739001010010")
            .set(35, "4761739001010010=2512");
        let shown = format!("{m:?}");
        assert!(!shown.contains("4761739001010010"), "{shown}");
        assert!(shown.contains("476173******0010"), "{shown}");
    }
}
