// A current_thread main, an explicit crate path, an inner attribute, and the
// attribute on a function other than `main` (which, as with tokio, must not be
// called from inside a runtime, so it is only type-checked here).
#[ringline::main(flavor = "current_thread", crate = "ringline")]
async fn main() {
    #![allow(unused_variables)]
    let unused = 1;
    let _: fn(u32) -> u32 = double;
}

#[ringline::main(flavor = "current_thread")]
async fn double(x: u32) -> u32 {
    async move { x * 2 }.await
}
