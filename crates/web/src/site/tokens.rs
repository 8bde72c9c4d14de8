//! Tokens for forms posted by anonymous viewers: signed and dated, so that no cookie is needed to stop cross-site posts.

use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a form stays valid after it was shown.
const LIFETIME_SECS: i64 = 4 * 3600;

/// Signs and checks form tokens with the site's secret.
pub struct FormTokens {
    secret: Vec<u8>,
}

impl FormTokens {
    pub fn new(secret: &str) -> Self {
        Self {
            secret: secret.as_bytes().to_vec(),
        }
    }

    fn signature(&self, purpose: &str, issued: i64) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(format!("{purpose}\n{issued}").as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// A token for a form of this purpose (e.g. `submit`), valid for a few hours.
    pub fn issue(&self, purpose: &str) -> String {
        let issued = Utc::now().timestamp();
        format!("{issued}.{}", self.signature(purpose, issued))
    }

    /// Whether a posted token was issued by us, for this purpose, recently.
    pub fn check(&self, purpose: &str, token: &str) -> bool {
        let Some((issued, signature)) = token.split_once('.') else {
            return false;
        };
        let Ok(issued) = issued.parse::<i64>() else {
            return false;
        };
        let age = Utc::now().timestamp() - issued;
        let expected = self.signature(purpose, issued);
        (0..=LIFETIME_SECS).contains(&age)
            && expected.len() == signature.len()
            && expected
                .bytes()
                .zip(signature.bytes())
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_recent_tokens_for_the_same_form_pass() {
        let tokens = FormTokens::new("secret");
        let token = tokens.issue("submit");
        assert!(tokens.check("submit", &token));
        assert!(!tokens.check("removal", &token), "another form's token");
        assert!(
            !FormTokens::new("other").check("submit", &token),
            "another secret"
        );
        assert!(!tokens.check("submit", "garbage"));
        let old = Utc::now().timestamp() - LIFETIME_SECS - 10;
        let expired = format!("{old}.{}", tokens.signature("submit", old));
        assert!(!tokens.check("submit", &expired));
        let mut forged = token.clone();
        forged.pop();
        forged.push('0');
        assert!(!tokens.check("submit", &forged) || token.ends_with('0'));
    }
}
