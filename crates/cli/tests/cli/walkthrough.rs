//! The README's walkthrough (issue 18) holds against the build: every `lpconvert` command of
//! its `sh` blocks between `<!-- walkthrough: start -->` and `<!-- walkthrough: end -->` runs,
//! in order, in one directory holding the files it names (`station.csv` and `weather.toml` of
//! `examples/weather-station/`), against a real InfluxDB 1.x standing in for
//! `http://127.0.0.1:8086`; the last one, `verify`, finds every point stored.

use crate::support::{root, start_influxdb, stderr, stdout, TempDir};
use crate::switching::run;

/// The commands of the walkthrough, in order.
fn commands() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let start = readme
        .find("<!-- walkthrough: start -->")
        .expect("the start marker in README.md");
    let end = readme
        .find("<!-- walkthrough: end -->")
        .expect("the end marker in README.md");
    readme[start..end]
        .lines()
        .filter(|l| l.starts_with("lpconvert "))
        .map(str::to_owned)
        .collect()
}

/// Whether `convert` has `--skipped` yet (it is being added in parallel): without it, the
/// walkthrough runs without that option.
fn convert_has_skipped(dir: &std::path::Path) -> bool {
    stdout(&run(dir, "lpconvert convert --help")).contains("--skipped")
}

#[test]
fn the_weather_station_walkthrough_runs_end_to_end() {
    let commands = commands();
    let names: Vec<&str> = commands
        .iter()
        .map(|c| c.split(' ').nth(1).unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        ["infer", "preview", "convert", "check", "replay", "verify"],
        "{commands:#?}"
    );
    let server = start_influxdb();
    let dir = TempDir::new("walkthrough");
    for file in [
        "examples/weather-station/station.csv",
        "examples/weather-station/weather.toml",
    ] {
        let to = dir.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root().join(file), &to).unwrap();
    }
    let skipped = convert_has_skipped(&dir);
    for command in &commands {
        let mut local = command.replace("http://127.0.0.1:8086", &server.url);
        if !skipped {
            local = local.replace(" --skipped weather.skipped.csv", "");
        }
        let out = run(&dir, &local);
        // convert sets one bad row aside: exit 3, as the walkthrough says.
        let want = if command.starts_with("lpconvert convert ") {
            3
        } else {
            0
        };
        assert_eq!(
            out.status.code(),
            Some(want),
            "README command `{command}`:\n{}{}",
            stdout(&out),
            stderr(&out)
        );
        if command.starts_with("lpconvert verify ") {
            assert!(stderr(&out).contains(" 0 missing"), "{}", stderr(&out));
        }
    }
    let draft = std::fs::read_to_string(dir.join("draft.toml")).unwrap();
    assert!(draft.contains("delimiter = \";\""), "{draft}");
    let lines = std::fs::read_to_string(dir.join("weather.lp")).unwrap();
    assert_eq!(lines.lines().count(), 46);
    let rejects = std::fs::read_to_string(dir.join("weather.rejects.csv")).unwrap();
    assert!(
        rejects.starts_with("Zeit;Station;") && rejects.contains(";E-17;"),
        "{rejects}"
    );
    if skipped {
        let kept = std::fs::read_to_string(dir.join("weather.skipped.csv")).unwrap();
        assert!(kept.contains(";n/a;n/a;n/a;n/a"), "{kept}");
    }
    // Nothing refused, the checkpoint written.
    assert!(
        !dir.join("weather.refused.lp").exists() || {
            std::fs::read_to_string(dir.join("weather.refused.lp"))
                .unwrap()
                .is_empty()
        }
    );
    assert!(dir.join("weather.ckpt").exists());
}
