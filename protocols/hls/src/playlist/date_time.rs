//! EXT-X-PROGRAM-DATE-TIME values (RFC 8216 §4.3.2.6): ISO 8601 date-times as milliseconds
//! since the Unix epoch, without a clock (the caller gives the time).

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date for a day count from 1970-01-01: (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The first millisecond of the year 0000, the earliest ISO 8601 date with four digits.
pub const MIN: i64 = -62_167_219_200_000;

/// The last millisecond of the year 9999.
pub const MAX: i64 = 253_402_300_799_999;

/// Formats Unix milliseconds as `YYYY-MM-DDThh:mm:ss.sssZ`: UTC with milliseconds, as RFC
/// 8216 §4.3.2.6 recommends (time zone, millisecond accuracy). Between [`MIN`] and [`MAX`];
/// other years do not read back.
pub fn format(unix_millis: i64) -> String {
    let days = unix_millis.div_euclid(86_400_000);
    let in_day = unix_millis.rem_euclid(86_400_000);
    let (y, mo, d) = civil_from_days(days);
    let (h, mi, s, ms) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
}

/// What a parsed date-time lacked that RFC 8216 §4.3.2.6 says it SHOULD have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shortfalls {
    /// No time zone was given (read as UTC).
    pub no_time_zone: bool,
    /// The seconds had fewer than three fractional digits: not millisecond accuracy.
    pub no_milliseconds: bool,
}

/// Parses `YYYY-MM-DDThh:mm:ss[.fraction][Z|±hh:mm|±hhmm]` into Unix milliseconds (a missing
/// time zone reads as UTC and is reported); fractions finer than a millisecond are truncated.
/// An instant outside [`MIN`]..=[`MAX`] (a zone offset past the year 0000 or 9999) is refused.
pub fn parse(text: &str) -> Option<(i64, Shortfalls)> {
    let b = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let s = text.get(range)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    let mut millis = 0i64;
    let mut shortfalls = Shortfalls::default();
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let padded: String = frac[..digits]
            .chars()
            .chain("000".chars())
            .take(3)
            .collect();
        millis = padded.parse().ok()?;
        shortfalls.no_milliseconds = digits < 3;
        rest = &frac[digits..];
    } else {
        shortfalls.no_milliseconds = true;
    }
    let offset_minutes: i64 = match rest {
        "" => {
            shortfalls.no_time_zone = true;
            0
        }
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let zone = rest[1..].replace(':', "");
            if zone.len() != 4 || !zone.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let (h, m): (i64, i64) = (zone[..2].parse().ok()?, zone[2..].parse().ok()?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 60 + m)
        }
    };
    let days = days_from_civil(i64::from(year), month, day);
    let seconds =
        days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_minutes * 60;
    let ms = seconds * 1000 + millis;
    (MIN..=MAX).contains(&ms).then_some((ms, shortfalls))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_instants() {
        assert_eq!(format(0), "1970-01-01T00:00:00.000Z");
        // 2019-02-14T02:13:36.106Z, from the videojs llhls fixture.
        assert_eq!(
            parse("2019-02-14T02:13:36.106Z").unwrap().0,
            1_550_110_416_106
        );
        assert_eq!(format(1_550_110_416_106), "2019-02-14T02:13:36.106Z");
        let (ms, s) = parse("2018-12-31T09:47:22+08:00").unwrap();
        assert_eq!(format(ms), "2018-12-31T01:47:22.000Z");
        assert!(s.no_milliseconds && !s.no_time_zone);
        assert!(parse("2018-12-31T09:47:22").unwrap().1.no_time_zone);
        assert!(parse("2018-13-31T09:47:22Z").is_none());
        assert!(parse("yesterday").is_none());
        assert!(parse("2018-12-31T09:47:22+8").is_none());
        assert!(parse("0000-01-01T00:00:00+01:00").is_none());
        assert_eq!(parse("9999-12-31T23:59:59.999Z").unwrap().0, MAX);
    }

    proptest! {
        #[test]
        fn format_then_parse(ms in MIN..=MAX) {
            let text = format(ms);
            prop_assert_eq!(parse(&text), Some((ms, Shortfalls::default())));
        }
    }
}
