//! Flash messages: after a `303`, the next page says once what happened ("Display name
//! saved"). The message rides in a short-lived `flash` cookie signed by the server, so
//! a visitor cannot make keycard's pages say things it never said. JSON never sees it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::http::signing::MacKey;

/// Signs and opens flash cookie values.
#[derive(Clone)]
pub struct FlashKey(MacKey);

/// The verified message a request carries.
#[derive(Debug, Clone)]
pub struct Flash(pub String);

impl FlashKey {
    pub fn derive(jwt_secret: &[u8]) -> anyhow::Result<Self> {
        Ok(FlashKey(MacKey::derive(jwt_secret, "keycard flash v1")?))
    }

    /// The cookie value carrying `message`.
    pub fn seal(&self, message: &str) -> String {
        self.0.sign(&URL_SAFE_NO_PAD.encode(message))
    }

    /// The message of a value this key sealed.
    pub fn open(&self, value: &str) -> Option<Flash> {
        let data = self.0.open(value)?;
        let bytes = URL_SAFE_NO_PAD.decode(data).ok()?;
        String::from_utf8(bytes).ok().map(Flash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_messages_open_and_others_do_not() {
        let key = FlashKey::derive(b"secret").unwrap();
        let sealed = key.seal("Display name saved");
        assert_eq!(key.open(&sealed).unwrap().0, "Display name saved");
        assert!(key.open("bm9wZQ.AAAA").is_none());
        let other = FlashKey::derive(b"other").unwrap();
        assert!(other.open(&sealed).is_none());
    }
}
