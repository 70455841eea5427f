//! A value that cannot leak by accident: no `Display`, no `Serialize`, and a `Debug` that
//! prints `(redacted)`. It reaches the wire or a file only through [`Secret::expose`].

/// What `Debug` prints instead of a secret.
pub const REDACTED: &str = "(redacted)";

#[derive(Clone, PartialEq, Eq, Default)]
/// A secret (client secret, token) that never shows in `Debug` or `Display`: both print [`REDACTED`].
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("s3cr3t-value-123");
        assert_eq!(format!("{secret:?}"), "(redacted)");
        assert_eq!(format!("{:?}", Some(secret.clone())), "Some((redacted))");
        assert_eq!(secret.expose(), "s3cr3t-value-123");
    }
}
