//! `chart.svg` of `lpconvert bench`, drawn with plotters' SVG backend: throughput (lines/s
//! acknowledged and sent, the rate asked for) above, request latency (p99 and p50, the
//! `--max-p99` bound) below, over time; warm-up and each ramp step shaded and labelled.

use super::run_info::RunInfo;
use super::text::headline;
use super::ReportError;
use crate::config::Mode;
use crate::run::BenchResult;
use crate::timeline::{Phase, Sample};
use plotters::prelude::*;

const WIDTH: u32 = 1100;
const HEIGHT: u32 = 760;
const ACKED: RGBColor = RGBColor(31, 119, 180);
const SENT: RGBColor = RGBColor(158, 200, 230);
const TARGET: RGBColor = RGBColor(60, 60, 60);
const P99: RGBColor = RGBColor(214, 39, 40);
const P50: RGBColor = RGBColor(255, 127, 14);
const BAND_A: RGBColor = RGBColor(243, 246, 250);
const BAND_B: RGBColor = RGBColor(228, 235, 244);
const WARMUP: RGBColor = RGBColor(225, 225, 225);
const FAILED: RGBColor = RGBColor(250, 222, 222);

fn err<E: std::fmt::Display>(e: E) -> ReportError {
    ReportError::Chart(e.to_string())
}

/// Per-second rate of a count.
fn per_s(s: &Sample, n: u64) -> f64 {
    n as f64 / s.duration_s.max(1e-3)
}

fn mid(s: &Sample) -> f64 {
    s.second as f64 + s.duration_s / 2.0
}

/// A shaded span of the time axis with a label.
struct Band {
    from: f64,
    to: f64,
    color: RGBColor,
    label: String,
}

fn bands(info: &RunInfo, r: &BenchResult, end: f64) -> Vec<Band> {
    let warm = info.config.warmup.as_secs_f64();
    let mut out = Vec::new();
    if warm > 0.0 {
        out.push(Band {
            from: 0.0,
            to: warm.min(end),
            color: WARMUP,
            label: "warm-up".into(),
        });
    }
    if let Mode::Ramp(ramp) = &info.config.mode {
        let step = ramp.step.as_secs_f64();
        let last = r
            .samples
            .iter()
            .filter_map(|s| match s.phase {
                Phase::Step(n) => Some(n),
                _ => None,
            })
            .max();
        if let Some(last) = last {
            for n in 0..=last {
                let from = warm + step * f64::from(n);
                let failed = r.steps.iter().any(|st| st.step == n && !st.passed);
                out.push(Band {
                    from,
                    to: (from + step).min(end),
                    color: if failed {
                        FAILED
                    } else if n % 2 == 0 {
                        BAND_A
                    } else {
                        BAND_B
                    },
                    label: format!("{}/s", short(ramp.rate(n))),
                });
            }
        }
    }
    out
}

/// 12k, 1.5M.
fn short(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if v >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// Renders the chart as SVG text.
pub(super) fn render(info: &RunInfo, r: &BenchResult) -> Result<String, ReportError> {
    // A last partial second of a few milliseconds would show a meaningless rate.
    let samples: Vec<Sample> = r
        .samples
        .iter()
        .filter(|s| s.duration_s >= 0.5)
        .cloned()
        .collect();
    let samples = &samples;
    let end = samples
        .last()
        .map_or(1.0, |s| s.second as f64 + s.duration_s)
        .max(1.0);
    let max_rate = samples
        .iter()
        .flat_map(|s| {
            [
                per_s(s, s.counts.acked_lines),
                per_s(s, s.counts.sent_lines),
                s.target_lines_per_s.unwrap_or(0.0),
            ]
        })
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.15;
    let bound_ms = match &info.config.mode {
        Mode::Ramp(ramp) => Some(ramp.max_p99.as_secs_f64() * 1000.0),
        _ => None,
    };
    let max_lat = samples
        .iter()
        .map(|s| s.latency.p99_ms)
        .fold(bound_ms.unwrap_or(0.0), f64::max)
        .max(1.0)
        * 1.15;
    let bands = bands(info, r, end);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let title = format!(
            "lpconvert bench: {} | {}",
            match (&info.server.product, &info.server.version) {
                (Some(p), Some(v)) => format!("{p} {v}"),
                (_, Some(v)) => v.clone(),
                _ => info.write_url.clone(),
            },
            headline(r)
        );
        let root = root
            .titled(&truncate(&title, 140), ("sans-serif", 16))
            .map_err(err)?;
        let (upper, lower) = root.split_vertically((HEIGHT - 30) * 55 / 100);

        // Throughput.
        let mut chart = ChartBuilder::on(&upper)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..end, 0f64..max_rate)
            .map_err(err)?;
        draw_bands(&mut chart, &bands, max_rate, true)?;
        chart
            .configure_mesh()
            .x_desc("time since start (s)")
            .y_desc("lines per second")
            .y_label_formatter(&|v| short(*v))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                samples
                    .iter()
                    .map(|s| (mid(s), per_s(s, s.counts.sent_lines))),
                SENT.stroke_width(2),
            ))
            .map_err(err)?
            .label("sent lines/s")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], SENT.stroke_width(2)));
        chart
            .draw_series(LineSeries::new(
                samples
                    .iter()
                    .map(|s| (mid(s), per_s(s, s.counts.acked_lines))),
                ACKED.stroke_width(2),
            ))
            .map_err(err)?
            .label("acknowledged lines/s")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], ACKED.stroke_width(2)));
        let target: Vec<(f64, f64)> = samples
            .iter()
            .filter(|s| s.phase != Phase::Drain)
            .filter_map(|s| {
                s.target_lines_per_s
                    .map(|t| [(s.second as f64, t), (s.second as f64 + s.duration_s, t)])
            })
            .flatten()
            .collect();
        if !target.is_empty() {
            chart
                .draw_series(DashedLineSeries::new(target, 6, 4, TARGET.stroke_width(1)))
                .map_err(err)?
                .label("rate asked for")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], TARGET));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(err)?;

        // Latency.
        let mut chart = ChartBuilder::on(&lower)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..end, 0f64..max_lat)
            .map_err(err)?;
        draw_bands(&mut chart, &bands, max_lat, false)?;
        chart
            .configure_mesh()
            .x_desc("time since start (s)")
            .y_desc("request latency (ms)")
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        let measured: Vec<&Sample> = samples.iter().filter(|s| s.latency.count > 0).collect();
        chart
            .draw_series(LineSeries::new(
                measured.iter().map(|s| (mid(s), s.latency.p50_ms)),
                P50.stroke_width(2),
            ))
            .map_err(err)?
            .label("p50")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], P50.stroke_width(2)));
        chart
            .draw_series(LineSeries::new(
                measured.iter().map(|s| (mid(s), s.latency.p99_ms)),
                P99.stroke_width(2),
            ))
            .map_err(err)?
            .label("p99")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], P99.stroke_width(2)));
        if let Some(b) = bound_ms {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(0.0, b), (end, b)],
                    6,
                    4,
                    P99.mix(0.6).stroke_width(1),
                ))
                .map_err(err)?
                .label(format!("--max-p99 {b:.0} ms"))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], P99.mix(0.6)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Shaded bands, with their labels at the top when `labels`.
fn draw_bands(
    chart: &mut Chart<'_, '_>,
    bands: &[Band],
    top: f64,
    labels: bool,
) -> Result<(), ReportError> {
    chart
        .draw_series(
            bands
                .iter()
                .map(|b| Rectangle::new([(b.from, 0.0), (b.to, top)], b.color.filled())),
        )
        .map_err(err)?;
    if !labels {
        return Ok(());
    }
    let many = bands.len() > 12;
    chart
        .draw_series(bands.iter().enumerate().map(|(i, b)| {
            // Stagger labels when steps are many, so that they do not overlap.
            let y = if many && i % 2 == 1 { 0.92 } else { 0.97 };
            Text::new(
                b.label.clone(),
                (b.from + (b.to - b.from) * 0.05, top * y),
                ("sans-serif", 11).into_font().color(&TARGET),
            )
        }))
        .map_err(err)?;
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let t: String = s.chars().take(n - 1).collect();
        format!("{t}…")
    }
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn short_rates() {
        assert_eq!(short(950.0), "950");
        assert_eq!(short(1500.0), "1.5k");
        assert_eq!(short(33750.0), "34k");
        assert_eq!(short(2_500_000.0), "2.5M");
    }
}
