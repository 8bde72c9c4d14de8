//! `florilege user`: create and list back-office users.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, bail};
use store::{NewUser, Role, Store};

use super::UserCommand;

pub(super) async fn run(
    store: &Store,
    command: UserCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            name,
            admin,
            display_name,
        } => {
            let password = read_password()?;
            let role = if admin { Role::Admin } else { Role::Editor };
            let new = NewUser {
                username: &name,
                display_name: display_name.as_deref().unwrap_or(&name),
                password: &password,
                role,
            };
            let user = store.add_user(new).await?;
            writeln!(
                out,
                "created {} {} (id {})",
                user.role, user.username, user.id
            )?;
        }
        UserCommand::List => {
            for user in store.list_users().await? {
                let state = if user.disabled { "disabled" } else { "active" };
                writeln!(
                    out,
                    "{:<24} {:<7} {:<9} {}",
                    user.username, user.role, state, user.display_name
                )?;
            }
        }
    }
    Ok(())
}

/// One line from standard input when it is piped, or asked twice on a terminal.
fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        if password.is_empty() {
            bail!("no password on standard input");
        }
        return Ok(password);
    }
    let first = rpassword::prompt_password("Password: ")?;
    let second = rpassword::prompt_password("Password again: ")?;
    if first != second {
        bail!("the two passwords differ");
    }
    Ok(first)
}
