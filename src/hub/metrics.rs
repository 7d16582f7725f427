//! What `/metrics` says, in the Prometheus text format: entries ingested, syncs (pushes and
//! pulls), refusals by reason, and request latency per endpoint as a histogram.
//!
//! Written here rather than with a metrics crate: four counters and one histogram are a few
//! atomics and a `format!`, and the text format is stable and small.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const LATENCY_BUCKETS_S: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
struct Histogram {
    /// Counts per bucket (not cumulative), then the +Inf bucket.
    buckets: [u64; LATENCY_BUCKETS_S.len() + 1],
    sum_s: f64,
    count: u64,
}

/// The hub's counters, shared by every request of one process.
#[derive(Default)]
pub struct Metrics {
    entries_ingested: AtomicU64,
    pushes: AtomicU64,
    pulls: AtomicU64,
    entries_served: AtomicU64,
    refusals: Mutex<BTreeMap<String, u64>>,
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
}

impl Metrics {
    pub fn ingested(&self, entries: u64) {
        self.entries_ingested.fetch_add(entries, Ordering::Relaxed);
        self.pushes.fetch_add(1, Ordering::Relaxed);
    }

    pub fn served(&self, entries: u64) {
        self.entries_served.fetch_add(entries, Ordering::Relaxed);
        self.pulls.fetch_add(1, Ordering::Relaxed);
    }

    /// A refused request or entry, by reason code.
    pub fn refused(&self, reason: &str, count: u64) {
        let mut refusals = self.refusals.lock().unwrap_or_else(|p| p.into_inner());
        *refusals.entry(reason.to_string()).or_default() += count;
    }

    pub fn refusals_of(&self, reason: &str) -> u64 {
        let refusals = self.refusals.lock().unwrap_or_else(|p| p.into_inner());
        refusals.get(reason).copied().unwrap_or(0)
    }

    pub fn observe(&self, route: &'static str, took: Duration) {
        let seconds = took.as_secs_f64();
        let mut latency = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let histogram = latency.entry(route).or_default();
        let bucket = LATENCY_BUCKETS_S
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS_S.len());
        histogram.buckets[bucket] += 1;
        histogram.sum_s += seconds;
        histogram.count += 1;
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, value: u64| {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"
            ));
        };
        counter(
            &mut out,
            "pointsdesk_hub_entries_ingested_total",
            "Entries taken in from pushes.",
            self.entries_ingested.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "pointsdesk_hub_entries_served_total",
            "Entries sent in answer to pulls.",
            self.entries_served.load(Ordering::Relaxed),
        );
        out.push_str(
            "# HELP pointsdesk_hub_syncs_total Pushes and pulls served.\n# TYPE pointsdesk_hub_syncs_total counter\n",
        );
        out.push_str(&format!(
            "pointsdesk_hub_syncs_total{{direction=\"push\"}} {}\npointsdesk_hub_syncs_total{{direction=\"pull\"}} {}\n",
            self.pushes.load(Ordering::Relaxed),
            self.pulls.load(Ordering::Relaxed)
        ));
        out.push_str(
            "# HELP pointsdesk_hub_refusals_total Requests and entries refused, by reason.\n# TYPE pointsdesk_hub_refusals_total counter\n",
        );
        for (reason, count) in self
            .refusals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            out.push_str(&format!(
                "pointsdesk_hub_refusals_total{{reason=\"{reason}\"}} {count}\n"
            ));
        }
        out.push_str(
            "# HELP pointsdesk_hub_request_seconds Time to answer a request, by endpoint.\n# TYPE pointsdesk_hub_request_seconds histogram\n",
        );
        for (route, h) in self
            .latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let mut cumulative = 0;
            for (bound, count) in LATENCY_BUCKETS_S.iter().zip(h.buckets) {
                cumulative += count;
                out.push_str(&format!(
                    "pointsdesk_hub_request_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}\n"
                ));
            }
            out.push_str(&format!(
                "pointsdesk_hub_request_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\n",
                h.count
            ));
            out.push_str(&format!(
                "pointsdesk_hub_request_seconds_sum{{route=\"{route}\"}} {}\npointsdesk_hub_request_seconds_count{{route=\"{route}\"}} {}\n",
                h.sum_s, h.count
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_has_every_family_and_cumulative_buckets() {
        let m = Metrics::default();
        m.ingested(1000);
        m.served(20);
        m.refused("replayed", 2);
        m.observe("push", Duration::from_millis(3));
        m.observe("push", Duration::from_millis(30));
        let text = m.render();
        assert!(text.contains("pointsdesk_hub_entries_ingested_total 1000"));
        assert!(text.contains("pointsdesk_hub_syncs_total{direction=\"pull\"} 1"));
        assert!(text.contains("pointsdesk_hub_refusals_total{reason=\"replayed\"} 2"));
        assert!(
            text.contains("pointsdesk_hub_request_seconds_bucket{route=\"push\",le=\"0.005\"} 1")
        );
        assert!(
            text.contains("pointsdesk_hub_request_seconds_bucket{route=\"push\",le=\"0.05\"} 2")
        );
        assert!(text.contains("pointsdesk_hub_request_seconds_count{route=\"push\"} 2"));
    }
}
