//! The `Allow` header of a 405 answer: the methods the routes of the
//! OpenAPI document accept for the request's path.

use serde_json::Value;

/// The paths of the API, with the methods each accepts.
#[derive(Debug, Default)]
pub struct Routes {
    routes: Vec<(Vec<Segment>, Vec<String>)>,
}

#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Fixed(String),
    Parameter,
}

impl Routes {
    /// The routes of an OpenAPI document (JSON); an unreadable one has none.
    pub fn from_document(document: &str) -> Routes {
        let Ok(document) = serde_json::from_str::<Value>(document) else {
            return Routes::default();
        };
        let paths = document["paths"].as_object().cloned().unwrap_or_default();
        let routes = paths
            .into_iter()
            .map(|(template, operations)| {
                let segments = split(&template)
                    .map(|segment| match segment.starts_with('{') {
                        true => Segment::Parameter,
                        false => Segment::Fixed(segment.to_owned()),
                    })
                    .collect();
                let methods = operations
                    .as_object()
                    .map(|ops| ops.keys().map(|m| m.to_ascii_uppercase()).collect())
                    .unwrap_or_default();
                (segments, methods)
            })
            .collect();
        Routes { routes }
    }

    /// The value of `Allow` for `path`: the methods of the most specific
    /// route that matches it (HEAD wherever GET is), or `None` if no route
    /// matches. A fixed segment beats a parameter, as in the document:
    /// `/users/login` allows POST only, although a GET of it reads the user
    /// named `login` (who cannot exist, the name being reserved).
    pub fn allowed(&self, path: &str) -> Option<String> {
        let segments: Vec<&str> = split(path).collect();
        let matching = || {
            self.routes
                .iter()
                .filter(|(template, _)| matches(template, &segments))
        };
        let specificity = |template: &[Segment]| {
            template
                .iter()
                .filter(|segment| matches!(segment, Segment::Fixed(_)))
                .count()
        };
        let best = matching()
            .map(|(template, _)| specificity(template))
            .max()?;
        let mut methods: Vec<&str> = matching()
            .filter(|(template, _)| specificity(template) == best)
            .flat_map(|(_, methods)| methods.iter().map(String::as_str))
            .collect();
        if methods.contains(&"GET") {
            methods.push("HEAD");
        }
        methods.sort_unstable();
        methods.dedup();
        (!methods.is_empty()).then(|| methods.join(", "))
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|segment| !segment.is_empty())
}

fn matches(template: &[Segment], segments: &[&str]) -> bool {
    template.len() == segments.len()
        && template
            .iter()
            .zip(segments)
            .all(|(expected, actual)| match expected {
                Segment::Parameter => true,
                Segment::Fixed(fixed) => fixed == actual,
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_matching_route_gives_the_methods() {
        let document = r#"{"paths": {
            "/users/login": {"post": {}},
            "/users/{username}": {"get": {}, "patch": {}, "delete": {}},
            "/files/{id}/content": {"get": {}, "head": {}, "post": {}, "put": {}}
        }}"#;
        let routes = Routes::from_document(document);
        assert_eq!(routes.allowed("/users/login").as_deref(), Some("POST"));
        assert_eq!(
            routes.allowed("/users/alice").as_deref(),
            Some("DELETE, GET, HEAD, PATCH")
        );
        assert_eq!(
            routes.allowed("/files/x/content").as_deref(),
            Some("GET, HEAD, POST, PUT")
        );
        assert_eq!(routes.allowed("/nowhere"), None);
    }
}
