#[ringline::test(start_paused = true, name = "paused", unhandled_panic = "ignore")]
async fn paused() {
    assert_eq!(ringline::runtime::Handle::current().name(), Some("paused"));
}

#[ringline::test(flavor = "local")]
async fn local() {
    let rc = std::rc::Rc::new(1);
    ringline::task::spawn_local(async move { *rc }).await.unwrap();
}

#[ringline::main(flavor = "current_thread", unhandled_panic = "shutdown_runtime")]
async fn main() {}
