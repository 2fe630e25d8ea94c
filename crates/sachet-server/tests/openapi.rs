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

#[test]
fn every_request_body_has_an_example() {
    let document: Value = serde_json::from_str(&sachet_server::openapi_document()).unwrap();
    let resolve = |schema: &Value| match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            document["components"]["schemas"][name].clone()
        }
        None => schema.clone(),
    };
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(content) = operation["requestBody"]["content"].as_object() else {
                continue;
            };
            for (media_type, body) in content {
                let schema = resolve(&body["schema"]);
                let example = &schema["example"];
                assert!(
                    example.is_object(),
                    "{method} {path} ({media_type}) has no example"
                );
                // Found by a QA round: examples lost their write-only
                // fields, so Swagger UI's prefilled bodies were refused.
                for field in schema["required"].as_array().into_iter().flatten() {
                    let field = field.as_str().unwrap();
                    assert!(
                        example.get(field).is_some(),
                        "{method} {path}: the example lacks the required {field}"
                    );
                }
            }
        }
    }
}

#[test]
fn creations_link_to_the_operations_on_what_they_created() {
    let document: Value = serde_json::from_str(&sachet_server::openapi_document()).unwrap();
    let share_links = &document["paths"]["/files"]["post"]["responses"]["201"]["links"];
    assert_eq!(
        share_links["read_content"]["parameters"]["id"],
        "$response.body#/share_id"
    );
    let user_links = &document["paths"]["/users"]["post"]["responses"]["201"]["links"];
    assert_eq!(
        user_links["read_user"]["parameters"]["username"],
        "$request.body#/username"
    );
    // Found by schemathesis: a rename through a link left the links that
    // followed pointing at a name that no longer existed.
    assert!(user_links.get("patch_user").is_none());
    assert!(user_links.get("replace_user").is_none());
    let replacement = &document["components"]["schemas"]["ShareReplacement"];
    assert!(
        replacement["required"]
            .as_array()
            .unwrap()
            .contains(&"owner_name".into())
    );
}

/// Found by openapi-spec-validator: `info.summary` is OpenAPI 3.1 only.
#[test]
fn the_document_is_openapi_3_0() {
    let document: Value = serde_json::from_str(&sachet_server::openapi_document()).unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.0."));
    assert!(document["info"].get("summary").is_none());
}

/// Found by schemathesis: fields the server sends as `null` must say so,
/// and fields a client may only send back unchanged are read-only.
#[test]
fn null_and_read_only_fields_are_marked() {
    let document: Value = serde_json::from_str(&sachet_server::openapi_document()).unwrap();
    let schemas = &document["components"]["schemas"];
    for (schema, field) in [
        ("Share", "owner_name"),
        ("Share", "size"),
        ("Share", "content_type"),
        ("SharePage", "prev"),
        ("SharePage", "next"),
        ("UserPage", "prev"),
        ("UserPage", "next"),
        ("Whoami", "username"),
        ("NewShare", "file_name"),
        ("SettingsPatch", "default_permissions"),
    ] {
        let property = &schemas[schema]["properties"][field];
        assert_eq!(property["nullable"], true, "{schema}.{field}");
    }
    for (schema, field) in [
        ("SharePatch", "share_id"),
        ("ShareReplacement", "create_date"),
        ("UserPatch", "register_date"),
        ("UserReplacement", "register_date"),
    ] {
        let property = &schemas[schema]["properties"][field];
        assert_eq!(property["readOnly"], true, "{schema}.{field}");
    }
}

/// The length and character rules of the document's names, as a regular
/// expression and lengths in characters.
struct NameRule {
    pattern: regex::Regex,
    min: usize,
    max: usize,
}

impl NameRule {
    fn of(document: &Value, schema: &str, field: &str) -> NameRule {
        let property = &document["components"]["schemas"][schema]["properties"][field];
        let pattern = property["pattern"].as_str().expect("a pattern");
        let length = |key: &str| property[key].as_u64().expect("a length") as usize;
        NameRule {
            pattern: regex::Regex::new(pattern).expect("a valid pattern"),
            min: length("minLength"),
            max: length("maxLength"),
        }
    }

    fn admits(&self, value: &str) -> bool {
        let length = value.chars().count();
        (self.min..=self.max).contains(&length) && self.pattern.is_match(value)
    }
}

proptest::proptest! {
    /// Found by schemathesis (file names with control characters, empty
    /// passwords): the document's name rules are the server's.
    #[test]
    fn the_document_states_the_servers_name_rules(
        value in proptest::prop_oneof![
            proptest::prelude::any::<String>(),
            "[a-z/\\u{0}-\\u{1f}\\u{7f}-\\u{9f}é]{0,70}",
            "[a-z]{250,260}",
        ],
    ) {
        let document: Value = serde_json::from_str(&sachet_server::openapi_document()).unwrap();
        let file_name = NameRule::of(&document, "NewShare", "file_name");
        proptest::prop_assert_eq!(
            file_name.admits(&value),
            sachet_core::FileName::parse(value.clone()).is_ok()
        );
        let username = NameRule::of(&document, "NewUser", "username");
        let reserved = ["login", "extend", "logout", "password"].contains(&value.as_str());
        if !reserved {
            proptest::prop_assert_eq!(
                username.admits(&value),
                sachet_core::Username::parse(value.clone()).is_ok()
            );
        }
        let password = &document["components"]["schemas"]["NewUser"]["properties"]["password"];
        let length = value.chars().count() as u64;
        let admitted = password["minLength"].as_u64().unwrap() <= length
            && length <= password["maxLength"].as_u64().unwrap();
        proptest::prop_assert_eq!(admitted, sachet_core::Password::parse(value).is_ok());
    }
}
