//! What a scenario is: a named check of one rule of the contract, tagged with
//! its group and tier, and whether it must run alone.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::failure::Outcome;
use crate::world::Ctx;

/// How far a server goes beyond the older Sachet server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// What every faithful Sachet server does, the older Python one included.
    Core,
    /// Core plus every correction marked **fix** in the contract.
    Strict,
    /// Strict plus the additions marked **ext**.
    Ext,
}

impl Tier {
    pub fn name(self) -> &'static str {
        match self {
            Tier::Core => "core",
            Tier::Strict => "strict",
            Tier::Ext => "ext",
        }
    }

    pub fn parse(text: &str) -> Option<Tier> {
        [Tier::Core, Tier::Strict, Tier::Ext]
            .into_iter()
            .find(|tier| tier.name().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The scenario groups of the conformance document, plus the conventions
/// that hold on every route and the model-based scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    Authentication,
    Renewal,
    Logout,
    Password,
    WrongMethod,
    Users,
    Whoami,
    Settings,
    Anonymous,
    Shares,
    Content,
    Download,
    Locking,
    Pagination,
    Conventions,
    Model,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Authentication => "authentication",
            Group::Renewal => "renewal",
            Group::Logout => "logout",
            Group::Password => "password",
            Group::WrongMethod => "wrong-method",
            Group::Users => "users",
            Group::Whoami => "whoami",
            Group::Settings => "settings",
            Group::Anonymous => "anonymous",
            Group::Shares => "shares",
            Group::Content => "content",
            Group::Download => "download",
            Group::Locking => "locking",
            Group::Pagination => "pagination",
            Group::Conventions => "conventions",
            Group::Model => "model",
        }
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a scenario may share the server with others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isolation {
    /// Runs in parallel with other shared scenarios.
    Shared,
    /// Changes or depends on server-wide state (anonymous permissions, whole
    /// listings): runs with nothing else in flight.
    Alone,
    /// Runs alone after every other scenario, because it may leave the server
    /// refusing logins from this address for a while (login throttling).
    Last,
}

/// The future a scenario function returns.
pub type ScenarioFuture = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// One scenario.
#[derive(Clone, Copy)]
pub struct Scenario {
    pub name: &'static str,
    pub group: Group,
    pub tier: Tier,
    pub isolation: Isolation,
    pub run: fn(Ctx) -> ScenarioFuture,
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("group", &self.group)
            .field("tier", &self.tier)
            .field("isolation", &self.isolation)
            .finish()
    }
}

impl Scenario {
    /// Marks the scenario as one that must run with nothing else in flight.
    pub fn alone(mut self) -> Scenario {
        self.isolation = Isolation::Alone;
        self
    }

    /// Marks the scenario as one that must run alone after all others.
    pub fn last(mut self) -> Scenario {
        self.isolation = Isolation::Last;
        self
    }

    /// `group/name`, the string `--filter` matches against.
    pub fn path(&self) -> String {
        format!("{}/{}", self.group, self.name)
    }
}

/// `scenario!(group, Tier, function)` builds a [`Scenario`] named after the
/// async function `function(ctx: Ctx) -> Outcome`.
#[macro_export]
macro_rules! scenario {
    ($group:expr, $tier:ident, $function:ident) => {
        $crate::scenario::Scenario {
            name: stringify!($function),
            group: $group,
            tier: $crate::scenario::Tier::$tier,
            isolation: $crate::scenario::Isolation::Shared,
            run: |ctx| Box::pin($function(ctx)),
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_are_ordered_core_strict_ext() {
        assert!(Tier::Core < Tier::Strict && Tier::Strict < Tier::Ext);
    }

    #[test]
    fn tier_names_parse_back() {
        for tier in [Tier::Core, Tier::Strict, Tier::Ext] {
            assert_eq!(Tier::parse(tier.name()), Some(tier));
        }
        assert_eq!(Tier::parse("STRICT"), Some(Tier::Strict));
        assert_eq!(Tier::parse("full"), None);
    }
}
