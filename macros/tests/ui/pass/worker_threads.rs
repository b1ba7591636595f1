// worker_threads on a multi_thread main, and test functions (checked for
// syntax here; stripped outside `cargo test` as every `#[test]` is).
#[ringline::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    assert_eq!(async { 1 + 1 }.await, 2);
}

#[ringline::test]
async fn default_test() -> Result<(), std::num::ParseIntError> {
    let _: u8 = "1".parse()?;
    Ok(())
}

#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "boom")]
#[ignore]
async fn panicking_test() {
    panic!("boom");
}
