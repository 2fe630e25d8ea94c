//! Wire types shared by several resources.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use poem_openapi::{
    Enum, Object,
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type},
};
use sachet_core::{Permission, PermissionSet};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A permission code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "UPPERCASE")]
#[serde(rename_all = "UPPERCASE")]
pub enum PermissionCode {
    /// Create shares and upload their first content.
    Create,
    /// Change the content and metadata of shares one owns.
    Modify,
    /// Delete any share.
    Delete,
    /// Lock and unlock any share.
    Lock,
    /// List all shares of all users.
    List,
    /// Manage users and server settings.
    Admin,
    /// Read any share's metadata and content.
    Read,
}

impl From<PermissionCode> for Permission {
    fn from(code: PermissionCode) -> Permission {
        match code {
            PermissionCode::Create => Permission::Create,
            PermissionCode::Modify => Permission::Modify,
            PermissionCode::Delete => Permission::Delete,
            PermissionCode::Lock => Permission::Lock,
            PermissionCode::List => Permission::List,
            PermissionCode::Admin => Permission::Admin,
            PermissionCode::Read => Permission::Read,
        }
    }
}

impl From<Permission> for PermissionCode {
    fn from(permission: Permission) -> PermissionCode {
        match permission {
            Permission::Create => PermissionCode::Create,
            Permission::Modify => PermissionCode::Modify,
            Permission::Delete => PermissionCode::Delete,
            Permission::Lock => PermissionCode::Lock,
            Permission::List => PermissionCode::List,
            Permission::Admin => PermissionCode::Admin,
            Permission::Read => PermissionCode::Read,
        }
    }
}

/// The set named by a list of codes; duplicates collapse.
pub fn permission_set(codes: &[PermissionCode]) -> PermissionSet {
    codes.iter().map(|code| Permission::from(*code)).collect()
}

/// The codes of a set, in canonical order.
pub fn permission_codes(set: PermissionSet) -> Vec<PermissionCode> {
    set.iter().map(PermissionCode::from).collect()
}

/// A plain success answer.
#[derive(Debug, Clone, Object)]
pub struct Success {
    /// Always `success`.
    pub status: String,
}

impl Success {
    /// `{"status": "success"}`.
    pub fn new() -> Success {
        Success::default()
    }
}

impl Default for Success {
    fn default() -> Success {
        Success {
            status: "success".into(),
        }
    }
}

/// A success answer with a message.
#[derive(Debug, Clone, Object)]
pub struct Message {
    /// Always `success`.
    pub status: String,
    /// What happened.
    pub message: String,
}

impl Message {
    /// `{"status": "success", "message": message}`.
    pub fn new(message: &str) -> Message {
        Message {
            status: "success".into(),
            message: message.to_owned(),
        }
    }
}

/// The answer to a creation: where the new resource lives.
#[derive(Debug, Clone, Object)]
pub struct Created {
    /// Always `success`.
    pub status: String,
    /// The path of the new resource.
    pub url: String,
}

impl Created {
    /// `{"status": "success", "url": url}`.
    pub fn new(url: String) -> Created {
        Created {
            status: "success".into(),
            url,
        }
    }
}

/// An instant, written in RFC 3339 in UTC with microseconds, such as
/// `2026-05-20T23:05:31.546561Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    fn text(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Micros, true)
    }
}

impl Type for Timestamp {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_date-time".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "date-time")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ToJSON for Timestamp {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.text()))
    }
}

impl ParseFromJSON for Timestamp {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(text)) => DateTime::parse_from_rfc3339(&text)
                .map(|instant| Timestamp(instant.with_timezone(&Utc)))
                .map_err(ParseError::custom),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|instant| Timestamp(instant.with_timezone(&Utc)))
            .map_err(|err| {
                serde::de::Error::custom(format!("{text:?} is not an RFC 3339 date: {err}"))
            })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn timestamps_use_microseconds_and_z() {
        let instant = Utc.timestamp_micros(1_779_318_331_546_561).unwrap();
        assert_eq!(
            Timestamp(instant).to_json(),
            Some(Value::String("2026-05-20T23:05:31.546561Z".into()))
        );
    }

    #[test]
    fn permission_codes_are_canonical() {
        let set = permission_set(&[
            PermissionCode::Read,
            PermissionCode::Create,
            PermissionCode::Read,
        ]);
        assert_eq!(
            permission_codes(set),
            [PermissionCode::Create, PermissionCode::Read]
        );
    }
}

/// Where a page sits in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLinks {
    /// The previous page, if any.
    pub prev: Option<u64>,
    /// The next page, if any.
    pub next: Option<u64>,
    /// How many pages the list has; 0 when it is empty.
    pub pages: u64,
}

/// The page of a list to read, from the `page` and `per_page` parameters.
pub fn page_request(
    page: &crate::http::params::PositiveInt,
    per_page: &crate::http::params::PositiveInt,
    max_per_page: u64,
) -> Result<sachet_store::PageRequest, crate::error::ApiError> {
    Ok(sachet_store::PageRequest {
        page: page.get_or("page", 1)?,
        per_page: per_page.get_or("per_page", 15)?.min(max_per_page),
    })
}

/// The links of `request` in a list of `total` items; a page past the last
/// one (other than page 1 of an empty list) does not exist.
pub fn page_links(
    request: sachet_store::PageRequest,
    total: u64,
) -> Result<PageLinks, crate::error::ApiError> {
    let pages = total.div_ceil(request.per_page);
    if request.page > pages.max(1) {
        return Err(crate::error::ApiError::not_found(format!(
            "Page {} does not exist: there are {pages} pages.",
            request.page
        )));
    }
    Ok(PageLinks {
        prev: (request.page > 1).then(|| request.page - 1),
        next: (request.page < pages).then(|| request.page + 1),
        pages,
    })
}

#[cfg(test)]
mod page_tests {
    use proptest::prelude::*;
    use sachet_store::PageRequest;

    use super::*;

    fn links(page: u64, per_page: u64, total: u64) -> Option<PageLinks> {
        page_links(PageRequest { page, per_page }, total).ok()
    }

    #[test]
    fn empty_lists_have_one_empty_first_page() {
        assert_eq!(
            links(1, 15, 0),
            Some(PageLinks {
                prev: None,
                next: None,
                pages: 0
            })
        );
        assert_eq!(links(2, 15, 0), None);
    }

    #[test]
    fn middle_pages_link_both_ways() {
        assert_eq!(
            links(2, 10, 25),
            Some(PageLinks {
                prev: Some(1),
                next: Some(3),
                pages: 3
            })
        );
        assert_eq!(
            links(3, 10, 25),
            Some(PageLinks {
                prev: Some(2),
                next: None,
                pages: 3
            })
        );
        assert_eq!(links(4, 10, 25), None);
    }

    proptest! {
        #[test]
        fn walking_next_visits_every_page_once(per_page in 1u64..20, total in 0u64..200) {
            let mut page = 1;
            let mut seen = 0;
            loop {
                let l = links(page, per_page, total).unwrap();
                seen += 1;
                match l.next {
                    Some(next) => page = next,
                    None => break,
                }
            }
            prop_assert_eq!(seen, total.div_ceil(per_page).max(1));
        }
    }
}
