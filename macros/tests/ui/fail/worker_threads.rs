#[ringline::main(flavor = "current_thread", worker_threads = 2)]
async fn current() {}

#[ringline::test(worker_threads = 2)]
async fn test_defaults_to_current_thread() {}

#[ringline::main(worker_threads = 0)]
async fn zero() {}

#[ringline::main(flavor = "threaded")]
async fn unknown_flavor() {}

fn main() {}
