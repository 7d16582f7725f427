//! `/v1/openapi.json`: every endpoint the hub serves, as OpenAPI 3. Written out by hand from
//! [`ROUTES`], the same list the server is built from, so the description cannot leave an
//! endpoint out (a test checks both ways).

use crate::district::protocol::{
    HEADER_MORE, HEADER_NONCE, HEADER_PROTOCOL, HEADER_SERIES, HEADER_SIGNATURE, HEADER_TIME,
    PROTOCOL_VERSION,
};
use serde_json::{Value, json};

/// How a route is reached and what it needs.
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    /// Signed by a device key (see the `signed` security scheme).
    pub signed: bool,
    /// Needs the protocol header.
    pub versioned: bool,
    pub summary: &'static str,
    pub request: Option<&'static str>,
    pub response: &'static str,
}

pub const ROUTES: &[Route] = &[
    Route {
        method: "get",
        path: "/healthz",
        signed: false,
        versioned: false,
        summary: "The hub and its store answer.",
        request: None,
        response: "text",
    },
    Route {
        method: "get",
        path: "/metrics",
        signed: false,
        versioned: false,
        summary: "Prometheus text: entries ingested and served, syncs, refusals by reason, request latency.",
        request: None,
        response: "prometheus",
    },
    Route {
        method: "get",
        path: "/v1/openapi.json",
        signed: false,
        versioned: false,
        summary: "This document.",
        request: None,
        response: "document",
    },
    Route {
        method: "post",
        path: "/v1/enroll",
        signed: false,
        versioned: true,
        summary: "Takes a one-time code from `hub enroll` and answers with the counter's enrolment file (and, for a counter the hub holds series of, what a new PC needs to continue it). A code works once and expires.",
        request: Some("EnrollRequest"),
        response: "EnrollResponse",
    },
    Route {
        method: "post",
        path: "/v1/enroll/certificate",
        signed: false,
        versioned: true,
        summary: "Registers the certificate a counter made with its grant: the hub then knows the counter's key and takes its signed requests.",
        request: Some("Certificate"),
        response: "empty",
    },
    Route {
        method: "get",
        path: "/v1/heads",
        signed: true,
        versioned: true,
        summary: "For every series the hub holds, the highest seq held without a gap and its hash.",
        request: None,
        response: "HeadsResponse",
    },
    Route {
        method: "post",
        path: "/v1/push",
        signed: true,
        versioned: true,
        summary: "A bundle (application/octet-stream, the format of `sync export`) of at most 1,000 entries: each entry is checked and stored or refused on its own.",
        request: Some("bundle"),
        response: "PushResponse",
    },
    Route {
        method: "post",
        path: "/v1/pull",
        signed: true,
        versioned: true,
        summary: "What the counter holds (its heads); answered with a bundle from the first gap of every series the hub holds further, at most 1,000 entries, with the certificates and resident keys they need. The header x-pointsdesk-more is 1 when more is left.",
        request: Some("PullRequest"),
        response: "bundle",
    },
];

fn schema_ref(name: &str) -> Value {
    match name {
        "bundle" => json!({"type": "string", "format": "binary"}),
        "text" | "prometheus" => json!({"type": "string"}),
        "document" => json!({"type": "object"}),
        "empty" => json!({"type": "object"}),
        other => json!({"$ref": format!("#/components/schemas/{other}")}),
    }
}

fn content_type(name: &str) -> &'static str {
    match name {
        "bundle" => "application/octet-stream",
        "text" => "text/plain",
        "prometheus" => "text/plain; version=0.0.4",
        _ => "application/json",
    }
}

/// The OpenAPI 3 document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for route in ROUTES {
        let mut operation = json!({
            "summary": route.summary,
            "responses": {
                "200": {
                    "description": "Done",
                    "content": { content_type(route.response): { "schema": schema_ref(route.response) } }
                },
                "400": {"description": "Unreadable, or text holding a NUL character", "content": {"application/json": {"schema": schema_ref("RefusalBody")}}},
                "401": {"description": "Unknown device, bad signature, replayed nonce, or a clock outside the window (clock_offset_ms says by how much)", "content": {"application/json": {"schema": schema_ref("RefusalBody")}}},
                "403": {"description": "A wrong, used or expired code, or a certificate that does not check out", "content": {"application/json": {"schema": schema_ref("RefusalBody")}}},
                "413": {"description": "Too large", "content": {"application/json": {"schema": schema_ref("RefusalBody")}}},
                "426": {"description": "A protocol the hub does not serve: update pointsdesk", "content": {"application/json": {"schema": schema_ref("RefusalBody")}}},
                "503": {"description": "The store failed; nothing was written", "content": {"application/json": {"schema": schema_ref("RefusalBody")}}}
            }
        });
        if let Some(request) = route.request {
            operation["requestBody"] = json!({
                "required": true,
                "content": { content_type(request): { "schema": schema_ref(request) } }
            });
        }
        let mut parameters = Vec::new();
        if route.versioned {
            parameters.push(
                json!({"name": HEADER_PROTOCOL, "in": "header", "required": true,
                "schema": {"type": "integer", "example": PROTOCOL_VERSION}}),
            );
        }
        if route.signed {
            operation["security"] = json!([{"signed": []}]);
            for (name, what) in [
                (HEADER_SERIES, "The counter's series id (UUID)."),
                (
                    HEADER_TIME,
                    "Milliseconds since 1970 (UTC) when the request was made.",
                ),
                (
                    HEADER_NONCE,
                    "16 random bytes in hex, never used before by this device.",
                ),
                (
                    HEADER_SIGNATURE,
                    "Hex Ed25519 signature of the device key over \"pointsdesk-request/1\\nMETHOD\\nPATH\\nhex(SHA-256(body))\\nTIME\\nNONCE\".",
                ),
            ] {
                parameters.push(json!({"name": name, "in": "header", "required": true,
                    "description": what, "schema": {"type": "string"}}));
            }
        }
        if route.path == "/v1/pull" {
            operation["responses"]["200"]["headers"] = json!({
                HEADER_MORE: {"description": "1 when the hub holds more than it sent", "schema": {"type": "string"}}
            });
        }
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        let item = paths
            .entry(route.path.to_string())
            .or_insert_with(|| json!({}));
        item[route.method] = operation;
    }
    let head = json!({"type": "object", "required": ["series_id", "seq", "hash"], "properties": {
        "series_id": {"type": "string", "format": "uuid"},
        "seq": {"type": "integer", "description": "Highest seq held without a gap (0: none)"},
        "hash": {"type": "string", "description": "Hex SHA-256 of that entry"}}});
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "pointsdesk hub",
            "version": format!("protocol {PROTOCOL_VERSION}"),
            "description": "The street office's hub: counters push what it lacks and pull what they lack; every entry is signed by its counter and checked on arrival."
        },
        "paths": Value::Object(paths),
        "components": {
            "securitySchemes": {
                "signed": {"type": "apiKey", "in": "header", "name": HEADER_SIGNATURE,
                    "description": "With the device, time and nonce headers: see each signed operation."}
            },
            "schemas": {
                "Head": head,
                "HeadsResponse": {"type": "object", "properties": {
                    "district_id": {"type": "string"},
                    "heads": {"type": "array", "items": {"$ref": "#/components/schemas/Head"}},
                    "hub_time": {"type": "string", "format": "date-time"},
                    "data_keys": {"type": "array", "items": {"type": "string"}, "description": "The district's data keys (hex), newest first"}}},
                "PullRequest": {"type": "object", "required": ["heads", "entries_max"], "properties": {
                    "heads": {"type": "array", "items": {"$ref": "#/components/schemas/Head"}},
                    "entries_max": {"type": "integer", "maximum": 1000}}},
                "PushResponse": {"type": "object", "properties": {
                    "outcomes": {"type": "array", "items": {"type": "object", "properties": {
                        "series_id": {"type": "string", "format": "uuid"},
                        "from": {"type": "integer"}, "to": {"type": "integer"},
                        "taken": {"type": "string", "enum": ["new", "present", "fork", "refused"]},
                        "reason": {"type": "string"}}}},
                    "heads": {"type": "array", "items": {"$ref": "#/components/schemas/Head"}}}},
                "EnrollRequest": {"type": "object", "required": ["code"], "properties": {
                    "code": {"type": "string", "example": "K7QM-2XHD-9PFA"},
                    "counter": {"type": "string", "nullable": true}}},
                "EnrollResponse": {"type": "object", "properties": {
                    "file": {"type": "object", "description": "The enrolment file, as `hub enroll --out` writes it"},
                    "recovery": {"type": "object", "nullable": true}}},
                "Certificate": {"type": "object", "required": ["grant", "body", "signature"], "properties": {
                    "grant": {"type": "object"}, "body": {"type": "string"}, "signature": {"type": "string"}}},
                "RefusalBody": {"type": "object", "properties": {
                    "refusal": {"type": "string"},
                    "message_zh": {"type": "string"}, "message_en": {"type": "string"},
                    "clock_offset_ms": {"type": "integer"},
                    "protocols": {"type": "array", "items": {"type": "integer"}}}}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_described_once_with_its_method() {
        let doc = document();
        let paths = doc["paths"].as_object().unwrap();
        let described: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
        assert_eq!(described, ROUTES.len());
        for route in ROUTES {
            assert!(
                paths[route.path][route.method].is_object(),
                "{}",
                route.path
            );
        }
    }

    /// Every `$ref` anywhere in `value`.
    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r.clone());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_schema_referred_to_exists_and_the_plain_text_endpoints_say_so() {
        let doc = document();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        for r in found {
            let name = r.trim_start_matches("#/components/schemas/");
            assert!(doc["components"]["schemas"][name].is_object(), "{r}");
        }
        for path in ["/healthz", "/metrics"] {
            let content = doc["paths"][path]["get"]["responses"]["200"]["content"]
                .as_object()
                .unwrap();
            assert!(
                content.keys().all(|k| k.starts_with("text/plain")),
                "{path}: {content:?}"
            );
        }
    }
}
