//! Where a rep's connection settings come from, in order: `--database-url`, `DATABASE_URL`,
//! the standard `PG*` variables, then the config file. Passwords come only from the URL,
//! `PGPASSWORD`, `~/.pgpass` or a prompt — never from the config file.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgSslMode};

use crate::config::{ConnectionConfig, SslMode};

#[derive(Debug)]
pub struct Resolved {
    pub options: PgConnectOptions,
    /// Whether a password is already known (URL, PGPASSWORD or pgpass); otherwise prompt if asked.
    pub has_password: bool,
}

/// Where queries and the listening connection go.
#[derive(Debug, Clone, Default)]
pub enum Route {
    /// Everything on direct connections to PostgreSQL.
    #[default]
    Direct,
    /// Queries through a transaction-mode pooler (PgBouncer) at the main options; the one
    /// listening connection (LISTEN needs a session) at `listen`: PostgreSQL itself or a
    /// session-mode pool.
    Pooled { listen: Box<PgConnectOptions> },
}

impl Resolved {
    /// The listening connection's options: the main ones with another host and port.
    pub fn pooled(&self, listen_host: &str, listen_port: u16) -> Route {
        Route::Pooled {
            listen: Box::new(self.options.clone().host(listen_host).port(listen_port)),
        }
    }

    /// `connection.listen_host` set: queries through the pooler, the listener direct.
    pub fn route(&self, config: &ConnectionConfig) -> Route {
        match &config.listen_host {
            Some(host) => self.pooled(host, config.listen_port.unwrap_or(self.options.get_port())),
            None => Route::Direct,
        }
    }
}

/// Builds the connection options. `env` is injectable so tests do not touch the process environment.
pub fn resolve(
    cli_url: Option<&str>,
    config: &ConnectionConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Resolved, String> {
    let url = cli_url.map(str::to_owned).or_else(|| env("DATABASE_URL"));
    if let Some(url) = url {
        let options = PgConnectOptions::from_str(&url)
            .map_err(|_| "the database URL is not a valid postgres:// URL".to_string())?;
        let has_url_password = url
            .split_once("://")
            .and_then(|(_, rest)| rest.split('/').next())
            .is_some_and(|authority| {
                authority.contains('@')
                    && authority.split('@').next().is_some_and(|u| u.contains(':'))
            });
        let has_password = has_url_password || env("PGPASSWORD").is_some();
        let explicit_ssl = url.contains("sslmode=") || env("PGSSLMODE").is_some();
        let options = secure_by_default(options, explicit_ssl);
        return Ok(Resolved {
            options,
            has_password,
        });
    }

    let host = env("PGHOST").or_else(|| config.host.clone());
    let port = env("PGPORT")
        .and_then(|p| p.parse().ok())
        .or(config.port)
        .unwrap_or(5432);
    let user = env("PGUSER")
        .or_else(|| config.user.clone())
        .or_else(|| env("USER"))
        .unwrap_or_else(|| "postgres".into());
    let database = env("PGDATABASE")
        .or_else(|| config.database.clone())
        .unwrap_or_else(|| user.clone());

    let mut options = PgConnectOptions::new_without_pgpass()
        .port(port)
        .username(&user)
        .database(&database);
    if let Some(host) = &host {
        options = options.host(host);
    }
    let sslmode = env("PGSSLMODE")
        .and_then(|m| PgSslMode::from_str(&m).ok())
        .or(config.sslmode.map(to_pg_sslmode));
    if let Some(mode) = sslmode {
        options = options.ssl_mode(mode);
    }
    if let Some(cert) = env("PGSSLROOTCERT")
        .map(PathBuf::from)
        .or_else(|| config.ssl_root_cert.clone())
    {
        options = options.ssl_root_cert(cert);
    }
    let password = env("PGPASSWORD").or_else(|| {
        let passfile = env("PGPASSFILE")
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|h| Path::new(&h).join(".pgpass")))?;
        let text = std::fs::read_to_string(passfile).ok()?;
        pgpass_lookup(
            &text,
            host.as_deref().unwrap_or("localhost"),
            port,
            &database,
            &user,
        )
    });
    if let Some(password) = &password {
        options = options.password(password);
    }
    let options = secure_by_default(options, sslmode.is_some());
    Ok(Resolved {
        options,
        has_password: password.is_some(),
    })
}

/// Remote hosts get `verify-full` unless the user chose a mode (SECURITY.md: client side).
fn secure_by_default(options: PgConnectOptions, explicit: bool) -> PgConnectOptions {
    if explicit || is_local_host(options.get_host()) {
        options
    } else {
        options.ssl_mode(PgSslMode::VerifyFull)
    }
}

pub fn is_local_host(host: &str) -> bool {
    host.is_empty() || host.starts_with('/') || matches!(host, "localhost" | "127.0.0.1" | "::1")
}

fn to_pg_sslmode(mode: SslMode) -> PgSslMode {
    PgSslMode::from_str(mode.as_str()).unwrap_or(PgSslMode::VerifyFull)
}

/// Finds a password in `.pgpass` text (`host:port:database:user:password`, `*` wildcards, `\` escapes).
pub fn pgpass_lookup(
    text: &str,
    host: &str,
    port: u16,
    database: &str,
    user: &str,
) -> Option<String> {
    let port = port.to_string();
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .find_map(|line| {
            let fields = split_pgpass_line(line);
            let [h, p, d, u, password] = fields.as_slice() else {
                return None;
            };
            let matches = |pattern: &str, value: &str| pattern == "*" || pattern == value;
            (matches(h, host) && matches(p, &port) && matches(d, database) && matches(u, user))
                .then(|| password.clone())
        })
}

fn split_pgpass_line(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(field)) = (chars.next(), fields.last_mut()) {
                    field.push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(field) = fields.last_mut() {
                    field.push(c);
                }
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn cli_url_wins_over_environment_and_config() {
        let config = ConnectionConfig {
            host: Some("config.example".into()),
            ..Default::default()
        };
        let env = env_of(&[
            ("DATABASE_URL", "postgres://env@envhost/envdb"),
            ("PGHOST", "pghost"),
        ]);
        let r = resolve(Some("postgres://cli@localhost/clidb"), &config, &env).expect("resolves");
        assert_eq!(r.options.get_username(), "cli");
        assert_eq!(r.options.get_database(), Some("clidb"));
        let r = resolve(None, &config, &env).expect("resolves");
        assert_eq!(r.options.get_username(), "env");
    }

    #[test]
    fn pg_variables_win_over_config_and_remote_hosts_verify_tls() {
        let config = ConnectionConfig {
            host: Some("db.example.com".into()),
            user: Some("cfguser".into()),
            database: Some("crm".into()),
            ..Default::default()
        };
        let env = env_of(&[("PGUSER", "envuser")]);
        let r = resolve(None, &config, &env).expect("resolves");
        assert_eq!(r.options.get_username(), "envuser");
        assert_eq!(r.options.get_host(), "db.example.com");
        assert!(matches!(r.options.get_ssl_mode(), PgSslMode::VerifyFull));
        assert!(!r.has_password);
    }

    #[test]
    fn a_listen_host_routes_queries_through_the_pooler() {
        let mut config = ConnectionConfig {
            host: Some("localhost".into()),
            port: Some(6432),
            ..Default::default()
        };
        let r = resolve(None, &config, &env_of(&[])).expect("resolves");
        assert!(matches!(r.route(&config), Route::Direct));
        config.listen_host = Some("127.0.0.1".into());
        config.listen_port = Some(5432);
        let Route::Pooled { listen } = r.route(&config) else {
            panic!("pooled");
        };
        assert_eq!((listen.get_host(), listen.get_port()), ("127.0.0.1", 5432));
        assert_eq!(r.options.get_port(), 6432, "queries still go to the pooler");
    }

    #[test]
    fn pgpass_matching_respects_wildcards_and_escapes() {
        let text = "# comment\nother:5432:*:bob:nope\n*:5432:crm:ada:pa\\:ss\n";
        assert_eq!(
            pgpass_lookup(text, "db", 5432, "crm", "ada").as_deref(),
            Some("pa:ss")
        );
        assert_eq!(pgpass_lookup(text, "db", 5433, "crm", "ada"), None);
    }
}
