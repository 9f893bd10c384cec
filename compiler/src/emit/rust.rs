//! `generated/src/`: static tool tables, built with quote, checked by syn, printed by prettyplease.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use super::json::GENERATED_MARKER;
use super::{EmitError, GeneratedFile};
use crate::ir::{Catalog, IntegrationIr, PaginationIr, PaginationStyle, ParamLocation, ToolIr};

/// `generated/src/lib.rs`: the list of every integration.
pub fn lib_module(catalog: &Catalog) -> Result<GeneratedFile, EmitError> {
    let mods: Vec<Ident> = catalog
        .integrations
        .iter()
        .map(|i| ident(&i.name))
        .collect();
    let tokens = quote! {
        //! Tool tables compiled from `integrations/*.yaml` by `cargo xtask gen`.
        #![allow(clippy::all)]
        // rustfmt must not touch generated files: `gen --check` compares them byte for byte.
        #(#[rustfmt::skip] pub mod #mods;)*

        /// Every integration, sorted by name.
        #[rustfmt::skip]
        pub static INTEGRATIONS: &[&switchboard_runtime::table::Integration] = &[#(&#mods::INTEGRATION),*];
    };
    render("generated/src/lib.rs", "integrations/*.yaml", tokens)
}

/// `generated/src/<integration>.rs`: one integration's table.
pub fn integration_module(i: &IntegrationIr) -> Result<GeneratedFile, EmitError> {
    let name = &i.name;
    let display_name = &i.display_name;
    let description = &i.description;
    let categories = &i.categories;
    let docs_url = &i.docs_url;
    let base_url = &i.base_url;
    let variables = i.base_url_variables.iter().map(|(name, description, pattern)| {
        quote!(BaseUrlVariable { name: #name, description: #description, pattern: #pattern })
    });
    let auth = auth(i);
    let headers = i.rate_limit_headers.iter().map(|h| {
        let hname = &h.name;
        let read = match (&h.figure, &h.pattern) {
            _ if h.structured.is_some() => {
                let pairs = h.structured.iter().flatten().map(|(figure, key)| {
                    let f = ident(&camel(figure));
                    quote!((Figure::#f, #key))
                });
                quote!(HeaderRead::Structured(&[#(#pairs),*]))
            }
            (Some(f), _) => {
                let f = ident(&camel(f));
                quote!(HeaderRead::Figure(Figure::#f))
            }
            (None, Some(p)) => quote!(HeaderRead::Pattern(#p)),
            (None, None) => quote!(HeaderRead::Pattern("")),
        };
        let unit = ident(&camel(h.unit));
        quote!(RateLimitHeader { name: #hname, read: #read, unit: TimeUnit::#unit })
    });
    let limited = i.limited_when.iter().map(|(status, code)| {
        let code = opt_str(code.as_deref());
        quote!((#status, #code))
    });
    let errors = error_rules(&i.errors);
    let tools = i.tools.iter().map(|t| tool(i, t));
    let (map_entries, map_fns) = maps(i);
    let tokens = quote! {
        //! Tool table for one integration.
        use switchboard_runtime::mapping as rt;
        use switchboard_runtime::table::*;

        /// The integration's table.
        pub static INTEGRATION: Integration = Integration {
            name: #name,
            display_name: #display_name,
            description: #description,
            categories: &[#(#categories),*],
            docs_url: #docs_url,
            base_url: #base_url,
            base_url_variables: &[#(#variables),*],
            auth: #auth,
            rate_limit: RateLimit {
                headers: &[#(#headers),*],
                limited_when: &[#(#limited),*],
            },
            errors: #errors,
            tools: &[#(#tools),*],
            maps: &[#(#map_entries),*],
        };

        #(#map_fns)*
    };
    render(
        &format!("generated/src/{}.rs", i.name),
        &format!("integrations/{}.yaml", i.name),
        tokens,
    )
}

/// The table entries and the compiled functions of an integration's unified maps.
fn maps(i: &IntegrationIr) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let mut entries = Vec::new();
    let mut fns = Vec::new();
    for m in &i.maps {
        let base = m.model.replace('.', "_");
        let from = ident(&format!("{base}_from_vendor"));
        let to = ident(&format!("{base}_to_vendor"));
        let (model, resource) = (&m.model, &m.resource);
        entries.push(quote!(UnifiedMap { model: #model, resource: #resource, from_vendor: #from, to_vendor: #to }));
        let fields = m.response.iter().map(|(field, e)| {
            let e = crate::mapping::codegen::expr(e, Some(&m.record));
            quote!(out.insert(#field.to_owned(), #e);)
        });
        let from_doc = format!("Maps a `{resource}` record onto the unified `{model}`.");
        let to_doc = format!("Maps a unified `{model}` onto a `{resource}` request body.");
        let sets = request_sets(&m.request);
        fns.push(quote! {
            #[doc = #from_doc]
            pub fn #from(record: &rt::Value) -> rt::Value {
                let mut out = rt::Map::new();
                #(#fields)*
                rt::compact(rt::Value::Object(out))
            }

        });
        if !m.update_request.is_empty() {
            let update = ident(&format!("{base}_to_vendor_update"));
            let update_doc = format!(
                "Maps the fields an update of a unified `{model}` gives, with `current` the record as stored now, onto a `{resource}` request body."
            );
            let sets = request_sets(&m.update_request);
            fns.push(quote! {
                #[doc = #update_doc]
                #[allow(unused_variables)]
                pub fn #update(record: &rt::Value, v_current: &rt::Value) -> rt::Value {
                    let mut body = rt::Value::Object(rt::Map::new());
                    #(#sets)*
                    body
                }
            });
        }
        // Without request maps there is nothing to write (and no unified create or update tool).
        fns.push(if m.request.is_empty() {
            quote! {
                #[doc = #to_doc]
                pub fn #to(_record: &rt::Value) -> rt::Value {
                    rt::Value::Object(rt::Map::new())
                }
            }
        } else {
            quote! {
                #[doc = #to_doc]
                pub fn #to(record: &rt::Value) -> rt::Value {
                    let mut body = rt::Value::Object(rt::Map::new());
                    #(#sets)*
                    body
                }
            }
        });
    }
    (entries, fns)
}

fn auth(i: &IntegrationIr) -> TokenStream {
    let oauth2 = match &i.auth.oauth2 {
        Some(o) => {
            let (a, t, sep) = (&o.authorization_url, &o.token_url, &o.scope_separator);
            let (pkce, rotates) = (o.pkce, o.refresh_token_rotates);
            let client_authentication = if o.client_secret_basic {
                quote!(ClientAuthentication::Basic)
            } else {
                quote!(ClientAuthentication::Post)
            };
            let scopes = &o.default_scopes;
            let params = o.authorize_params.iter().map(|(k, v)| quote!((#k, #v)));
            let from_token = opt_str(o.base_url_from_token.as_deref());
            let from_token_pattern = opt_str(o.base_url_pattern.as_deref());
            let dead = o.dead_refresh_token.iter().map(|d| {
                let (status, pointer, values) = (d.status, &d.pointer, &d.values);
                quote!(DeadRefreshToken { status: #status, pointer: #pointer, values: &[#(#values),*] })
            });
            quote!(Some(OAuth2 {
                authorization_url: #a,
                token_url: #t,
                scope_separator: #sep,
                pkce: #pkce,
                refresh_token_rotates: #rotates,
                client_authentication: #client_authentication,
                default_scopes: &[#(#scopes),*],
                authorize_params: &[#(#params),*],
                base_url_from_token: #from_token,
                base_url_pattern: #from_token_pattern,
                dead_refresh_token: &[#(#dead),*],
            }))
        }
        None => quote!(None),
    };
    let bearer = i.auth.bearer;
    let basic = i.auth.basic;
    let api_key = match &i.auth.api_key {
        Some((in_header, name, prefix)) => {
            quote!(Some(ApiKey { in_header: #in_header, name: #name, prefix: #prefix }))
        }
        None => quote!(None),
    };
    quote!(Auth { oauth2: #oauth2, bearer: #bearer, api_key: #api_key, basic: #basic })
}

fn tool(i: &IntegrationIr, t: &ToolIr) -> TokenStream {
    let (name, title, description) = (&t.name, &t.title, &t.description);
    let integration = &i.name;
    let (resource, method, path) = (&t.resource, &t.method, &t.path);
    let kind = ident(&camel(t.kind.as_str()));
    let http = ident(&camel(&t.http.to_ascii_lowercase()));
    let params = t.params.iter().map(|p| {
        let (pname, wire) = (&p.name, &p.wire);
        let loc = ident(match p.location {
            ParamLocation::Path => "Path",
            ParamLocation::Query => "Query",
            ParamLocation::Body => "Body",
        });
        let comma = p.comma_joined;
        quote!(Param { name: #pname, wire: #wire, location: ParamLocation::#loc, comma_joined: #comma })
    });
    let fixed = t.fixed_query.iter().map(|(k, v)| quote!((#k, #v)));
    let extra_body = opt_str(t.extra_body.as_deref());
    let pagination = match &t.pagination {
        Some(p) => {
            let p = pagination(p);
            quote!(Some(#p))
        }
        None => quote!(None),
    };
    let scopes = &t.scopes;
    let broader = i
        .broader_scopes_of(t)
        .into_iter()
        .map(|(scope, broad)| quote!((#scope, &[#(#broad),*])));
    let tags = &t.tags;
    let a = t.annotations;
    let (ro, de, id, ow) = (a.read_only, a.destructive, a.idempotent, a.open_world);
    // Paths relative to `generated/src/`.
    let schema_path = match &t.unified {
        Some(route) => format!(
            "../{}",
            route
                .schema_path
                .strip_prefix("generated/")
                .unwrap_or(&route.schema_path)
        ),
        None => format!("../schemas/{}/{}.json", i.name, t.name),
    };
    let unified = match &t.unified {
        Some(route) => {
            let (model, proxy, read_args) = (&route.model, &route.proxy, &route.read_args);
            let required = &route.required;
            let read_back = match &route.read_back {
                Some((get, created_id)) => {
                    let created_id = opt_str(created_id.as_deref());
                    quote!(Some(ReadBack { get: #get, created_id: #created_id }))
                }
                None => quote!(None),
            };
            let base = model.replace('.', "_");
            let from = ident(&format!("{base}_from_vendor"));
            let to = ident(&format!("{base}_to_vendor"));
            let map = i.maps.iter().find(|m| &m.model == model);
            let to_update = match map {
                Some(m)
                    if t.kind == crate::model::MethodKind::Update
                        && !m.update_request.is_empty() =>
                {
                    let f = ident(&format!("{base}_to_vendor_update"));
                    quote!(Some(#f))
                }
                _ => quote!(None),
            };
            let current_get = opt_str(route.current_get.as_deref());
            let parent = match &route.parent {
                Some((arg, proxy_arg, field)) => {
                    quote!(Some(ParentArg { arg: #arg, proxy_arg: #proxy_arg, field: #field }))
                }
                None => quote!(None),
            };
            quote!(Some(UnifiedRoute {
                model: #model,
                proxy: #proxy,
                read_args: #read_args,
                read_back: #read_back,
                required: &[#(#required),*],
                from_vendor: #from,
                to_vendor: #to,
                to_vendor_update: #to_update,
                current_get: #current_get,
                parent: #parent,
            }))
        }
        None => quote!(None),
    };
    let pii = &t.pii;
    let mostly_pii = t.mostly_pii;
    quote! {
        Tool {
            name: #name,
            title: #title,
            description: #description,
            integration: #integration,
            resource: #resource,
            method: #method,
            kind: MethodKind::#kind,
            http: HttpVerb::#http,
            path: #path,
            params: &[#(#params),*],
            fixed_query: &[#(#fixed),*],
            extra_body: #extra_body,
            pagination: #pagination,
            scopes: &[#(#scopes),*],
            broader_scopes: &[#(#broader),*],
            tags: &[#(#tags),*],
            annotations: Annotations { read_only: #ro, destructive: #de, idempotent: #id, open_world: #ow },
            schema: include_str!(#schema_path),
            unified: #unified,
            pii: &[#(#pii),*],
            mostly_pii: #mostly_pii,
        }
    }
}

fn pagination(p: &PaginationIr) -> TokenStream {
    let style = ident(match p.style {
        PaginationStyle::Cursor => "Cursor",
        PaginationStyle::NextUrl => "NextUrl",
        PaginationStyle::Offset => "Offset",
        PaginationStyle::Page => "Page",
    });
    let results = &p.results;
    let param = opt_str(p.param.as_deref());
    let next = opt_str(p.next.as_deref());
    let has_more = opt_str(p.has_more.as_deref());
    let limit_param = opt_str(p.limit_param.as_deref());
    let limit_header = match &p.limit_header {
        Some((n, v, min)) => quote!(Some((#n, #v, #min))),
        None => quote!(None),
    };
    let max_limit = match p.max_limit {
        Some(m) => quote!(Some(#m)),
        None => quote!(None),
    };
    quote! {
        Pagination {
            style: PaginationStyle::#style,
            results: #results,
            param: #param,
            next: #next,
            has_more: #has_more,
            limit_param: #limit_param,
            limit_header: #limit_header,
            max_limit: #max_limit,
        }
    }
}

/// The statements a request map compiles to, writing into `body`: spreads first, so the named
/// targets after them win.
fn request_sets(
    request: &[(crate::mapping::target::Target, crate::mapping::ast::Expr)],
) -> Vec<TokenStream> {
    let spreads = request.iter().filter(|(t, _)| t.spread);
    let named = request.iter().filter(|(t, _)| !t.spread);
    spreads
        .chain(named)
        .map(|(target, e)| {
            let e = crate::mapping::codegen::expr(e, None);
            let path = &target.keys;
            if target.spread {
                quote!(rt::spread_at(&mut body, &[#(#path),*], #e);)
            } else {
                quote!(rt::set_path(&mut body, &[#(#path),*], #e);)
            }
        })
        .collect()
}

/// The `ErrorRules` literal.
fn error_rules(e: &crate::ir::ErrorRulesIr) -> TokenStream {
    let fields = |f: &Option<crate::ir::FieldErrorsIr>| match f {
        Some(f) => {
            let at = &f.at;
            let (message, field) = (opt_str(f.message.as_deref()), opt_str(f.field.as_deref()));
            quote!(Some(FieldErrorRules { at: #at, message: #message, field: #field }))
        }
        None => quote!(None),
    };
    let (message, code, top_fields) = (&e.message, &e.code, fields(&e.fields));
    let by_status = e.by_status.iter().map(|r| {
        let (status, message, code, fields) = (r.status, &r.message, &r.code, fields(&r.fields));
        quote!(StatusErrorRules {
            status: #status,
            message: &[#(#message),*],
            code: &[#(#code),*],
            fields: #fields,
        })
    });
    quote!(ErrorRules {
        message: &[#(#message),*],
        code: &[#(#code),*],
        fields: #top_fields,
        by_status: &[#(#by_status),*],
    })
}

fn opt_str(s: Option<&str>) -> TokenStream {
    match s {
        Some(s) => quote!(Some(#s)),
        None => quote!(None),
    }
}

fn ident(s: &str) -> Ident {
    Ident::new(s, Span::call_site())
}

/// `next_url` → `NextUrl`.
fn camel(s: &str) -> String {
    s.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn render(path: &str, source: &str, tokens: TokenStream) -> Result<GeneratedFile, EmitError> {
    let file = syn::parse2::<syn::File>(tokens).map_err(|e| EmitError::Rust {
        file: path.to_owned(),
        message: e.to_string(),
    })?;
    let body = prettyplease::unparse(&file);
    Ok(GeneratedFile {
        path: path.to_owned(),
        contents: format!("// {GENERATED_MARKER} (from {source})\n{body}"),
    })
}
