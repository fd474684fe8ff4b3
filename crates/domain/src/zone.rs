//! Local time: a tenant's time zone (default Asia/Shanghai), or a person's own. Instants are
//! stored in UTC (µs since the epoch); what people read, and where weeks and days begin, is in
//! their zone.

use crate::{Invalid, Rule};
use chrono::{Offset, TimeZone};
use chrono_tz::Tz;

/// A time zone from the IANA database ("Asia/Shanghai", "Europe/Berlin", "UTC").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

impl Default for Zone {
    fn default() -> Self {
        Zone(Tz::Asia__Shanghai)
    }
}

const DAY_US: i64 = 86_400_000_000;

impl Zone {
    pub const DEFAULT: &'static str = "Asia/Shanghai";

    pub fn parse(field: &str, s: &str) -> Result<Zone, Invalid> {
        let t = s.trim();
        if t.is_empty() || t.len() > 64 {
            return Err(Invalid::new(field, Rule::UnknownZone));
        }
        t.parse::<Tz>().map(Zone).map_err(|_| Invalid::new(field, Rule::UnknownZone))
    }

    /// A stored zone name; the default when it is missing or unknown.
    pub fn or_default(s: Option<&str>) -> Zone {
        s.and_then(|s| Zone::parse("time_zone", s).ok()).unwrap_or_default()
    }

    /// The zone for date arithmetic with chrono (cron schedules).
    pub fn tz(&self) -> Tz {
        self.0
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The offset from UTC at instant `us`, in seconds (daylight saving included).
    pub fn offset_s(&self, us: i64) -> i64 {
        let utc = chrono::DateTime::from_timestamp_micros(us).unwrap_or_default();
        i64::from(self.0.offset_from_utc_datetime(&utc.naive_utc()).fix().local_minus_utc())
    }

    /// The local calendar date and time at instant `us`.
    pub fn local(&self, us: i64) -> time::PrimitiveDateTime {
        let local = us + self.offset_s(us) * 1_000_000;
        let secs = local.div_euclid(1_000_000);
        time::OffsetDateTime::from_unix_timestamp(secs)
            .map(|t| time::PrimitiveDateTime::new(t.date(), t.time()))
            .unwrap_or(time::PrimitiveDateTime::MIN)
    }

    /// The local date at instant `us`.
    pub fn date(&self, us: i64) -> time::Date {
        self.local(us).date()
    }

    /// The instant local midnight begins `d` (the earliest, where a clock change skips it).
    pub fn midnight(&self, d: time::Date) -> i64 {
        let naive = chrono::NaiveDate::from_ymd_opt(d.year(), u32::from(u8::from(d.month())), u32::from(d.day()))
            .and_then(|n| n.and_hms_opt(0, 0, 0));
        let Some(naive) = naive else { return 0 };
        // Where a clock change skips midnight, the day begins at the first hour that exists.
        (0..4)
            .find_map(|h| self.0.from_local_datetime(&(naive + chrono::Duration::hours(h))).earliest())
            .map_or(0, |t| t.timestamp_micros())
    }

    /// The instant the local week (Monday 00:00) holding `us` began.
    pub fn week_start(&self, us: i64) -> i64 {
        let d = self.date(us);
        let monday = d - time::Duration::days(i64::from(d.weekday().number_days_from_monday()));
        self.midnight(monday)
    }

    /// "2026-12-07 17:45", local.
    pub fn format(&self, us: i64) -> String {
        let t = self.local(us);
        format!("{}-{:02}-{:02} {:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
    }

    /// The instant of local `hour`:`minute` on day `d`.
    pub fn at(&self, d: time::Date, hour: u8, minute: u8) -> i64 {
        self.midnight(d) + (i64::from(hour) * 3600 + i64::from(minute) * 60) * 1_000_000
    }
}

/// How long ago `us` was at `now`, for scanning a list ("3 天前", "just now"); older than a week
/// is the local date.
pub fn ago(zone: &Zone, us: i64, now: i64, lang: crate::Lang) -> String {
    let d = now - us;
    let zh = lang == crate::Lang::Zh;
    let (m, h, days) = (d / 60_000_000, d / 3_600_000_000, d / DAY_US);
    match () {
        _ if d < 60_000_000 => (if zh { "刚刚" } else { "just now" }).into(),
        _ if m < 60 => {
            if zh {
                format!("{m} 分钟前")
            } else {
                format!("{m} min ago")
            }
        }
        _ if h < 24 => {
            if zh {
                format!("{h} 小时前")
            } else {
                format!("{h} h ago")
            }
        }
        _ if days < 7 => {
            if zh {
                format!("{days} 天前")
            } else {
                format!("{days} d ago")
            }
        }
        _ => zone.format(us).get(..10).unwrap_or_default().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const H: i64 = 3_600_000_000;

    #[test]
    fn shanghai_is_eight_hours_ahead_and_weeks_begin_on_its_monday() {
        let z = Zone::default();
        assert_eq!(z.name(), "Asia/Shanghai");
        // 2026-12-03T01:00Z is Thursday 09:00 in Beijing.
        let thu_1am_utc = 1_796_259_600_000_000;
        assert_eq!(z.format(thu_1am_utc), "2026-12-03 09:00");
        assert_eq!(z.date(thu_1am_utc), date!(2026 - 12 - 03));
        // Sunday 2026-11-29 20:00 UTC is already Monday 04:00 in Beijing: a new week there.
        let sun_evening_utc = z.at(date!(2026 - 11 - 30), 4, 0);
        assert_eq!(z.week_start(sun_evening_utc), z.midnight(date!(2026 - 11 - 30)));
        assert_eq!(
            z.midnight(date!(2026 - 11 - 30)),
            Zone::parse("tz", "UTC").expect("utc").at(date!(2026 - 11 - 29), 16, 0)
        );
        let utc = Zone::parse("tz", "UTC").expect("utc");
        assert_eq!(utc.week_start(sun_evening_utc), utc.midnight(date!(2026 - 11 - 23)));
    }

    #[test]
    fn utc_weeks_start_on_monday() {
        let utc = Zone::parse("tz", "UTC").expect("utc");
        let day = 86_400_000_000_i64;
        // 2026-11-16 is a Monday: 20773 days after the epoch.
        let monday = 20_773 * day;
        for offset in [0, 1, day - 1, 3 * day, 7 * day - 1] {
            assert_eq!(utc.week_start(monday + offset), monday);
        }
        assert_eq!(utc.week_start(monday - 1), monday - 7 * day);
    }

    #[test]
    fn daylight_saving_moves_the_offset() {
        let berlin = Zone::parse("tz", "Europe/Berlin").expect("berlin");
        assert_eq!(berlin.offset_s(berlin.midnight(date!(2026 - 07 - 01))), 7200);
        assert_eq!(berlin.offset_s(berlin.midnight(date!(2026 - 12 - 01))), 3600);
        // São Paulo once skipped midnight: the day still has a beginning.
        let sp = Zone::parse("tz", "America/Sao_Paulo").expect("sp");
        assert!(sp.midnight(date!(2018 - 11 - 04)) > sp.midnight(date!(2018 - 11 - 03)));
    }

    #[test]
    fn unknown_zones_are_refused() {
        for bad in ["", "Mars/Olympus", "Asia/Shanghai; DROP", &"x".repeat(100)] {
            assert_eq!(Zone::parse("time_zone", bad).map_err(|e| e.rule), Err(Rule::UnknownZone), "{bad}");
        }
        assert_eq!(Zone::or_default(Some("nope")), Zone::default());
        assert_eq!(Zone::or_default(None).name(), Zone::DEFAULT);
    }

    #[test]
    fn relative_times_read_naturally() {
        let z = Zone::default();
        let now = z.at(date!(2026 - 12 - 07), 12, 0);
        assert_eq!(ago(&z, now - 30_000_000, now, crate::Lang::Zh), "刚刚");
        assert_eq!(ago(&z, now - 5 * 60_000_000, now, crate::Lang::Zh), "5 分钟前");
        assert_eq!(ago(&z, now - 3 * 24 * H, now, crate::Lang::Zh), "3 天前");
        assert_eq!(ago(&z, now - 3 * 24 * H, now, crate::Lang::En), "3 d ago");
        assert_eq!(ago(&z, now - 30 * 24 * H, now, crate::Lang::En), "2026-11-07");
    }

    proptest! {
        #[test]
        fn an_instant_lies_in_its_week_and_on_its_day(us in 0i64..4_102_444_800_000_000, zone in prop::sample::select(vec!["Asia/Shanghai", "UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])) {
            let z = Zone::parse("tz", zone).expect("zone");
            let week = z.week_start(us);
            prop_assert!(week <= us && us - week < 7 * 24 * H + H, "{} {}", week, us);
            prop_assert_eq!(z.date(week).weekday(), time::Weekday::Monday);
            let day = z.midnight(z.date(us));
            prop_assert!(day <= us && us - day < 25 * H);
        }
    }
}
