//! Validated names: usernames, file names and passwords.

use std::fmt;

/// Why a name was refused. The message names the rule and the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The value is empty.
    #[error("{what} must not be empty")]
    Empty {
        /// What was being named, such as `username`.
        what: &'static str,
    },
    /// The value is longer than allowed.
    #[error("{what} must be at most {max} characters long")]
    TooLong {
        /// What was being named.
        what: &'static str,
        /// The limit, in characters.
        max: usize,
    },
    /// The value contains a character that is not allowed.
    #[error("{what} must not contain {found}")]
    BadCharacter {
        /// What was being named.
        what: &'static str,
        /// A description of the offending character.
        found: String,
    },
    /// The value is one of the reserved names.
    #[error("username {0:?} is reserved")]
    Reserved(String),
}

/// A username: 1 to 64 characters, no `/`, no control characters, not one of
/// the reserved names that collide with the authentication routes.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

impl Username {
    /// The longest username, in characters.
    pub const MAX_CHARS: usize = 64;

    /// Names that `/users/<name>` routes already use.
    pub const RESERVED: [&'static str; 4] = ["login", "extend", "logout", "password"];

    /// Validates a username.
    pub fn parse(value: impl Into<String>) -> Result<Username, NameError> {
        let value = value.into();
        check_text("username", &value, Self::MAX_CHARS)?;
        if value.contains('/') {
            return Err(NameError::BadCharacter {
                what: "username",
                found: "'/'".into(),
            });
        }
        if value == "." || value == ".." {
            return Err(NameError::BadCharacter {
                what: "username",
                found: "only dots".into(),
            });
        }
        if Self::RESERVED.contains(&value.as_str()) {
            return Err(NameError::Reserved(value));
        }
        Ok(Username(value))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// The name of a shared file: 1 to 255 characters without control characters,
/// so that it can always travel in a `Content-Disposition` header.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FileName(String);

impl FileName {
    /// The longest file name, in characters.
    pub const MAX_CHARS: usize = 255;

    /// Validates a file name.
    pub fn parse(value: impl Into<String>) -> Result<FileName, NameError> {
        let value = value.into();
        check_text("file name", &value, Self::MAX_CHARS)?;
        Ok(FileName(value))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// A password in clear text. It never prints: `Debug` shows a placeholder.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// The longest password accepted, in characters (at most 4 KiB); hashing
    /// cost stays bounded.
    pub const MAX_CHARS: usize = 1024;

    /// Accepts any non-empty password up to [`Password::MAX_CHARS`].
    pub fn parse(value: impl Into<String>) -> Result<Password, NameError> {
        let value = value.into();
        if value.is_empty() {
            return Err(NameError::Empty { what: "password" });
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(NameError::TooLong {
                what: "password",
                max: Self::MAX_CHARS,
            });
        }
        Ok(Password(value))
    }

    /// The secret itself; call only to hash or verify it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

fn check_text(what: &'static str, value: &str, max_chars: usize) -> Result<(), NameError> {
    if value.is_empty() {
        return Err(NameError::Empty { what });
    }
    if value.chars().count() > max_chars {
        return Err(NameError::TooLong {
            what,
            max: max_chars,
        });
    }
    if let Some(bad) = value.chars().find(|c| c.is_control()) {
        return Err(NameError::BadCharacter {
            what,
            found: format!("the control character {:?}", bad),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn usernames_follow_the_contract_rules() {
        for ok in ["a", "alice", "Ünïcødé", "with space", &"x".repeat(64)] {
            assert!(Username::parse(ok).is_ok(), "{ok:?} should be accepted");
        }
        let cases = [
            ("", "username must not be empty"),
            ("a/b", "username must not contain '/'"),
            (
                "tab\there",
                "username must not contain the control character '\\t'",
            ),
            ("..", "username must not contain only dots"),
            ("login", "username \"login\" is reserved"),
            ("password", "username \"password\" is reserved"),
        ];
        for (input, message) in cases {
            assert_eq!(Username::parse(input).unwrap_err().to_string(), message);
        }
        assert!(Username::parse("x".repeat(65)).is_err());
        // Characters, not bytes, count.
        assert!(Username::parse("é".repeat(64)).is_ok());
    }

    #[test]
    fn file_names_refuse_line_breaks() {
        assert!(FileName::parse("report.pdf").is_ok());
        assert!(FileName::parse("a\r\nSet-Cookie: x").is_err());
        assert!(FileName::parse("").is_err());
        assert!(FileName::parse("x".repeat(256)).is_err());
    }

    #[test]
    fn passwords_never_print() {
        let password = Password::parse("hunter2").unwrap();
        assert_eq!(format!("{password:?}"), "Password(<redacted>)");
        assert!(Password::parse("").is_err());
    }

    proptest! {
        #[test]
        fn accepted_names_hold_no_control_character(value in any::<String>()) {
            if let Ok(name) = FileName::parse(value.clone()) {
                prop_assert!(!name.as_str().chars().any(char::is_control));
            }
            if let Ok(name) = Username::parse(value) {
                prop_assert!(!name.as_str().contains('/'));
                prop_assert!(name.as_str().chars().count() <= Username::MAX_CHARS);
            }
        }
    }
}
