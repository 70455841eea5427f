//! `linkus sandbox serve` as a child process, for tests that need what only it offers (a
//! large fleet, latency) and want to count the requests it answered from its log.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::Command;

use super::TestEnv;

pub struct Served {
    child: Child,
    pub url: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Served {
    /// Starts `linkus sandbox serve --port 0` with `args` (`--fleet N`, say), its state in
    /// `env`'s data folder, and waits for its URL.
    pub fn start(env: &TestEnv, args: &[&str]) -> Served {
        let mut serve = std::process::Command::new(assert_cmd::cargo::cargo_bin("linkus"));
        for (key, value) in env.cmd().get_envs() {
            match value {
                Some(value) => serve.env(key, value),
                None => serve.env_remove(key),
            };
        }
        let mut child = serve
            .args(["sandbox", "serve", "--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start linkus sandbox serve");
        let mut url = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut url)
            .expect("read the URL");
        let url = url.trim().to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        let log = Arc::new(Mutex::new(Vec::new()));
        let lines = log.clone();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        Served { child, url, log }
    }

    /// `linkus` pointed at this sandbox with any credentials.
    pub fn cmd(&self, env: &TestEnv) -> Command {
        let mut cmd = env.cmd();
        cmd.env("LINKUS_BASE_URL", &self.url)
            .env("LINKUS_CLIENT_ID", "any-id")
            .env("LINKUS_CLIENT_SECRET", "any-secret-at-all");
        cmd
    }

    /// The request lines logged so far (`… METHOD PATH -> STATUS (N ms)`), once the log has
    /// been quiet for a moment: a line is written before its answer leaves, but read here
    /// by another thread.
    pub fn requests(&self) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut seen = usize::MAX;
        loop {
            let now = self.log.lock().unwrap().len();
            if now == seen || Instant::now() > deadline {
                break;
            }
            seen = now;
            std::thread::sleep(Duration::from_millis(150));
        }
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|line| line.contains(" -> "))
            .cloned()
            .collect()
    }

    /// Requests so far for `METHOD path`.
    pub fn count(&self, verb: &str, route: &str) -> usize {
        let needle = format!(" {verb} {route} -> ");
        self.requests()
            .iter()
            .filter(|line| line.contains(&needle))
            .count()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
