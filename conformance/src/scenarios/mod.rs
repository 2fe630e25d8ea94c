//! The catalogue: every scenario group of the conformance document, in the
//! order the document lists them.

mod anonymous;
mod authentication;
mod content;
mod conventions;
mod download;
mod locking;
mod logout;
mod pagination;
mod password;
mod renewal;
mod settings;
mod shares;
mod support;
mod users;
mod whoami;
mod wrong_method;

use crate::scenario::Scenario;

/// Every scenario, tagged with its group and tier.
pub fn all() -> Vec<Scenario> {
    [
        authentication::scenarios(),
        renewal::scenarios(),
        logout::scenarios(),
        password::scenarios(),
        wrong_method::scenarios(),
        users::scenarios(),
        whoami::scenarios(),
        settings::scenarios(),
        anonymous::scenarios(),
        shares::scenarios(),
        content::scenarios(),
        download::scenarios(),
        locking::scenarios(),
        pagination::scenarios(),
        conventions::scenarios(),
        crate::model::scenarios(),
    ]
    .concat()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::scenario::{Group, Isolation, Tier};

    #[test]
    fn names_are_unique() {
        let all = all();
        let names: BTreeSet<&str> = all.iter().map(|scenario| scenario.name).collect();
        assert_eq!(names.len(), all.len());
    }

    #[test]
    fn names_read_resource_operation_condition() {
        for scenario in all() {
            let words: Vec<&str> = scenario.name.split('_').collect();
            assert!(
                words.len() >= 3,
                "{} has fewer than three words",
                scenario.name
            );
            assert!(
                scenario
                    .name
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'),
                "{} is not snake_case",
                scenario.name
            );
        }
    }

    #[test]
    fn every_group_of_the_document_has_core_scenarios() {
        let all = all();
        let groups = [
            Group::Authentication,
            Group::Renewal,
            Group::Logout,
            Group::Password,
            Group::WrongMethod,
            Group::Users,
            Group::Whoami,
            Group::Settings,
            Group::Anonymous,
            Group::Shares,
            Group::Content,
            Group::Download,
            Group::Locking,
            Group::Pagination,
        ];
        for group in groups {
            let core = all
                .iter()
                .filter(|s| s.group == group && s.tier == Tier::Core)
                .count();
            assert!(core > 0, "group {group} has no core scenario");
        }
    }

    #[test]
    fn scenarios_that_change_anonymous_permissions_run_alone() {
        for scenario in all() {
            if matches!(scenario.group, Group::Anonymous | Group::Model) {
                assert_ne!(scenario.isolation, Isolation::Shared, "{}", scenario.name);
            }
        }
    }
}
