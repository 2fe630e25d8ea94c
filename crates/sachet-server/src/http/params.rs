//! Path and query parameters parsed on our terms: the framework never
//! refuses them, so the handler can check permissions first and answer a
//! malformed value as the contract says (a 404 for a share id, a 400 for a
//! page number).

use std::borrow::Cow;

use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseFromParameter, ParseResult, Type},
};
use uuid::Uuid;

use crate::error::{ApiError, quoted};

/// A share id from the path; anything that is not a UUID names no share.
#[derive(Debug, Clone)]
pub struct ShareId(Option<Uuid>);

impl ShareId {
    /// The id, or the 404 every share route gives for a malformed one.
    pub fn get(&self) -> Result<Uuid, ApiError> {
        self.0.ok_or_else(ApiError::no_share)
    }
}

impl Type for ShareId {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_uuid".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "uuid")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        None
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(std::iter::empty())
    }
}

impl ParseFromParameter for ShareId {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        // Only the hyphenated form the server hands out names a share.
        let hyphenated = value.len() == 36;
        Ok(ShareId(Uuid::try_parse(value).ok().filter(|_| hyphenated)))
    }

    // The router drops a segment that does not decode to UTF-8: no share.
    fn parse_from_parameters<I: IntoIterator<Item = A>, A: AsRef<str>>(
        iter: I,
    ) -> ParseResult<Self> {
        let first = iter.into_iter().next();
        Ok(ShareId(
            first.and_then(|value| Uuid::try_parse(value.as_ref()).ok()),
        ))
    }
}

/// A name from the path, such as a username. A segment that does not decode
/// to UTF-8 becomes the empty name, which names nothing.
#[derive(Debug, Clone)]
pub struct PathName(pub String);

impl Type for PathName {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        None
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(std::iter::empty())
    }
}

impl ParseFromParameter for PathName {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Ok(PathName(value.to_owned()))
    }

    fn parse_from_parameters<I: IntoIterator<Item = A>, A: AsRef<str>>(
        iter: I,
    ) -> ParseResult<Self> {
        let first = iter.into_iter().next();
        Ok(PathName(
            first
                .map(|value| value.as_ref().to_owned())
                .unwrap_or_default(),
        ))
    }
}

/// An optional positive integer query parameter, such as `page`: from 1 to
/// the largest 64-bit signed integer, as the document's `int64` says.
#[derive(Debug, Clone)]
pub struct PositiveInt(Option<Result<u64, String>>);

impl PositiveInt {
    /// The value, `default` when absent, or a 400 naming the parameter.
    pub fn get_or(&self, name: &str, default: u64) -> Result<u64, ApiError> {
        match &self.0 {
            None => Ok(default),
            Some(Ok(value)) => Ok(*value),
            Some(Err(raw)) => Err(ApiError::bad_request(format!(
                "Query parameter `{name}` must be an integer of at least 1, not {}.",
                quoted(raw)
            ))),
        }
    }
}

impl Type for PositiveInt {
    const IS_REQUIRED: bool = false;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "integer_positive".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            minimum: Some(1.0),
            ..MetaSchema::new_with_format("integer", "int64")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        None
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(std::iter::empty())
    }
}

impl ParseFromParameter for PositiveInt {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        let parsed = value
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 1)
            .map(i64::unsigned_abs);
        Ok(PositiveInt(Some(parsed.ok_or_else(|| value.to_owned()))))
    }

    fn parse_from_parameters<I: IntoIterator<Item = A>, A: AsRef<str>>(
        iter: I,
    ) -> ParseResult<Self> {
        match iter.into_iter().next() {
            Some(value) => Self::parse_from_parameter(value.as_ref()),
            None => Ok(PositiveInt(None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_ids_that_are_not_uuids_are_missing_shares() {
        let id = ShareId::parse_from_parameter("not-a-uuid").unwrap();
        assert_eq!(id.get().unwrap_err().status().as_u16(), 404);
        let uuid = Uuid::new_v4();
        for other_form in [
            uuid.simple().to_string(),
            uuid.braced().to_string(),
            uuid.urn().to_string(),
        ] {
            let id = ShareId::parse_from_parameter(&other_form).unwrap();
            assert_eq!(id.get().unwrap_err().status().as_u16(), 404, "{other_form}");
        }
        let upper = uuid.hyphenated().to_string().to_uppercase();
        assert_eq!(
            ShareId::parse_from_parameter(&upper)
                .unwrap()
                .get()
                .unwrap(),
            uuid
        );
        let uuid = Uuid::new_v4();
        let id = ShareId::parse_from_parameter(&uuid.to_string()).unwrap();
        assert_eq!(id.get().unwrap(), uuid);
    }

    #[test]
    fn page_numbers_must_be_positive_integers() {
        let parse = |v: &str| {
            PositiveInt::parse_from_parameter(v)
                .unwrap()
                .get_or("page", 1)
        };
        assert_eq!(parse("3").unwrap(), 3);
        assert_eq!(
            parse("9223372036854775807").unwrap(),
            i64::MAX.unsigned_abs()
        );
        for bad in ["0", "-1", "x", "1.5", "", "9223372036854775808"] {
            assert_eq!(parse(bad).unwrap_err().status().as_u16(), 400, "{bad:?}");
        }
        let undecodable = ShareId::parse_from_parameters(Vec::<String>::new()).unwrap();
        assert_eq!(undecodable.get().unwrap_err().status().as_u16(), 404);
        let absent = PositiveInt::parse_from_parameters(Vec::<String>::new()).unwrap();
        assert_eq!(absent.get_or("page", 1).unwrap(), 1);
    }
}
