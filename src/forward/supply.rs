//! The booking site's word on its supply: `X-Wartesaal-Booked`, `-Cancelled` and `-Remaining`
//! on an answer, read and taken off before the visitor sees it. A value that is not a plain
//! count within bounds, or a header sent more than once, is ignored (and counted by the caller).

use http::header::{self, HeaderMap, HeaderName};

use crate::queue::supply::{parse_count, SupplyChange, MAX_PER_ANSWER, MAX_SUPPLY};

pub static BOOKED_HEADER: HeaderName = HeaderName::from_static("x-wartesaal-booked");
pub static CANCELLED_HEADER: HeaderName = HeaderName::from_static("x-wartesaal-cancelled");
pub static REMAINING_HEADER: HeaderName = HeaderName::from_static("x-wartesaal-remaining");

/// What one answer said of the supply, in the order it applies: bookings, cancellations,
/// then the site's own count, which wins.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SupplyReport {
    pub changes: [Option<SupplyChange>; 3],
    /// Headers ignored for a bad value or for coming more than once.
    pub ignored: u64,
}

impl SupplyReport {
    pub fn is_empty(&self) -> bool {
        self.changes.iter().all(Option::is_none) && self.ignored == 0
    }
}

/// How a header's count becomes a change.
type MakeChange = fn(u64) -> SupplyChange;

/// Takes the supply headers off an upstream answer.
pub fn take_supply_headers(headers: &mut HeaderMap) -> SupplyReport {
    let mut report = SupplyReport::default();
    let kinds: [(&HeaderName, u64, MakeChange); 3] = [
        (&BOOKED_HEADER, MAX_PER_ANSWER, SupplyChange::Booked),
        (&CANCELLED_HEADER, MAX_PER_ANSWER, SupplyChange::Cancelled),
        (&REMAINING_HEADER, MAX_SUPPLY, SupplyChange::Remaining),
    ];
    for (i, (name, max, change)) in kinds.into_iter().enumerate() {
        let header::Entry::Occupied(entry) = headers.entry(name) else {
            continue;
        };
        let values: Vec<_> = entry.remove_entry_mult().1.collect();
        let value = match values.as_slice() {
            [one] => one.as_bytes(),
            _ => {
                report.ignored += values.len() as u64;
                continue;
            }
        };
        // "Booked" alone means one booking.
        let n = if value.trim_ascii().is_empty() && name == BOOKED_HEADER {
            Some(1)
        } else {
            parse_count(value, max)
        };
        match n {
            Some(n) => report.changes[i] = Some(change(n)),
            None => report.ignored += 1,
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn report(pairs: &[(&HeaderName, &str)]) -> (SupplyReport, HeaderMap) {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).unwrap());
        }
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        (take_supply_headers(&mut h), h)
    }

    #[test]
    fn the_headers_are_read_in_order_and_never_reach_the_visitor() {
        let (r, h) = report(&[
            (&REMAINING_HEADER, "17"),
            (&BOOKED_HEADER, "2"),
            (&CANCELLED_HEADER, "1"),
        ]);
        assert_eq!(
            r.changes,
            [
                Some(SupplyChange::Booked(2)),
                Some(SupplyChange::Cancelled(1)),
                Some(SupplyChange::Remaining(17))
            ]
        );
        assert_eq!(r.ignored, 0);
        assert_eq!(h.len(), 1, "only the answer's own headers are left: {h:?}");
        let (r, _) = report(&[(&BOOKED_HEADER, "")]);
        assert_eq!(
            r.changes[0],
            Some(SupplyChange::Booked(1)),
            "a bare header is one booking"
        );
    }

    #[test]
    fn bad_values_and_repeated_headers_are_ignored_and_counted() {
        let (r, h) = report(&[
            (&BOOKED_HEADER, "-1"),
            (&CANCELLED_HEADER, "1"),
            (&CANCELLED_HEADER, "1"),
            (&REMAINING_HEADER, "99999999999"),
        ]);
        assert_eq!(r.changes, [None, None, None]);
        assert_eq!(r.ignored, 4);
        assert!(!h.contains_key(&BOOKED_HEADER) && !h.contains_key(&CANCELLED_HEADER));
        for bad in ["1.5", "abc", "2 3", "1001"] {
            let (r, _) = report(&[(&BOOKED_HEADER, bad)]);
            assert_eq!((r.changes[0], r.ignored), (None, 1), "{bad}");
        }
    }
}
