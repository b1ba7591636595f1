#!/usr/bin/env python3
"""Runs tokio's own integration tests against ringline through the rename.

The test files come from the tokio crate package that cargo already
downloaded for this workspace (its version is the one in Cargo.lock); nothing
of tokio is copied into the repository. They are laid into a scratch crate
under target/tokio-tests/ whose Cargo.toml says
`tokio = { package = "ringline", path = <this repo> }`, built unchanged, and
every test is run in a process of its own with a timeout, on each backend.

    scripts/tokio-tests.py                      # both backends, every file
    scripts/tokio-tests.py --backend mio sync_  # one backend, files starting with sync_
    scripts/tokio-tests.py --write docs/COMPATIBILITY.md

It prints a table per file and a summary; `--write` replaces the generated
part of the given markdown file (between its two GENERATED markers).
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRATCH = REPO / "target" / "tokio-tests"

# tokio's own dev-dependencies (its Cargo.toml), minus the wasm/loom ones,
# plus the crates tokio itself depends on that its tests name directly.
DEV_DEPENDENCIES = """
bytes = "1"
pin-project-lite = "0.2"
rand = "0.9"
async-stream = "0.3"
futures = { version = "0.3", features = ["async-await"] }
futures-concurrency = "7.6.3"
futures-test = "0.3.31"
mockall = "0.13"
tokio-stream = "0.1"
tokio-test = "0.4"
tempfile = "3.1"
libc = "0.2"
socket2 = { version = "0.6", features = ["all"] }
nix = { version = "0.31", default-features = false, features = ["aio", "fs", "socket"] }
"""

# The features tokio's CI tests with; the test files gate on them with
# `#![cfg(feature = "...")]`, which in the scratch crate names its own features.
FEATURES = ["full", "rt", "rt-multi-thread", "macros", "net", "time", "fs", "io-util",
            "io-std", "sync", "signal", "process", "parking_lot", "test-util"]

# Files that need what ringline's UDP/Unix (issue 9) and files/process/signal
# (issue 10) work adds; counted apart from the rest.
NEEDS_OTHER_ISSUES = ("fs", "process_", "signal_", "udp", "uds_", "unix_", "net_unix_pipe",
                      "io_async_fd", "io_poll_aio", "net_named_pipe")

# Platform files that never build on Linux.
SKIP_FILES = ("_windows", "emscripten", "wasm", "wasi", "named_pipe", "fs_uring")


def tokio_source() -> Path:
    meta = json.loads(subprocess.check_output(
        ["cargo", "metadata", "--format-version", "1", "--manifest-path", str(REPO / "Cargo.toml")]))
    for package in meta["packages"]:
        if package["name"] == "tokio":
            return Path(package["manifest_path"]).parent
    sys.exit("tokio is not in this workspace's dependency graph")


def lay_out_crate(tokio: Path, prefixes: list[str]) -> list[str]:
    crate = SCRATCH / "crate"
    if crate.exists():
        shutil.rmtree(crate / "tests", ignore_errors=True)
    (crate / "src").mkdir(parents=True, exist_ok=True)
    (crate / "src" / "lib.rs").write_text("")
    shutil.copytree(tokio / "tests", crate / "tests")
    names = sorted(p.stem for p in (crate / "tests").glob("*.rs"))
    names = [n for n in names if not any(s in n for s in SKIP_FILES)]
    if prefixes:
        names = [n for n in names if n.startswith(tuple(prefixes))]
    features = "\n".join(f'{f} = []' for f in FEATURES if f != "full")
    manifest = f"""[package]
name = "tokio-tests-on-ringline"
version = "0.0.0"
edition = "2021"
publish = false
autotests = false

[workspace]

[features]
default = {json.dumps(FEATURES)}
full = []
{features}

[dependencies]
tokio = {{ package = "ringline", path = "{REPO}", features = ["full", "test-util"] }}

[dev-dependencies]
{DEV_DEPENDENCIES}
"""
    manifest += "".join(f'\n[[test]]\nname = "{n}"\npath = "tests/{n}.rs"\n' for n in names)
    (crate / "Cargo.toml").write_text(manifest)
    return names


def build(names: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Builds every test file, carrying on past failures: (name -> executable,
    name -> its first compile error)."""
    cmd = ["cargo", "build", "--tests", "--keep-going", "--message-format=json",
           "--manifest-path", str(SCRATCH / "crate" / "Cargo.toml")]
    env = dict(os.environ, CARGO_TARGET_DIR=str(SCRATCH / "target"), RUSTFLAGS="--cap-lints=allow")
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True).stdout
    built, errors = {}, {}
    for line in out.splitlines():
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        target = msg.get("target", {}).get("name")
        if target not in names:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("executable"):
            built[target] = msg["executable"]
        elif msg.get("reason") == "compiler-message" and msg["message"]["level"] == "error":
            errors.setdefault(target, msg["message"]["message"])
    return built, errors


def list_tests(exe: str) -> list[str]:
    out = subprocess.run([exe, "--list", "--format", "terse"], stdout=subprocess.PIPE, text=True).stdout
    return [line[: -len(": test")] for line in out.splitlines() if line.endswith(": test")]


def run_one(exe: str, test: str, backend: str, timeout: int) -> str:
    env = dict(os.environ, RINGLINE_BACKEND=backend, RUST_BACKTRACE="0")
    try:
        done = subprocess.run([exe, "--exact", test, "--test-threads", "1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    return "pass" if done.returncode == 0 else "fail"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prefixes", nargs="*", help="only test files whose name starts with one of these")
    parser.add_argument("--backend", choices=["uring", "mio", "both"], default="both")
    parser.add_argument("--timeout", type=int, default=30, help="seconds per test")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--write", type=Path, help="markdown file whose GENERATED part gets the table")
    args = parser.parse_args()
    backends = ["uring", "mio"] if args.backend == "both" else [args.backend]

    tokio = tokio_source()
    names = lay_out_crate(tokio, args.prefixes)
    print(f"tokio tests from {tokio}: {len(names)} files", flush=True)
    built, errors = build(names)
    results: dict[str, dict[str, dict[str, str]]] = {}  # file -> backend -> test -> outcome
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for name in names:
            if name not in built:
                continue
            tests = list_tests(built[name])
            results[name] = {}
            for backend in backends:
                outcomes = pool.map(lambda t: run_one(built[name], t, backend, args.timeout), tests)
                results[name][backend] = dict(zip(tests, outcomes))
            summary = " ".join(f"{b}: {count(results[name][b], 'pass')}/{len(tests)}" for b in backends)
            print(f"{name}: {summary}", flush=True)
    report = render(names, (built, errors), results, backends, tokio.name)
    print(report)
    if args.write:
        write_generated(args.write, report)


def estimate_tests(path: Path) -> int:
    """Test functions in a file that did not compile (attributes counted)."""
    text = path.read_text(errors="replace")
    return sum(text.count(attr) for attr in ("#[test]", "#[tokio::test", "#[maybe_tokio_test"))


def count(outcomes: dict[str, str], what: str) -> int:
    return sum(1 for o in outcomes.values() if o == what)


def render(names, build_outcome, results, backends, version) -> str:
    built, errors = build_outcome
    lines = [f"Run against `{version}`'s tests, one process per test.", ""]
    header = "| file | group | " + " | ".join(f"{b} pass/total" for b in backends) + " | failing tests |"
    lines += [header, "|---|---|" + "---|" * len(backends) + "---|"]
    totals = {}
    for name in names:
        group = "other issues" if name.startswith(NEEDS_OTHER_ISSUES) else "core"
        if name not in built:
            estimated = estimate_tests(SCRATCH / "crate" / "tests" / f"{name}.rs")
            lines.append(f"| {name} | {group} | " + " | ".join(f"0/~{estimated}" for _ in backends)
                         + f" | does not compile: {errors.get(name, '?').replace('|', '/')} |")
            for b in backends:
                t = totals.setdefault((group, b), [0, 0, 0])
                t[1] += estimated
                t[2] += 1
            continue
        cells, failing = [], set()
        for b in backends:
            outcomes = results[name][b]
            passed = count(outcomes, "pass")
            t = totals.setdefault((group, b), [0, 0, 0])
            t[0] += passed
            t[1] += len(outcomes)
            cells.append(f"{passed}/{len(outcomes)}")
            failing |= {f"{test} ({o}, {b})" for test, o in outcomes.items() if o != "pass"}
        shown = ", ".join(sorted(failing)[:6]) + (" …" if len(failing) > 6 else "")
        lines.append(f"| {name} | {group} | " + " | ".join(cells) + f" | {shown} |")
    lines.append("")
    for (group, b), (passed, total, broken) in sorted(totals.items()):
        share = f"{100 * passed / total:.1f} %" if total else "-"
        lines.append(f"- {group}, {b}: {passed} of {total} tests pass ({share}); {broken} files do not compile")
    return "\n".join(lines)


def write_generated(path: Path, report: str) -> None:
    start, end = "<!-- GENERATED: scripts/tokio-tests.py -->", "<!-- END GENERATED -->"
    text = path.read_text() if path.exists() else f"{start}\n{end}\n"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    path.write_text(f"{head}{start}\n{report}\n{end}{tail}")


if __name__ == "__main__":
    main()
