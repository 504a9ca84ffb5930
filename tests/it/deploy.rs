//! The deployment kit against the real gateway: the Grafana dashboard and the Prometheus
//! alerts may only name metrics the gateway exports.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support;

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Every `wartesaal_...` name in `text`.
fn names_in(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("wartesaal_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(tail.len());
        // Part of a longer word (e.g. a cookie name in prose) is not a metric.
        let before = rest[..at].chars().next_back();
        if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.insert(tail[..end].to_string());
        }
        rest = &tail[end..];
    }
    out
}

/// Every series name in a Prometheus exposition, histograms with their suffixes.
fn exported(metrics: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in metrics.lines() {
        let Some(decl) = line.strip_prefix("# TYPE ") else {
            continue;
        };
        let mut parts = decl.split_whitespace();
        let (Some(name), Some(kind)) = (parts.next(), parts.next()) else {
            continue;
        };
        if kind == "histogram" {
            for suffix in ["_bucket", "_sum", "_count"] {
                out.insert(format!("{name}{suffix}"));
            }
        } else {
            out.insert(name.to_string());
        }
    }
    out
}

/// Every PromQL expression in a Grafana dashboard, its panels nested or not.
fn exprs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("expr" | "query", serde_json::Value::String(s)) => out.push(s.clone()),
                    _ => exprs(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| exprs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_dashboard_and_the_alerts_name_only_metrics_the_gateway_exports() {
    // Serving HTTPS, so that the certificates' expiry is exported too.
    let pki = crate::tls::Pki::new("deploy");
    let (_up, gw) = support::gateway_with_upstream(
        &crate::tls::tls_section(&pki.leaf("deploy"), ""),
        "admit_per_minute = 60\n[rooms.adaptive]\nenabled = true\nmin_per_minute = 6\n\
         max_per_minute = 600",
    )
    .await;
    let have = exported(&gw.metrics().await);
    assert!(have.contains("wartesaal_upstream_duration_seconds_bucket"));

    let dashboard: serde_json::Value = serde_json::from_str(&read("deploy/grafana/wartesaal.json"))
        .expect("the Grafana dashboard is valid JSON");
    let mut queries = Vec::new();
    exprs(&dashboard, &mut queries);
    assert!(queries.len() >= 10, "only {} queries", queries.len());
    let dashboard_names: BTreeSet<String> = queries.iter().flat_map(|q| names_in(q)).collect();
    let alert_names = names_in(&read("deploy/prometheus/alerts.yml"));

    for (file, names) in [
        ("deploy/grafana/wartesaal.json", &dashboard_names),
        ("deploy/prometheus/alerts.yml", &alert_names),
    ] {
        let unknown: Vec<&String> = names.iter().filter(|n| !have.contains(*n)).collect();
        assert!(
            unknown.is_empty(),
            "{file} names metrics the gateway does not export: {unknown:?}"
        );
    }
    // The metrics that matter in an event (admission rate, line length, upstream health) are on
    // the dashboard.
    for name in [
        "wartesaal_admit_rate_per_minute",
        "wartesaal_queue_waiting",
        "wartesaal_estimated_wait_seconds",
        "wartesaal_active_sessions",
        "wartesaal_upstream_responses_total",
        "wartesaal_upstream_duration_seconds_bucket",
        "wartesaal_tickets_issued_total",
    ] {
        assert!(
            dashboard_names.contains(name),
            "{name} is not on the dashboard"
        );
    }
    for name in [
        "wartesaal_upstream_responses_total",
        "wartesaal_estimated_wait_seconds",
        "wartesaal_admit_rate_per_minute",
        "wartesaal_certificate_expiry_timestamp_seconds",
    ] {
        assert!(alert_names.contains(name), "{name} has no alert");
    }
    // With the adaptive mode in charge, the floor the rate alert compares with is exported
    // (from the gateway's next tick on).
    let floor = r#"wartesaal_admit_rate_floor_per_minute{room="r"}"#;
    support::eventually("the floor is exported", || async {
        gw.metric(floor).await == 6.0
    })
    .await;
    gw.stop().await;
}
