//! `convert --target`: what a server cannot store as written, refused when the schema is
//! loaded, so that conversion and `check --target` agree (`lpconvert_lp::target` has the
//! per-line rules).

use lpconvert_lp::target::Target;
use lpconvert_schema::{FieldType, Schema};

/// The schema's fields that `target` cannot store as written, as one message per field:
/// string fields for VictoriaMetrics (it stores numbers only: a string is read as a
/// number, 0 when it is none), unsigned fields for InfluxDB 1.x OSS (refused).
pub fn schema_problems(schema: &Schema, target: Target) -> Vec<String> {
    schema
        .fields
        .iter()
        .filter_map(|f| match (target, f.ftype) {
            (Target::VictoriaMetrics, FieldType::String) => Some(format!(
                "field `{}` is a string: VictoriaMetrics stores numbers only (a string is read \
                 as a number, 0 when it is none); make it a tag or a numeric field",
                f.key
            )),
            (Target::Influxdb1, FieldType::Unsigned) => Some(format!(
                "field `{}` is unsigned: InfluxDB 1.x OSS refuses unsigned values; make it an \
                 integer",
                f.key
            )),
            _ => None,
        })
        .collect()
}

/// [`schema_problems`] as one error: `--target T: problem; problem`.
pub fn check_schema(schema: &Schema, target: Target) -> Result<(), String> {
    let problems = schema_problems(schema, target);
    match problems.is_empty() {
        true => Ok(()),
        false => Err(format!("--target {target}: {}", problems.join("; "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_for_victoriametrics_and_unsigned_for_influxdb1() {
        let schema = Schema::from_toml(
            "[measurement]\nvalue = \"m\"\n[fields]\ns = { column = \"s\", type = \"string\" }\n\
             u = { column = \"u\", type = \"unsigned\" }\nf = { column = \"f\", type = \"float\" }\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let vm = schema_problems(&schema, Target::VictoriaMetrics);
        assert_eq!(vm.len(), 1);
        assert!(vm[0].contains("`s` is a string"), "{vm:?}");
        let v1 = schema_problems(&schema, Target::Influxdb1);
        assert_eq!(v1.len(), 1);
        assert!(v1[0].contains("`u` is unsigned"), "{v1:?}");
        assert!(schema_problems(&schema, Target::Influxdb2).is_empty());
    }
}
