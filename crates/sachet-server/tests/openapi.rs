//! The committed OpenAPI document matches the code, and describes what its
//! users rely on.

use serde_json::Value;

fn committed() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/sachet.json");
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn the_committed_document_is_current() {
    let generated = format!("{}\n", sachet_server::openapi_document());
    assert!(
        committed() == generated,
        "openapi/sachet.json is stale: run `cargo xtask openapi` and commit the result"
    );
}

#[test]
fn every_operation_has_a_snake_case_id_a_summary_and_a_tag() {
    let document: Value = serde_json::from_str(&sachet_server::openapi_document()).unwrap();
    let mut ids = std::collections::HashSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no id"));
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{id}"
            );
            assert!(ids.insert(id.to_owned()), "duplicate id {id}");
            assert!(operation["summary"].is_string(), "{id} has no summary");
            assert_eq!(operation["tags"].as_array().map(Vec::len), Some(1), "{id}");
        }
    }
    assert!(ids.len() >= 28, "{} operations", ids.len());
}

#[test]
fn anonymous_access_shows_as_optional_security() {
    let document: Value = serde_json::from_str(&sachet_server::openapi_document()).unwrap();
    let security = |path: &str, method: &str| document["paths"][path][method]["security"].clone();
    let optional = serde_json::json!([{"bearerAuth": []}, {}]);
    let required = serde_json::json!([{"bearerAuth": []}]);
    assert_eq!(security("/files", "post"), optional);
    assert_eq!(security("/whoami", "get"), optional);
    assert_eq!(security("/users/extend", "post"), required);
    assert_eq!(security("/users/{username}", "get"), required);
    assert_eq!(
        document["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
}
