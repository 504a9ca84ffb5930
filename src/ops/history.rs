//! The last hour of each room, for the ops dashboard: owns a bounded ring of samples per room,
//! taken every ten seconds from the room's figures and metric counters. Must not feed any
//! decision; it only remembers what happened.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

use crate::clock::Millis;
use crate::ops::api::Sample;
use crate::queue::supply;
use crate::site::Site;

pub const INTERVAL_MS: Millis = 10_000;
/// One hour of samples.
pub const CAPACITY: usize = 360;

#[derive(Default)]
struct Track {
    samples: VecDeque<Sample>,
    /// The wait histogram at each sample (`WaitMetrics::wait_buckets`), as far back as the
    /// samples go: the last hour's waits are the newest less the oldest.
    waits: VecDeque<(u64, Vec<(f64, u64)>)>,
    /// Counters at the previous sample.
    last: Option<Counters>,
    at: Millis,
}

/// A room's metric counters at one moment; samples are their differences.
#[derive(Clone, Copy)]
struct Counters {
    admitted: u64,
    latency_sum: f64,
    latency_count: u64,
    exchanges: u64,
    /// 5xx, error, timeout.
    failed: u64,
}

#[derive(Default)]
pub struct History {
    rooms: Mutex<HashMap<String, Track>>,
}

impl History {
    /// Takes a sample of every room whose last one is an interval old. Cheap to call often.
    pub fn sample(&self, site: &Site, now: Millis) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        rooms.retain(|id, _| site.room(id).is_some());
        for room in &site.rooms {
            let track = rooms.entry(room.cfg.id.clone()).or_default();
            if track.last.is_some() && now < track.at + INTERVAL_MS {
                continue;
            }
            let m = &room.metrics;
            let counts = m.upstream_counts();
            let now_counters = Counters {
                admitted: m.line.admitted.get(),
                latency_sum: m.upstream_duration.get_sample_sum(),
                latency_count: m.upstream_duration.get_sample_count(),
                exchanges: counts.iter().sum(),
                failed: counts[3] + counts[4] + counts[5],
            };
            let figures = room.state.figures(now);
            track.waits.push_back(m.line.waits.wait_buckets());
            while track.waits.len() > CAPACITY + 1 {
                track.waits.pop_front();
            }
            let hour = last_hour(&track.waits);
            if let Some(last) = track.last {
                let minutes = (now.saturating_sub(track.at)).max(1) as f64 / 60_000.0;
                let count = now_counters
                    .latency_count
                    .saturating_sub(last.latency_count);
                let total = now_counters.exchanges.saturating_sub(last.exchanges);
                let failed = now_counters.failed.saturating_sub(last.failed);
                track.samples.push_back(Sample {
                    t: now / 1000,
                    waiting: figures.waiting(),
                    admitted_per_minute: now_counters.admitted.saturating_sub(last.admitted) as f64
                        / minutes,
                    active_sessions: figures.active,
                    admit_per_minute: figures.effective_rate(),
                    estimated_wait_seconds: figures.wait_for_newcomer().map_or(0, |w| w.seconds),
                    upstream_latency_ms: (count > 0).then(|| {
                        (now_counters.latency_sum - last.latency_sum) * 1000.0 / count as f64
                    }),
                    upstream_error_ratio: (total > 0).then(|| failed as f64 / total as f64),
                    wait_p50_seconds: quantile(&hour, 0.5),
                    wait_p90_seconds: quantile(&hour, 0.9),
                    told_unlikely: figures.supply.as_ref().and_then(|s| {
                        supply::told_unlikely(
                            s,
                            figures.waiting(),
                            figures.active,
                            figures.movement.show_share,
                        )
                    }),
                });
                while track.samples.len() > CAPACITY {
                    track.samples.pop_front();
                }
            }
            track.last = Some(now_counters);
            track.at = now;
        }
    }

    /// Every room's samples, oldest first, by room id.
    pub fn series(&self) -> BTreeMap<String, Vec<Sample>> {
        let rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        rooms
            .iter()
            .map(|(id, t)| (id.clone(), t.samples.iter().copied().collect()))
            .collect()
    }
}

/// The waits between the oldest and the newest snapshot: admissions, and per bucket its upper
/// bound and how many waited at most that long.
fn last_hour(waits: &VecDeque<(u64, Vec<(f64, u64)>)>) -> (u64, Vec<(f64, u64)>) {
    let (Some(old), Some(new)) = (waits.front(), waits.back()) else {
        return (0, Vec::new());
    };
    let buckets = new
        .1
        .iter()
        .zip(&old.1)
        .map(|(&(bound, n), &(_, o))| (bound, n.saturating_sub(o)))
        .collect();
    (new.0.saturating_sub(old.0), buckets)
}

/// The `q` quantile of a histogram's waits, by linear interpolation within the bucket it
/// falls in (as Prometheus' `histogram_quantile` does); beyond the last bound, that bound.
fn quantile((count, buckets): &(u64, Vec<(f64, u64)>), q: f64) -> Option<f64> {
    if *count == 0 {
        return None;
    }
    let rank = q * *count as f64;
    let mut below = (0.0, 0u64);
    for &(bound, n) in buckets {
        if n as f64 >= rank {
            let (low, under) = below;
            let inside = (n - under).max(1) as f64;
            return Some(low + (bound - low) * (rank - under as f64) / inside);
        }
        below = (bound, n);
    }
    Some(below.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_the_last_hour_interpolate_within_buckets() {
        let buckets =
            |counts: [u64; 3]| vec![(60.0, counts[0]), (300.0, counts[1]), (600.0, counts[2])];
        let mut waits = VecDeque::new();
        waits.push_back((10, buckets([10, 10, 10])));
        waits.push_back((110, buckets([60, 110, 110])));
        let hour = last_hour(&waits);
        assert_eq!(hour, (100, buckets([50, 100, 100])));
        // Half waited under a minute; the 90th of 100 is 40 of the 50 between 60 and 300 s.
        assert_eq!(quantile(&hour, 0.5), Some(60.0));
        assert_eq!(quantile(&hour, 0.9), Some(60.0 + 240.0 * 40.0 / 50.0));
        assert_eq!(quantile(&(0, buckets([0, 0, 0])), 0.5), None);
        // Beyond the last bound: the bound.
        assert_eq!(quantile(&(10, buckets([0, 0, 5])), 0.9), Some(600.0));
    }
}
