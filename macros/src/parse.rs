//! Parsing and validation of the attribute arguments and the annotated function.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream, Parser};
use syn::{braced, token, AttrStyle, Attribute, LitInt, LitStr, Path, Signature, Visibility};

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
}

/// Validated attribute arguments.
pub(crate) struct Config {
    /// The runtime flavor, defaulted as tokio does (main: multi, test: current).
    pub(crate) flavor: Flavor,
    /// `worker_threads = N` as written, so the expansion keeps its span.
    pub(crate) worker_threads: Option<LitInt>,
    /// `crate = "path"`; `None` resolves the path from Cargo.toml.
    pub(crate) crate_path: Option<Path>,
}

impl Config {
    /// The configuration used when no arguments are given, and to expand
    /// alongside an error so that the item still exists for later passes.
    pub(crate) fn default_for(kind: Kind) -> Config {
        let flavor = match kind {
            Kind::Main => Flavor::MultiThread,
            Kind::Test => Flavor::CurrentThread,
        };
        Config { flavor, worker_threads: None, crate_path: None }
    }

    /// Parses `flavor = "..", worker_threads = N, crate = ".."` (tokio's syntax).
    pub(crate) fn parse(args: TokenStream, kind: Kind) -> syn::Result<Config> {
        let mut flavor: Option<Flavor> = None;
        let mut worker_threads: Option<LitInt> = None;
        let mut crate_path: Option<Path> = None;
        let parser = syn::meta::parser(|meta| {
            let key = meta.path.to_token_stream().to_string().replace(' ', "");
            let duplicate = || meta.error(format!("`{key}` set multiple times"));
            match key.as_str() {
                "flavor" => {
                    if flavor.is_some() {
                        return Err(duplicate());
                    }
                    let lit: LitStr = meta.value()?.parse()?;
                    flavor = Some(match lit.value().as_str() {
                        "multi_thread" => Flavor::MultiThread,
                        "current_thread" => Flavor::CurrentThread,
                        other => {
                            let msg = format!(
                                "no such runtime flavor `{other}`; \
                                 the flavors are `current_thread` and `multi_thread`"
                            );
                            return Err(syn::Error::new(lit.span(), msg));
                        }
                    });
                }
                "worker_threads" => {
                    if worker_threads.is_some() {
                        return Err(duplicate());
                    }
                    let lit: LitInt = meta.value()?.parse()?;
                    if lit.base10_parse::<usize>()? == 0 {
                        return Err(syn::Error::new(lit.span(), "`worker_threads` may not be 0"));
                    }
                    worker_threads = Some(lit);
                }
                "crate" => {
                    if crate_path.is_some() {
                        return Err(duplicate());
                    }
                    let lit: LitStr = meta.value()?.parse()?;
                    crate_path = Some(lit.parse().map_err(|_| {
                        let msg = format!("`crate` is not a path: {:?}", lit.value());
                        syn::Error::new(lit.span(), msg)
                    })?);
                }
                "start_paused" | "unhandled_panic" => {
                    return Err(meta.error(format!("`{key}` is not supported by ringline")));
                }
                "multi_thread" | "current_thread" => {
                    let attr = kind.attr();
                    let msg = format!("set the runtime flavor with `#[{attr}(flavor = \"{key}\")]`");
                    return Err(meta.error(msg));
                }
                _ => {
                    return Err(meta.error(format!(
                        "unknown argument `{key}`; expected one of: \
                         `flavor`, `worker_threads`, `crate`"
                    )));
                }
            }
            Ok(())
        });
        parser.parse2(args)?;

        let flavor = flavor.unwrap_or(Config::default_for(kind).flavor);
        if let (Flavor::CurrentThread, Some(lit)) = (flavor, &worker_threads) {
            let msg = format!(
                "the `worker_threads` option requires the `multi_thread` runtime flavor; \
                 use `#[{}(flavor = \"multi_thread\", worker_threads = {lit})]`",
                kind.attr()
            );
            return Err(syn::Error::new(lit.span(), msg));
        }
        Ok(Config { flavor, worker_threads, crate_path })
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
