#!/usr/bin/env bash
# The CI pipeline of ci/github/*.yml on one machine: setup, plan, build each level's packages
# into its own wheelhouse (as the matrix jobs do), merge them into one wheelhouse, verify.
# Prints the seconds of every phase. The merged wheels are the ones `rvwheels build PKG...`
# makes; verify then adds the runtime's wheel and verify-report.json.
#
#   ci/run-riscv64.sh [--no-setup] [--no-verify] [--mode cross|emulated|native] [PKG... | --all]
#
# No packages means --all. Environment:
#   WHEELHOUSE   the merged wheelhouse (default: <project>/wheelhouse)
#   RECIPES_DIR  a folder of recipes, passed as --recipes (default: the project's recipes/)
#   RVWHEELS     the rvwheels command, split on spaces (default: <project>/.venv/bin/rvwheels,
#                else rvwheels on PATH), e.g. "sudo --preserve-env=RVWHEELS_CACHE rvwheels"
set -euo pipefail
shopt -s nullglob

project=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usage="usage: ci/run-riscv64.sh [--no-setup] [--no-verify] [--mode cross|emulated|native] [PKG... | --all]"

run_setup=1
run_verify=1
MODE=""
RECIPES_DIR=${RECIPES_DIR:-}
WHEELHOUSE=${WHEELHOUSE:-$project/wheelhouse}
packages=()
timings=()
work=""
phase=""
phase_started=0

fail() {
    echo "run-riscv64: error: $*" >&2
    exit 2
}

parse_args() {
    while [ "$#" -gt 0 ]; do
        case $1 in
            --no-setup) run_setup=0 ;;
            --no-verify) run_verify=0 ;;
            --mode)
                [ "$#" -ge 2 ] || fail "--mode needs a value: cross, emulated or native"
                MODE=$2
                shift
                ;;
            --mode=*) MODE=${1#--mode=} ;;
            --all) packages=() ;;
            -h | --help)
                echo "$usage"
                exit 0
                ;;
            -*) fail "unknown option $1; $usage" ;;
            *) packages+=("$1") ;;
        esac
        shift
    done
}

# Times one phase: prints its seconds at once and keeps them for the summary. Phases nest
# (build, then each package); on_exit names the innermost one that failed.
timed() {
    local name=$1 outer=$phase outer_started=$phase_started
    shift
    phase=$name
    phase_started=$SECONDS
    echo "::: $name: started"
    "$@"
    local seconds=$((SECONDS - phase_started))
    echo "::: $name: $seconds s"
    timings+=("$name: $seconds s")
    phase=$outer
    phase_started=$outer_started
}

find_rvwheels() {
    if [ -n "${RVWHEELS:-}" ]; then
        read -ra rvwheels_cmd <<< "$RVWHEELS"
    elif [ -x "$project/.venv/bin/rvwheels" ]; then
        rvwheels_cmd=("$project/.venv/bin/rvwheels")
    elif type -P rvwheels > /dev/null; then
        rvwheels_cmd=("$(type -P rvwheels)")
    else
        fail "no rvwheels: run ./setup.sh (or drop --no-setup), or set RVWHEELS"
    fi
}

# `command`: the program, never this function (RVWHEELS may be plain "rvwheels").
rvwheels() {
    command "${rvwheels_cmd[@]}" "$@"
}

plan_levels() {
    local plan lines
    if [ "${#packages[@]}" -eq 0 ]; then
        plan=$(rvwheels plan --all --json ${RECIPES_DIR:+--recipes "$RECIPES_DIR"})
    else
        plan=$(rvwheels plan "${packages[@]}" --json ${RECIPES_DIR:+--recipes "$RECIPES_DIR"})
    fi
    echo "$plan"
    lines=$(python3 "$project/ci/plan_outputs.py" --lines <<< "$plan")
    [ -n "$lines" ] || fail "rvwheels plan returned no levels"
    mapfile -t levels <<< "$lines"
}

wheel_names() {
    find "$1" -maxdepth 1 -name '*.whl' -printf '%f\n' | sort
}

# Copies the wheels (and records) of $1 that are not named in $3 into the folder $2.
copy_new_wheels() {
    local from=$1 to=$2 before=$3 wheel name copied=0
    mkdir -p "$to/records"
    for wheel in "$from"/*.whl; do
        name=${wheel##*/}
        if ! grep -qxF "$name" <<< "$before"; then
            cp "$wheel" "$to/"
            cp "$from/records/$name.json" "$to/records/"
            copied=$((copied + 1))
        fi
    done
    [ "$copied" -gt 0 ] || fail "building into $from published no new wheel"
}

# Builds one package into its own wheelhouse, seeded with the wheelhouses of earlier levels
# (like a matrix job with the artifacts of earlier levels); keeps only its new wheel.
build_package() {
    local package=$1
    shift
    local staging="$work/staging/$package" new="$work/new/$package" before
    mkdir -p "$staging"
    if [ "$#" -gt 0 ]; then
        rvwheels merge "$@" --wheelhouse "$staging"
    fi
    before=$(wheel_names "$staging")
    rvwheels build "$package" --wheelhouse "$staging" ${MODE:+--mode "$MODE"} \
        ${RECIPES_DIR:+--recipes "$RECIPES_DIR"}
    copy_new_wheels "$staging" "$new" "$before"
    rvwheels merge "$new" --wheelhouse "$work/parts/$package"
}

build_levels() {
    local number=0 line package
    local -a earlier=() level_packages=() this_level=()
    for line in "${levels[@]}"; do
        read -ra level_packages <<< "$line"
        this_level=()
        for package in "${level_packages[@]}"; do
            timed "build level $number $package" build_package "$package" ${earlier[@]+"${earlier[@]}"}
            this_level+=("$work/parts/$package")
        done
        earlier+=("${this_level[@]}")
        number=$((number + 1))
    done
}

merge_parts() {
    rvwheels merge "$work"/parts/* --wheelhouse "$WHEELHOUSE"
}

verify_wheelhouse() {
    rvwheels verify --wheelhouse "$WHEELHOUSE" ${MODE:+--mode "$MODE"} \
        ${RECIPES_DIR:+--recipes "$RECIPES_DIR"}
}

on_exit() {
    local status=$?
    if [ "$status" -ne 0 ] && [ -n "$phase" ]; then
        echo "::: $phase: FAILED after $((SECONDS - phase_started)) s (exit status $status)" >&2
    fi
    if [ -n "$work" ]; then
        rm -rf "$work" 2> /dev/null || echo "run-riscv64: could not remove $work" >&2
    fi
}

main() {
    parse_args "$@"
    trap on_exit EXIT
    local started=$SECONDS
    if [ "$run_setup" -eq 1 ]; then
        timed setup "$project/setup.sh"
    fi
    find_rvwheels
    timed doctor rvwheels doctor ${MODE:+--mode "$MODE"}
    timed plan plan_levels
    work=$(mktemp -d "${TMPDIR:-/tmp}/rvwheels-ci.XXXXXX")
    timed build build_levels
    timed merge merge_parts
    if [ "$run_verify" -eq 1 ]; then
        timed verify verify_wheelhouse
    else
        timings+=("verify: skipped (--no-verify)")
    fi
    echo "run-riscv64: done in $((SECONDS - started)) s; wheelhouse: $WHEELHOUSE"
    printf '  %s\n' "${timings[@]}"
}

main "$@"
