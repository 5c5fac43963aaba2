//! The OpenAPI document (contract §9): served as JSON whatever `Accept` says, cacheable,
//! and naming exactly the routes keycard serves. The route walk reads the route table
//! (`keycard::routes::ROUTES`, the very rows that register the routes), compares it with
//! the document both ways, and asks the running server for every row, so neither the
//! table, the document nor the server can drift from the other two.

use std::collections::{BTreeMap, BTreeSet};

use keycard::routes::ROUTES;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::spawn_app;

const FILE: &str = include_str!("../../src/openapi.json");
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
/// What the default service says, to tell "no such route" from a handler's own `404`.
const NO_ROUTE: &str = "there is nothing at this address";

fn file() -> Value {
    serde_json::from_str(FILE).unwrap()
}

/// An actix pattern as the OpenAPI paths it stands for: `{name}` stays a parameter,
/// `{name:a|b}` becomes one path per word.
fn expand(pattern: &str) -> Vec<String> {
    let mut paths = vec![String::new()];
    for segment in pattern.split('/').skip(1) {
        let choices: Vec<String> = match segment
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .and_then(|s| s.split_once(':'))
        {
            Some((_, words)) => {
                assert!(
                    words
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "|-_".contains(c)),
                    "{pattern}: only {{name:a|b}} alternations are understood here"
                );
                words.split('|').map(str::to_string).collect()
            }
            None => vec![segment.to_string()],
        };
        paths = paths
            .iter()
            .flat_map(|p| choices.iter().map(move |c| format!("{p}/{c}")))
            .collect();
    }
    paths
}

/// (method, OpenAPI path) of every row of the route table.
fn table() -> BTreeSet<(String, String)> {
    ROUTES
        .iter()
        .flat_map(|e| {
            expand(e.path)
                .into_iter()
                .map(|p| (e.method.to_ascii_lowercase(), p))
        })
        .collect()
}

/// (method, path) of every operation of the document.
fn documented(document: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method).is_some() {
                operations.insert((method.to_string(), path.clone()));
            }
        }
    }
    operations
}

/// A concrete URL for an OpenAPI path (parameters filled with values of the right shape).
fn concrete(path: &str) -> String {
    path.replace("{id}", "1").replace("{token}", "no-such-link")
}

async fn detail_of(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap_or(Value::Null);
    body["detail"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn the_document_is_json_whatever_accept_says_and_cacheable() {
    let app = spawn_app().await;
    let response = app
        .cookieless
        .get(app.url("/openapi.json"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "public, max-age=300");
    assert_eq!(headers["access-control-allow-origin"], "*");
    let etag = headers["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && etag.len() == 34, "{etag}");
    let served: Value = response.json().await.unwrap();
    assert_eq!(served, file(), "the server sends src/openapi.json as it is");
    assert_eq!(served["openapi"], "3.1.0");
    assert_eq!(served["info"]["version"], env!("CARGO_PKG_VERSION"));

    let again = app
        .cookieless
        .get(app.url("/openapi.json"))
        .header("If-None-Match", format!("W/{etag}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    assert_eq!(again.headers()["cache-control"], "public, max-age=300");
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);

    let refused = app
        .request(Method::DELETE, "/openapi.json")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 405);
    assert_eq!(refused.headers()["cache-control"], "no-store");
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn every_reference_in_the_document_resolves() {
    fn walk(value: &Value, refs: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    refs.push(r.clone());
                }
                map.values().for_each(|v| walk(v, refs));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, refs)),
            _ => {}
        }
    }
    let document = file();
    let mut refs = Vec::new();
    walk(&document, &mut refs);
    assert!(refs.len() > 100, "the document uses its components");
    for r in refs {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{r} is not local"));
        assert!(
            document.pointer(pointer).is_some(),
            "{r} resolves to nothing"
        );
    }
    let schemes = document["components"]["securitySchemes"]
        .as_object()
        .unwrap();
    for (name, scheme) in [
        ("bearerAuth", "http"),
        ("cookieAuth", "apiKey"),
        ("csrfToken", "apiKey"),
        ("introspectionClient", "http"),
    ] {
        assert_eq!(schemes[name]["type"], scheme, "{name}");
    }
    assert_eq!(schemes["csrfToken"]["name"], "X-CSRF-Token");
    assert_eq!(schemes["cookieAuth"]["name"], "access_token");
}

#[tokio::test]
async fn the_document_names_every_route_of_the_table_and_no_other() {
    let (table, documented) = (table(), documented(&file()));
    let missing: Vec<_> = table.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&table).collect();
    assert!(missing.is_empty(), "routes the document lacks: {missing:?}");
    assert!(extra.is_empty(), "operations no route serves: {extra:?}");
    assert!(table.contains(&("get".into(), "/openapi.json".into())));
}

/// Every row of the table is served by the running app: its method is not `405` and its
/// path is not the default service's `404`; and another method on each path is `405`
/// with an `Allow` that lists the table's methods for that path and no other.
#[tokio::test]
async fn the_running_server_serves_exactly_the_route_table() {
    let app = spawn_app().await;
    let unknown = app.get_json("/no/such/route").await;
    assert_eq!(unknown.status().as_u16(), 404);
    assert_eq!(
        detail_of(unknown).await,
        NO_ROUTE,
        "the default service's words"
    );

    let mut methods: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (method, path) in table() {
        let mut request = app
            .cookieless
            .request(
                method.to_uppercase().parse().unwrap(),
                app.url(&concrete(&path)),
            )
            .header("Accept", "application/json");
        if method == "post" {
            request = request
                .header("Content-Type", "application/json")
                .body("{}");
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        assert_ne!(status, 405, "{method} {path}");
        assert!(status < 500, "{method} {path}: {status}");
        if status == 404 {
            assert_ne!(
                detail_of(response).await,
                NO_ROUTE,
                "{method} {path} is not served"
            );
        }
        methods
            .entry(path)
            .or_default()
            .insert(method.to_uppercase());
    }

    for (path, expected) in methods {
        let response = app
            .cookieless
            .request(Method::PATCH, app.url(&concrete(&path)))
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 405, "PATCH {path}");
        let allow: BTreeSet<String> = response.headers()["allow"]
            .to_str()
            .unwrap()
            .split(',')
            .map(|m| m.trim().to_string())
            .filter(|m| m != "HEAD")
            .collect();
        assert_eq!(allow, expected, "Allow of {path}");
    }
}

#[test]
fn patterns_expand_to_the_documented_paths() {
    assert_eq!(expand("/"), vec!["/"]);
    assert_eq!(expand("/users/{id}"), vec!["/users/{id}"]);
    assert_eq!(
        expand("/a/{id}/{action:on|off}"),
        vec!["/a/{id}/on", "/a/{id}/off"]
    );
}
