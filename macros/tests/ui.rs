//! Compile tests for `#[ringline::main]` and `#[ringline::test]`.
//!
//! Regenerate the `.stderr` snapshots with `TRYBUILD=overwrite` and review them.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
