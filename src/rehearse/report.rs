//! What a rehearsal found, written out: the summary table for the terminal and the HTML
//! report, one self-contained file with its plots inlined as SVG. Must not measure anything.

use std::fmt::Write as _;

use plotters::prelude::*;

use super::ladder::{Finish, StepResult, Verdict};
use super::terminal::verdict_words;
use super::Rehearsed;

/// The steps as a table, then the knee, the settings and the morning, in plain words.
pub fn summary(r: &Rehearsed) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Rehearsal of room `{}` against {} (p95 under {:.0} ms, errors under {:.1} %)\n",
        r.room,
        r.upstream,
        r.targets.target_latency_ms,
        r.targets.max_error_ratio * 100.0
    );
    let _ = writeln!(
        out,
        "{:>9} {:>9} {:>8} {:>8} {:>8} {:>7} {:>8} {:>6}  verdict",
        "rate/min", "drove/min", "p50 ms", "p95 ms", "p99 ms", "errors", "journeys", "peak"
    );
    for s in &r.steps {
        let _ = writeln!(
            out,
            "{:>9.0} {:>9.0} {:>8.0} {:>8.0} {:>8.0} {:>6.1}% {:>8} {:>6}  {}{}",
            s.per_minute,
            s.driven_per_minute,
            s.latency_ms.p50,
            s.latency_ms.p95,
            s.latency_ms.p99,
            s.error_ratio * 100.0,
            s.journeys_completed,
            s.peak_in_flight,
            verdict_words(s.verdict),
            if s.ended_early { " (ended early)" } else { "" }
        );
    }
    out.push('\n');
    for line in findings(r) {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// The findings as sentences, for the table and the report alike.
pub fn findings(r: &Rehearsed) -> Vec<String> {
    let mut lines = Vec::new();
    lines.push(ending_words(r));
    match r.knee_per_minute {
        Some(k) if r.knee_is_lower_bound => lines.push(format!(
            "Knee: at least {k:.0} new sessions per minute (the highest rate tried; raise \
             --max-per-minute to look further)."
        )),
        Some(k) => lines.push(format!("Knee: {k:.0} new sessions per minute.")),
        None => lines.push("Knee: none found; no step kept to the targets.".to_string()),
    }
    lines.push(format!(
        "The crowd drove at most {:.0} new sessions per minute; no knee above that is claimed.",
        r.crowd_drove_per_minute
    ));
    if let Some(rec) = &r.recommended {
        lines.push(format!(
            "Recommended: admit_per_minute = {}, max_active = {}, max_upstream_concurrency = {}",
            rec.admit_per_minute, rec.max_active, rec.max_upstream_concurrency
        ));
    }
    if let Some(m) = &r.morning {
        lines.push(match m.sold_out_after_seconds {
            Some(s) => format!(
                "The morning: sold out after {}; the longest wait of anyone who got one {}; \
                 the last people without one are told after {} (whoever comes later at once).",
                clock(s),
                clock(m.longest_wait_seconds),
                clock(m.last_told_after_seconds.unwrap_or(s))
            ),
            None => format!(
                "The morning: enough for everyone; the last let in after {}, the longest wait {}.",
                clock(m.last_let_in_after_seconds),
                clock(m.longest_wait_seconds)
            ),
        });
    }
    lines
}

fn ending_words(r: &Rehearsed) -> String {
    match r.ending {
        Finish::KneeFound => "Ended: the knee is found between a good and a bad step.".into(),
        Finish::CeilingReached => "Ended: every step up to --max-per-minute was good.".into(),
        Finish::BadFromTheStart => {
            "Ended: the lowest step was already bad; try a lower --start-per-minute.".into()
        }
        Finish::ErrorsRanAway => {
            "Stopped early: the site's errors ran away, and nobody more was let in.".into()
        }
        Finish::CrowdLimit => "Ended: the crowd could not drive a higher rate from this \
                               machine; the knee may be higher."
            .into(),
        Finish::OutOfSteps => "Ended: out of steps.".into(),
    }
}

/// Seconds as `1 h 02 min`, `4 min 05 s` or `12 s`.
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s:02} s"),
        (h, m, _) => format!("{h} h {m:02} min"),
    }
}

/// The HTML report: findings, the two plots, the table.
pub fn html(r: &Rehearsed) -> String {
    let latency = plot_latency(&r.steps, r.targets.target_latency_ms);
    let errors = plot_errors(&r.steps, r.targets.max_error_ratio);
    let mut rows = String::new();
    for s in &r.steps {
        let class = if s.verdict == Verdict::Good {
            "good"
        } else {
            "bad"
        };
        let _ = write!(
            rows,
            "<tr class=\"{class}\"><td>{:.0}</td><td>{:.0}</td><td>{:.0}</td><td>{:.0}</td>\
             <td>{:.0}</td><td>{:.1} %</td><td>{}</td><td>{}</td><td>{}{}</td></tr>",
            s.per_minute,
            s.driven_per_minute,
            s.latency_ms.p50,
            s.latency_ms.p95,
            s.latency_ms.p99,
            s.error_ratio * 100.0,
            s.journeys_completed,
            s.peak_in_flight,
            verdict_words(s.verdict),
            if s.ended_early { " (ended early)" } else { "" }
        );
    }
    let findings: String = findings(r)
        .iter()
        .map(|l| format!("<li>{}</li>", escape(l)))
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Rehearsal of {room}</title><style>{STYLE}</style></head><body>\
         <h1>Dress rehearsal of room <code>{room}</code></h1>\
         <p class=\"target\">Against {upstream} · target p95 under {target:.0} ms, errors under \
         {ratio:.1} % · a journey of {journey} request(s)</p>\
         <ul class=\"findings\">{findings}</ul>\
         <div class=\"plots\"><figure>{latency}<figcaption>The site's latency against the \
         admission rate</figcaption></figure><figure>{errors}<figcaption>Errors against the \
         admission rate</figcaption></figure></div>\
         <table><thead><tr><th>rate/min</th><th>drove/min</th><th>p50 ms</th><th>p95 ms</th>\
         <th>p99 ms</th><th>errors</th><th>journeys</th><th>peak in flight</th><th>verdict</th>\
         </tr></thead><tbody>{rows}</tbody></table></body></html>\n",
        room = escape(&r.room),
        upstream = escape(&r.upstream),
        target = r.targets.target_latency_ms,
        ratio = r.targets.max_error_ratio * 100.0,
        journey = r.journey_requests,
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;\
padding:0 1rem;color:#222}h1{font-size:1.5rem}.target{color:#555}.findings li{margin:.3rem 0}\
.plots{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}figcaption{text-align:center;\
color:#555;font-size:.9rem}table{border-collapse:collapse;margin-top:1.5rem;width:100%}\
td,th{padding:.3rem .6rem;text-align:right;border-bottom:1px solid #ddd}\
tr.bad td{background:#fdecea}tr.good td{background:#eef8ee}";

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const PLOT: (u32, u32) = (480, 320);

/// The steps in rate order (refined steps come late but sit between the others).
fn by_rate(steps: &[StepResult]) -> Vec<&StepResult> {
    let mut sorted: Vec<&StepResult> = steps.iter().collect();
    sorted.sort_by(|a, b| a.per_minute.total_cmp(&b.per_minute));
    sorted
}

/// p50, p95 and p99 against the rate, with the target as a dashed line.
fn plot_latency(steps: &[StepResult], target_ms: f64) -> String {
    let sorted = by_rate(steps);
    let top = sorted
        .iter()
        .map(|s| s.latency_ms.p99)
        .fold(target_ms, f64::max)
        * 1.15;
    let values = |pick: fn(&StepResult) -> f64| sorted.iter().map(|s| pick(s)).collect();
    let lines: Vec<(&str, RGBAColor, Vec<f64>)> = vec![
        ("p50", BLUE.mix(0.6), values(|s| s.latency_ms.p50)),
        ("p95", RED.mix(0.9), values(|s| s.latency_ms.p95)),
        ("p99", MAGENTA.mix(0.5), values(|s| s.latency_ms.p99)),
    ];
    plot(&sorted, "ms", top, &lines, ("target", target_ms))
}

/// The error ratio (in %) against the rate, with the limit as a dashed line.
fn plot_errors(steps: &[StepResult], max_ratio: f64) -> String {
    let sorted = by_rate(steps);
    let values: Vec<f64> = sorted.iter().map(|s| s.error_ratio * 100.0).collect();
    let top = values.iter().copied().fold(max_ratio * 100.0, f64::max) * 1.15;
    let lines = vec![("errors", RED.mix(0.9), values)];
    plot(
        &sorted,
        "% errors",
        top,
        &lines,
        ("limit", max_ratio * 100.0),
    )
}

/// One line chart over the steps' rates, as an SVG element.
fn plot(
    steps: &[&StepResult],
    y_label: &str,
    y_top: f64,
    lines: &[(&str, RGBAColor, Vec<f64>)],
    limit: (&str, f64),
) -> String {
    let mut svg = String::new();
    let rates: Vec<f64> = steps.iter().map(|s| s.per_minute).collect();
    let x_max = rates.iter().copied().fold(1.0, f64::max) * 1.05;
    {
        let root = SVGBackend::with_string(&mut svg, PLOT).into_drawing_area();
        let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(48)
                .build_cartesian_2d(0.0..x_max, 0.0..y_top.max(1.0))?;
            chart
                .configure_mesh()
                .x_desc("admitted per minute")
                .y_desc(y_label)
                .light_line_style(WHITE.mix(0.0))
                .draw()?;
            let (name, level) = limit;
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.0, level), (x_max, level)],
                    6,
                    4,
                    BLACK.mix(0.6).stroke_width(1),
                ))?
                .label(name)
                .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLACK.mix(0.6)));
            for (name, color, values) in lines {
                let color = *color;
                let points: Vec<(f64, f64)> =
                    rates.iter().copied().zip(values.iter().copied()).collect();
                chart
                    .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
                    .label(*name)
                    .legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2))
                    });
                chart.draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 3, color.filled())),
                )?;
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK.mix(0.3))
                .position(SeriesLabelPosition::UpperLeft)
                .draw()?;
            root.present()?;
            Ok(())
        })();
        if let Err(e) = drawn {
            tracing::warn!(error = %e, "a plot of the rehearsal report could not be drawn");
        }
    }
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rehearse::ladder::{LatencyMs, Recommended, Targets};

    fn rehearsed() -> Rehearsed {
        let step = |rate: f64, p95: f64, err: f64, verdict| StepResult {
            per_minute: rate,
            driven_per_minute: rate,
            seconds: 20.0,
            requests: 100,
            errors: (err * 100.0) as u64,
            error_ratio: err,
            latency_ms: LatencyMs {
                p50: p95 / 2.0,
                p95,
                p99: p95 * 1.2,
            },
            journeys_completed: 100,
            peak_in_flight: 4,
            ended_early: false,
            verdict,
        };
        Rehearsed {
            room: "impf<zentrum>".into(),
            upstream: "http://127.0.0.1:8081".into(),
            targets: Targets {
                target_latency_ms: 800.0,
                max_error_ratio: 0.05,
            },
            journey_requests: 3,
            ending: Finish::KneeFound,
            knee_per_minute: Some(600.0),
            knee_is_lower_bound: false,
            crowd_drove_per_minute: 900.0,
            recommended: Some(Recommended {
                admit_per_minute: 480,
                max_active: 5000,
                max_upstream_concurrency: 7,
            }),
            morning: None,
            steps: vec![
                step(300.0, 100.0, 0.0, Verdict::Good),
                step(900.0, 1500.0, 0.2, Verdict::Failing),
                step(600.0, 300.0, 0.01, Verdict::Good),
            ],
        }
    }

    #[test]
    fn the_report_is_one_file_with_its_plots() {
        let page = html(&rehearsed());
        assert_eq!(page.matches("<svg").count(), 2, "{page}");
        assert!(page.contains("impf&lt;zentrum&gt;"));
        assert!(!page.contains("<script"));
        assert!(!page.contains("src=\"http"));
        assert!(page.contains("admit_per_minute = 480"));
    }

    #[test]
    fn the_summary_lists_steps_and_findings() {
        let text = summary(&rehearsed());
        assert!(
            text.contains("Knee: 600 new sessions per minute."),
            "{text}"
        );
        assert_eq!(text.matches("too many errors").count(), 1);
        assert_eq!(clock(3725.0), "1 h 02 min");
        assert_eq!(clock(245.0), "4 min 05 s");
    }
}
