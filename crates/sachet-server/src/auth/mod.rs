//! Authentication: JSON Web Tokens, password hashing, and turning the
//! `Authorization` header of a request into a [`Caller`](sachet_core::Caller).

mod credentials;
mod password;
mod token;

pub use credentials::{AnyCaller, Credential, TokenRefusal, UserOnly};
pub use password::{HashingParams, PasswordHasher};
pub use token::{Claims, SecretKey, TokenError, TokenIssuer};
