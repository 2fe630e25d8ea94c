//! A run's footprint on the server: it opens by logging in as the admin,
//! creating the suite's root user and clearing what earlier runs left, and
//! closes by removing everything the run created and putting the anonymous
//! permissions back as it found them.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::failure::Failure;
use crate::http::{Http, Reply, segment};
use crate::perm::Perm;
use crate::world::{Account, Ctx, Knobs};

/// Every name the suite creates starts with this, then 8 hex digits and `-`.
pub const MARK: &str = "sachetconf";

/// Names the contract reserves; a faulty server may let the suite create
/// them, and then the suite removes them again.
pub const RESERVED: [&str; 4] = ["login", "extend", "logout", "password"];

/// An open run.
#[derive(Debug)]
pub struct Session {
    http: Http,
    admin: Account,
    original_anonymous: Value,
    prefix: String,
    ctx: Ctx,
}

impl Session {
    pub async fn open(
        http: Http,
        admin_user: &str,
        admin_password: &str,
        knobs: Knobs,
    ) -> Result<Session, String> {
        let admin = log_in(&http, admin_user, admin_password).await?;
        let original_anonymous = read_anonymous(&http, &admin).await?;
        let prefix = format!("{MARK}-{:08x}", rand::random::<u32>());
        let root = create_root(&http, &admin, &prefix).await?;
        let ctx = Ctx::new(http.clone(), prefix.clone(), root, knobs);
        let session = Session {
            http,
            admin,
            original_anonymous,
            prefix,
            ctx,
        };
        for problem in session.remove_leftovers(&leftover_pattern()).await {
            eprintln_problem(&problem);
        }
        session.reset_anonymous().await?;
        Ok(session)
    }

    pub fn ctx(&self) -> &Ctx {
        &self.ctx
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Puts the run's baseline back: no anonymous permissions, so that every
    /// scenario starts from the contract's fresh-server state.
    pub async fn reset_anonymous(&self) -> Result<(), String> {
        self.write_anonymous(&self.ctx.root().clone(), json!([]))
            .await
    }

    /// Removes what the run created and restores the anonymous permissions.
    /// Returns the problems met; it keeps going past each one.
    pub async fn close(self) -> Vec<String> {
        let own = regex::Regex::new(&format!("^{}-", regex::escape(&self.prefix)))
            .unwrap_or_else(|_| leftover_pattern());
        let mut problems = self.remove_leftovers(&own).await;
        let original = self.original_anonymous.clone();
        if let Err(problem) = self.write_anonymous(&self.admin, original).await {
            problems.push(problem);
        }
        let root = self.ctx.root().name.clone();
        if let Err(problem) = delete_user(&self.http, &self.admin, &root).await {
            problems.push(problem);
        }
        problems
    }

    async fn write_anonymous(&self, by: &Account, perms: Value) -> Result<(), String> {
        self.http
            .call(Method::PATCH, "/admin/settings")
            .by(by)
            .json(json!({"default_permissions": perms}))
            .send()
            .await
            .and_then(|reply| reply.expect(200))
            .map(drop)
            .map_err(|failure| problem("cannot set the anonymous permissions", &failure))
    }

    /// Deletes shares and users whose names match `pattern`, plus everything
    /// this run created, except the root user.
    async fn remove_leftovers(&self, pattern: &regex::Regex) -> Vec<String> {
        let root = self.ctx.root();
        let created = self.http.created();
        let mut problems = Vec::new();

        let mut shares = created.shares;
        match list_all(&self.http, root, "/files").await {
            Ok(listed) => shares.extend(matching_shares(&listed, pattern)),
            Err(problem) => problems.push(problem),
        }
        for id in &shares {
            if let Err(problem) = delete_share(&self.http, root, id).await {
                problems.push(problem);
            }
        }

        // Only names the suite makes: a faulty server that accepted a rename
        // onto someone else's name must not cost that user their account.
        let mut users: BTreeSet<String> = created
            .users
            .into_iter()
            .filter(|name| pattern.is_match(name) || RESERVED.contains(&name.as_str()))
            .collect();
        match list_all(&self.http, root, "/users").await {
            Ok(listed) => users.extend(matching_users(&listed, pattern)),
            Err(problem) => problems.push(problem),
        }
        users.remove(&root.name);
        for name in &users {
            if let Err(problem) = delete_user(&self.http, root, name).await {
                problems.push(problem);
            }
        }
        problems
    }
}

/// Names of earlier runs: `sachetconf-` and 8 hex digits.
fn leftover_pattern() -> regex::Regex {
    regex::Regex::new(&format!("^{MARK}-[0-9a-f]{{8}}-"))
        .unwrap_or_else(|_| unreachable!("the pattern is a valid regex"))
}

fn eprintln_problem(problem: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "warning: {problem}");
}

fn problem(what: &str, failure: &Failure) -> String {
    format!("{what}: {}", failure.to_string().replace('\n', "; "))
}

async fn log_in(http: &Http, name: &str, password: &str) -> Result<Account, String> {
    let token = http
        .call(Method::POST, "/users/login")
        .json(json!({"username": name, "password": password}))
        .send()
        .await
        .and_then(|reply| reply.expect(200))
        .and_then(|reply| reply.string("auth_token"))
        .map_err(|failure| problem(&format!("cannot log in as {name}"), &failure))?;
    Ok(Account {
        name: name.to_string(),
        password: password.to_string(),
        token,
    })
}

async fn read_anonymous(http: &Http, admin: &Account) -> Result<Value, String> {
    let reply = http
        .call(Method::GET, "/admin/settings")
        .by(admin)
        .send()
        .await
        .and_then(|reply| reply.expect(200))
        .map_err(|failure| problem("cannot read /admin/settings", &failure))?;
    let body = reply
        .json()
        .map_err(|failure| problem("cannot read /admin/settings", &failure))?;
    match body.get("default_permissions") {
        Some(perms @ Value::Array(_)) => Ok(perms.clone()),
        _ => Err("GET /admin/settings has no default_permissions array".into()),
    }
}

/// The suite's own user with all seven permissions; it does all setup and
/// cleanup so that the admin account needs nothing but ADMIN.
async fn create_root(http: &Http, admin: &Account, prefix: &str) -> Result<Account, String> {
    let name = format!("{prefix}-root");
    let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
    let perms: Vec<&str> = Perm::ALL.iter().map(|perm| perm.code()).collect();
    http.call(Method::POST, "/users")
        .by(admin)
        .json(json!({"username": name, "password": password, "permissions": perms}))
        .send()
        .await
        .and_then(|reply| reply.expect(201))
        .map_err(|failure| problem("cannot create the suite's root user", &failure))?;
    log_in(http, &name, &password).await
}

/// Every item of a paginated listing.
async fn list_all(http: &Http, by: &Account, path: &str) -> Result<Vec<Value>, String> {
    let mut items = Vec::new();
    let mut page = Some(1);
    while let Some(number) = page {
        let reply = http
            .call(Method::GET, format!("{path}?page={number}&per_page=100"))
            .by(by)
            .send()
            .await
            .and_then(|reply| reply.expect(200))
            .map_err(|failure| problem(&format!("cannot list {path}"), &failure))?;
        let body = reply
            .json()
            .map_err(|failure| problem("bad listing", &failure))?;
        items.extend(body["data"].as_array().cloned().unwrap_or_default());
        page = body["next"].as_u64().filter(|next| *next > number);
    }
    Ok(items)
}

fn matching_shares(listed: &[Value], pattern: &regex::Regex) -> Vec<String> {
    let matches = |field: &Value| field.as_str().is_some_and(|text| pattern.is_match(text));
    listed
        .iter()
        .filter(|share| matches(&share["file_name"]) || matches(&share["owner_name"]))
        .filter_map(|share| share["share_id"].as_str().map(String::from))
        .collect()
}

fn matching_users(listed: &[Value], pattern: &regex::Regex) -> Vec<String> {
    listed
        .iter()
        .filter_map(|user| user["username"].as_str())
        .filter(|name| pattern.is_match(name))
        .map(String::from)
        .collect()
}

async fn delete_share(http: &Http, by: &Account, id: &str) -> Result<(), String> {
    let unlock = http
        .call(Method::POST, format!("/files/{id}/unlock"))
        .by(by);
    let _ = unlock.send().await;
    let reply = http
        .call(Method::DELETE, format!("/files/{id}"))
        .by(by)
        .send()
        .await;
    gone(reply, &format!("cannot delete share {id}"))
}

async fn delete_user(http: &Http, by: &Account, name: &str) -> Result<(), String> {
    let reply = http
        .call(Method::DELETE, format!("/users/{}", segment(name)))
        .by(by)
        .send()
        .await;
    gone(reply, &format!("cannot delete user {name}"))
}

/// 200 and 404 both mean the thing is gone.
fn gone(reply: Result<Reply, Failure>, what: &str) -> Result<(), String> {
    reply
        .and_then(|reply| reply.expect_any(&[200, 404]))
        .map(drop)
        .map_err(|failure| problem(what, &failure))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftover_pattern_matches_only_suite_names() {
        let pattern = leftover_pattern();
        assert!(pattern.is_match("sachetconf-0a1b2c3d-u7"));
        assert!(pattern.is_match("sachetconf-0a1b2c3d-s3.bin"));
        assert!(!pattern.is_match("alice"));
        assert!(!pattern.is_match("sachetconf-xyz-u7"));
        assert!(!pattern.is_match("my-sachetconf-0a1b2c3d-u7"));
    }

    #[test]
    fn matching_shares_looks_at_file_name_and_owner() {
        let pattern = leftover_pattern();
        let listed = vec![
            json!({"share_id": "1", "file_name": "sachetconf-0a1b2c3d-s1.bin", "owner_name": null}),
            json!({"share_id": "2", "file_name": "x", "owner_name": "sachetconf-0a1b2c3d-u1"}),
            json!({"share_id": "3", "file_name": "x", "owner_name": "bob"}),
        ];
        assert_eq!(matching_shares(&listed, &pattern), vec!["1", "2"]);
    }
}
