//! Runs a selection of scenarios against one server: shared scenarios in
//! parallel up to `jobs`, then the ones that must run alone, one by one, with
//! the anonymous permissions reset after each; cleanup always runs, also
//! after Ctrl-C.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use regex::Regex;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::failure::{Failure, Stop};
use crate::http::Http;
use crate::report::{ScenarioResult, Verdict};
use crate::scenario::{Group, Isolation, Scenario, Tier};
use crate::session::Session;
use crate::world::{Ctx, Knobs};

/// How a run is configured.
#[derive(Clone)]
pub struct RunConfig {
    pub base_url: String,
    pub admin_user: String,
    pub admin_password: String,
    pub jobs: usize,
    pub knobs: Knobs,
    pub request_timeout: Duration,
}

impl fmt::Debug for RunConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunConfig")
            .field("base_url", &self.base_url)
            .field("admin_user", &self.admin_user)
            .field("admin_password", &"<hidden>")
            .field("jobs", &self.jobs)
            .field("knobs", &self.knobs)
            .finish()
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct RunSummary {
    /// In the order of the selection.
    pub results: Vec<ScenarioResult>,
    pub interrupted: bool,
    pub duration: Duration,
    /// Cleanup steps that did not succeed.
    pub problems: Vec<String>,
}

/// The scenarios of `tier` and every tier below it whose `group/name`
/// matches `filter`, in catalogue order.
pub fn select(all: &[Scenario], tier: Tier, filter: Option<&Regex>) -> Vec<Scenario> {
    all.iter()
        .filter(|scenario| scenario.tier <= tier)
        .filter(|scenario| filter.is_none_or(|filter| filter.is_match(&scenario.path())))
        .copied()
        .collect()
}

/// Runs `scenarios`, calling `report` as each one ends.
pub async fn run(
    config: RunConfig,
    scenarios: Vec<Scenario>,
    mut report: impl FnMut(&ScenarioResult),
) -> Result<RunSummary, String> {
    let started = Instant::now();
    let http = Http::new(&config.base_url, config.request_timeout)?;
    let session = Session::open(
        http,
        &config.admin_user,
        &config.admin_password,
        config.knobs,
    )
    .await?;
    let mut finished: Vec<(usize, ScenarioResult)> = Vec::new();
    let interrupted = {
        let work = run_all(
            &session,
            &scenarios,
            config.jobs,
            &mut finished,
            &mut report,
        );
        tokio::select! {
            () = work => false,
            _ = tokio::signal::ctrl_c() => true,
        }
    };
    if interrupted {
        abandon_on_second_interrupt();
    }
    let problems = session.close().await;
    finished.sort_by_key(|(index, _)| *index);
    Ok(RunSummary {
        results: finished.into_iter().map(|(_, result)| result).collect(),
        interrupted,
        duration: started.elapsed(),
        problems,
    })
}

async fn run_all(
    session: &Session,
    scenarios: &[Scenario],
    jobs: usize,
    finished: &mut Vec<(usize, ScenarioResult)>,
    report: &mut impl FnMut(&ScenarioResult),
) {
    let (shared, alone): (Vec<_>, Vec<_>) = scenarios
        .iter()
        .copied()
        .enumerate()
        .partition(|(_, scenario)| scenario.isolation == Isolation::Shared);

    let semaphore = Arc::new(Semaphore::new(jobs.max(1)));
    let mut tasks = JoinSet::new();
    for (index, scenario) in shared {
        let ctx = session.ctx().clone();
        let semaphore = Arc::clone(&semaphore);
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            (index, run_one(scenario, ctx).await)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok((index, result)) = joined {
            report(&result);
            finished.push((index, result));
        }
    }

    let (alone, last): (Vec<_>, Vec<_>) = alone
        .into_iter()
        .partition(|(_, scenario)| scenario.isolation == Isolation::Alone);
    for (index, scenario) in alone.into_iter().chain(last) {
        let mut result = run_one(scenario, session.ctx().clone()).await;
        if let Err(problem) = session.reset_anonymous().await {
            let failure = Failure::new("the anonymous permissions reset after the scenario")
                .with_actual(problem);
            result.verdict = Verdict::Fail(Box::new(failure));
        }
        report(&result);
        finished.push((index, result));
    }
}

/// Runs one scenario in its own task, so that a panic or a hang is reported
/// as its failure and nothing else's.
async fn run_one(scenario: Scenario, ctx: Ctx) -> ScenarioResult {
    let started = Instant::now();
    let limit = time_limit(scenario);
    let mut task = tokio::spawn((scenario.run)(ctx));
    let verdict = match tokio::time::timeout(limit, &mut task).await {
        Ok(Ok(Ok(()))) => Verdict::Pass,
        Ok(Ok(Err(Stop::Skip(reason)))) => Verdict::Skip(reason),
        Ok(Ok(Err(Stop::Fail(failure)))) => Verdict::Fail(failure),
        Ok(Err(join_error)) => fail(format!("the scenario crashed: {join_error}")),
        Err(_) => {
            task.abort();
            fail(format!("no end within {} s", limit.as_secs()))
        }
    };
    ScenarioResult {
        verdict,
        ..result_of(scenario, started.elapsed())
    }
}

fn time_limit(scenario: Scenario) -> Duration {
    match scenario.group {
        Group::Model => Duration::from_secs(600),
        _ => Duration::from_secs(120),
    }
}

fn fail(actual: String) -> Verdict {
    Verdict::Fail(Box::new(
        Failure::new("the scenario to finish").with_actual(actual),
    ))
}

fn result_of(scenario: Scenario, duration: Duration) -> ScenarioResult {
    ScenarioResult {
        name: scenario.name,
        group: scenario.group,
        tier: scenario.tier,
        verdict: Verdict::Pass,
        duration,
    }
}

/// After the first Ctrl-C the run cleans up; a second one gives up on that.
fn abandon_on_second_interrupt() {
    tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            std::process::exit(130);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::Outcome;

    async fn nothing(_ctx: Ctx) -> Outcome {
        Ok(())
    }

    fn catalogue() -> Vec<Scenario> {
        vec![
            crate::scenario!(Group::Shares, Core, nothing),
            Scenario {
                name: "strict_one",
                tier: Tier::Strict,
                ..crate::scenario!(Group::Content, Core, nothing)
            },
            Scenario {
                name: "ext_one",
                tier: Tier::Ext,
                ..crate::scenario!(Group::Download, Core, nothing)
            },
        ]
    }

    fn names(selected: &[Scenario]) -> Vec<&str> {
        selected.iter().map(|scenario| scenario.name).collect()
    }

    #[test]
    fn a_tier_includes_every_tier_below_it() {
        let all = catalogue();
        assert_eq!(names(&select(&all, Tier::Core, None)), vec!["nothing"]);
        assert_eq!(
            names(&select(&all, Tier::Strict, None)),
            vec!["nothing", "strict_one"]
        );
        assert_eq!(names(&select(&all, Tier::Ext, None)).len(), 3);
    }

    #[test]
    fn the_filter_matches_group_and_name() {
        let all = catalogue();
        let by_group = Regex::new("^download/").unwrap();
        assert_eq!(
            names(&select(&all, Tier::Ext, Some(&by_group))),
            vec!["ext_one"]
        );
        let by_name = Regex::new("strict").unwrap();
        assert_eq!(
            names(&select(&all, Tier::Ext, Some(&by_name))),
            vec!["strict_one"]
        );
    }
}
