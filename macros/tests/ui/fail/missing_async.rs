#[ringline::main]
fn main() {}

#[ringline::test]
fn not_async() {}

#[ringline::test]
async fn with_argument(_: u32) {}

#[ringline::test]
#[test]
async fn twice() {}
