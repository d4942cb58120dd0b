// The `cup` field table: UnionPay POS style ISO 8583:1987, fields 1-64, written by hand.
//
// Sources: the field formats of the China UnionPay POS terminal specification as used by
// acquirer POS links (n = numeric, packed BCD; z = track data, packed BCD; an/ans = ASCII;
// b = binary), which follow ISO 8583:1987 with these national choices. Assumptions, each a
// single line below so it can be reviewed and changed:
// - fields 28-31 (x+n 8: a `C`/`D` sign then 8 digits) are carried as 9 ASCII characters;
// - 49-51 (currency codes) are `an3` ASCII, as UnionPay defines them, not ISO's `n3`;
// - 60 allows 17 digits (later spec revisions extended it from 11);
// - 62 is binary: its content is ASCII in requests but raw key material in 0810 sign-on
//   replies, and binary is the only format that carries both;
// - field 1 is listed for completeness but cup has no secondary bitmap: the codec rejects it.
// Columns: field number, length kind and maximum length (digits for n/z, bytes otherwise),
// value encoding, description.
use crate::wire::spec::{Enc::*, FieldSpec, Len::*};

#[rustfmt::skip]
pub(crate) const FIELDS: [FieldSpec; 64] = [
    FieldSpec::new(  1, Fixed(8), Binary, "Bitmap, Secondary"),
    FieldSpec::new(  2, LlVar(19), Bcd, "Primary Account Number (PAN)"),
    FieldSpec::new(  3, Fixed(6), Bcd, "Processing Code"),
    FieldSpec::new(  4, Fixed(12), Bcd, "Amount, Transaction"),
    FieldSpec::new(  5, Fixed(12), Bcd, "Amount, Settlement"),
    FieldSpec::new(  6, Fixed(12), Bcd, "Amount, Cardholder Billing"),
    FieldSpec::new(  7, Fixed(10), Bcd, "Transmission Date and Time"),
    FieldSpec::new(  8, Fixed(8), Bcd, "Amount, Cardholder Billing Fee"),
    FieldSpec::new(  9, Fixed(8), Bcd, "Conversion Rate, Settlement"),
    FieldSpec::new( 10, Fixed(8), Bcd, "Conversion Rate, Cardholder Billing"),
    FieldSpec::new( 11, Fixed(6), Bcd, "System Trace Audit Number"),
    FieldSpec::new( 12, Fixed(6), Bcd, "Time, Local Transaction"),
    FieldSpec::new( 13, Fixed(4), Bcd, "Date, Local Transaction"),
    FieldSpec::new( 14, Fixed(4), Bcd, "Date, Expiration"),
    FieldSpec::new( 15, Fixed(4), Bcd, "Date, Settlement"),
    FieldSpec::new( 16, Fixed(4), Bcd, "Date, Conversion"),
    FieldSpec::new( 17, Fixed(4), Bcd, "Date, Capture"),
    FieldSpec::new( 18, Fixed(4), Bcd, "Merchant Type"),
    FieldSpec::new( 19, Fixed(3), Bcd, "Acquiring Institution Country Code"),
    FieldSpec::new( 20, Fixed(3), Bcd, "PAN Country Code"),
    FieldSpec::new( 21, Fixed(3), Bcd, "Forwarding Institution Country Code"),
    FieldSpec::new( 22, Fixed(3), Bcd, "Point of Service Entry Mode"),
    FieldSpec::new( 23, Fixed(3), Bcd, "Card Sequence Number"),
    FieldSpec::new( 24, Fixed(3), Bcd, "Network International Identifier (NII)"),
    FieldSpec::new( 25, Fixed(2), Bcd, "Point of Service Condition Code"),
    FieldSpec::new( 26, Fixed(2), Bcd, "Point of Service PIN Capture Code"),
    FieldSpec::new( 27, Fixed(1), Bcd, "Authorizing Identification Response Length"),
    FieldSpec::new( 28, Fixed(9), Ascii, "Amount, Transaction Fee"),
    FieldSpec::new( 29, Fixed(9), Ascii, "Amount, Settlement Fee"),
    FieldSpec::new( 30, Fixed(9), Ascii, "Amount, Transaction Processing Fee"),
    FieldSpec::new( 31, Fixed(9), Ascii, "Amount, Settlement Processing Fee"),
    FieldSpec::new( 32, LlVar(11), Bcd, "Acquiring Institution Identification Code"),
    FieldSpec::new( 33, LlVar(11), Bcd, "Forwarding Institution Identification Code"),
    FieldSpec::new( 34, LlVar(28), Ascii, "Primary Account Number, Extended"),
    FieldSpec::new( 35, LlVar(37), Track, "Track 2 Data"),
    FieldSpec::new( 36, LllVar(104), Track, "Track 3 Data"),
    FieldSpec::new( 37, Fixed(12), Ascii, "Retrieval Reference Number"),
    FieldSpec::new( 38, Fixed(6), Ascii, "Authorization Identification Response"),
    FieldSpec::new( 39, Fixed(2), Ascii, "Response Code"),
    FieldSpec::new( 40, Fixed(3), Ascii, "Service Restriction Code"),
    FieldSpec::new( 41, Fixed(8), Ascii, "Card Acceptor Terminal Identification"),
    FieldSpec::new( 42, Fixed(15), Ascii, "Card Acceptor Identification Code"),
    FieldSpec::new( 43, Fixed(40), Ascii, "Card Acceptor Name/Location"),
    FieldSpec::new( 44, LlVar(25), Ascii, "Additional Response Data"),
    FieldSpec::new( 45, LlVar(76), Ascii, "Track 1 Data"),
    FieldSpec::new( 46, LllVar(999), Ascii, "Additional Data - ISO"),
    FieldSpec::new( 47, LllVar(999), Ascii, "Additional Data - National"),
    FieldSpec::new( 48, LllVar(322), Bcd, "Additional Data - Private"),
    FieldSpec::new( 49, Fixed(3), Ascii, "Currency Code, Transaction"),
    FieldSpec::new( 50, Fixed(3), Ascii, "Currency Code, Settlement"),
    FieldSpec::new( 51, Fixed(3), Ascii, "Currency Code, Cardholder Billing"),
    FieldSpec::new( 52, Fixed(8), Binary, "PIN"),
    FieldSpec::new( 53, Fixed(16), Bcd, "Security-Related Control Information"),
    FieldSpec::new( 54, LllVar(20), Ascii, "Additional Amounts"),
    FieldSpec::new( 55, LllVar(255), Binary, "ICC data"),
    FieldSpec::new( 56, LllVar(999), Ascii, "Reserved ISO"),
    FieldSpec::new( 57, LllVar(999), Ascii, "Reserved National"),
    FieldSpec::new( 58, LllVar(100), Ascii, "Reserved National (PBOC electronic wallet)"),
    FieldSpec::new( 59, LllVar(999), Ascii, "Reserved National"),
    FieldSpec::new( 60, LllVar(17), Bcd, "Reserved Private (transaction type, batch, terminal capability)"),
    FieldSpec::new( 61, LllVar(29), Bcd, "Original Message Data"),
    FieldSpec::new( 62, LllVar(512), Binary, "Reserved Private"),
    FieldSpec::new( 63, LllVar(163), Ascii, "Reserved Private"),
    FieldSpec::new( 64, Fixed(8), Binary, "Message Authentication Code (MAC)"),
];
