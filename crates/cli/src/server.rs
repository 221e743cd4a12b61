//! What `replay` and `bench` share about the server they write to.

use anyhow::Context;
use lpconvert_send::Auth;

/// Authentication from the options: Basic with `--username` (the password read from the
/// variable `password_env`), else the token in the variable `token_env` when it is set and not
/// empty, else none.
pub fn auth(username: Option<&str>, token_env: &str, password_env: &str) -> anyhow::Result<Auth> {
    let token = std::env::var(token_env).ok().filter(|t| !t.is_empty());
    Ok(match (username, token) {
        (Some(user), _) => {
            let password = std::env::var(password_env).with_context(|| {
                format!("--username needs the password in the environment variable {password_env}")
            })?;
            Auth::Basic {
                username: user.to_owned(),
                password,
            }
        }
        (None, Some(t)) => Auth::Token(t),
        (None, None) => Auth::None,
    })
}
