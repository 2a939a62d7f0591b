//! The text form of the mixin's timestamps in stored records (`SystemTime.format_timestamp`:
//! `YYYY-mm-dd HH:MM:SS.mmm` in local time, which is UTC in codexvm), computed exactly where
//! the original's float arithmetic is exact too.

/// Milliseconds below which `datetime.fromtimestamp(ms / 1000)` sees the exact millisecond: up
/// to 2^33 seconds (the year 2242) a double holds the time to within half a microsecond.
const EXACT_BELOW_MS: i64 = (1 << 33) * 1000;

/// `SystemTime.format_timestamp(ms)` for `0 < ms` before the year 2242; `None` elsewhere (the
/// caller takes the original's path).
pub fn format(ms: i64) -> Option<String> {
    if !(1..EXACT_BELOW_MS).contains(&ms) {
        return None;
    }
    let (secs, milli) = (ms / 1000, ms % 1000);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    Some(format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{milli:03}", rem / 3600, rem % 3600 / 60, rem % 60))
}

/// `SystemTime.parse_timestamp(text)` for a well-formed time (ASCII digits in every field,
/// a real date) from 1970 to 2241; `None` for anything else (the caller takes the original's
/// path, which also reads the forms `int()` accepts and answers 0 for what it cannot).
pub fn parse(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 23 {
        return None;
    }
    let seps = [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':'), (19, b'.')];
    if seps.iter().any(|&(i, c)| b[i] != c) || b.iter().enumerate().any(|(i, c)| !seps.iter().any(|s| s.0 == i) && !c.is_ascii_digit()) {
        return None;
    }
    let num = |from: usize, to: usize| b[from..to].iter().fold(0i64, |n, c| n * 10 + i64::from(c - b'0'));
    let (y, mo, d, h, mi, s, ms) = (num(0, 4), num(5, 7), num(8, 10), num(11, 13), num(14, 16), num(17, 19), num(20, 23));
    if !(1970..=2241).contains(&y) || !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    Some((days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s) * 1000 + ms)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_times_format_and_parse_back() {
        for (ms, text) in [
            (1, "1970-01-01 00:00:00.001"),
            (1_764_115_200_000, "2025-11-26 00:00:00.000"),
            (951_782_400_999, "2000-02-29 00:00:00.999"),
            (8_589_934_591_999, "2242-03-16 12:56:31.999"),
        ] {
            assert_eq!(format(ms).as_deref(), Some(text));
            let want = if text.starts_with("2242") { None } else { Some(ms) };
            assert_eq!(parse(text), want, "{text}");
        }
    }

    #[test]
    fn what_the_original_computes_differently_is_left_to_it() {
        assert_eq!(format(0), None, "0 is \"None\"");
        assert_eq!(format(-1), None);
        assert_eq!(format(EXACT_BELOW_MS), None, "float rounding may differ from here on");
        for text in [
            "2025-02-29 00:00:00.000", // not a date: the original answers 0
            "2025-13-01 00:00:00.000",
            "2025-01-01 24:00:00.000",
            "+025-01-01 00:00:00.000", // int() reads it
            "2025-01-01 00:00:00,000",
            "1969-12-31 23:59:59.999",
            "2242-01-01 00:00:00.000",
            "2025-01-01 00:00:00.00",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        let mut day = days_from_civil(1970, 1, 1);
        while day < days_from_civil(2241, 12, 31) {
            let ms = day * 86_400_000 + 45_296_789;
            assert_eq!(parse(&format(ms).unwrap()), Some(ms));
            day += 1;
        }
    }
}
