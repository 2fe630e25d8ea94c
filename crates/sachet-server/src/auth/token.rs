//! HS256 JSON Web Tokens: issuing and verifying them.

use std::{fmt, time::Duration};

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sachet_core::UserId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The server's signing secret. It never prints.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    /// The shortest secret accepted, in bytes.
    pub const MIN_BYTES: usize = 32;

    /// Wraps secret bytes; too short a secret is refused.
    pub fn new(bytes: Vec<u8>) -> Result<SecretKey, String> {
        if bytes.len() < Self::MIN_BYTES {
            return Err(format!(
                "the secret key must be at least {} bytes long",
                Self::MIN_BYTES
            ));
        }
        Ok(SecretKey(bytes))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// The claims of a Sachet token.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The username the token was issued to.
    pub sub: String,
    /// The id of that account, so a rename or a re-created name cannot reuse
    /// the token.
    pub uid: Uuid,
    /// Issued at, in seconds since the epoch.
    pub iat: i64,
    /// Issued at, in microseconds: revoking every token of a user up to an
    /// instant needs more precision than `iat` has.
    #[serde(default)]
    pub iat_us: Option<i64>,
    /// Expires at, in seconds since the epoch.
    pub exp: i64,
    /// Unique id of the token, the key of its revocation.
    pub jti: String,
}

impl Claims {
    /// The account the token was issued to.
    pub fn user_id(&self) -> UserId {
        UserId(self.uid.into_bytes())
    }

    /// When the token was issued, as precisely as it says.
    pub fn issued_at(&self) -> DateTime<Utc> {
        let micros = self.iat_us.unwrap_or(self.iat.saturating_mul(1_000_000));
        DateTime::from_timestamp_micros(micros).unwrap_or_default()
    }

    /// When the token expires.
    pub fn expires_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.exp, 0).unwrap_or_default()
    }
}

/// Why a token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Signed correctly but past its expiry.
    #[error("the token has expired")]
    Expired,
    /// Not a token this server signed.
    #[error("the token is invalid")]
    Invalid,
}

/// Issues and verifies tokens with one secret.
#[derive(Clone)]
pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime: Duration,
    leeway: Duration,
}

impl fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("lifetime", &self.lifetime)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

impl TokenIssuer {
    /// An issuer of tokens valid for `lifetime`, verified with a clock
    /// `leeway` (zero unless configured otherwise).
    pub fn new(
        secret: &SecretKey,
        lifetime: Duration,
        leeway: Duration,
    ) -> Result<TokenIssuer, TokenError> {
        let encoding = EncodingKey::from_secret(&secret.0).map_err(|_| TokenError::Invalid)?;
        let decoding = DecodingKey::from_secret(&secret.0).map_err(|_| TokenError::Invalid)?;
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked below, to the microsecond: the library compares
        // whole seconds, so a token would live up to a second past `exp`.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        Ok(TokenIssuer {
            encoding,
            decoding,
            validation,
            lifetime,
            leeway,
        })
    }

    /// A new token for the account `user_id` named `username`.
    pub fn issue(&self, username: &str, user_id: UserId) -> Result<(String, Claims), TokenError> {
        let issued = Utc::now();
        let now = issued.timestamp();
        let claims = Claims {
            sub: username.to_owned(),
            uid: Uuid::from_bytes(user_id.0),
            iat: now,
            iat_us: Some(issued.timestamp_micros()),
            exp: now.saturating_add(self.lifetime.as_secs() as i64),
            jti: Uuid::new_v4().to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|_| TokenError::Invalid)?;
        Ok((token, claims))
    }

    /// The claims of a token this server signed and that has not expired.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?
            .claims;
        let leeway = chrono::Duration::from_std(self.leeway).unwrap_or_default();
        match Utc::now() < claims.expires_at() + leeway {
            true => Ok(claims),
            false => Err(TokenError::Expired),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer(lifetime_secs: u64) -> TokenIssuer {
        let secret = SecretKey::new(vec![7; 32]).unwrap();
        TokenIssuer::new(&secret, Duration::from_secs(lifetime_secs), Duration::ZERO).unwrap()
    }

    #[test]
    fn issued_tokens_verify_with_their_claims() {
        let issuer = issuer(3600);
        let (token, claims) = issuer.issue("alice", UserId([3; 16])).unwrap();
        assert_eq!(issuer.verify(&token).unwrap(), claims);
        assert_eq!(claims.exp - claims.iat, 3600);
        let (other, other_claims) = issuer.issue("alice", UserId([3; 16])).unwrap();
        assert_ne!(token, other);
        assert_ne!(claims.jti, other_claims.jti);
    }

    #[test]
    fn another_key_or_garbage_is_invalid() {
        let (token, _) = issuer(3600).issue("alice", UserId([3; 16])).unwrap();
        let other = TokenIssuer::new(
            &SecretKey::new(vec![8; 32]).unwrap(),
            Duration::from_secs(60),
            Duration::ZERO,
        )
        .unwrap();
        assert_eq!(other.verify(&token), Err(TokenError::Invalid));
        assert_eq!(other.verify("garbage"), Err(TokenError::Invalid));
    }

    #[test]
    fn alg_none_is_invalid() {
        let issuer = issuer(3600);
        let (token, _) = issuer.issue("alice", UserId([3; 16])).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        // {"alg":"none","typ":"JWT"}
        let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert_eq!(issuer.verify(&unsigned), Err(TokenError::Invalid));
    }

    #[test]
    fn expiry_has_no_leeway_by_default() {
        let issuer = issuer(0);
        let secret = SecretKey::new(vec![7; 32]).unwrap();
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: "alice".into(),
            uid: Uuid::nil(),
            iat: now - 10,
            iat_us: None,
            exp: now,
            jti: "j".into(),
        };
        let key = EncodingKey::from_secret(&secret.0).unwrap();
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap();
        assert_eq!(issuer.verify(&token), Err(TokenError::Expired));
    }

    #[test]
    fn short_secrets_are_refused_and_secrets_never_print() {
        assert!(SecretKey::new(vec![1; 31]).is_err());
        let key = SecretKey::new(vec![1; 32]).unwrap();
        assert_eq!(format!("{key:?}"), "SecretKey(<redacted>)");
    }
}
