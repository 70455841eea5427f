//! A real PostgreSQL server for the team-journal tests (issue 17), never a mock.
//!
//! - [`database`] gives each test a fresh database on one server shared by every test of this
//!   binary: `LINKUS_TEST_DATABASE_URL` when set (a server someone else runs, such as CI's
//!   `postgres` service container), else a private server started once from the installed
//!   binaries (`initdb` into a temp folder, a free port, trust auth on 127.0.0.1,
//!   `fsync=off`; as root through `runuser -u postgres`, in a folder that user owns).
//! - [`private`] starts a server of the test's own, which it may stop and start again (the
//!   "server stopped" cases); it needs the installed binaries.
//! - Every server started here is stopped when its guard drops, and a watchdog stops it too
//!   when the test binary dies without dropping it (a test binary has no global teardown).
//!
//! Without a server, a test calls [`unavailable`]: under `CI=true` that fails the test,
//! elsewhere the test is skipped with one line saying why.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Debian and Ubuntu keep the server binaries off `PATH`.
fn bin_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("LINKUS_TEST_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    // The newest version.
    found.sort_by_key(|bin| {
        bin.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(bin) = found.pop() {
        return Some(bin);
    }
    // Homebrew keeps versioned formulae off PATH too.
    for prefix in ["/opt/homebrew/opt", "/usr/local/opt"] {
        if let Ok(entries) = std::fs::read_dir(prefix) {
            let mut found: Vec<PathBuf> = entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("postgresql"))
                .map(|e| e.path().join("bin"))
                .filter(|bin| bin.join("initdb").exists())
                .collect();
            found.sort();
            if let Some(bin) = found.pop() {
                return Some(bin);
            }
        }
    }
    // Elsewhere (a source build) initdb is on PATH.
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).find(|dir| dir.join("initdb").exists()))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `uid:gid` of the `postgres` user, when running as root.
fn postgres_ids() -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, "postgres"]).output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

/// Says why there is no server: a failure under CI, a one-line skip elsewhere.
#[allow(clippy::print_stderr)] // the one line saying why a test was skipped
pub fn unavailable(why: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| {
        !matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "" | "0" | "false" | "no"
        )
    });
    if ci {
        panic!("team-journal test needs PostgreSQL and CI is set: {why}");
    }
    eprintln!("skipped: no PostgreSQL for the team-journal tests ({why}); install postgresql or set LINKUS_TEST_DATABASE_URL");
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("port").port()
}

/// A server started from the installed binaries.
pub struct PgServer {
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    watchdog: Option<std::process::Child>,
}

impl PgServer {
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(path);
            cmd
        } else {
            Command::new(path)
        }
    }

    /// Makes a cluster in a new temp folder (copied from `template` when given).
    fn create(template: Option<&Path>) -> Result<PgServer, String> {
        let bin = bin_dir().ok_or("no initdb in /usr/lib/postgresql/*/bin or on PATH")?;
        let root = is_root();
        let parent = tempfile::Builder::new()
            .prefix("linkus-pg-")
            .tempdir()
            .map_err(|e| format!("temp folder: {e}"))?
            .keep();
        let dir = parent.join("data");
        let mut server = PgServer {
            port: free_port(),
            dir: dir.clone(),
            bin,
            as_postgres: root,
            watchdog: None,
        };
        if root {
            let (uid, gid) =
                postgres_ids().ok_or("running as root and there is no postgres user")?;
            std::os::unix::fs::chown(&parent, Some(uid), Some(gid))
                .map_err(|e| format!("chown: {e}"))?;
        }
        match template {
            Some(template) => {
                let status = Command::new("cp")
                    .arg("-a")
                    .arg(template)
                    .arg(&dir)
                    .status()
                    .map_err(|e| e.to_string())?;
                if !status.success() {
                    return Err("could not copy the template cluster".into());
                }
            }
            None => {
                let out = server
                    .command("initdb")
                    .arg("-D")
                    .arg(&dir)
                    .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
                    .stdin(Stdio::null())
                    .output()
                    .map_err(|e| format!("initdb: {e}"))?;
                if !out.status.success() {
                    return Err(format!(
                        "initdb failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
            }
        }
        server.watchdog = Some(server.watch());
        Ok(server)
    }

    /// Starts (or starts again) the server and waits until it accepts connections.
    pub fn start(&mut self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=16MB",
            self.port,
            self.dir.display()
        );
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.dir)
            .args(["-o", &options, "-l"])
            .arg(self.dir.join("server.log"))
            .args(["-w", "-t", "60", "start"])
            .stdin(Stdio::null())
            .output()
            .expect("pg_ctl");
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
        );
    }

    /// Stops the server (fast: connections are closed, as when an administrator stops it).
    pub fn stop(&self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.dir)
            .args(["-m", "fast", "-w", "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// A process that stops the server and removes its folder once this test binary is gone.
    fn watch(&self) -> std::process::Child {
        let pg_ctl = self.bin.join("pg_ctl");
        let stop = if self.as_postgres {
            format!(
                "runuser -u postgres -- {} -D \"$2\" -m immediate stop",
                pg_ctl.display()
            )
        } else {
            format!("{} -D \"$2\" -m immediate stop", pg_ctl.display())
        };
        let script = format!(
            "while kill -0 \"$1\" 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf \"$(dirname \"$2\")\""
        );
        Command::new("sh")
            .args(["-c", &script, "watchdog"])
            .arg(std::process::id().to_string())
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("watchdog")
    }

    /// Serves TLS with the test certificate (tests/cli/fixtures/tls: 127.0.0.1 and
    /// localhost, from a private CA); takes effect at the next start.
    pub fn enable_tls(&self) {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/fixtures/tls");
        for (from, to) in [("server.pem", "server.crt"), ("server.key", "server.key")] {
            let target = self.dir.join(to);
            std::fs::copy(fixtures.join(from), &target).expect("copy the certificate");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
            if self.as_postgres {
                let (uid, gid) = postgres_ids().expect("postgres user");
                std::os::unix::fs::chown(&target, Some(uid), Some(gid)).unwrap();
            }
        }
        let conf = self.dir.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).unwrap_or_default();
        text.push_str("\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
        std::fs::write(&conf, text).unwrap();
    }

    /// Makes `user` log in with a password (SCRAM) from 127.0.0.1; every other user keeps
    /// trust. Takes effect at the next start.
    pub fn require_password_for(&self, user: &str) {
        let hba = self.dir.join("pg_hba.conf");
        let text = std::fs::read_to_string(&hba).unwrap_or_default();
        std::fs::write(
            &hba,
            format!("host all {user} 127.0.0.1/32 scram-sha-256\n{text}"),
        )
        .unwrap();
    }

    /// Stops and starts again (settings changed).
    pub fn restart(&mut self) {
        self.stop();
        self.start();
    }

    /// The URL of a database on this server (no password: trust auth).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgresql://postgres@127.0.0.1:{}/{database}?sslmode=disable",
            self.port
        )
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
        if let Some(parent) = self.dir.parent() {
            let _ = std::fs::remove_dir_all(parent);
        }
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
    }
}

/// A cluster made once by initdb; private servers start from copies of it.
fn template() -> Result<&'static Path, String> {
    static TEMPLATE: OnceLock<Result<(PathBuf, PgServer), String>> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let server = PgServer::create(None)?;
            Ok((server.dir.clone(), server))
        })
        .as_ref()
        .map(|(dir, _)| dir.as_path())
        .map_err(Clone::clone)
}

/// The server shared by every test of this binary: `postgresql://…/` without a database.
fn shared() -> Result<&'static (String, Option<PgServer>), String> {
    static SHARED: OnceLock<Result<(String, Option<PgServer>), String>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            if let Ok(url) = std::env::var("LINKUS_TEST_DATABASE_URL") {
                return Ok((url, None));
            }
            let mut server = PgServer::create(Some(template()?))?;
            server.start();
            Ok((server.url("postgres"), Some(server)))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// A fresh database for one test.
pub struct TestDb {
    /// The URL linkus is given (`sslmode=disable`: the test server has no certificate).
    pub url: String,
    pub name: String,
}

/// Replaces the database name (the path) of a URL.
pub fn with_database(url: &str, database: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("database URL");
    parsed.set_path(&format!("/{database}"));
    if !parsed.query_pairs().any(|(k, _)| k == "sslmode") {
        parsed.query_pairs_mut().append_pair("sslmode", "disable");
    }
    parsed.to_string()
}

/// Runs SQL on the server named by `url`, from the test (not through linkus).
pub fn sql(url: &str, statement: &str) -> Result<Vec<tokio_postgres::SimpleQueryMessage>, String> {
    let url = url.to_owned();
    let statement = statement.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async move {
            let config: tokio_postgres::Config = strip_sslmode(&url)
                .parse()
                .map_err(|e: tokio_postgres::Error| e.to_string())?;
            let (client, connection) = config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| e.to_string())?;
            let task = tokio::spawn(connection);
            let result = client
                .simple_query(&statement)
                .await
                .map_err(|e| format!("{e}: {:?}", e.as_db_error().map(|d| d.message())));
            drop(client);
            let _ = task.await;
            result
        })
    })
    .join()
    .map_err(|_| "sql thread panicked".to_owned())?
}

fn strip_sslmode(url: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("database URL");
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != "sslmode" && k != "sslrootcert")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    parsed.set_query(None);
    if !pairs.is_empty() {
        parsed.query_pairs_mut().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// The rows of a query as text, column by column.
pub fn rows(url: &str, statement: &str) -> Vec<Vec<Option<String>>> {
    sql(url, statement)
        .unwrap_or_else(|e| panic!("{statement}: {e}"))
        .into_iter()
        .filter_map(|message| match message {
            tokio_postgres::SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

/// A fresh database on the shared server, or `None` (after [`unavailable`]) when there is
/// no server.
pub fn database() -> Option<TestDb> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let (base, _) = match shared() {
        Ok(shared) => shared,
        Err(why) => {
            unavailable(&why);
            return None;
        }
    };
    let name = format!(
        "linkus_t{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    let started = Instant::now();
    loop {
        match sql(base, &format!("CREATE DATABASE {name}")) {
            Ok(_) => break,
            // Two CREATE DATABASE at once from one template can collide; try again.
            Err(_) if started.elapsed() < Duration::from_secs(20) => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("CREATE DATABASE: {e}"),
        }
    }
    Some(TestDb {
        url: with_database(base, &name),
        name,
    })
}

/// A server of the test's own, running, with one database `linkus`; `None` (after
/// [`unavailable`]) without the installed binaries.
pub fn private() -> Option<(PgServer, String)> {
    private_with(false)
}

/// The same, serving TLS with the test certificate.
pub fn private_tls() -> Option<(PgServer, String)> {
    private_with(true)
}

fn private_with(tls: bool) -> Option<(PgServer, String)> {
    let template = match template() {
        Ok(template) => template,
        Err(why) => {
            unavailable(&why);
            return None;
        }
    };
    let mut server = match PgServer::create(Some(template)) {
        Ok(server) => server,
        Err(why) => {
            unavailable(&why);
            return None;
        }
    };
    if tls {
        server.enable_tls();
    }
    server.start();
    sql(&server.url("postgres"), "CREATE DATABASE linkus").expect("CREATE DATABASE");
    let url = server.url("linkus");
    Some((server, url))
}
