//! `#[ringline::main]` and `#[ringline::test]`: drop-in replacements for
//! `#[tokio::main]` and `#[tokio::test]`.
//!
//! Use them through the `ringline` crate, which re-exports both; this crate is
//! an implementation detail.
//!
//! The macros accept tokio's arguments and defaults, so a tokio program moves
//! to ringline by changing paths, or without touching its source at all by
//! renaming the dependency in Cargo.toml:
//!
//! ```toml
//! [dependencies]
//! tokio = { package = "ringline", version = "0.2" }
//! ```
//!
//! The generated code names ringline by whatever name Cargo.toml gives it
//! (here `::tokio`), so `#[tokio::main]` then expands against ringline.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod expand;
mod parse;

use proc_macro::TokenStream;

use parse::{Config, ItemFn, Kind};

/// Marks an `async fn` as the program's entry point, run on a ringline
/// runtime. The replacement for `#[tokio::main]`.
///
/// # Arguments
///
/// - `flavor = "multi_thread"` (the default), `flavor = "current_thread"`, or
///   `flavor = "local"` (a current-thread runtime; its worker runs
///   `spawn_local` tasks, so tokio's `LocalRuntime` is not needed).
/// - `worker_threads = N`: the number of worker threads; only with the
///   `multi_thread` flavor. Without it the runtime picks its default.
/// - `crate = "path"`: the path to the ringline crate, for code that reaches
///   ringline through a re-export. Without it the path comes from Cargo.toml,
///   following a renamed dependency.
///
/// - `start_paused = true`: start with time paused (current-thread flavors).
/// - `unhandled_panic = "ignore" | "shutdown_runtime"`: what a panicking task
///   does to the runtime (current-thread flavors; tokio needs
///   `tokio_unstable` for it, ringline does not).
/// - `name = "..."`: the runtime's name (`Handle::name`).
///
/// # Expansion
///
/// ```ignore
/// #[ringline::main(worker_threads = 2)]
/// async fn main() -> std::io::Result<()> {
///     Ok(())
/// }
/// ```
///
/// becomes
///
/// ```ignore
/// fn main() -> std::io::Result<()> {
///     let body = async move { Ok(()) };
///     return ::ringline::runtime::Builder::new_multi_thread()
///         .worker_threads(2)
///         .enable_all()
///         .build()
///         .expect("Failed building the Runtime")
///         .block_on(body);
/// }
/// ```
///
/// The function keeps its attributes, visibility, generics and return type;
/// `return` and `?` inside the body work as in any `async` block. The
/// attribute also works on functions other than `main`, which then block on
/// a fresh runtime each time they are called.
///
/// # Examples
///
/// ```no_run
/// #[ringline::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let answer = async { 42 }.await;
///     if answer != 42 {
///         return Err("wrong answer".into());
///     }
///     Ok(())
/// }
/// ```
///
/// A single-threaded runtime:
///
/// ```no_run
/// #[ringline::main(flavor = "current_thread")]
/// async fn main() {
///     println!("hello from ringline");
/// }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(args.into(), item.into(), Kind::Main).into()
}

/// Marks an `async fn` as a test, run on a fresh ringline runtime. The
/// replacement for `#[tokio::test]`.
///
/// The arguments are those of [`macro@main`]; the default flavor is
/// `current_thread`, as with tokio, so `worker_threads` needs
/// `flavor = "multi_thread"`.
///
/// The function becomes a `#[test]` function; other attributes such as
/// `#[should_panic]` and `#[ignore]` are kept. A test may return a `Result`.
/// As with tokio, the body is pinned and type-erased before `block_on`, so all
/// tests share one instance of it.
///
/// # Examples
///
/// ```no_run
/// #[ringline::test]
/// async fn adds() {
///     assert_eq!(async { 1 + 1 }.await, 2);
/// }
///
/// #[ringline::test(flavor = "multi_thread", worker_threads = 2)]
/// #[should_panic(expected = "boom")]
/// async fn panics() {
///     panic!("boom");
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry(args.into(), item.into(), Kind::Test).into()
}

/// Shared by both attributes. On an error the function is still expanded (with
/// the default configuration) next to the error, so rustc does not add
/// follow-up errors such as "`main` function not found".
fn entry(args: proc_macro2::TokenStream, item: proc_macro2::TokenStream, kind: Kind) -> proc_macro2::TokenStream {
    let input: ItemFn = match syn::parse2(item.clone()) {
        Ok(input) => input,
        Err(err) => {
            let mut out = item;
            out.extend(err.to_compile_error());
            return out;
        }
    };
    let checked = input.validate(kind);
    let config = Config::parse(args, kind);
    match (checked, config) {
        (Ok(()), Ok(config)) => expand::expand(input, kind, config),
        (checked, config) => {
            let mut errors = checked.err().into_iter().chain(config.err());
            let mut error = errors.next().expect("one of the two failed");
            errors.for_each(|other| error.combine(other));
            let mut out = expand::expand(input, kind, Config::default_for(kind));
            out.extend(error.to_compile_error());
            out
        }
    }
}
