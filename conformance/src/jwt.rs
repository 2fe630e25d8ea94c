//! Forged JSON Web Tokens: the suite cannot know a server's key, so it builds
//! tokens a server must refuse (another key, `alg: none`, a tampered payload)
//! and, when the operator hands it the key, expired ones.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64url without padding, as JWT segments use it.
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for group in bytes.chunks(3) {
        let word = group.iter().enumerate().fold(0u32, |word, (idx, byte)| {
            word | u32::from(*byte) << (16 - 8 * idx)
        });
        let symbols = group.len() + 1;
        for position in 0..symbols {
            let index = (word >> (18 - 6 * position)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

/// Decodes base64url with or without padding; `None` for any other symbol.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let symbols: Vec<u32> = text
        .trim_end_matches('=')
        .bytes()
        .map(|byte| ALPHABET.iter().position(|s| *s == byte).map(|p| p as u32))
        .collect::<Option<_>>()?;
    if symbols.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::new();
    for group in symbols.chunks(4) {
        let word = group
            .iter()
            .enumerate()
            .fold(0u32, |word, (idx, symbol)| word | symbol << (18 - 6 * idx));
        for idx in 0..group.len() - 1 {
            out.push((word >> (16 - 8 * idx)) as u8);
        }
    }
    Some(out)
}

/// The claims of a token, without checking its signature.
pub fn claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&base64url_decode(payload)?).ok()
}

/// A token signed with HS256 under `key`.
pub fn sign_hs256(claims: &Value, key: &[u8]) -> String {
    let signing_input = signing_input(&json!({"alg": "HS256", "typ": "JWT"}), claims);
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(signing_input.as_bytes());
    let signature = mac.finalize().into_bytes();
    format!("{signing_input}.{}", base64url_encode(&signature))
}

/// An unsigned token with `alg: none`.
pub fn unsigned(claims: &Value) -> String {
    format!(
        "{}.",
        signing_input(&json!({"alg": "none", "typ": "JWT"}), claims)
    )
}

/// The given token with its payload replaced and its signature kept.
pub fn with_payload(token: &str, claims: &Value) -> String {
    let mut segments: Vec<String> = token.split('.').map(String::from).collect();
    if segments.len() == 3 {
        segments[1] = base64url_encode(claims.to_string().as_bytes());
    }
    segments.join(".")
}

/// Claims in the contract's shape: `sub`, `iat`, `exp`, `jti`.
pub fn claims_for(username: &str, issued_at: i64, expires_at: i64) -> Value {
    json!({
        "sub": username,
        "iat": issued_at,
        "exp": expires_at,
        "jti": uuid::Uuid::new_v4().to_string(),
    })
}

/// The claims of `token` (private claims included) with new `iat`, `exp` and
/// `jti`, signed with HS256 under `key`: a token the server would have
/// issued at `issued_at`.
pub fn resigned(token: &str, key: &[u8], issued_at: i64, expires_at: i64) -> String {
    let mut claims = claims(token).unwrap_or_else(|| json!({}));
    claims["iat"] = json!(issued_at);
    claims["exp"] = json!(expires_at);
    claims["jti"] = json!(uuid::Uuid::new_v4().to_string());
    sign_hs256(&claims, key)
}

fn signing_input(header: &Value, claims: &Value) -> String {
    let header = base64url_encode(header.to_string().as_bytes());
    let payload = base64url_encode(claims.to_string().as_bytes());
    format!("{header}.{payload}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_the_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64url_encode(plain.as_bytes()), encoded);
            assert_eq!(base64url_decode(encoded).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn base64url_uses_the_url_safe_alphabet() {
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url_decode("-_8").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(base64url_decode("+/8"), None);
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231_test_case_2() {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn forged_tokens_carry_the_given_claims() {
        let claims = claims_for("alice", 10, 20);
        let token = sign_hs256(&claims, b"key");
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(super::claims(&token).unwrap(), claims);
        let none = unsigned(&claims);
        assert!(none.ends_with('.'));
        assert_eq!(super::claims(&none).unwrap()["sub"], "alice");
    }

    #[test]
    fn resigned_keeps_private_claims_and_moves_the_times() {
        let original = sign_hs256(
            &json!({"sub": "alice", "uid": "u-1", "iat": 1, "exp": 2, "jti": "a"}),
            b"k",
        );
        let forged = resigned(&original, b"k", 100, 200);
        let claims = claims(&forged).unwrap();
        assert_eq!(claims["uid"], "u-1");
        assert_eq!(claims["sub"], "alice");
        assert_eq!(
            (claims["iat"].as_i64(), claims["exp"].as_i64()),
            (Some(100), Some(200))
        );
        assert_ne!(claims["jti"], "a");
    }

    #[test]
    fn with_payload_keeps_header_and_signature() {
        let token = sign_hs256(&claims_for("alice", 10, 20), b"key");
        let tampered = with_payload(&token, &json!({"sub": "root"}));
        let (old, new): (Vec<&str>, Vec<&str>) =
            (token.split('.').collect(), tampered.split('.').collect());
        assert_eq!(old[0], new[0]);
        assert_eq!(old[2], new[2]);
        assert_ne!(old[1], new[1]);
    }
}
