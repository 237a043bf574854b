//! Date macros as filter values (`{"$eq": {"invoiceDate": "priorMonth"}}`): each names a span
//! of days relative to `filterParameters.asOfDate` (today when absent), and the operators
//! compare with the span: `$eq` inside it, `$ne` outside, `$lt` before its first day, `$gt`
//! after its last, `$lte` / `$gte` up to its last day / from its first.

use chrono::{Datelike, Duration, NaiveDate};
use serde_json::Value;

use crate::envelope::{ApiError, Detail};

/// The macros Intacct documents.
#[cfg(test)]
pub(crate) const MACROS: [&str; 10] = [
    "today",
    "yesterday",
    "currentWeek",
    "lastWeek",
    "currentMonth",
    "priorMonth",
    "currentQuarter",
    "priorQuarter",
    "currentYear",
    "priorYear",
];

/// The day macros count from: `filterParameters.asOfDate`, or today.
pub(crate) fn as_of(parameters: Option<&Value>) -> Result<NaiveDate, ApiError> {
    match parameters.and_then(|parameters| parameters.get("asOfDate")) {
        None | Some(Value::Null) => Ok(chrono::Utc::now().date_naive()),
        Some(value) => value
            .as_str()
            .and_then(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
            .ok_or_else(|| {
                ApiError::payload_errors(vec![Detail::wrong_type(
                    "/filterParameters/asOfDate",
                    "a date written YYYY-MM-DD",
                )])
            }),
    }
}

fn month_start(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default()
}

fn months_back(date: NaiveDate, months: u32) -> NaiveDate {
    let index = date.year() * 12 + date.month0() as i32 - months as i32;
    month_start(index.div_euclid(12), index.rem_euclid(12) as u32 + 1)
}

fn span(first: NaiveDate, after_last: NaiveDate) -> (String, String) {
    let last = after_last - Duration::days(1);
    (
        first.format("%Y-%m-%d").to_string(),
        last.format("%Y-%m-%d").to_string(),
    )
}

/// The first and last day a macro names, or `None` when the word is not a macro.
pub(crate) fn range(word: &str, as_of: NaiveDate) -> Option<(String, String)> {
    let week = as_of - Duration::days(i64::from(as_of.weekday().num_days_from_monday()));
    let month = month_start(as_of.year(), as_of.month());
    let quarter = month_start(as_of.year(), as_of.month0() / 3 * 3 + 1);
    let year = month_start(as_of.year(), 1);
    Some(match word {
        "today" => span(as_of, as_of + Duration::days(1)),
        "yesterday" => span(as_of - Duration::days(1), as_of),
        "currentWeek" => span(week, week + Duration::days(7)),
        "lastWeek" => span(week - Duration::days(7), week),
        "currentMonth" => span(
            month,
            months_back(month, 0).checked_add_months(chrono::Months::new(1))?,
        ),
        "priorMonth" => span(months_back(month, 1), month),
        "currentQuarter" => span(quarter, quarter.checked_add_months(chrono::Months::new(3))?),
        "priorQuarter" => span(months_back(quarter, 3), quarter),
        "currentYear" => span(year, month_start(as_of.year() + 1, 1)),
        "priorYear" => span(month_start(as_of.year() - 1, 1), year),
        _ => return None,
    })
}

/// Whether a date value satisfies an operator against a macro's span (ISO dates compare as
/// text).
pub(crate) fn matches(operator: &str, actual: Option<&str>, first: &str, last: &str) -> bool {
    let Some(day) = actual.map(|text| text.get(..10).unwrap_or(text)) else {
        return operator == "$ne" || operator == "$notIn" || operator == "$notBetween";
    };
    let inside = day >= first && day <= last;
    match operator {
        "$eq" | "$in" | "$between" | "$has" => inside,
        "$ne" | "$notIn" | "$notBetween" => !inside,
        "$lt" => day < first,
        "$lte" => day <= last,
        "$gt" => day > last,
        "$gte" => day >= first,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
    }

    #[test]
    fn macros_name_calendar_spans() {
        let as_of = day("2026-02-18"); // a Wednesday
        let pair = |a: &str, b: &str| Some((a.to_owned(), b.to_owned()));
        assert_eq!(range("today", as_of), pair("2026-02-18", "2026-02-18"));
        assert_eq!(range("yesterday", as_of), pair("2026-02-17", "2026-02-17"));
        assert_eq!(
            range("currentWeek", as_of),
            pair("2026-02-16", "2026-02-22")
        );
        assert_eq!(range("lastWeek", as_of), pair("2026-02-09", "2026-02-15"));
        assert_eq!(
            range("currentMonth", as_of),
            pair("2026-02-01", "2026-02-28")
        );
        assert_eq!(range("priorMonth", as_of), pair("2026-01-01", "2026-01-31"));
        assert_eq!(
            range("priorMonth", day("2026-01-10")),
            pair("2025-12-01", "2025-12-31")
        );
        assert_eq!(
            range("currentQuarter", as_of),
            pair("2026-01-01", "2026-03-31")
        );
        assert_eq!(
            range("priorQuarter", as_of),
            pair("2025-10-01", "2025-12-31")
        );
        assert_eq!(
            range("currentYear", as_of),
            pair("2026-01-01", "2026-12-31")
        );
        assert_eq!(range("priorYear", as_of), pair("2025-01-01", "2025-12-31"));
        assert_eq!(range("2026-01-01", as_of), None);
        assert!(MACROS.iter().all(|word| range(word, as_of).is_some()));
    }

    #[test]
    fn operators_compare_with_the_span() {
        assert!(matches(
            "$eq",
            Some("2026-01-15"),
            "2026-01-01",
            "2026-01-31"
        ));
        assert!(!matches(
            "$eq",
            Some("2026-02-01"),
            "2026-01-01",
            "2026-01-31"
        ));
        assert!(matches(
            "$lt",
            Some("2025-12-31"),
            "2026-01-01",
            "2026-01-31"
        ));
        assert!(matches(
            "$gte",
            Some("2026-01-01"),
            "2026-01-01",
            "2026-01-31"
        ));
        assert!(!matches(
            "$gt",
            Some("2026-01-31"),
            "2026-01-01",
            "2026-01-31"
        ));
    }
}
