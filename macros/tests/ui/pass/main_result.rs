// The default (multi_thread) main with a return type: `?` and an early
// `return` inside the body must infer the fn's error type.
use std::error::Error;

#[ringline::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let n: u32 = "7".parse()?;
    if n != 7 {
        return Err("unreachable".into());
    }
    assert_eq!(async { n * 6 }.await, 42);
    Ok(())
}
