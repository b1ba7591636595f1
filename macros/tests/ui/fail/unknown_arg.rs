#[ringline::main(threads = 2)]
async fn unknown() {}

#[ringline::main(multi_thread)]
async fn bare_flavor() {}

#[ringline::test(flavor = "current_thread", flavor = "multi_thread")]
async fn duplicate() {}

#[ringline::main(crate = "not a path")]
async fn bad_crate() {}

fn main() {}
