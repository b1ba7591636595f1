//! Code generation: the function becomes a synchronous one that builds a
//! runtime and blocks on the original body.

use proc_macro2::{Ident, Span, TokenStream};
use proc_macro_crate::FoundCrate;
use quote::{quote, quote_spanned, ToTokens};
use syn::ReturnType;

use crate::parse::{Config, Flavor, ItemFn, Kind, UnhandledPanic};

/// Expands `item` for `kind` with `config`.
///
/// ```text
/// #[attrs] vis fn name() -> R {
///     let body = async move { <body> };
///     // tests only: pin the body and erase its type
///     return <crate>::runtime::Builder::new_multi_thread()
///         .worker_threads(N) // each knob only when given:
///         .start_paused(B).unhandled_panic(..).name(..)
///         .enable_all()
///         .build()
///         .expect("Failed building the Runtime")
///         .block_on(body);
/// }
/// ```
pub(crate) fn expand(item: ItemFn, kind: Kind, config: Config) -> TokenStream {
    let span = item.end_span();
    let ItemFn { attrs, vis, mut sig, brace, body } = item;
    sig.asyncness = None;

    let krate = match config.crate_path {
        Some(path) => path.into_token_stream(),
        None => default_crate_path(span),
    };
    let builder = match config.flavor {
        Flavor::CurrentThread | Flavor::Local => quote_spanned!(span=> new_current_thread),
        Flavor::MultiThread => quote_spanned!(span=> new_multi_thread),
    };
    let mut knobs = TokenStream::new();
    if let Some(n) = config.worker_threads {
        knobs.extend(quote_spanned!(span=> .worker_threads(#n)));
    }
    if let Some(paused) = config.start_paused {
        knobs.extend(quote_spanned!(span=> .start_paused(#paused)));
    }
    if let Some(behavior) = config.unhandled_panic {
        let variant = match behavior {
            UnhandledPanic::Ignore => quote_spanned!(span=> Ignore),
            UnhandledPanic::ShutdownRuntime => quote_spanned!(span=> ShutdownRuntime),
        };
        knobs.extend(quote_spanned!(span=> .unhandled_panic(#krate::runtime::UnhandledPanic::#variant)));
    }
    if let Some(name) = config.name {
        knobs.extend(quote_spanned!(span=> .name(#name)));
    }

    // `async move { <body> }`, reusing the user's braces for error spans.
    let mut future = quote_spanned!(span=> async move);
    brace.surround(&mut future, |tokens| tokens.extend(body));

    let (header, erase) = match kind {
        Kind::Main => (None, None),
        // As tokio does: one `block_on::<Pin<&mut dyn Future>>` instance
        // serves every test instead of one per test body.
        Kind::Test => {
            let output = match &sig.output {
                ReturnType::Default => quote!(()),
                ReturnType::Type(_, ty) => ty.to_token_stream(),
            };
            let erase = quote_spanned! {span=>
                let body = ::core::pin::pin!(body);
                let body: ::core::pin::Pin<&mut dyn ::core::future::Future<Output = #output>> = body;
            };
            (Some(quote!(#[::core::prelude::v1::test])), Some(erase))
        }
    };

    let block = quote_spanned! {span=>
        let body = #future;
        #erase
        #[allow(clippy::expect_used, clippy::diverging_sub_expression, clippy::needless_return)]
        {
            return #krate::runtime::Builder::#builder()
                #knobs
                .enable_all()
                .build()
                .expect("Failed building the Runtime")
                .block_on(body);
        }
    };

    let mut out = quote!(#header #(#attrs)* #vis #sig);
    brace.surround(&mut out, |tokens| tokens.extend(block));
    out
}

/// The path of the ringline crate as the calling crate names it.
///
/// A dependency renamed in Cargo.toml (`tokio = { package = "ringline", .. }`)
/// is found under its new name, so `#[tokio::main]` keeps working. ringline's
/// own examples, integration tests and doctests see `FoundCrate::Itself` and
/// link ringline as `::ringline`; code inside the library itself needs
/// `extern crate self as ringline;` or `crate = "crate"`.
fn default_crate_path(span: Span) -> TokenStream {
    let name = match proc_macro_crate::crate_name("ringline") {
        Ok(FoundCrate::Name(name)) => name,
        Ok(FoundCrate::Itself) | Err(_) => "ringline".to_owned(),
    };
    let ident = Ident::new(&name, span);
    quote_spanned!(span=> ::#ident)
}
