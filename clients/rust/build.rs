//! Generates the client from the committed OpenAPI document.
//!
//! progenitor cannot express `multipart/form-data` request bodies, so the
//! two chunk-upload operations are left out of the generated code; the
//! crate adds them by hand (see `src/lib.rs` and docs/clients.md).

use std::{env, fs, path::Path};

use serde_json::Value;

/// Operations whose request body progenitor cannot express.
const MULTIPART_OPERATIONS: [(&str, &str); 2] = [
    ("/files/{id}/content", "post"),
    ("/files/{id}/content", "put"),
];

fn main() {
    let document = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/sachet.json");
    println!("cargo::rerun-if-changed={}", document.display());
    let text = fs::read_to_string(&document).expect("openapi/sachet.json is readable");
    let mut document: Value = serde_json::from_str(&text).expect("the document parses");
    for (path, method) in MULTIPART_OPERATIONS {
        if let Some(item) = document["paths"][path].as_object_mut() {
            item.remove(method);
        }
    }
    let spec: openapiv3::OpenAPI =
        serde_json::from_value(document).expect("the document is OpenAPI 3");
    let mut generator = progenitor::Generator::default();
    let tokens = generator
        .generate_tokens(&spec)
        .expect("progenitor generates the client");
    let file = syn::parse2(tokens).expect("the generated code parses");
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("client.rs");
    fs::write(out, prettyplease::unparse(&file)).expect("the generated client is written");
}
