#[ringline::main(start_paused = true)]
async fn paused() {}

#[ringline::test(flavor = "multi_thread", unhandled_panic = "shutdown_runtime")]
async fn shutdown() {}

#[ringline::test(unhandled_panic = "explode")]
async fn unknown_behavior() {}

#[ringline::test(start_paused = "yes")]
async fn not_a_bool() {}

fn main() {}
