//! Group 7, whoami: who the server thinks the caller is, with permissions
//! always in canonical order.

use serde_json::{Value, json};

use super::support::{expect_field, expect_permissions, unauthorized};
use crate::failure::Outcome;
use crate::perm::{Perm, PermSet};
use crate::scenario;
use crate::scenario::{Group, Scenario};
use crate::world::Ctx;

const GROUP: Group = Group::Whoami;

pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario!(GROUP, Core, whoami_user_returns_name_and_permissions),
        scenario!(GROUP, Core, whoami_permissions_follow_canonical_order),
        scenario!(GROUP, Core, whoami_anonymous_returns_anonymous_permissions).alone(),
        scenario!(GROUP, Core, whoami_invalid_token_is_unauthorized),
    ]
}

async fn whoami_user_returns_name_and_permissions(ctx: Ctx) -> Outcome {
    let user = ctx.user(&[Perm::Read, Perm::Create, Perm::Lock]).await?;
    let reply = ctx.get("/whoami").by(&user).send().await?.expect(200)?;
    expect_field(&reply, &reply.json()?, "username", &json!(user.name))?;
    expect_permissions(&reply, &["CREATE", "LOCK", "READ"])?;
    Ok(())
}

async fn whoami_permissions_follow_canonical_order(ctx: Ctx) -> Outcome {
    let mut reversed = Perm::ALL;
    reversed.reverse();
    let user = ctx.user(&reversed).await?;
    let reply = ctx.get("/whoami").by(&user).send().await?.expect(200)?;
    expect_permissions(&reply, &PermSet::all().canonical_codes())?;
    Ok(())
}

async fn whoami_anonymous_returns_anonymous_permissions(ctx: Ctx) -> Outcome {
    let reply = ctx.get("/whoami").send().await?.expect(200)?;
    expect_field(&reply, &reply.json()?, "username", &Value::Null)?;
    expect_permissions(&reply, &[])?;
    ctx.set_anonymous(&[Perm::Read, Perm::List]).await?;
    let reply = ctx.get("/whoami").send().await?.expect(200)?;
    expect_field(&reply, &reply.json()?, "username", &Value::Null)?;
    expect_permissions(&reply, &["LIST", "READ"])?;
    Ok(())
}

async fn whoami_invalid_token_is_unauthorized(ctx: Ctx) -> Outcome {
    unauthorized(ctx.get("/whoami").token("a garbage token", "garbage")).await?;
    Ok(())
}
