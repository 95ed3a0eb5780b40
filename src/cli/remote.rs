//! What the commands that talk to a running server share: where it is,
//! which CA to trust, and the bearer token, which never comes from the
//! command line, where any user of the machine could read it (`ps`, shell
//! history): from a file named by a flag, or from an environment variable.

use std::path::{Path, PathBuf};

use clap::Args;
use stepwise::client::{self, ConnectError};
use tonic::transport::Channel;

use super::error::CommandError;

/// Where the running server is, and how to trust it.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// URL of the running server: `http://HOST:PORT`, or
    /// `https://HOST:PORT` for a server with TLS. A bare `HOST:PORT` means
    /// `http://`.
    #[arg(long, env = "STEPWISE_SERVER", default_value = "http://127.0.0.1:50051", value_parser = parse_server)]
    pub server: http::Uri,
    /// PEM file with the certificate of a private CA (or the server's own,
    /// self-signed one) to trust for an `https://` server; without it, the
    /// system's trusted roots are used.
    #[arg(long, env = "STEPWISE_TLS_CA")]
    pub tls_ca: Option<PathBuf>,
}

impl ServerArgs {
    /// A channel to the server.
    pub async fn connect(&self) -> Result<Channel, ConnectError> {
        client::connect(&self.server, self.tls_ca.as_deref()).await
    }
}

/// A server URL: `http://` or `https://`, a host, an optional port, and
/// nothing else; a bare `HOST:PORT` is taken as `http://HOST:PORT`, as
/// earlier versions took it.
fn parse_server(value: &str) -> Result<http::Uri, String> {
    let url = if value.contains("://") {
        value.to_owned()
    } else {
        format!("http://{value}")
    };
    let problem =
        || format!("{value:?} is not a server URL like https://stepwise.example.org:50051");
    let uri: http::Uri = url.parse().map_err(|_| problem())?;
    let is_server = matches!(uri.scheme_str(), Some("http" | "https"))
        && uri.host().is_some_and(|host| !host.is_empty())
        && uri
            .path_and_query()
            .is_none_or(|p| p.as_str() == "/" || p.as_str().is_empty());
    if is_server { Ok(uri) } else { Err(problem()) }
}

/// Where a command's token comes from: the file named by `flag`, else the
/// environment variable `env`.
pub struct TokenSource<'a> {
    /// The file given with the flag, if any.
    pub file: Option<&'a Path>,
    /// The flag's name, for messages.
    pub flag: &'a str,
    /// The variable's name.
    pub env: &'a str,
    /// Whose token it is, for messages ("administrator", "your").
    pub whose: &'a str,
}

impl TokenSource<'_> {
    /// The token: the contents of the file if given, else `from_env` (the
    /// variable's value); see [`bare_token`] for what may surround it.
    pub fn read(&self, from_env: Option<String>) -> Result<String, CommandError> {
        let (pasted, source) = match (self.file, from_env) {
            (Some(path), _) => (
                String::from_utf8_lossy(&read(path)?).into_owned(),
                format!("the file {}", path.display()),
            ),
            (None, Some(token)) => (token, self.env.to_owned()),
            (None, None) => {
                return Err(CommandError::Config(format!(
                    "no {} token: set {} or pass {} PATH",
                    self.whose, self.env, self.flag
                )));
            }
        };
        bare_token(&pasted).map(str::to_owned).ok_or_else(|| {
            CommandError::Config(format!(
                "{source} must hold only the token: the {} token as the server gave it \
                 (sw_...), alone or as `Bearer <token>` or `authorization: Bearer <token>`",
                self.whose
            ))
        })
    }
}

/// The token in what a user put in a file or variable: the bare token, or
/// what they may have copied from a grpcurl command or an HTTP client
/// instead, `Bearer <token>` or the whole header `authorization: Bearer
/// <token>` (the client adds `Bearer ` itself, so either would be sent as
/// `Bearer Bearer ...`). `None` unless that leaves one word; a token never
/// has spaces.
fn bare_token(pasted: &str) -> Option<&str> {
    let mut rest = pasted.trim();
    for prefix in ["authorization:", "bearer "] {
        if rest
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
        {
            rest = rest[prefix.len()..].trim_start();
        }
    }
    let one_word = !rest.is_empty() && !rest.contains(char::is_whitespace);
    (one_word && !rest.eq_ignore_ascii_case("bearer")).then_some(rest)
}

/// The contents of a file named in the settings.
fn read(path: &Path) -> Result<Vec<u8>, CommandError> {
    std::fs::read(path)
        .map_err(|e| CommandError::Config(format!("cannot read {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::bare_token;

    #[test]
    fn a_token_pasted_with_its_scheme_or_header_is_taken_out_of_it() {
        for pasted in [
            "sw_abc",
            " sw_abc\n",
            "Bearer sw_abc",
            "bearer  sw_abc",
            "authorization: Bearer sw_abc",
            "Authorization:Bearer sw_abc\n",
        ] {
            assert_eq!(bare_token(pasted), Some("sw_abc"), "{pasted:?}");
        }
        for not_a_token in ["", " \n", "Bearer", "authorization: Bearer", "sw_a sw_b"] {
            assert_eq!(bare_token(not_a_token), None, "{not_a_token:?}");
        }
    }
}
