//! The `Authorization` header as an extractor that documents the bearer
//! scheme, and its resolution into a [`Caller`].
//!
//! The extractor never fails: whether a missing or malformed header is
//! acceptable depends on the operation, and the contract wants that decided
//! in a fixed order by the handler. A present but bad token is never
//! downgraded to the anonymous caller.

use std::fmt;

use poem::{Request, RequestBody, http::header};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions,
    registry::{MetaSecurityScheme, Registry},
};
use sachet_core::{Caller, PermissionSet, Username};
use sachet_store::UserRecord;

use super::{Claims, TokenError};
use crate::{error::ApiError, state::AppState};

/// The name of the security scheme in the OpenAPI document.
const SCHEME_NAME: &str = "bearerAuth";

/// What a request's `Authorization` header holds.
pub enum Credential {
    /// No header.
    Missing,
    /// A header that is not `Bearer <token>`.
    Malformed,
    /// A bearer token, not yet verified.
    Bearer(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Missing => f.write_str("Missing"),
            Credential::Malformed => f.write_str("Malformed"),
            Credential::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

impl Credential {
    /// Reads the header. The scheme word is case-insensitive; more than one
    /// header is malformed.
    pub fn from_request(request: &Request) -> Credential {
        let mut values = request.headers().get_all(header::AUTHORIZATION).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return match request.headers().contains_key(header::AUTHORIZATION) {
                true => Credential::Malformed,
                false => Credential::Missing,
            };
        };
        let Ok(value) = value.to_str() else {
            return Credential::Malformed;
        };
        let mut words = value.split_ascii_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some(scheme), Some(token), None) if scheme.eq_ignore_ascii_case("bearer") => {
                Credential::Bearer(token.to_owned())
            }
            _ => Credential::Malformed,
        }
    }
}

/// Credentials of an operation that admits anonymous callers.
#[derive(Debug)]
pub struct AnyCaller(pub Credential);

/// Credentials of an operation that needs a signed-in user.
#[derive(Debug)]
pub struct UserOnly(pub Credential);

fn register_scheme(registry: &mut Registry) {
    registry.create_security_scheme(
        SCHEME_NAME,
        MetaSecurityScheme {
            ty: "http",
            description: Some(
                "A token from `POST /users/login`, sent as `Authorization: Bearer <token>`.",
            ),
            name: None,
            key_in: None,
            scheme: Some("bearer"),
            bearer_format: Some("JWT"),
            flows: None,
            openid_connect_url: None,
        },
    );
}

macro_rules! credential_extractor {
    ($ty:ident, anonymous = $anonymous:expr) => {
        impl<'a> ApiExtractor<'a> for $ty {
            const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
            type ParamType = ();
            type ParamRawType = ();

            fn register(registry: &mut Registry) {
                register_scheme(registry);
            }

            fn security_schemes() -> Vec<&'static str> {
                vec![SCHEME_NAME]
            }

            fn has_security_fallback() -> bool {
                $anonymous
            }

            async fn from_request(
                request: &'a Request,
                _body: &mut RequestBody,
                _param_opts: ExtractParamOptions<Self::ParamType>,
            ) -> poem::Result<Self> {
                Ok($ty(Credential::from_request(request)))
            }
        }
    };
}

credential_extractor!(AnyCaller, anonymous = true);
credential_extractor!(UserOnly, anonymous = false);

/// Why a token no longer works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenRefusal {
    /// Past its expiry.
    Expired,
    /// Not signed by this server, or malformed.
    Invalid,
    /// Logged out, or issued before the user's tokens were revoked.
    Revoked,
    /// Its account was deleted or renamed.
    UserGone,
}

impl AppState {
    /// Checks every reason a token could have stopped working, and returns
    /// its claims and its user when none applies.
    pub async fn check_token(
        &self,
        token: &str,
    ) -> Result<Result<(Claims, UserRecord), TokenRefusal>, ApiError> {
        let claims = match self.tokens.verify(token) {
            Ok(claims) => claims,
            Err(TokenError::Expired) => return Ok(Err(TokenRefusal::Expired)),
            Err(TokenError::Invalid) => return Ok(Err(TokenRefusal::Invalid)),
        };
        if self.store.is_revoked(&claims.jti).await? {
            return Ok(Err(TokenRefusal::Revoked));
        }
        let user = self.store.user_by_id(claims.user_id()).await?;
        let Some(user) = user.filter(|user| user.username == claims.sub) else {
            return Ok(Err(TokenRefusal::UserGone));
        };
        if user
            .tokens_valid_after
            .is_some_and(|after| claims.issued_at() < after)
        {
            return Ok(Err(TokenRefusal::Revoked));
        }
        Ok(Ok((claims, user)))
    }

    /// The caller of an operation that admits anonymous callers, checked
    /// for the permissions `needed`.
    pub async fn caller(
        &self,
        credentials: &AnyCaller,
        needed: PermissionSet,
    ) -> Result<Caller, ApiError> {
        let caller = match &credentials.0 {
            Credential::Missing => Caller::Anonymous {
                permissions: self.store.anonymous_permissions().await?,
            },
            credential => self.authenticate(credential).await?,
        };
        caller
            .require(needed)
            .map_err(|denial| ApiError::denied(denial, needed))?;
        Ok(caller)
    }

    /// The signed-in user of an operation closed to anonymous callers,
    /// checked for the permissions `needed`.
    pub async fn user(
        &self,
        credentials: &UserOnly,
        needed: PermissionSet,
    ) -> Result<Caller, ApiError> {
        let caller = self.authenticate(&credentials.0).await?;
        caller
            .require(needed)
            .map_err(|denial| ApiError::denied(denial, needed))?;
        Ok(caller)
    }

    /// Resolves a credential to a signed-in user, or explains the 401.
    async fn authenticate(&self, credential: &Credential) -> Result<Caller, ApiError> {
        let token = match credential {
            Credential::Missing => {
                return Err(ApiError::unauthorized(
                    "Authentication required: send Authorization: Bearer <token>.",
                ));
            }
            Credential::Malformed => {
                return Err(ApiError::unauthorized(
                    "Malformed Authorization header: expected Bearer <token>.",
                ));
            }
            Credential::Bearer(token) => token,
        };

        let (_, user) = self.check_token(token).await?.map_err(|refusal| {
            ApiError::unauthorized(match refusal {
                TokenRefusal::Expired => "Token has expired.",
                TokenRefusal::Invalid => "Invalid token.",
                TokenRefusal::Revoked => "Token has been revoked.",
                TokenRefusal::UserGone => "The token's user no longer exists.",
            })
        })?;

        let name = Username::parse(user.username)
            .map_err(|_| ApiError::unauthorized("The token's user no longer exists."))?;
        Ok(Caller::User {
            id: user.id,
            name,
            permissions: user.permissions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(header: Option<&str>) -> Credential {
        let mut builder = Request::builder();
        if let Some(value) = header {
            builder = builder.header(header::AUTHORIZATION, value);
        }
        Credential::from_request(&builder.finish())
    }

    #[test]
    fn the_scheme_word_is_case_insensitive() {
        for header in ["Bearer abc", "bearer abc", "BEARER  abc "] {
            assert!(matches!(credential(Some(header)), Credential::Bearer(t) if t == "abc"));
        }
    }

    #[test]
    fn anything_but_one_bearer_token_is_malformed() {
        for header in ["Bearer", "Bearer ", "Basic abc", "abc", "Bearer a b", ""] {
            assert!(
                matches!(credential(Some(header)), Credential::Malformed),
                "{header:?}"
            );
        }
        assert!(matches!(credential(None), Credential::Missing));
        let twice = Request::builder()
            .header(header::AUTHORIZATION, "Bearer a")
            .header(header::AUTHORIZATION, "Bearer b")
            .finish();
        assert!(matches!(
            Credential::from_request(&twice),
            Credential::Malformed
        ));
    }

    #[test]
    fn tokens_never_print() {
        let printed = format!("{:?}", Credential::Bearer("secret.token".into()));
        assert!(!printed.contains("secret"));
    }
}
