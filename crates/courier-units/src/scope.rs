//! The client scope of an environment, a company and an OAuth client (docs/environments.md):
//! Intacct keys are created for non-production or production and cannot be moved. One type
//! for the environment files, the production guard, the reports and the emulator.

use std::fmt;
use std::str::FromStr;

/// `non-production` or `production`. With the `serde` feature it (de)serialises as that
/// spelling, the form reports use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "kebab-case")
)]
pub enum Scope {
    NonProduction,
    Production,
}

impl Scope {
    /// The spelling used on the command line, in environment files, reports and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::NonProduction => "non-production",
            Scope::Production => "production",
        }
    }

    /// The other scope: the one whose client an emulator knows but refuses.
    #[must_use]
    pub fn other(self) -> Scope {
        match self {
            Scope::NonProduction => Scope::Production,
            Scope::Production => Scope::NonProduction,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope spelled neither `non-production` nor `production`; holds what was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScope(pub String);

impl fmt::Display for UnknownScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown scope `{}`: expected `non-production` or `production`",
            self.0
        )
    }
}

impl std::error::Error for UnknownScope {}

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "non-production" => Ok(Scope::NonProduction),
            "production" => Ok(Scope::Production),
            other => Err(UnknownScope(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_through_their_spelling() {
        for scope in [Scope::NonProduction, Scope::Production] {
            assert_eq!(scope.to_string().parse::<Scope>(), Ok(scope));
            assert_eq!(scope.other().other(), scope);
        }
        assert_eq!(
            "prod".parse::<Scope>().map_err(|e| e.to_string()),
            Err("unknown scope `prod`: expected `non-production` or `production`".to_owned())
        );
    }
}
