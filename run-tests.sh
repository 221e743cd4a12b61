#!/usr/bin/env bash
# The whole test suite: installs what the tests need (the Rust toolchain is assumed), then
# formatting, lints and every test. The replay/bench tests start their own InfluxDB 1.x and
# VictoriaMetrics servers on 127.0.0.1 (temp dirs, free ports) and stop them when done.
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v influxd >/dev/null 2>&1 || need+=(influxdb)
command -v victoria-metrics >/dev/null 2>&1 || need+=(victoria-metrics)
# The compressed-output tests read the files back with the system's gzip and zstd too.
command -v gzip >/dev/null 2>&1 || need+=(gzip)
command -v zstd >/dev/null 2>&1 || need+=(zstd)
# The end-to-end benchmark's peers.
command -v pigz >/dev/null 2>&1 || need+=(pigz)
# The man page test reads it with groff; a TLS test makes a certificate with openssl.
command -v groff >/dev/null 2>&1 || need+=(groff)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if ((${#need[@]})); then
  echo "run-tests: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's packages may start system services on the default ports; the tests use their own.

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
