//! `published_at` as text: RFC 3339 in UTC with exactly three fractional digits and `Z`,
//! e.g. 1700000000123 ms -> `2023-11-14T22:13:20.123Z` (CONTRACT E1, E5).
//!
//! Written by hand (no date crate): a Unix time in milliseconds is split into a day
//! number and a time of day, and the day number is turned into a proleptic Gregorian
//! date. This only formats the value the publisher sent; it never reads a clock (M5).

const MS_PER_SECOND: u64 = 1_000;
const SECONDS_PER_DAY: u64 = 86_400;

/// 9999-12-31T23:59:59.999Z, the last instant RFC 3339's four-digit year can write.
pub const MAX_PUBLISHED_AT_MS: u64 = 253_402_300_799_999;

/// Formats milliseconds since the Unix epoch, or `None` past [`MAX_PUBLISHED_AT_MS`]:
/// such an instant has no RFC 3339 text, hence no payload hash (see `canonical`).
pub fn format_published_at(ms_since_epoch: u64) -> Option<String> {
    if ms_since_epoch > MAX_PUBLISHED_AT_MS {
        return None;
    }
    let millis = ms_since_epoch % MS_PER_SECOND;
    let seconds = ms_since_epoch / MS_PER_SECOND;
    let (year, month, day) = civil_from_days(seconds / SECONDS_PER_DAY);
    let second_of_day = seconds % SECONDS_PER_DAY;
    let (hour, minute, second) = (second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
    Some(format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z"))
}

/// Turns days since 1970-01-01 into (year, month, day).
///
/// This is Howard Hinnant's `civil_from_days`, restricted to non-negative days. It counts
/// in 400-year "eras" that start on March 1st, so that the leap day is the last day of a
/// year and the month lengths follow a fixed pattern.
fn civil_from_days(days_since_epoch: u64) -> (u64, u64, u64) {
    const DAYS_PER_ERA: u64 = 146_097; // 400 Gregorian years
    const EPOCH_SHIFT: u64 = 719_468; // days from 0000-03-01 to 1970-01-01
    let days = days_since_epoch + EPOCH_SHIFT;
    let era = days / DAYS_PER_ERA;
    let day_of_era = days % DAYS_PER_ERA; // 0..=146096
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365; // 0..=399
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // 0..=365
    let shifted_month = (5 * day_of_year + 2) / 153; // 0 = March .. 11 = February
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(format_published_at(0).as_deref(), Some("1970-01-01T00:00:00.000Z"));
        assert_eq!(format_published_at(1_700_000_000_123).as_deref(), Some("2023-11-14T22:13:20.123Z"));
        assert_eq!(format_published_at(951_782_400_000).as_deref(), Some("2000-02-29T00:00:00.000Z"));
        assert_eq!(format_published_at(4_107_542_399_999).as_deref(), Some("2100-02-28T23:59:59.999Z"));
        assert_eq!(format_published_at(4_107_542_400_000).as_deref(), Some("2100-03-01T00:00:00.000Z"));
        assert_eq!(format_published_at(253_402_300_799_999).as_deref(), Some("9999-12-31T23:59:59.999Z"));
        assert_eq!(format_published_at(253_402_300_800_000), None);
        assert_eq!(format_published_at(u64::MAX), None);
    }
}
