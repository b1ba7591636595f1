//! Parsing and validation of the attribute arguments and the annotated function.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream, Parser};
use syn::{braced, token, AttrStyle, Attribute, LitBool, LitInt, LitStr, Path, Signature, Visibility};

/// Which attribute is being expanded; decides the default flavor and the
/// wording of errors.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `#[ringline::main]`.
    Main,
    /// `#[ringline::test]`.
    Test,
}

impl Kind {
    /// The attribute's name as a user writes it.
    fn attr(self) -> &'static str {
        match self {
            Kind::Main => "ringline::main",
            Kind::Test => "ringline::test",
        }
    }
}

/// The runtime the expansion builds.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `Builder::new_current_thread()`.
    CurrentThread,
    /// `Builder::new_multi_thread()`.
    MultiThread,
    /// tokio's `local` flavor: a current-thread runtime, whose worker runs
    /// `spawn_local` tasks (ringline needs no `LocalRuntime` for that).
    Local,
}

/// tokio's `unhandled_panic` values.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnhandledPanic {
    /// `"ignore"`: a panicking task only fails its `JoinHandle`.
    Ignore,
    /// `"shutdown_runtime"`: a panicking task shuts the runtime down.
    ShutdownRuntime,
}

/// Validated attribute arguments.
pub(crate) struct Config {
    /// The runtime flavor, defaulted as tokio does (main: multi, test: current).
    pub(crate) flavor: Flavor,
    /// `worker_threads = N` as written, so the expansion keeps its span.
    pub(crate) worker_threads: Option<LitInt>,
    /// `crate = "path"`; `None` resolves the path from Cargo.toml.
    pub(crate) crate_path: Option<Path>,
    /// `start_paused = bool`, current-thread flavors only.
    pub(crate) start_paused: Option<LitBool>,
    /// `unhandled_panic = ".."`, current-thread flavors only.
    pub(crate) unhandled_panic: Option<UnhandledPanic>,
    /// `name = ".."`: the runtime's name.
    pub(crate) name: Option<LitStr>,
}

impl Config {
    /// The configuration used when no arguments are given, and to expand
    /// alongside an error so that the item still exists for later passes.
    pub(crate) fn default_for(kind: Kind) -> Config {
        let flavor = match kind {
            Kind::Main => Flavor::MultiThread,
            Kind::Test => Flavor::CurrentThread,
        };
        Config { flavor, worker_threads: None, crate_path: None, start_paused: None, unhandled_panic: None, name: None }
    }

    /// Parses tokio's arguments: `flavor`, `worker_threads`, `start_paused`,
    /// `crate`, `unhandled_panic`, `name`.
    pub(crate) fn parse(args: TokenStream, kind: Kind) -> syn::Result<Config> {
        let mut config = Config::default_for(kind);
        let mut flavor: Option<(Flavor, Span)> = None;
        let mut unhandled_panic_span = None;
        let parser = syn::meta::parser(|meta| {
            let key = meta.path.to_token_stream().to_string().replace(' ', "");
            let duplicate = || meta.error(format!("`{key}` set multiple times"));
            match key.as_str() {
                "flavor" if flavor.is_some() => return Err(duplicate()),
                "flavor" => {
                    let lit: LitStr = meta.value()?.parse()?;
                    flavor = Some((parse_flavor(&lit)?, lit.span()));
                }
                "worker_threads" if config.worker_threads.is_some() => return Err(duplicate()),
                "worker_threads" => {
                    let lit: LitInt = meta.value()?.parse()?;
                    if lit.base10_parse::<usize>()? == 0 {
                        return Err(syn::Error::new(lit.span(), "`worker_threads` may not be 0"));
                    }
                    config.worker_threads = Some(lit);
                }
                "crate" if config.crate_path.is_some() => return Err(duplicate()),
                "crate" => {
                    let lit: LitStr = meta.value()?.parse()?;
                    config.crate_path = Some(lit.parse().map_err(|_| {
                        let msg = format!("`crate` is not a path: {:?}", lit.value());
                        syn::Error::new(lit.span(), msg)
                    })?);
                }
                "start_paused" if config.start_paused.is_some() => return Err(duplicate()),
                "start_paused" => config.start_paused = Some(meta.value()?.parse()?),
                "name" if config.name.is_some() => return Err(duplicate()),
                "name" => config.name = Some(meta.value()?.parse()?),
                "unhandled_panic" if config.unhandled_panic.is_some() => return Err(duplicate()),
                "unhandled_panic" => {
                    let lit: LitStr = meta.value()?.parse()?;
                    config.unhandled_panic = Some(parse_unhandled_panic(&lit)?);
                    unhandled_panic_span = Some(lit.span());
                }
                "multi_thread" | "current_thread" => {
                    let attr = kind.attr();
                    let msg = format!("set the runtime flavor with `#[{attr}(flavor = \"{key}\")]`");
                    return Err(meta.error(msg));
                }
                _ => {
                    return Err(meta.error(format!(
                        "unknown argument `{key}`; expected one of: `flavor`, `worker_threads`, \
                         `start_paused`, `crate`, `unhandled_panic`, `name`"
                    )));
                }
            }
            Ok(())
        });
        parser.parse2(args)?;

        if let Some((f, _)) = flavor {
            config.flavor = f;
        }
        config.check_flavor(kind, unhandled_panic_span)?;
        Ok(config)
    }

    /// tokio's checks of options that need a particular flavor.
    fn check_flavor(&self, kind: Kind, unhandled_panic_span: Option<Span>) -> syn::Result<()> {
        let attr = kind.attr();
        if self.flavor != Flavor::MultiThread {
            if let Some(lit) = &self.worker_threads {
                let msg = format!(
                    "the `worker_threads` option requires the `multi_thread` runtime flavor; \
                     use `#[{attr}(flavor = \"multi_thread\", worker_threads = {lit})]`"
                );
                return Err(syn::Error::new(lit.span(), msg));
            }
            return Ok(());
        }
        let current = |option: &str, span: Span| {
            let msg = format!(
                "the `{option}` option requires the `current_thread` runtime flavor; \
                 use `#[{attr}(flavor = \"current_thread\")]`"
            );
            Err(syn::Error::new(span, msg))
        };
        if let Some(lit) = &self.start_paused {
            return current("start_paused", lit.span);
        }
        if let Some(span) = unhandled_panic_span {
            return current("unhandled_panic", span);
        }
        Ok(())
    }
}

fn parse_flavor(lit: &LitStr) -> syn::Result<Flavor> {
    match lit.value().as_str() {
        "multi_thread" => Ok(Flavor::MultiThread),
        "current_thread" => Ok(Flavor::CurrentThread),
        "local" => Ok(Flavor::Local),
        other => {
            let msg = format!(
                "no such runtime flavor `{other}`; \
                 the flavors are `current_thread`, `local` and `multi_thread`"
            );
            Err(syn::Error::new(lit.span(), msg))
        }
    }
}

fn parse_unhandled_panic(lit: &LitStr) -> syn::Result<UnhandledPanic> {
    match lit.value().as_str() {
        "ignore" => Ok(UnhandledPanic::Ignore),
        "shutdown_runtime" => Ok(UnhandledPanic::ShutdownRuntime),
        other => {
            let msg = format!(
                "no such `unhandled_panic` behavior `{other}`; \
                 the behaviors are `ignore` and `shutdown_runtime`"
            );
            Err(syn::Error::new(lit.span(), msg))
        }
    }
}

/// A function item whose body is kept as unparsed tokens: it is only moved
/// into an `async` block, and a body with syntax errors still expands so that
/// rustc reports those errors where they are.
pub(crate) struct ItemFn {
    /// Outer attributes, followed by the body's inner attributes made outer.
    pub(crate) attrs: Vec<Attribute>,
    /// The function's visibility.
    pub(crate) vis: Visibility,
    /// The signature, `async` included.
    pub(crate) sig: Signature,
    /// The body's braces, reused so that spans point at the user's code.
    pub(crate) brace: token::Brace,
    /// The body's statements.
    pub(crate) body: TokenStream,
}

impl Parse for ItemFn {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let content;
        let brace = braced!(content in input);
        // Blocks cannot carry inner attributes; lift them onto the function.
        for mut attr in content.call(Attribute::parse_inner)? {
            attr.style = AttrStyle::Outer;
            attrs.push(attr);
        }
        let body = content.parse()?;
        Ok(ItemFn { attrs, vis, sig, brace, body })
    }
}

impl ItemFn {
    /// Checks the function itself, as tokio does.
    pub(crate) fn validate(&self, kind: Kind) -> syn::Result<()> {
        let sig = &self.sig;
        if sig.asyncness.is_none() {
            let msg = "the `async` keyword is missing from the function declaration";
            return Err(syn::Error::new_spanned(sig.fn_token, msg));
        }
        match kind {
            Kind::Main if sig.ident == "main" && !sig.inputs.is_empty() => {
                let msg = "the main function cannot accept arguments";
                Err(syn::Error::new_spanned(&sig.inputs, msg))
            }
            Kind::Test if !sig.inputs.is_empty() => {
                let msg = "the test function cannot accept arguments";
                Err(syn::Error::new_spanned(&sig.inputs, msg))
            }
            Kind::Test => match self.attrs.iter().find(|attr| is_test_attr(attr)) {
                Some(attr) => {
                    let msg = "second test attribute is supplied; \
                               remove it, `#[ringline::test]` already makes this a test";
                    Err(syn::Error::new_spanned(attr, msg))
                }
                None => Ok(()),
            },
            Kind::Main => Ok(()),
        }
    }

    /// The span generated code takes: the body's last token (or its closing
    /// brace), so type errors about the result point at the end of the body.
    pub(crate) fn end_span(&self) -> Span {
        let last = self.body.clone().into_iter().last();
        last.map_or_else(|| self.brace.span.close(), |token| token.span())
    }
}

/// `#[test]`, `#[core::prelude::v1::test]`, `#[::std::prelude::rust_2021::test]`, ...
fn is_test_attr(attr: &Attribute) -> bool {
    let mut idents = attr.path().segments.iter().map(|segment| &segment.ident);
    match (idents.next(), idents.last()) {
        (Some(first), None) => first == "test",
        (Some(first), Some(last)) => (first == "core" || first == "std") && last == "test",
        (None, _) => false,
    }
}
