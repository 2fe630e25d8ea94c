//! The model-based scenario: proptest generates sequences of operations by
//! several users and anonymous callers, each answer is checked against an
//! in-memory model of the contract, and a failing sequence is shrunk and
//! reported as a list of requests to replay.

mod exec;
mod ops;
mod state;

pub use ops::{Actor, Op, Target, Via};
pub use state::{Check, Model, Request, Step};

use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use tokio::runtime::Handle;

use crate::failure::{Failure, Outcome};
use crate::scenario;
use crate::scenario::{Group, Scenario};
use crate::world::Ctx;
use exec::{CaseFailure, Cast, run_case};

/// The longest generated sequence.
pub const MAX_OPS: usize = 40;

pub fn scenarios() -> Vec<Scenario> {
    // Multi-chunk uploads and transfers rules are fixes, so the model is strict.
    vec![scenario!(Group::Model, Strict, model_random_operations_match_contract).alone()]
}

async fn model_random_operations_match_contract(ctx: Ctx) -> Outcome {
    let mut users = Vec::new();
    for user in 0..ops::USERS {
        users.push(ctx.user(&ops::user_permissions(user).perms()).await?);
    }
    let cast = Cast { users };
    let handle = Handle::current();
    let explored = tokio::task::spawn_blocking(move || explore(&handle, &ctx, &cast)).await;
    match explored {
        Ok(result) => Ok(result?),
        Err(join_error) => Err(Failure::new("the model run to finish")
            .with_actual(format!("it crashed: {join_error}"))
            .into()),
    }
}

/// Runs the property with the knobs' case count and seed; on failure,
/// replays the shrunk sequence once more to report it.
fn explore(handle: &Handle, ctx: &Ctx, cast: &Cast) -> Result<(), Failure> {
    let (cases, seed) = (ctx.knobs().cases, ctx.knobs().seed);
    let config = Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        max_shrink_iters: 300,
        max_shrink_time: 60_000,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&ops::sequence(MAX_OPS), |sequence| {
        handle
            .block_on(run_case(ctx, cast, &sequence))
            .map_err(|case| TestCaseError::fail(case.failure.expected))
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Abort(reason)) => {
            Err(Failure::new("the model run to finish").with_actual(reason.to_string()))
        }
        Err(TestError::Fail(reason, shrunk)) => {
            match handle.block_on(run_case(ctx, cast, &shrunk)) {
                Err(case) => Err(report(case, cast, seed, cases)),
                Ok(()) => Err(Failure::new("the shrunk sequence to fail again on replay")
                    .with_actual(format!(
                        "it passed: the server answers inconsistently ({reason})"
                    ))),
            }
        }
    }
}

fn report(case: CaseFailure, cast: &Cast, seed: u64, cases: u32) -> Failure {
    let mut detail = format!(
        "replay (seed {seed}; {{shareN}} is the id the N-th created share got; -> the status the contract asks for):\n"
    );
    for (number, line) in case.transcript.iter().enumerate() {
        detail.push_str(&format!("{}. {line}\n", number + 1));
    }
    for (user, account) in cast.users.iter().enumerate() {
        let perms = ops::user_permissions(user as u8).canonical_codes();
        detail.push_str(&format!(
            "{} = {} {perms:?}\n",
            ops::user_alias(user as u8),
            account.name
        ));
    }
    detail.push_str(&format!(
        "rerun: --filter model --seed {seed} --cases {cases}"
    ));
    case.failure.with_detail(detail)
}
