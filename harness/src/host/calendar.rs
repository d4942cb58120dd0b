//! The host's calendar: run time mapped onto the fixed run epoch, so expiry and daily limits
//! depend on simulated time only, never on the wall clock.

use std::time::{Duration, UNIX_EPOCH};

use crate::terminal::RUN_EPOCH_UNIX;

/// Days since the Unix epoch at run time `now`: daily limits reset when it changes.
pub fn day(now: Duration) -> u64 {
    (RUN_EPOCH_UNIX + now.as_secs()) / 86_400
}

/// The month at run time `now` as `YYMM`, the form of card expiry dates (field 14).
pub fn yymm(now: Duration) -> String {
    let t = UNIX_EPOCH + Duration::from_secs(RUN_EPOCH_UNIX + now.as_secs());
    let s = humantime::format_rfc3339_seconds(t).to_string(); // YYYY-MM-DDThh:mm:ssZ
    format!("{}{}", &s[2..4], &s[5..7])
}

/// The local date at run time `now` as `MMDD` (field 13).
pub fn mmdd(now: Duration) -> String {
    let t = UNIX_EPOCH + Duration::from_secs(RUN_EPOCH_UNIX + now.as_secs());
    let s = humantime::format_rfc3339_seconds(t).to_string(); // YYYY-MM-DDThh:mm:ssZ
    format!("{}{}", &s[5..7], &s[8..10])
}

/// Whether `expiry` (`YYMM`) is a well-formed expiry date.
pub fn valid_expiry(expiry: &str) -> bool {
    expiry.len() == 4
        && expiry.bytes().all(|b| b.is_ascii_digit())
        && matches!(expiry[2..].parse::<u8>(), Ok(1..=12))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_starts_in_january_2026_and_days_turn_at_midnight_utc() {
        assert_eq!(yymm(Duration::ZERO), "2601");
        assert_eq!(mmdd(Duration::ZERO), "0115");
        let to_midnight = Duration::from_secs(16 * 3600);
        assert_eq!(day(to_midnight) - day(Duration::ZERO), 1);
        assert_eq!(
            day(to_midnight - Duration::from_secs(1)),
            day(Duration::ZERO)
        );
    }

    #[test]
    fn expiry_needs_four_digits_and_a_real_month() {
        assert!(valid_expiry("2812"));
        assert!(!valid_expiry("2813"));
        assert!(!valid_expiry("281"));
        assert!(!valid_expiry("28a2"));
    }
}
