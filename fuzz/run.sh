#!/usr/bin/env bash
# Builds and runs every fuzz target for a bounded time, one after another.
#
#   fuzz/run.sh [SECONDS] [TARGET...]     (default: 600 s, every target)
#
# Seeds: the official samples under $PROTOCOLS (default: the vendored
# copies in conformance/protocols), copied into fuzz/corpus/<target>/ at run time,
# plus seeds derived from them by `examples/seeds.rs`. The corpus
# directories are git-ignored and grow across runs. Crash artifacts go to
# fuzz/artifacts/<target>/ (ignored), logs and a summary to
# fuzz/target/fuzz-logs/.
#
# Environment:
#   SANITIZER  address (default) or none. Stable rustc accepts the -Z flags
#              cargo-fuzz passes because this script sets RUSTC_BOOTSTRAP=1.
#   TIMEOUT    seconds one input may take before libFuzzer calls it a hang
#              (default 30: generous because the run is niced on a shared
#              machine and libFuzzer's clock is wall time).
#   RSS_LIMIT  MB before libFuzzer calls it an out-of-memory (default 2048).
#   NICE       niceness of builds and runs (default 19).

set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
seconds="${1:-600}"
shift || true
protocols="${PROTOCOLS:-$repo/conformance/protocols}"
sanitizer="${SANITIZER:-address}"
timeout="${TIMEOUT:-30}"
rss_limit="${RSS_LIMIT:-2048}"
niceness="${NICE:-19}"
triple="$(rustc -vV | sed -n 's/^host: //p')"
export RUSTC_BOOTSTRAP=1

all_targets=(canonical_json memo_decode fjernprint dpi_jwt dpi_cms dpi_multipart dpi_rest asice sdp_xml fi_request fi_event fi_rest se_delivery se_soap se_receipt config)
if [ "$#" -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi

corpus_root="$here/corpus"
logs="$here/target/fuzz-logs"
mkdir -p "$corpus_root" "$here/artifacts" "$logs"
stamp="$(date -u +%Y-%m-%dT%H%M%SZ)"
summary="$logs/summary-$stamp.tsv"
printf 'target\tdate\tseconds\truns\texecs_per_s\tseed_files\tcorpus_files\tcorpus_bytes\tresult\tsanitizer\n' >"$summary"

# Copies the files matching the patterns below $protocols/$1 into a target's
# corpus, named after their path so that samples with the same name do not
# overwrite each other.
seed() {
    local target="$1" dir="$protocols/$2"
    shift 2
    mkdir -p "$corpus_root/$target"
    local f rel
    while IFS= read -r -d '' f; do
        rel="${f#"$protocols"/}"
        cp "$f" "$corpus_root/$target/official-${rel//\//_}"
    done < <(find "$dir" -type f \( "$@" \) -print0)
}

seed_official() {
    case "$1" in
    canonical_json)
        # Borderpost's own format: the official MeMo samples decoded (the
        # Danish adapter's golden files), and the DPI JSON for its shape.
        mkdir -p "$corpus_root/canonical_json"
        cp "$repo"/adapters/dk/tests/fixtures/golden/*.json "$corpus_root/canonical_json/" 2>/dev/null
        seed canonical_json no/dpi-2022/eksempler -name '*.json' ;;
    memo_decode | fjernprint) seed "$1" dk -name '*.xml' ;;
    dpi_jwt) seed dpi_jwt no/dpi-2022/eksempler -name '*.jwt' -o -name '*.json' ;;
    dpi_cms) seed dpi_cms no/dpi-2022/eksempler -name '*.cms' ;;
    asice) seed asice no/dpi-2022/eksempler -name '*.zip' ;;
    sdp_xml) seed sdp_xml no/sdp-v10 -name '*.xml' ;;
    fi_request | fi_event)
        # Finland publishes no sample messages: the adapter's fixtures,
        # shaped as the two production clients write them (requests for
        # fi_request, the events page for fi_event).
        mkdir -p "$corpus_root/$1"
        for f in "$repo"/adapters/fi/tests/fixtures/requests/*.json; do
            is_events=no
            [ "$(basename "$f")" = events.json ] && is_events=yes
            if { [ "$1" = fi_event ] && [ $is_events = yes ]; } ||
                { [ "$1" = fi_request ] && [ $is_events = no ]; }; then
                cp "$f" "$corpus_root/$1/fixture-$(basename "$f")"
            fi
        done ;;
    dpi_multipart | dpi_rest | fi_rest | config) mkdir -p "$corpus_root/$1" ;; # derived seeds only
    se_delivery) seed se_delivery se/samples -name '*Delivery*.xml' ;;
    se_soap) seed se_soap se/samples -name '*Response*.xml' ;;
    dpi_multipart | dpi_rest | se_receipt | config) mkdir -p "$corpus_root/$1" ;; # derived seeds only
    esac
}

count_files() { find "$1" -type f | wc -l; }
count_bytes() { find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }

echo "== seeds (official samples from $protocols, derived seeds from examples/seeds.rs)"
for t in "${targets[@]}"; do seed_official "$t"; done
seeds() {
    nice -n "$niceness" env -u RUSTC_BOOTSTRAP cargo run --quiet \
        --manifest-path "$here/Cargo.toml" --example seeds "$@" -- "$protocols" "$corpus_root"
}
if ! seeds; then
    echo "warning: seeds did not build with the gateway; retrying without (no config seeds)" >&2
    seeds --no-default-features ||
        echo "warning: no derived seeds; fuzzing from the official samples only" >&2
fi

for t in "${targets[@]}"; do
    corpus="$corpus_root/$t"
    mkdir -p "$corpus" "$here/artifacts/$t"
    log="$logs/$t-$stamp.log"
    seed_files="$(count_files "$corpus")"
    # Only the config target links the gateway (see Cargo.toml).
    features=(--no-default-features)
    [ "$t" = config ] && features=(--features gateway)
    echo "== $t: building (sanitizer $sanitizer)"
    if ! nice -n "$niceness" cargo fuzz build --fuzz-dir "$here" -O -a --sanitizer "$sanitizer" \
        "${features[@]}" "$t" >"$log" 2>&1; then
        echo "== $t: BUILD FAILED (see $log)"
        printf '%s\t%s\t%s\t-\t-\t%s\t-\t-\tbuild failed\t%s\n' "$t" "$stamp" "$seconds" "$seed_files" "$sanitizer" >>"$summary"
        continue
    fi
    echo "== $t: fuzzing for ${seconds}s from $seed_files files"
    # The binary just built, run directly: `cargo fuzz run` would build
    # again, and sources edited meanwhile would change what is measured.
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_odr_violation=0}" nice -n "$niceness" \
        "$here/target/$triple/release/$t" -artifact_prefix="$here/artifacts/$t/" \
        -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss_limit" \
        -print_final_stats=1 "$corpus" </dev/null >>"$log" 2>&1
    rc=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
    files="$(count_files "$corpus")"
    bytes="$(count_bytes "$corpus")"
    if [ "$rc" -eq 0 ]; then
        result="ok"
    else
        found="$(grep -Eo "(crash|leak|timeout|oom|slow-unit)-[0-9a-f]+" "$log" | sort -u | tr '\n' ' ')"
        result="FAILED (exit $rc) ${found:-see log}"
    fi
    echo "== $t: ${runs:-?} runs, ${rate:-?} execs/s, corpus $files files / $bytes bytes, result: $result"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$stamp" "$seconds" "${runs:--}" "${rate:--}" \
        "$seed_files" "$files" "$bytes" "$result" "$sanitizer" >>"$summary"
done

echo "== summary ($summary)"
column -t -s $'\t' "$summary"
