//! Random bytes from the operating system, for secrets, CSRF values and ids.

/// Fills `buf` from the OS generator. Failing to read it means the machine cannot
/// make secrets at all; there is no safe fallback, so this aborts the process.
pub fn fill(buf: &mut [u8]) {
    if let Err(e) = getrandom::fill(buf) {
        // No request-dependent input reaches this: only a broken OS does.
        panic!("the operating system random number generator failed: {e}");
    }
}

/// `n` random bytes, URL-safe base64 without padding.
pub fn token(n: usize) -> String {
    use base64::Engine;
    let mut bytes = vec![0u8; n];
    fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
