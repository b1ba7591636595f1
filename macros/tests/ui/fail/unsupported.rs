#[ringline::test(start_paused = true)]
async fn paused() {}

#[ringline::main(unhandled_panic = "shutdown_runtime")]
async fn shutdown() {}

fn main() {}
