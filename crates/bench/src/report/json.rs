//! `report.json`: every per-second sample, the summary, the command line and the server's
//! version ([`super::model::Report`]).

use super::model::Report;
use super::run_info::RunInfo;
use super::ReportError;
use crate::run::BenchResult;

/// `report.json`.
pub(super) fn render(info: &RunInfo, r: &BenchResult) -> Result<Vec<u8>, ReportError> {
    // Through a `Value`, whose objects keep their keys sorted.
    let value = serde_json::to_value(Report::new(info, r))?;
    let text = serde_json::to_string_pretty(&value)?;
    Ok((text + "\n").into_bytes())
}
