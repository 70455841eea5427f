//! `linkus auth login | status | logout`.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context as _, Result};
use serde::Serialize;

use yeastar_partner::{Token, TokenStore};

use crate::cli::LoginArgs;
use crate::config::{self, ConfigFile, CredentialSource, Credentials, StoredProfile};
use crate::context::Context;
use crate::error::{usage, ExitStatus, Failure};
use crate::output::format_ms;
use crate::prompt;
use crate::redact::Secret;
use crate::tokens;

pub async fn login(ctx: &Context, args: LoginArgs) -> Result<ExitStatus> {
    if ctx.global.sandbox {
        if ctx.out.is_json() {
            ctx.out.json(
                &serde_json::json!({"profile": ctx.profile(), "sandbox": true, "saved": false}),
            )?;
        }
        ctx.out
            .status("The sandbox needs no login: add --sandbox to any command instead.");
        return Ok(ExitStatus::Success);
    }
    let client_id = match args.client_id.map(|id| id.trim().to_owned()) {
        Some(id) if !id.is_empty() => id,
        Some(_) => return Err(usage("--client-id is empty.")),
        None if ctx.interactive() => {
            prompt::text("Client ID (Partner Portal > System > API)", |v| {
                if v.trim().is_empty() {
                    Err("the client ID is required".to_owned())
                } else {
                    Ok(())
                }
            })
            .await?
        }
        None => {
            return Err(
                Failure::usage("--client-id is required when prompts are off.")
                    .hint("Pass --client-id ID and the secret on stdin with --secret-stdin.")
                    .into(),
            )
        }
    };
    let secret = if args.secret_stdin {
        read_secret_from_stdin().await?
    } else if ctx.interactive() {
        prompt::password("Client secret").await?
    } else {
        return Err(Failure::usage("The client secret cannot be asked for when prompts are off.")
            .hint("Pipe it in with --secret-stdin, or set LINKUS_CLIENT_ID and LINKUS_CLIENT_SECRET instead.")
            .into());
    };
    if secret.is_empty() {
        return Err(usage("The client secret is empty."));
    }

    let path = ctx.dirs.config_file();
    let credentials = Credentials {
        client_id: client_id.clone(),
        client_secret: secret.clone(),
        source: CredentialSource::Profile {
            name: ctx.profile().to_owned(),
            path: path.clone(),
        },
    };
    let client = ctx.client_with(&credentials)?;
    let token = client
        .verify_credentials()
        .await
        .context("The portal did not accept these credentials; nothing was saved")?;

    ConfigFile::update(&path, |config| {
        // The profile's other settings (its team journal) stay.
        let team_journal = config
            .profiles
            .get(ctx.profile())
            .and_then(|stored| stored.team_journal.clone());
        config.profiles.insert(
            ctx.profile().to_owned(),
            StoredProfile {
                client_id: client_id.clone(),
                client_secret: secret.expose().to_owned(),
                team_journal,
            },
        );
    })
    .context("Could not save the credentials")?;

    let account = token.account();
    if ctx.out.is_json() {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct LoginResult<'a> {
            profile: &'a str,
            client_id: &'a str,
            account: Option<&'a str>,
            config_file: String,
        }
        ctx.out.json(&LoginResult {
            profile: ctx.profile(),
            client_id: &client_id,
            account: account.as_deref(),
            config_file: path.display().to_string(),
        })?;
    } else {
        ctx.out.status(&format!(
            "Logged in{} with profile '{}'. Credentials saved in {}.",
            account.map(|a| format!(" as {a}")).unwrap_or_default(),
            ctx.profile(),
            path.display()
        ));
    }
    if config::find_credentials(&ctx.dirs, ctx.profile())?.shadowed_profile {
        ctx.out.warn("LINKUS_CLIENT_ID and LINKUS_CLIENT_SECRET are set and take precedence over the stored profile.");
    }
    Ok(ExitStatus::Success)
}

async fn read_secret_from_stdin() -> Result<Secret> {
    // Typed at a terminal, the secret must not echo.
    if std::io::stdin().is_terminal() {
        return prompt::password("Client secret").await;
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("could not read the client secret from stdin")?;
    Ok(crate::redact::secret(line.trim()))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    profile: String,
    source: String,
    client_id: String,
    base_url: String,
    environment_overrides_profile: bool,
    account: Option<String>,
    token_expires_at: Option<String>,
    token_fresh: bool,
}

pub fn status(ctx: &Context) -> Result<ExitStatus> {
    let (credentials, shadowed) = if ctx.global.sandbox {
        (ctx.credentials()?, false)
    } else {
        let lookup = config::find_credentials(&ctx.dirs, ctx.profile())?;
        let Some(active) = lookup.active else {
            return Err(config::no_credentials(ctx.profile()));
        };
        (active, lookup.shadowed_profile)
    };
    let cached: Option<Token> = ctx.token_store(&credentials.client_id).load();
    let now = ctx.clock.now();
    let expiry_ms = |t: &Token| crate::portal_clock::epoch_ms(t.expires_at);
    let status = Status {
        profile: ctx.profile().to_owned(),
        source: credentials.source.to_string(),
        client_id: credentials.client_id.clone(),
        base_url: ctx.portal_label(),
        environment_overrides_profile: shadowed,
        account: cached.as_ref().and_then(Token::account),
        token_expires_at: cached.as_ref().map(|t| format_ms(expiry_ms(t))),
        token_fresh: cached.as_ref().is_some_and(|t| t.is_fresh(now)),
    };
    if ctx.out.is_json() {
        ctx.out.json(&status)?;
    } else if ctx.out.is_quiet() {
        ctx.out.print(&status.client_id)?;
    } else {
        let token_line = match &cached {
            None => "none cached (one is requested on the next command)".to_owned(),
            Some(t) if t.is_fresh(now) => format!(
                "valid until {} ({} min left)",
                format_ms(expiry_ms(t)),
                t.expires_at
                    .duration_since(now)
                    .unwrap_or_default()
                    .as_secs()
                    / 60
            ),
            Some(t) => format!(
                "expires {}; renewed on the next command",
                format_ms(expiry_ms(t))
            ),
        };
        let rows = [
            ("Profile", status.profile.clone()),
            ("Credentials", status.source.clone()),
            ("Client ID", status.client_id.clone()),
            ("Portal", status.base_url.clone()),
            (
                "Account",
                status
                    .account
                    .clone()
                    .unwrap_or_else(|| "unknown until a token is obtained".to_owned()),
            ),
            ("Access token", token_line),
        ];
        let text: String = rows
            .iter()
            .map(|(label, value)| format!("{label:<14}{value}\n"))
            .collect();
        ctx.out.print(&text)?;
    }
    if shadowed {
        ctx.out.warn(&format!(
            "LINKUS_CLIENT_ID and LINKUS_CLIENT_SECRET override the stored profile '{}'.",
            ctx.profile()
        ));
    }
    Ok(ExitStatus::Success)
}

pub fn logout(ctx: &Context) -> Result<ExitStatus> {
    if ctx.global.sandbox {
        if ctx.out.is_json() {
            ctx.out.json(
                &serde_json::json!({"profile": ctx.profile(), "sandbox": true, "removed": false}),
            )?;
        }
        ctx.out.status("The sandbox has no login to remove.");
        return Ok(ExitStatus::Success);
    }
    let path = ctx.dirs.config_file();
    let removed = if path.exists() {
        ConfigFile::update(&path, |config| {
            config.profiles.remove(ctx.profile()).is_some()
        })?
    } else {
        false
    };
    let token_files = tokens::cache_files_of(&ctx.dirs.cache, ctx.profile());
    for file in &token_files {
        std::fs::remove_file(file)
            .with_context(|| format!("could not remove the cached token {}", file.display()))?;
    }
    let env_still_set = std::env::var_os("LINKUS_CLIENT_ID").is_some();
    if ctx.out.is_json() {
        ctx.out.json(&serde_json::json!({
            "profile": ctx.profile(),
            "removed": removed,
            "tokensRemoved": token_files.len(),
            "environmentStillSet": env_still_set,
        }))?;
    }
    if removed {
        ctx.out.status(&format!(
            "Removed the credentials of profile '{}' and its cached tokens.",
            ctx.profile()
        ));
    } else {
        ctx.out.status(&format!(
            "No credentials were stored for profile '{}'.",
            ctx.profile()
        ));
    }
    if env_still_set {
        ctx.out
            .warn("LINKUS_CLIENT_ID and LINKUS_CLIENT_SECRET are still set in the environment and still apply.");
    }
    Ok(ExitStatus::Success)
}
