//! Runs one generated sequence against the server: each step of the model
//! becomes an HTTP request, each answer is compared with the model's, and a
//! transcript of replayable requests is kept for the report.

use reqwest::Method;
use serde_json::{Value, json};

use super::ops::{Actor, Op, Target, user_alias};
use super::state::{Check, Model, Request, Step};
use crate::failure::Failure;
use crate::http::{Call, Reply, share_id_of};
use crate::multipart::Form;
use crate::world::{Account, Ctx, check_bytes};

/// The model's users as real accounts, indexed like `Actor::User`.
#[derive(Clone, Debug)]
pub struct Cast {
    pub users: Vec<Account>,
}

/// A failed case: the failure at the step that departed, and the requests
/// sent until then.
#[derive(Clone, Debug)]
pub struct CaseFailure {
    pub failure: Failure,
    pub transcript: Vec<String>,
}

/// Runs `ops` on fresh shares, then removes them.
pub async fn run_case(ctx: &Ctx, cast: &Cast, ops: &[Op]) -> Result<(), CaseFailure> {
    let mut model = Model::new(&ctx.name("model"));
    let mut ids: Vec<String> = Vec::new();
    let mut transcript = Vec::new();
    let reset = ctx.set_anonymous(&[]).await;
    let mut outcome = reset.map_err(|failure| CaseFailure {
        failure,
        transcript: Vec::new(),
    });
    for op in ops {
        if outcome.is_err() {
            break;
        }
        let Some(step) = model.step(op) else { continue };
        transcript.push(render(&step.request, &step));
        outcome = run_step(ctx, cast, &mut ids, &step)
            .await
            .map_err(|failure| CaseFailure {
                failure,
                transcript: transcript.clone(),
            });
    }
    clean_up(ctx, &ids).await;
    outcome
}

async fn run_step(
    ctx: &Ctx,
    cast: &Cast,
    ids: &mut Vec<String>,
    step: &Step,
) -> Result<(), Failure> {
    let reply = call(ctx, cast, ids, &step.request).send().await?;
    let reply = reply.expect(step.status)?;
    match &step.check {
        Check::Nothing => Ok(()),
        Check::NewShare => {
            let id = share_id_of(&reply.json()?).ok_or_else(|| reply.fail("a url /files/<id>"))?;
            ids.push(id);
            Ok(())
        }
        Check::Content(bytes) => check_bytes(&reply, bytes),
        Check::Meta {
            owner,
            file_name,
            initialized,
            locked,
        } => {
            let owner_name = owner.map_or(Value::Null, |user| {
                json!(cast.users[usize::from(user)].name)
            });
            let expected = json!({
                "owner_name": owner_name,
                "file_name": file_name,
                "initialized": initialized,
                "locked": locked,
            });
            check_meta(&reply, &expected)
        }
    }
}

fn check_meta(reply: &Reply, expected: &Value) -> Result<(), Failure> {
    let body = reply.json()?;
    let fields = ["owner_name", "file_name", "initialized", "locked"];
    let matches = fields
        .iter()
        .all(|field| body.get(*field) == expected.get(*field));
    if matches {
        return Ok(());
    }
    Err(reply.fail(format!("status 200 with {expected}")))
}

fn call(ctx: &Ctx, cast: &Cast, ids: &[String], request: &Request) -> Call {
    let account = |actor: Actor| match actor {
        Actor::User(user) => cast.users.get(usize::from(user)),
        Actor::Anonymous | Actor::Owner => None,
    };
    let share = |index: usize| ids.get(index).cloned().unwrap_or_default();
    match request {
        Request::CreateShare { actor, file_name } => ctx
            .post("/files")
            .by_opt(account(*actor))
            .json(json!({"file_name": file_name})),
        Request::Chunk {
            actor,
            share: index,
            put,
            dzuuid,
            index: chunk,
            total,
            bytes,
        } => {
            let method = if *put { Method::PUT } else { Method::POST };
            let form = Form::chunk(dzuuid, chunk, total, bytes);
            ctx.call(method, format!("/files/{}/content", share(*index)))
                .by_opt(account(*actor))
                .form(&form)
        }
        Request::Rename {
            actor,
            share: index,
            file_name,
        } => ctx
            .patch(format!("/files/{}", share(*index)))
            .by_opt(account(*actor))
            .json(json!({"file_name": file_name})),
        Request::Transfer {
            actor,
            share: index,
            to,
        } => {
            let owner_name = match to {
                Target::User(user) => json!(cast.users[usize::from(*user)].name),
                Target::Anonymous => Value::Null,
                Target::Missing => json!(format!("{}-nobody", ctx.name("missing"))),
            };
            ctx.patch(format!("/files/{}", share(*index)))
                .by_opt(account(*actor))
                .json(json!({"owner_name": owner_name}))
        }
        Request::Lock {
            actor,
            share: index,
            lock,
        } => {
            let verb = if *lock { "lock" } else { "unlock" };
            ctx.post(format!("/files/{}/{verb}", share(*index)))
                .by_opt(account(*actor))
        }
        Request::Delete {
            actor,
            share: index,
        } => ctx
            .delete(format!("/files/{}", share(*index)))
            .by_opt(account(*actor)),
        Request::SetAnonymous { perms } => ctx
            .patch("/admin/settings")
            .by(ctx.root())
            .json(json!({"default_permissions": perms.canonical_codes()})),
        Request::ReadMeta {
            actor,
            share: index,
        } => ctx
            .get(format!("/files/{}", share(*index)))
            .by_opt(account(*actor)),
        Request::ReadContent {
            actor,
            share: index,
        } => ctx
            .get(format!("/files/{}/content", share(*index)))
            .by_opt(account(*actor)),
    }
}

/// One replayable line: the request with `{shareN}` for the id the N-th
/// created share got, and the status the contract asks for.
pub fn render(request: &Request, step: &Step) -> String {
    let text = match request {
        Request::CreateShare { actor, file_name } => {
            format!("POST /files as {actor} {{\"file_name\": \"{file_name}\"}}")
        }
        Request::Chunk {
            actor,
            share,
            put,
            dzuuid,
            index,
            total,
            bytes,
        } => format!(
            "{} /files/{{share{share}}}/content as {actor} form dzuuid={dzuuid} dzchunkindex={index} dztotalchunks={total} upload={:?}",
            if *put { "PUT" } else { "POST" },
            String::from_utf8_lossy(bytes)
        ),
        Request::Rename {
            actor,
            share,
            file_name,
        } => {
            format!("PATCH /files/{{share{share}}} as {actor} {{\"file_name\": \"{file_name}\"}}")
        }
        Request::Transfer { actor, share, to } => {
            let owner = match to {
                Target::User(user) => format!("\"{}\"", user_alias(*user)),
                Target::Anonymous => "null".to_string(),
                Target::Missing => "\"<a user that does not exist>\"".to_string(),
            };
            format!("PATCH /files/{{share{share}}} as {actor} {{\"owner_name\": {owner}}}")
        }
        Request::Lock { actor, share, lock } => {
            let verb = if *lock { "lock" } else { "unlock" };
            format!("POST /files/{{share{share}}}/{verb} as {actor}")
        }
        Request::Delete { actor, share } => format!("DELETE /files/{{share{share}}} as {actor}"),
        Request::SetAnonymous { perms } => format!(
            "PATCH /admin/settings as admin {{\"default_permissions\": {:?}}}",
            perms.canonical_codes()
        ),
        Request::ReadMeta { actor, share } => format!("GET /files/{{share{share}}} as {actor}"),
        Request::ReadContent { actor, share } => {
            format!("GET /files/{{share{share}}}/content as {actor}")
        }
    };
    format!("{text} -> {}", step.status)
}

async fn clean_up(ctx: &Ctx, ids: &[String]) {
    for id in ids {
        let _ = ctx
            .post(format!("/files/{id}/unlock"))
            .by(ctx.root())
            .send()
            .await;
        let _ = ctx
            .delete(format!("/files/{id}"))
            .by(ctx.root())
            .send()
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perm::{Perm, PermSet};

    #[test]
    fn render_uses_placeholders_aliases_and_the_expected_status() {
        let mut model = Model::new("p");
        let created = model
            .step(&Op::Create {
                actor: Actor::User(1),
            })
            .unwrap();
        assert_eq!(
            render(&created.request, &created),
            "POST /files as bob {\"file_name\": \"p-m0.bin\"} -> 201"
        );
        let transfer = model
            .step(&Op::Transfer {
                actor: Actor::Anonymous,
                share: 0,
                to: Target::User(0),
            })
            .unwrap();
        assert_eq!(
            render(&transfer.request, &transfer),
            "PATCH /files/{share0} as anonymous {\"owner_name\": \"alice\"} -> 401"
        );
        let perms = PermSet::of(&[Perm::Read, Perm::Create]);
        let anonymous = model.step(&Op::SetAnonymous { perms }).unwrap();
        assert!(render(&anonymous.request, &anonymous).ends_with("[\"CREATE\", \"READ\"]} -> 200"));
    }
}
